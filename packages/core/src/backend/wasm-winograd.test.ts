import { describe, expect, it } from 'vitest';
import { createRng } from '../rng';
import { validConvolution, validFilterGradient } from './fixtures/convolution-reference';
import { type WinogradConvolve, type WinogradFilterGradient, winogradFilter, winogradFilterGradientFinish, winogradModuleBytes } from './wasm-winograd';

/**
 * The largest |got − expected| / Σ |terms| over every output: `expected` is a float64 reference of
 * the fixture, `scale` the same reference on the operands' magnitudes (Σ |a · b| = Σ |a| · |b|).
 */
function worstScaledError(got: ArrayLike<number>, expected: Float64Array, scale: Float64Array): number {
  let worst = 0;
  for (let index = 0; index < expected.length; index++) worst = Math.max(worst, Math.abs(got[index]! - expected[index]!) / scale[index]!);
  return worst;
}

const magnitudes = (values: Float32Array) => values.map(Math.abs);

/**
 * A memory holding buffers of `sizes` floats, each followed by a guard of 16 floats, everything
 * NaN at first: a loop that reads outside what the test fills gets NaN into its results, and one
 * that writes past a buffer overwrites a guard.
 */
function guardedMemory(sizes: readonly number[]) {
  const offsets: number[] = [];
  const guards: number[] = [];
  let end = 0;
  for (const size of sizes) {
    offsets.push(end);
    end += 4 * size;
    guards.push(end);
    end += 4 * 16;
  }
  const memory = new WebAssembly.Memory({ initial: Math.ceil(end / 65536) + 1 });
  new Float32Array(memory.buffer).fill(Number.NaN);
  const guardsIntact = () => guards.every((at) => new Float32Array(memory.buffer, at, 16).every((value) => Number.isNaN(value)));
  return { memory, offsets, guardsIntact };
}

describe('Winograd F(2 × 2, 3 × 3) filter transform', () => {
  it('turns a filter of ones into the outer product of G’s row sums (1, 3/2, 1/2, 1)', () => {
    const ones = new Float32Array(9).fill(1);
    const target = new Float32Array(16);
    winogradFilter(ones, 1, 1, target);
    const rowSums = [1, 1.5, 0.5, 1];
    expect(Array.from(target)).toEqual(rowSums.flatMap((a) => rowSums.map((b) => a * b)));
  });

  it('reads the filter of a transposed convolution rotated by 180° with its channel axes swapped', () => {
    const rng = createRng(3);
    const [inChannels, outChannels] = [2, 3];
    // w: [3, 3, outChannels, inChannels], the layer whose input gradient the transposed convolution computes.
    const w = Float32Array.from({ length: 9 * outChannels * inChannels }, () => rng.normal());
    const rotated = new Float32Array(9 * inChannels * outChannels);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++)
        for (let c = 0; c < inChannels; c++)
          for (let k = 0; k < outChannels; k++) rotated[((i * 3 + j) * inChannels + c) * outChannels + k] = w[(((2 - i) * 3 + (2 - j)) * outChannels + k) * inChannels + c]!;
    const [fromRotated, fromTransposed] = [new Float32Array(16 * inChannels * outChannels), new Float32Array(16 * inChannels * outChannels)];
    winogradFilter(rotated, inChannels, outChannels, fromRotated);
    winogradFilter(w, inChannels, outChannels, fromTransposed, true);
    expect(Array.from(fromTransposed)).toEqual(Array.from(fromRotated));
  });
});

/**
 * The whole loop (input transform, 16 products, output transform) on a memory of its own against
 * the direct convolution in float64: one and several tile rows per block (with a shorter last
 * block), images of several blocks, channel counts of one and several SIMD vectors, fused and
 * unfused multiply-adds. Winograd's transforms add a few roundings per output: the bound is 1e-6 of
 * the sum of the terms' magnitudes.
 */
describe('Winograd F(2 × 2, 3 × 3) convolution loop', () => {
  const cases: [batch: number, height: number, width: number, inChannels: number, outChannels: number, rowsPerBlock: number][] = [
    [2, 6, 8, 4, 8, 1], // 2 × 3 tiles, one tile row per block
    [3, 10, 8, 8, 16, 3], // 4 tile rows: blocks of 3 and 1
    [2, 12, 14, 32, 64, 2], // small-CNN's channels, 5 × 6 tiles
    [1, 4, 4, 12, 24, 5], // one tile; a block larger than the image
  ];
  for (const [batch, height, width, inChannels, outChannels, rowsPerBlock] of cases)
    for (const fused of [false, true])
      it(`${batch} × ${height} × ${width} × ${inChannels} → ${outChannels}, ${rowsPerBlock} tile rows per block (fused: ${fused}) equals float64`, () => {
        const rng = createRng(11);
        const x = Float32Array.from({ length: batch * height * width * inChannels }, () => rng.normal());
        const w = Float32Array.from({ length: 9 * inChannels * outChannels }, () => rng.normal());
        const [outHeight, outWidth] = [height - 2, width - 2];
        const [down, across] = [outHeight / 2, outWidth / 2];
        const blockTiles = rowsPerBlock * across;
        // x, u, y, v, m, each followed by a guard of 16 floats
        const sizes = [x.length, 16 * inChannels * outChannels, batch * outHeight * outWidth * outChannels, 16 * blockTiles * inChannels, 16 * blockTiles * outChannels];
        const { memory, offsets, guardsIntact } = guardedMemory(sizes);
        const [xAt, uAt, yAt, vAt, mAt] = offsets as [number, number, number, number, number];
        new Float32Array(memory.buffer, xAt, x.length).set(x);
        winogradFilter(w, inChannels, outChannels, new Float32Array(memory.buffer, uAt, sizes[1]));
        const convolve = new WebAssembly.Instance(new WebAssembly.Module(winogradModuleBytes(false, fused)), { env: { memory } }).exports.winogradConvolve as WinogradConvolve;
        const rowBytes = width * inChannels * 4;
        const yRowBytes = outWidth * outChannels * 4;
        convolve(xAt, uAt, yAt, vAt, mAt, batch, down, across, rowBytes, height * rowBytes, yRowBytes, outHeight * yRowBytes, rowsPerBlock, inChannels * 4, outChannels * 4);
        const y = new Float32Array(memory.buffer, yAt, sizes[2]);
        const [xShape, filterShape] = [[batch, height, width, inChannels], [3, 3, outChannels]];
        const expected = validConvolution(x, xShape, w, filterShape);
        const scale = validConvolution(magnitudes(x), xShape, magnitudes(w), filterShape);
        expect(worstScaledError(y, expected, scale)).toBeLessThan(1e-6);
        expect(guardsIntact()).toBe(true);
      });
});

/**
 * The filter-gradient driver and its float64 finish against dW written out in float64
 * (dW[i, j, c, k] = Σ_{b, r, s} x[b, r + i, s + j, c] · dy[b, r, s, k]): blocks of one and several
 * tile rows, the batch in one part and in two parts whose sums the finish adds, fused and unfused.
 */
describe('Winograd F(3 × 3, 2 × 2) filter-gradient loop', () => {
  const cases: [batch: number, height: number, width: number, inChannels: number, outChannels: number, rowsPerBlock: number, parts: number][] = [
    [2, 6, 8, 4, 8, 1, 1],
    [3, 10, 8, 8, 16, 3, 2], // blocks of 3 and 1 tile rows; images 0 and 1–2 in two parts
    [2, 12, 14, 32, 64, 2, 2],
  ];
  for (const [batch, height, width, inChannels, outChannels, rowsPerBlock, parts] of cases)
    for (const fused of [false, true])
      it(`${batch} × ${height} × ${width} × ${inChannels} → ${outChannels}, ${rowsPerBlock} tile rows per block, ${parts} part(s) (fused: ${fused}) equals float64`, () => {
        const rng = createRng(13);
        const [outHeight, outWidth] = [height - 2, width - 2];
        const x = Float32Array.from({ length: batch * height * width * inChannels }, () => rng.normal());
        const dy = Float32Array.from({ length: batch * outHeight * outWidth * outChannels }, () => rng.normal());
        const [down, across] = [outHeight / 2, outWidth / 2];
        const blockTiles = rowsPerBlock * across;
        const sumFloats = 16 * inChannels * outChannels;
        // x, dy, sums (one block per part), v, u, each followed by a guard of 16 floats
        const sizes = [x.length, dy.length, parts * sumFloats, 16 * blockTiles * inChannels, 16 * blockTiles * outChannels];
        const { memory, offsets, guardsIntact } = guardedMemory(sizes);
        const [xAt, dyAt, sumsAt, vAt, uAt] = offsets as [number, number, number, number, number];
        new Float32Array(memory.buffer, xAt, x.length).set(x);
        new Float32Array(memory.buffer, dyAt, dy.length).set(dy);
        new Float32Array(memory.buffer, sumsAt, parts * sumFloats).fill(0);
        const gradient = new WebAssembly.Instance(new WebAssembly.Module(winogradModuleBytes(false, fused)), { env: { memory } }).exports.winogradFilterGradient as WinogradFilterGradient;
        const [rowBytes, dyRowBytes] = [width * inChannels * 4, outWidth * outChannels * 4];
        const first = Math.ceil(batch / parts);
        for (let part = 0; part < parts; part++) {
          const [start, count] = part === 0 ? [0, first] : [first, batch - first];
          gradient(xAt + start * height * rowBytes, sumsAt + part * sumFloats * 4, dyAt + start * outHeight * dyRowBytes, vAt, uAt, count, down, across, rowBytes, height * rowBytes, dyRowBytes, outHeight * dyRowBytes, rowsPerBlock, inChannels * 4, outChannels * 4);
        }
        const dw = new Float32Array(9 * inChannels * outChannels);
        winogradFilterGradientFinish(new Float32Array(memory.buffer, sumsAt, parts * sumFloats), parts, inChannels, outChannels, dw);
        const [xShape, filterShape] = [[batch, height, width, inChannels], [3, 3, outChannels]];
        const expected = validFilterGradient(x, xShape, dy, filterShape);
        const scale = validFilterGradient(magnitudes(x), xShape, magnitudes(dy), filterShape);
        const worst = worstScaledError(dw, expected, scale);
        expect(worst).toBeLessThan(1e-6);
        expect(guardsIntact()).toBe(true);
      });
});
