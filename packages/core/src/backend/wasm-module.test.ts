import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../rng';
import { setupBackend } from './setup';
import { heapModule, moduleBytes, tapsModuleBytes } from './wasm-module';

/**
 * The hand-assembled WebAssembly module: both variants (plain and shared imported memory) are
 * valid WebAssembly, and its 2 × 2 max-pool gradient loop, run on the wasm backend's heap, equals
 * a direct JavaScript statement of the rule (dy of each window to its first maximum in row-major
 * order; none for a −∞ or NaN window) on random, tied, negative and −∞ windows.
 */

let before: string;
beforeAll(async () => {
  before = tf.getBackend();
  await setupBackend({ backend: 'wasm', log: false });
});
afterAll(async () => {
  await setupBackend({ backend: before, log: false });
});

/** The rule, stated directly: for every window, the first (row-major) element equal to its maximum. */
function reference(x: Float32Array, [batch, height, width, channels]: number[], dy: Float32Array): Float32Array {
  const outHeight = Math.floor(height / 2);
  const outWidth = Math.floor(width / 2);
  const dx = new Float32Array(x.length);
  const at = (b: number, row: number, column: number, channel: number) => ((b * height + row) * width + column) * channels + channel;
  for (let b = 0; b < batch; b++)
    for (let r = 0; r < outHeight; r++)
      for (let c = 0; c < outWidth; c++)
        for (let k = 0; k < channels; k++) {
          const window = [at(b, 2 * r, 2 * c, k), at(b, 2 * r, 2 * c + 1, k), at(b, 2 * r + 1, 2 * c, k), at(b, 2 * r + 1, 2 * c + 1, k)];
          const maximum = Math.max(...window.map((index) => x[index]));
          if (!(maximum > Number.NEGATIVE_INFINITY)) continue;
          const first = window.find((index) => x[index] === maximum)!;
          dx[first] = dy[((b * outHeight + r) * outWidth + c) * channels + k];
        }
  return dx;
}

/** dW[i, j, o] = Σ_{b, r, c} xPadded[b, r + i, c + j] · dy[b, r, c, o], in float64. */
function filterGradientReference(xPadded: Float32Array, [batch, height, width]: number[], dy: Float32Array, [outHeight, outWidth, channels]: number[], [fh, fw]: number[]): Float64Array {
  const dw = new Float64Array(fh * fw * channels);
  for (let b = 0; b < batch; b++)
    for (let r = 0; r < outHeight; r++)
      for (let c = 0; c < outWidth; c++)
        for (let i = 0; i < fh; i++)
          for (let j = 0; j < fw; j++)
            for (let o = 0; o < channels; o++)
              dw[(i * fw + j) * channels + o] += xPadded[(b * height + r + i) * width + c + j] * dy[((b * outHeight + r) * outWidth + c) * channels + o];
  return dw;
}

describe('tlkit wasm module', () => {
  it('computes a one-input-channel filter gradient on the heap (SIMD steps and the channels after them)', () => {
    const backend = tf.engine().backend;
    const compiled = heapModule(backend)!;
    const rng = createRng(5);
    for (const channels of [4, 6, 9]) {
      const [batch, height, width, fh, fw] = [2, 7, 6, 3, 2];
      const [outHeight, outWidth] = [height - fh + 1, width - fw + 1];
      const x = Float32Array.from({ length: batch * height * width }, () => rng.normal());
      const dy = Float32Array.from({ length: batch * outHeight * outWidth * channels }, () => rng.normal());
      const dw = tf.tidy(() => {
        const xTensor = tf.tensor(x, [batch, height, width]);
        const dyTensor = tf.tensor(dy, [batch, outHeight, outWidth, channels]);
        const out = tf.zeros([fh, fw, 1, channels]);
        const offset = (tensor: tf.Tensor) =>
          (backend as unknown as { dataIdMap: { get(id: object): { memoryOffset: number } } }).dataIdMap.get(tensor.dataId).memoryOffset;
        compiled.filterGradientOneChannel(offset(xTensor), offset(dyTensor), offset(out), batch, outHeight, outWidth, channels, fh, fw, width * 4, height * width * 4);
        return out.dataSync().slice();
      });
      const expected = filterGradientReference(x, [batch, height, width], dy, [outHeight, outWidth, channels], [fh, fw]);
      for (let index = 0; index < expected.length; index++) expect(dw[index]).toBeCloseTo(expected[index], 4);
    }
  });

  it('assembles to valid WebAssembly, with plain and with shared memory', () => {
    expect(WebAssembly.validate(moduleBytes(false))).toBe(true);
    expect(WebAssembly.validate(moduleBytes(true))).toBe(true);
    for (const [outputs, blocks] of [
      [6, 2],
      [16, 1],
      [1, 1],
    ]) {
      expect(WebAssembly.validate(tapsModuleBytes(false, outputs, blocks))).toBe(true);
      expect(WebAssembly.validate(tapsModuleBytes(true, outputs, blocks))).toBe(true);
    }
  });

  it('computes the 2 × 2 max-pool gradient on the heap as the rule says (random, tied, negative, −∞ windows; odd sizes)', () => {
    const backend = tf.engine().backend;
    const compiled = heapModule(backend);
    expect(compiled).not.toBeNull();
    for (const shape of [
      [2, 6, 8, 3],
      [3, 7, 5, 4],
      [1, 4, 4, 1],
    ]) {
      const rng = createRng(shape.join('-').length * 7 + shape[3]);
      const size = shape.reduce((a, b) => a * b, 1);
      // Integers in [−2, 2] (many ties, all-negative windows), and a few −∞ windows.
      const x = Float32Array.from({ length: size }, () => Math.round(rng.normal()));
      for (let i = 0; i < size; i += 11) x[i] = Number.NEGATIVE_INFINITY;
      const outShape = [shape[0], Math.floor(shape[1] / 2), Math.floor(shape[2] / 2), shape[3]];
      const dy = Float32Array.from({ length: outShape.reduce((a, b) => a * b, 1) }, () => rng.normal());
      const before = tf.memory().numTensors;
      const dx = tf.tidy(() => {
        const input = tf.tensor(x, shape);
        const maxima = tf.maxPool(input as tf.Tensor4D, 2, 2, 'valid');
        const gradient = tf.tensor(dy, outShape);
        const out = tf.zerosLike(input);
        const offset = (tensor: tf.Tensor) =>
          (backend as unknown as { dataIdMap: { get(id: object): { memoryOffset: number } } }).dataIdMap.get(tensor.dataId).memoryOffset;
        const rowBytes = shape[2] * shape[3] * 4;
        compiled!.maxPoolGradTwoByTwo(offset(input), offset(maxima), offset(gradient), offset(out) - offset(input), shape[0], outShape[1], outShape[2], shape[3], rowBytes, shape[1] * rowBytes);
        return out.dataSync().slice();
      });
      expect(tf.memory().numTensors).toBe(before);
      expect(Array.from(dx)).toEqual(Array.from(reference(x, shape, dy)));
    }
  });
});
