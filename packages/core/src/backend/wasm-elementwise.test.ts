import { describe, expect, it } from 'vitest';
import { type BiasAdd, biasPeriod, elementwiseModuleBytes, type ReluGradient } from './wasm-elementwise';

function instantiate(): { heap: Float32Array; biasAdd: BiasAdd; reluGradient: ReluGradient } {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536 });
  const exports = new WebAssembly.Instance(new WebAssembly.Module(elementwiseModuleBytes(false)), { env: { memory } }).exports;
  return { heap: new Float32Array(memory.buffer), biasAdd: exports.biasAdd as BiasAdd, reluGradient: exports.reluGradient as ReluGradient };
}

describe('element-wise WebAssembly loops', () => {
  it('assemble to valid WebAssembly for plain and shared memory', () => {
    expect(WebAssembly.validate(elementwiseModuleBytes(false))).toBe(true);
    expect(WebAssembly.validate(elementwiseModuleBytes(true))).toBe(true);
  });

  it('lay a bias of c channels out as a pattern of lcm(c, 4) values', () => {
    expect([1, 2, 3, 4, 6, 8, 10, 16, 84, 120].map(biasPeriod)).toEqual([4, 4, 12, 4, 12, 8, 20, 16, 84, 120]);
  });

  it('biasAdd: y = x + bias along the last axis, over whole runs of the pattern and nothing past them', () => {
    const { heap, biasAdd } = instantiate();
    // 6 channels, 4 rows: two runs of the 12-value pattern [b, b].
    const bias = [0.5, -1, 2, 0.25, -3, 10];
    const [x, pattern, y] = [0, 256, 512];
    heap.fill(7, 0, 256);
    const rows = Array.from({ length: 4 }, (_, row) => Array.from({ length: 6 }, (_, channel) => row * 10 + channel - 0.125));
    heap.set(rows.flat(), x / 4);
    heap.set([...bias, ...bias], pattern / 4);
    biasAdd(x, pattern, y, 2, 48);
    for (let row = 0; row < 4; row++) {
      for (let channel = 0; channel < 6; channel++) expect(heap[y / 4 + row * 6 + channel]).toBe(Math.fround(rows[row]![channel]! + bias[channel]!));
    }
    for (let index = 24; index < 32; index++) expect(heap[y / 4 + index]).toBe(7); // past the last run: untouched
  });

  it('reluGradient: dy · step(x) with signed zeros and NaN as tfjs computes them (x > 0 → dy, else dy · 0, NaN stays)', () => {
    const { heap, reluGradient } = instantiate();
    const [dy, x, out] = [0, 64, 128];
    heap.fill(7, 0, 64);
    heap.set([-2, 3, -4, 5, 6, -7, 8, 9], dy / 4);
    heap.set([1, -1, 0, -0, Number.NaN, 2, -3, 0.5], x / 4);
    reluGradient(dy, x, out, 8);
    const result = Array.from(heap.subarray(out / 4, out / 4 + 8));
    // x > 0: dy; x ≤ 0: dy · 0 (−4 · 0 = −0); x NaN: NaN.
    const expected = [-2, 0, -0, 0, Number.NaN, -7, 0, 9];
    result.forEach((value, index) => expect(Object.is(value, expected[index]) || (Number.isNaN(value) && Number.isNaN(expected[index]!))).toBe(true));
    expect(Object.is(result[2], -0)).toBe(true); // −4 · 0
    expect(heap[out / 4 + 8]).toBe(7); // nothing past the count
  });
});
