import { describe, expect, it } from 'vitest';
import { Matrix } from '../matrix';
import { cholesky, generalizedEigen, inverse, matmul, matmulTransposeA, matmulTransposeB, symmetricEigen } from './index';
import { maxAbsDifference, randomMatrix, randomSpd, randomSymmetric, thrownCode } from './testFixtures';

/** max |A V − B V Λ|, relative to the largest |entry| of A V. */
function generalizedResidual(a: Matrix, b: Matrix, values: Float64Array, vectors: Matrix): number {
  const av = matmul(a, vectors);
  const bv = matmul(b, vectors);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < vectors.rows; i++) {
    for (let j = 0; j < vectors.cols; j++) {
      worst = Math.max(worst, Math.abs(av.get(i, j) - values[j] * bv.get(i, j)));
      scale = Math.max(scale, Math.abs(av.get(i, j)));
    }
  }
  return worst / scale;
}

/** Independent reference: eigenvalues of L⁻¹ A L⁻ᵀ with L⁻¹ from an LU inverse. */
function referenceValues(a: Matrix, b: Matrix): Float64Array {
  const inverseL = inverse(cholesky(b));
  const c = matmulTransposeB(matmul(inverseL, a), inverseL);
  for (let i = 0; i < c.rows; i++) for (let j = i + 1; j < c.rows; j++) c.set(j, i, c.get(i, j));
  return symmetricEigen(c, { vectors: false }).values;
}

describe('generalizedEigen', () => {
  it('solves a hand-worked diagonal pencil: λ_i = a_i / b_i', () => {
    const a = Matrix.fromRows([[6, 0, 0], [0, 1, 0], [0, 0, -4]]);
    const b = Matrix.fromRows([[2, 0, 0], [0, 4, 0], [0, 0, 1]]);
    const { values, vectors } = generalizedEigen(a, b, 3);
    expect(maxAbsDifference(values, [3, 0.25, -4])).toBeLessThan(1e-15);
    // B-orthonormal: the first vector is e₁ / √2.
    expect(Math.abs(vectors.get(0, 0))).toBeCloseTo(1 / Math.SQRT2, 15);
  });

  const n = 160;
  const a = randomSymmetric(n, 1);
  const b = randomSpd(n, 2);
  const expected = referenceValues(a, b);

  it.each(['largest', 'smallest'] as const)('A v = λ B v and Vᵀ B V = I through the Lanczos path (%s)', (which) => {
    const k = 5;
    const { values, vectors } = generalizedEigen(a, b, k, { which, seed: 4 });
    const reference = Array.from({ length: k }, (_, j) => (which === 'largest' ? expected[j] : expected[n - 1 - j]));
    expect(maxAbsDifference(values, reference)).toBeLessThan(1e-9);
    expect(generalizedResidual(a, b, values, vectors)).toBeLessThan(1e-9);
    const vtbv = matmulTransposeA(vectors, matmul(b, vectors));
    expect(maxAbsDifference(vtbv.data, Matrix.identity(k).data)).toBeLessThan(1e-10);
  });

  it('agrees between the dense path (large k) and the reference', () => {
    const k = 80;
    const { values, vectors } = generalizedEigen(a, b, k);
    expect(maxAbsDifference(values, expected.subarray(0, k))).toBeLessThan(1e-10);
    expect(generalizedResidual(a, b, values, vectors)).toBeLessThan(1e-10);
  });

  it("scales eigenvectors to unit norm with normalization: 'unit'", () => {
    const { values, vectors } = generalizedEigen(a, b, 4, { normalization: 'unit' });
    for (let j = 0; j < 4; j++) {
      const column = vectors.column(j);
      expect(Math.hypot(...column)).toBeCloseTo(1, 13);
    }
    expect(generalizedResidual(a, b, values, vectors)).toBeLessThan(1e-9);
  });

  it('handles a kernel-like PSD A (many zero eigenvalues) against B = K + μI', () => {
    const x = randomMatrix(120, 10, 3);
    const kernel = matmulTransposeB(x, x);
    const shifted = kernel.clone();
    for (let i = 0; i < 120; i++) shifted.data[i * 121] += 0.5;
    const { values, vectors } = generalizedEigen(kernel, shifted, 10);
    // For B = A + μI the generalized eigenvalues are κ / (κ + μ) for the eigenvalues κ of A.
    const kappa = symmetricEigen(kernel, { vectors: false }).values;
    const closedForm = Array.from({ length: 10 }, (_, j) => kappa[j] / (kappa[j] + 0.5));
    expect(maxAbsDifference(values, closedForm)).toBeLessThan(1e-10);
    expect(generalizedResidual(kernel, shifted, values, vectors)).toBeLessThan(1e-9);
  });

  it('reports a B that is not positive definite, and accepts it with a jitter', () => {
    const singular = Matrix.fromRows([[1, 1], [1, 1]]);
    expect(thrownCode(() => generalizedEigen(Matrix.identity(2), singular, 1))).toBe('NUMERICAL_ERROR');
    // The error names b, the argument at fault, and the option that fixes it.
    expect(() => generalizedEigen(Matrix.identity(2), singular, 1)).toThrow(/generalizedEigen: the matrix b is not positive definite .*options\.jitter/);
    const { values } = generalizedEigen(Matrix.identity(2), singular, 2, { jitter: 1 });
    // Eigenvalues of (singular + I)⁻¹ are 1/3 and 1, largest first.
    expect(maxAbsDifference(values, [1, 1 / 3])).toBeLessThan(1e-14);
  });

  it('rejects bad arguments before computing', () => {
    expect(thrownCode(() => generalizedEigen(Matrix.identity(3), Matrix.identity(2), 1))).toBe('DIMENSION_MISMATCH');
    expect(thrownCode(() => generalizedEigen(Matrix.identity(3), Matrix.identity(3), 4))).toBe('INVALID_ARGUMENT');
    expect(thrownCode(() => generalizedEigen(Matrix.fromRows([[1, 2], [0, 1]]), Matrix.identity(2), 1))).toBe('INVALID_ARGUMENT');
    expect(thrownCode(() => generalizedEigen(Matrix.identity(2), Matrix.identity(2), 1, { normalization: 'x' as never }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(thrownCode(() => generalizedEigen(Matrix.identity(2), Matrix.identity(2), 1, { jitter: -1 }))).toBe('INVALID_ARGUMENT');
  });
});
