import { describe, expect, it } from 'vitest';
import { isTlkitError } from '../errors';
import { Matrix } from '../matrix';
import { createRng } from '../rng';
import { kernelMatrix, linearKernel, polynomialKernel, rbfKernel } from './kernels';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return isTlkitError(error) ? error.code : `not a TlkitError: ${String(error)}`;
  }
  return undefined;
}

function randomMatrix(rows: number, cols: number, seed: number): Matrix {
  const rng = createRng(seed);
  return new Matrix(rows, cols, Float64Array.from({ length: rows * cols }, () => rng.normal()));
}

/** k(aᵢ, bⱼ) evaluated pair by pair from the kernel's formula. */
function naiveKernel(a: Matrix, b: Matrix, k: (x: Float64Array, y: Float64Array) => number): Matrix {
  const out = new Matrix(a.rows, b.rows);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < b.rows; j++) out.set(i, j, k(a.row(i), b.row(j)));
  return out;
}
const dot = (x: Float64Array, y: Float64Array) => x.reduce((sum, value, k) => sum + value * y[k], 0);
const squaredDistance = (x: Float64Array, y: Float64Array) => x.reduce((sum, value, k) => sum + (value - y[k]) ** 2, 0);

function expectClose(actual: Matrix, expected: Matrix, tolerance: number): void {
  expect([actual.rows, actual.cols]).toEqual([expected.rows, expected.cols]);
  for (let index = 0; index < expected.data.length; index++) {
    const scale = Math.max(1, Math.abs(expected.data[index]));
    expect(Math.abs(actual.data[index] - expected.data[index]) / scale).toBeLessThan(tolerance);
  }
}

describe('kernels, hand-worked', () => {
  it('linear: inner products', () => {
    expect(linearKernel([[1, 2]], [[3, 4], [1, 0]]).toRows()).toEqual([[11, 1]]);
  });

  it('rbf: exp(−γ‖x − y‖²)', () => {
    expect(rbfKernel([[0, 0]], [[1, 1]], 0.5).get(0, 0)).toBeCloseTo(Math.exp(-1), 15);
    expect(rbfKernel([[0, 0]], [[3, 4]], 0.02).get(0, 0)).toBeCloseTo(Math.exp(-0.5), 15);
  });

  it('poly: (γ⟨x, y⟩ + c₀)^degree, defaults degree 3, γ = 1/d, c₀ = 1', () => {
    expect(polynomialKernel([[1, 2]], [[3, 4]], { degree: 2, gamma: 1, coef0: 1 }).get(0, 0)).toBe(144);
    expect(polynomialKernel([[1, 2]], [[3, 4]]).get(0, 0)).toBeCloseTo(6.5 ** 3, 12);
  });
});

describe('kernels against the pairwise formulas on random data', () => {
  const a = randomMatrix(23, 6, 1);
  const b = randomMatrix(17, 6, 2);

  it('linear, rbf and poly, cross and symmetric', () => {
    expectClose(linearKernel(a, b), naiveKernel(a, b, dot), 1e-13);
    expectClose(linearKernel(a, a), naiveKernel(a, a, dot), 1e-13);
    const gamma = 0.3;
    const rbf = (x: Float64Array, y: Float64Array) => Math.exp(-gamma * squaredDistance(x, y));
    expectClose(rbfKernel(a, b, gamma), naiveKernel(a, b, rbf), 1e-13);
    const symmetric = rbfKernel(a, a, gamma);
    expectClose(symmetric, naiveKernel(a, a, rbf), 1e-13);
    for (let i = 0; i < a.rows; i++) expect(symmetric.get(i, i)).toBe(1);
    const poly = (x: Float64Array, y: Float64Array) => (0.5 * dot(x, y) + 2) ** 3;
    expectClose(polynomialKernel(a, b, { degree: 3, gamma: 0.5, coef0: 2 }), naiveKernel(a, b, poly), 1e-12);
  });

  it('kernelMatrix dispatches on the spec', () => {
    expect(kernelMatrix(a, b, { type: 'linear' })).toEqual(linearKernel(a, b));
    expect(kernelMatrix(a, b, { type: 'rbf', gamma: 0.2 })).toEqual(rbfKernel(a, b, 0.2));
    expect(kernelMatrix(a, b, { type: 'poly', degree: 2, gamma: 0.1, coef0: 0 })).toEqual(
      polynomialKernel(a, b, { degree: 2, gamma: 0.1, coef0: 0 }),
    );
  });

  it('typed errors', () => {
    expect(codeOf(() => rbfKernel(a, b, 0))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => rbfKernel(a, b, Number.NaN))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => polynomialKernel(a, b, { degree: 1.5 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => kernelMatrix(a, b, { type: 'sigmoid' } as never))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => kernelMatrix(a, b, { type: 'rbf' } as never))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => linearKernel(a, randomMatrix(3, 5, 1)))).toBe('DIMENSION_MISMATCH');
  });
});
