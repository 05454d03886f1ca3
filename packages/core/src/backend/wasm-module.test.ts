import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { onWasmBackend } from './fixtures/wasm-suite';
import { createRng } from '../rng';
import { validFilterGradient, validInputGradient } from './fixtures/convolution-reference';
import { filterGradientFewModuleBytes } from './wasm-filter-gradient-few';
import { gemmModuleBytes } from './wasm-gemm';
import { blockedInputGradient, convolveModuleBytes, type FilterGradientOneChannel, heapModule, inputGradientModuleBytes, instantiateOnBackend, moduleBytes, tapsModuleBytes } from './wasm-module';

/**
 * The hand-assembled WebAssembly module: both variants (plain and shared imported memory) are
 * valid WebAssembly, and its 2 × 2 max-pool gradient loop, run on the wasm backend's heap, equals
 * a direct JavaScript statement of the rule (dy of each window to its first maximum in row-major
 * order; none for a −∞ or NaN window) on random, tied, negative and −∞ windows.
 */

onWasmBackend();

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
  // Each loop twice: multiply-adds fused (f32x4.relaxed_madd, the default where the runtime has
  // relaxed SIMD, as in these tests) and unfused (f32x4.mul + f32x4.add, the default elsewhere).
  it.each([false, true])('computes the blocked input gradient on the heap for several register blocks (whole blocks, the columns after them, narrow rows; fused: %s)', (fused) => {
    const backend = tf.engine().backend;
    const rng = createRng(11);
    const offset = (tensor: tf.Tensor) => (backend as unknown as { dataIdMap: { get(id: object): { memoryOffset: number } } }).dataIdMap.get(tensor.dataId).memoryOffset;
    const cases = [
      { dyShape: [2, 3, 7, 5], filter: [3, 2, 8], pixels: 4, vectors: 2 },
      { dyShape: [1, 4, 3, 3], filter: [2, 3, 16], pixels: 4, vectors: 2 },
      { dyShape: [1, 2, 5, 6], filter: [2, 2, 16], pixels: 2, vectors: 4 },
      { dyShape: [1, 3, 4, 2], filter: [1, 3, 4], pixels: 1, vectors: 1 },
      { dyShape: [2, 2, 11, 4], filter: [2, 3, 8], pixels: 5, vectors: 2 },
    ];
    for (const { dyShape, filter: [fh, fw, inChannels], pixels, vectors } of cases) {
      const [batch, outHeight, outWidth, outChannels] = dyShape;
      const [height, width] = [outHeight + fh - 1, outWidth + fw - 1];
      const dy = Float32Array.from({ length: batch * outHeight * outWidth * outChannels }, () => rng.normal());
      const filter = Float32Array.from({ length: fh * fw * inChannels * outChannels }, () => rng.normal());
      const byOutput = new Float32Array(filter.length);
      for (let tap = 0; tap < fh * fw; tap++)
        for (let k = 0; k < inChannels; k++)
          for (let o = 0; o < outChannels; o++) byOutput[(tap * outChannels + o) * inChannels + k] = filter[(tap * inChannels + k) * outChannels + o];
      expect(blockedInputGradient(backend, inChannels, outChannels, pixels, vectors)).not.toBeNull();
      const compiled = instantiateOnBackend(backend, (shared) => inputGradientModuleBytes(shared, inChannels, outChannels, pixels, vectors, fused))!
        .inputGradientBlocked as NonNullable<ReturnType<typeof blockedInputGradient>>;
      const dx = tf.tidy(() => {
        const dyTensor = tf.tensor(dy, dyShape);
        const filterTensor = tf.tensor(byOutput, [byOutput.length]);
        const out = tf.zeros([batch, height, width, inChannels]);
        compiled(offset(dyTensor), offset(filterTensor), offset(out), batch, outHeight, outWidth, height, width, fh, fw);
        return out.dataSync().slice();
      });
      const expected = validInputGradient(dy, filter, [batch, height, width, inChannels], [fh, fw, outChannels]);
      for (let index = 0; index < expected.length; index++) expect(dx[index]).toBeCloseTo(expected[index], 4);
    }
    expect(blockedInputGradient(backend, 12, 4, 4, 2)).toBeNull(); // 12 channels are not whole blocks of 8
    // A backend without a reachable WebAssembly memory gets no loop (the kernel then keeps XNNPACK's form).
    expect(blockedInputGradient({} as tf.KernelBackend, 8, 4, 4, 2)).toBeNull();
    expect(blockedInputGradient({ wasm: { asm: {} } } as unknown as tf.KernelBackend, 8, 4, 4, 2)).toBeNull();
  });

  it.each([false, true])('computes a one-input-channel filter gradient on the heap (SIMD steps and the channels after them; fused: %s)', (fused) => {
    const backend = tf.engine().backend;
    const filterGradientOneChannel = instantiateOnBackend(backend, (shared) => moduleBytes(shared, fused))!.filterGradientOneChannel as FilterGradientOneChannel;
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
        filterGradientOneChannel(offset(xTensor), offset(dyTensor), offset(out), batch, outHeight, outWidth, channels, fh, fw, width * 4, height * width * 4);
        return out.dataSync().slice();
      });
      const expected = validFilterGradient(x, [batch, height, width, 1], dy, [fh, fw, channels]);
      for (let index = 0; index < expected.length; index++) expect(dw[index]).toBeCloseTo(expected[index], 4);
    }
  });

  it.each([false, true])('assembles to valid WebAssembly, with plain and with shared memory (fused: %s)', (fused) => {
    expect(WebAssembly.validate(moduleBytes(false, fused))).toBe(true);
    expect(WebAssembly.validate(moduleBytes(true, fused))).toBe(true);
    for (const [outputs, blocks, group] of [
      [6, 2, 6],
      [6, 2, 3],
      [16, 1, 16],
      [32, 1, 6],
      [7, 2, 1],
      [1, 1, 1],
    ]) {
      expect(WebAssembly.validate(tapsModuleBytes(false, outputs, blocks, group, fused))).toBe(true);
      expect(WebAssembly.validate(tapsModuleBytes(true, outputs, blocks, group, fused))).toBe(true);
    }
    expect(WebAssembly.validate(gemmModuleBytes(false, fused))).toBe(true);
    expect(WebAssembly.validate(gemmModuleBytes(true, fused))).toBe(true);
    expect(WebAssembly.validate(filterGradientFewModuleBytes(false, 3, 8, fused))).toBe(true);
    expect(WebAssembly.validate(filterGradientFewModuleBytes(true, 3, 8, fused))).toBe(true);
    for (const outputs of [1, 6, 12]) {
      expect(WebAssembly.validate(convolveModuleBytes(false, outputs, fused))).toBe(true);
      expect(WebAssembly.validate(convolveModuleBytes(true, outputs, fused))).toBe(true);
    }
    for (const [inChannels, outChannels, pixels, vectors] of [
      [32, 64, 4, 2],
      [8, 3, 1, 2],
    ]) {
      expect(WebAssembly.validate(inputGradientModuleBytes(false, inChannels, outChannels, pixels, vectors, fused))).toBe(true);
      expect(WebAssembly.validate(inputGradientModuleBytes(true, inChannels, outChannels, pixels, vectors, fused))).toBe(true);
    }
  });

  it('computes the 2 × 2 max-pool gradient on the heap as the rule says (random, tied, negative, −∞ windows; odd sizes; 1–9 channels)', () => {
    const backend = tf.engine().backend;
    const compiled = heapModule(backend);
    expect(compiled).not.toBeNull();
    // Fewer than 4 channels: one at a time; 4 or more: SIMD chunks of 4, the last one overlapping
    // the one before when the channels are not a multiple of 4 (6, 9, 5).
    for (const shape of [
      [2, 6, 8, 3],
      [3, 7, 5, 4],
      [1, 4, 4, 1],
      [2, 6, 8, 6],
      [1, 5, 6, 8],
      [2, 4, 7, 9],
      [1, 4, 4, 5],
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
        // With 4 or more channels and even sizes the loop stores every element (the kernel then
        // skips zero-filling dx): start from NaN there, so an element left unstored shows.
        const everyElementStored = shape[3]! >= 4 && shape[1]! % 2 === 0 && shape[2]! % 2 === 0;
        const out = everyElementStored ? tf.fill(shape, Number.NaN) : tf.zerosLike(input);
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
