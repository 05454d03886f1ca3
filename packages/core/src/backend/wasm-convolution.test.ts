import { describe, expect, it } from 'vitest';
import { createRng } from '../rng';
import { validConvolution } from './fixtures/convolution-reference';
import { convolveBlockedModuleBytes, type BlockedConvolutionShape, type ConvolveBlocked } from './wasm-convolution';

/**
 * The blocked forward convolution loop, run on a memory of its own, against the convolution
 * written out in float64: whole register blocks, the columns after them, several output groups,
 * multiply-adds fused (relaxed SIMD, on in tests as in the Node set-up) and unfused.
 */
function run(shape: BlockedConvolutionShape, fused: boolean, [batch, height, width]: number[], seed: number): { got: Float32Array; expected: Float64Array } {
  const { inChannels, outChannels, filterHeight: fh, filterWidth: fw } = shape;
  const rng = createRng(seed);
  const x = Float32Array.from({ length: batch * height * width * inChannels }, () => rng.normal());
  const w = Float32Array.from({ length: fh * fw * inChannels * outChannels }, () => rng.normal());
  const [outHeight, outWidth] = [height - fh + 1, width - fw + 1];
  const yLength = batch * outHeight * outWidth * outChannels;
  const memory = new WebAssembly.Memory({ initial: Math.ceil((4 * (x.length + w.length + yLength) + 64) / 65536) });
  const [xAt, wAt] = [0, 4 * x.length];
  const yAt = wAt + 4 * w.length;
  new Float32Array(memory.buffer, xAt, x.length).set(x);
  new Float32Array(memory.buffer, wAt, w.length).set(w);
  new Float32Array(memory.buffer, yAt, yLength).fill(Number.NaN); // every output must be stored
  const module = new WebAssembly.Module(convolveBlockedModuleBytes(false, shape, fused));
  const loop = new WebAssembly.Instance(module, { env: { memory } }).exports.convolveBlocked as ConvolveBlocked;
  loop(xAt, wAt, yAt, batch, outHeight, outWidth, height, width);
  return { got: new Float32Array(memory.buffer, yAt, yLength).slice(), expected: validConvolution(x, [batch, height, width, inChannels], w, [fh, fw, outChannels]) };
}

describe('blocked forward convolution loop', () => {
  const cases: [string, BlockedConvolutionShape, number[]][] = [
    ['LeNet-5 second layer, 6 → 16, 5 × 5, even width', { inChannels: 6, outChannels: 16, filterHeight: 5, filterWidth: 5, pixels: 2, vectors: 4 }, [2, 8, 9]],
    ['2 → 32 (two output groups), 3 × 2, a column after the blocks', { inChannels: 2, outChannels: 32, filterHeight: 3, filterWidth: 2, pixels: 2, vectors: 4 }, [3, 5, 6]],
    ['3 → 8 with 3 × 2 blocks, 1 × 3 filter, two columns after the blocks', { inChannels: 3, outChannels: 8, filterHeight: 1, filterWidth: 3, pixels: 3, vectors: 2 }, [1, 4, 7]],
    ['width narrower than a block: columns only', { inChannels: 4, outChannels: 16, filterHeight: 2, filterWidth: 2, pixels: 4, vectors: 4 }, [2, 3, 4]],
  ];
  for (const [name, shape, size] of cases)
    for (const fused of [false, true])
      it(`${name} (fused: ${fused}) equals the float64 convolution`, () => {
        const { got, expected } = run(shape, fused, size, 7);
        let worst = 0;
        for (let index = 0; index < expected.length; index++) worst = Math.max(worst, Math.abs(got[index]! - expected[index]!) / (1 + Math.abs(expected[index]!)));
        expect(worst).toBeLessThan(1e-5);
      });
});
