import { describe, expect, it } from 'vitest';
import { Matrix } from '../matrix';
import { matmul, matmulTransposeA, symmetricEigen } from './index';
import { maxAbs, maxAbsDifference, randomSymmetric } from './testFixtures';
import { applyTridiagonalQ, symmetricUpperProduct, tridiagonalize } from './tridiagonalReduction';
import { createReductionKernel } from './wasmReductionKernel';

/** Q from the reflectors (Q · I) and T as a dense matrix. */
function factors(a: Matrix, panelSize: number, kernel: 'auto' | 'javascript' = 'auto') {
  const n = a.rows;
  const work = a.data.slice();
  const { diagonal, offDiagonal, betas } = tridiagonalize(work, n, panelSize, kernel);
  const q = Matrix.identity(n);
  applyTridiagonalQ(work, betas, n, q.data, n, panelSize);
  const t = new Matrix(n, n);
  for (let i = 0; i < n; i++) {
    t.set(i, i, diagonal[i]);
    if (i + 1 < n) {
      t.set(i, i + 1, offDiagonal[i]);
      t.set(i + 1, i, offDiagonal[i]);
    }
  }
  return { q, t, diagonal, offDiagonal };
}

describe('blocked Householder tridiagonalisation', () => {
  it('reduces a hand-worked 3 x 3 matrix: one reflector maps (3, 4) to (∓5, 0)', () => {
    const a = Matrix.fromRows([[1, 3, 4], [3, 2, 0], [4, 0, 5]]);
    const { q, t, diagonal, offDiagonal } = factors(a, 32);
    expect(diagonal[0]).toBe(1);
    expect(Math.abs(offDiagonal[0])).toBeCloseTo(5, 14);
    // Qᵀ A Q = T, and the trace is preserved.
    expect(maxAbsDifference(matmulTransposeA(q, matmul(a, q)).data, t.data)).toBeLessThan(1e-14);
    expect(diagonal[0] + diagonal[1] + diagonal[2]).toBeCloseTo(8, 14);
  });

  it.each([
    [1, 32],
    [2, 32],
    [3, 1],
    [40, 1],
    [40, 7],
    [75, 32],
    [100, 16],
  ])('A = Q T Qᵀ with orthogonal Q (n = %i, panel %i), WebAssembly and JavaScript level-2 loops agree', (n, panelSize) => {
    const a = randomSymmetric(n, 300 + n);
    const { q, t, diagonal, offDiagonal } = factors(a, panelSize);
    expect(maxAbsDifference(matmulTransposeA(q, q).data, Matrix.identity(n).data)).toBeLessThan(1e-14 * Math.max(n, 1));
    expect(maxAbsDifference(matmulTransposeA(q, matmul(a, q)).data, t.data)).toBeLessThan(2e-14 * n * maxAbs(a.data));
    const reference = factors(a, 1, 'javascript'); // unblocked, plain JavaScript
    // The same reduction in exact arithmetic (T is sensitive to rounding, hence the loose bound).
    expect(maxAbsDifference(diagonal, reference.diagonal)).toBeLessThan(1e-10);
    expect(maxAbsDifference(offDiagonal, reference.offDiagonal)).toBeLessThan(1e-10);
  });

  it('keeps zero columns exact (a diagonal matrix needs no reflector)', () => {
    const a = new Matrix(5, 5);
    [4, -2, 0, 7, 1].forEach((value, i) => a.set(i, i, value));
    const { q, diagonal, offDiagonal } = factors(a, 2);
    expect(Array.from(diagonal)).toEqual([4, -2, 0, 7, 1]);
    expect(maxAbs(offDiagonal)).toBe(0);
    expect(Array.from(q.data)).toEqual(Array.from(Matrix.identity(5).data));
  });

  it('does not under- or overflow on tiny and huge entries (reflectors are built on scaled vectors)', () => {
    const base = randomSymmetric(30, 9);
    const expected = symmetricEigen(base, { vectors: false }).values;
    for (const scale of [1e-160, 1e150]) {
      const a = new Matrix(30, 30, base.data.map((value) => value * scale));
      const { q, t } = factors(a, 8);
      expect(t.data.every(Number.isFinite)).toBe(true);
      // Qᵀ A Q = T in units of the scale, and T/scale has the eigenvalues of the unscaled matrix.
      const residual = matmulTransposeA(q, matmul(a, q)).data.map((value, index) => (value - t.data[index]) / scale);
      expect(maxAbs(residual)).toBeLessThan(1e-13);
      const unscaled = new Matrix(30, 30, t.data.map((value) => value / scale));
      expect(maxAbsDifference(symmetricEigen(unscaled, { vectors: false }).values, expected)).toBeLessThan(1e-13);
    }
  });
});

describe('the WebAssembly level-2 kernels of the reduction', () => {
  it.each([1, 2, 3, 8, 33])('match the JavaScript loops (n = %i, every start row)', (n) => {
    const kernel = createReductionKernel(n * n + 4 * n + 8);
    expect(kernel).not.toBeNull();
    if (!kernel) return;
    const memory = kernel.memory;
    const a = randomSymmetric(n, n).data;
    memory.set(a, 0);
    const xOffset = n * n;
    const yOffset = xOffset + n;
    for (let j = 0; j < n; j++) memory[xOffset + j] = Math.sin(j + 1);
    const expected = new Float64Array(n);
    for (let first = 0; first < n; first++) {
      symmetricUpperProduct(a, n, first, memory, xOffset, expected);
      kernel.product(0, n, first, xOffset, yOffset);
      // Independent reference: the full symmetric product over the trailing block.
      for (let i = first; i < n; i++) {
        let sum = 0;
        for (let j = first; j < n; j++) sum += a[i * n + j] * memory[xOffset + j];
        expect(Math.abs(memory[yOffset + i] - sum)).toBeLessThan(1e-13 * n);
        expect(Math.abs(expected[i] - sum)).toBeLessThan(1e-13 * n);
      }
      // dots: rows 0..count of A against x over [first, n).
      const count = Math.min(3, n);
      const out = yOffset + n;
      kernel.dots(0, count, n, xOffset, first, n, out);
      for (let q = 0; q < count; q++) {
        let sum = 0;
        for (let j = first; j < n; j++) sum += a[q * n + j] * memory[xOffset + j];
        expect(Math.abs(memory[out + q] - sum)).toBeLessThan(1e-13 * n);
      }
      // axpys: y −= Σ_q c_q · row_q over [first, n), with c = (1, −2, 3).
      const coefficients = out + 3;
      memory.set([1, -2, 3].slice(0, count), coefficients);
      const before = memory.slice(yOffset, yOffset + n);
      kernel.axpys(0, count, n, coefficients, yOffset, first, n);
      for (let j = 0; j < n; j++) {
        let expectedValue = before[j];
        if (j >= first) for (let q = 0; q < count; q++) expectedValue -= memory[coefficients + q] * a[q * n + j];
        expect(Math.abs(memory[yOffset + j] - expectedValue)).toBeLessThan(1e-13 * n);
      }
    }
  });
});
