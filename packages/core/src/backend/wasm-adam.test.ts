import { describe, expect, it } from 'vitest';
import { adamModuleBytes, type AdamStep } from './wasm-adam';

describe('Adam WebAssembly loop', () => {
  it('assembles to valid WebAssembly for plain and shared memory', () => {
    expect(WebAssembly.validate(adamModuleBytes(false))).toBe(true);
    expect(WebAssembly.validate(adamModuleBytes(true))).toBe(true);
  });

  it("takes Adam's first step: w − η · sign(g) − η λ w, for a whole SIMD block and a tail element", () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536 });
    const adamStep = new WebAssembly.Instance(new WebAssembly.Module(adamModuleBytes(false)), { env: { memory } }).exports.adamStep as AdamStep;
    const count = 5;
    const [weights, gradient, first, second, out] = [0, 32, 64, 96, 128];
    const heap = new Float32Array(memory.buffer);
    heap.fill(7, 0, 64); // a sentinel: a loop that ran past the five elements would change it
    heap.set([1, -2, 0.5, 3, -4], weights / 4);
    heap.set([0, 0, 0, 0, 0], first / 4);
    heap.set([0, 0, 0, 0, 0], second / 4);
    heap.set([0.3, -0.02, 5, -1, 0.7], gradient / 4);
    const [rate, beta1, beta2, epsilon, decay] = [0.1, 0.9, 0.999, 1e-8, 0.01];
    // Step 1 from zero moments: m = (1 − β₁) g, v = (1 − β₂) g²; with η/(1 − β₁) and 1/(1 − β₂) the
    // update is η g / (|g| + ε).
    adamStep(weights, gradient, first, second, out, count, rate / (1 - beta1), 1 / (1 - beta2), beta1, beta2, 1 - beta1, 1 - beta2, epsilon, rate * decay);
    const w = [1, -2, 0.5, 3, -4];
    const g = [0.3, -0.02, 5, -1, 0.7];
    for (let i = 0; i < count; i++) {
      expect(heap[out / 4 + i]).toBeCloseTo(w[i]! - (rate * g[i]!) / (Math.abs(g[i]!) + epsilon) - rate * decay * w[i]!, 6);
      expect(heap[first / 4 + i]).toBeCloseTo((1 - beta1) * g[i]!, 7);
      expect(heap[second / 4 + i]).toBeCloseTo((1 - beta2) * g[i]! * g[i]!, 7);
    }
    // Nothing past the five elements was written (the rest of each 8-element slot keeps the sentinel).
    for (const base of [out, first, second]) for (let i = count; i < 8; i++) expect(heap[base / 4 + i]).toBe(7);
  });
});
