import { describe, expect, it } from 'vitest';
import { createRng } from '../rng';
import { validFilterGradient } from './fixtures/convolution-reference';
import { type FilterGradientStreamed, filterGradientStreamedModuleBytes, type StreamedFilterGradientShape } from './wasm-filter-gradient';

/**
 * The streamed filter-gradient loop, run on a memory of its own, against dW written out in float64
 * (dw[i, j, k, o] = Σ_{b, r, c} x[b, r + i, c + j, k] · dy[b, r, c, o]): several blocks of input and
 * output channels, image order with chunks that do and do not divide the batch and row order,
 * multiply-adds fused and unfused, and
 * adding into a dw that already holds values (how helper threads' partial sums are made).
 */
describe('streamed filter-gradient loop', () => {
  const cases: [string, StreamedFilterGradientShape, number[], number][] = [
    ['LeNet-5 second layer, 6 → 16, 5 × 5, one image per chunk', { inChannels: 6, outChannels: 16, filterHeight: 5, filterWidth: 5, channels: 2, vectors: 4 }, [3, 9, 8], 1],
    ['4 → 32 (two output blocks), 3 × 2, chunks of 2 over 3 images', { inChannels: 4, outChannels: 32, filterHeight: 3, filterWidth: 2, channels: 2, vectors: 4 }, [3, 6, 7], 2],
    ['3 → 8 with 3 × 2 blocks, a chunk larger than the batch', { inChannels: 3, outChannels: 8, filterHeight: 2, filterWidth: 3, channels: 3, vectors: 2 }, [2, 5, 6], 8],
  ];
  for (const [name, blockShape, [batch, height, width], chunk] of cases)
    for (const order of ['images', 'rows'] as const)
      for (const fused of [false, true])
      it(`${name}, ${order} order (fused: ${fused}) adds the float64 gradient into dw`, () => {
        const shape = { ...blockShape, order };
        const { inChannels, outChannels, filterHeight: fh, filterWidth: fw } = shape;
        const [outHeight, outWidth] = [height! - fh + 1, width! - fw + 1];
        const rng = createRng(3);
        const x = Float32Array.from({ length: batch! * height! * width! * inChannels }, () => rng.normal());
        const dy = Float32Array.from({ length: batch! * outHeight * outWidth * outChannels }, () => rng.normal());
        const start = Float32Array.from({ length: fh * fw * inChannels * outChannels }, () => rng.normal());
        const memory = new WebAssembly.Memory({ initial: Math.ceil((4 * (x.length + dy.length + start.length) + 64) / 65536) });
        const [xAt, dyAt] = [0, 4 * x.length];
        const dwAt = dyAt + 4 * dy.length;
        new Float32Array(memory.buffer, xAt, x.length).set(x);
        new Float32Array(memory.buffer, dyAt, dy.length).set(dy);
        new Float32Array(memory.buffer, dwAt, start.length).set(start);
        const module = new WebAssembly.Module(filterGradientStreamedModuleBytes(false, shape, fused));
        const loop = new WebAssembly.Instance(module, { env: { memory } }).exports.filterGradientStreamed as FilterGradientStreamed;
        loop(xAt, dyAt, dwAt, batch!, outHeight, outWidth, height!, width!, chunk);
        const got = new Float32Array(memory.buffer, dwAt, start.length);
        const expected = validFilterGradient(x, [batch!, height!, width!, inChannels], dy, [fh, fw, outChannels]);
        let worst = 0;
        for (let index = 0; index < expected.length; index++) worst = Math.max(worst, Math.abs(got[index]! - start[index]! - expected[index]!) / (1 + Math.abs(expected[index]!)));
        expect(worst).toBeLessThan(1e-5);
      });
});
