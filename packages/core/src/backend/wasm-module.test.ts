import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../rng';
import { setupBackend } from './setup';
import { heapModule, moduleBytes } from './wasm-module';

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

describe('tlkit wasm module', () => {
  it('assembles to valid WebAssembly, with plain and with shared memory', () => {
    expect(WebAssembly.validate(moduleBytes(false))).toBe(true);
    expect(WebAssembly.validate(moduleBytes(true))).toBe(true);
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
