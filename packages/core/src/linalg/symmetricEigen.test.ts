import { describe, expect, it } from 'vitest';
import { Matrix } from '../matrix';
import { gram, matmul, matmulTransposeA, matmulTransposeB, symmetricEigen } from './index';
import { maxAbs, maxAbsDifference, randomMatrix, randomSymmetric, thrownCode } from './testFixtures';

/** max |A V − V Λ| and max |VᵀV − I|. */
function eigenErrors(a: Matrix, values: Float64Array, vectors: Matrix): { residual: number; orthogonality: number } {
  const av = matmul(a, vectors);
  let residual = 0;
  for (let i = 0; i < vectors.rows; i++) {
    for (let j = 0; j < vectors.cols; j++) residual = Math.max(residual, Math.abs(av.get(i, j) - values[j] * vectors.get(i, j)));
  }
  const orthogonality = maxAbsDifference(matmulTransposeA(vectors, vectors).data, Matrix.identity(vectors.cols).data);
  return { residual, orthogonality };
}

/** |cos| of the angle between two vectors (sign-free comparison of eigenvectors). */
function alignment(u: ArrayLike<number>, v: ArrayLike<number>): number {
  let dot = 0;
  let uu = 0;
  let vv = 0;
  for (let i = 0; i < u.length; i++) {
    dot += u[i] * v[i];
    uu += u[i] * u[i];
    vv += v[i] * v[i];
  }
  return Math.abs(dot) / Math.sqrt(uu * vv);
}

describe('symmetricEigen', () => {
  it('solves a hand-worked 2 x 2 case', () => {
    const { values, vectors } = symmetricEigen(Matrix.fromRows([[2, 1], [1, 2]]));
    expect(maxAbsDifference(values, [3, 1])).toBeLessThan(1e-15);
    expect(alignment(vectors.column(0), [1, 1])).toBeCloseTo(1, 14);
    expect(alignment(vectors.column(1), [1, -1])).toBeCloseTo(1, 14);
  });

  it('matches the closed form of the tridiagonal Toeplitz matrix tridiag(−1, 2, −1)', () => {
    const n = 60;
    const a = new Matrix(n, n);
    for (let i = 0; i < n; i++) {
      a.set(i, i, 2);
      if (i + 1 < n) {
        a.set(i, i + 1, -1);
        a.set(i + 1, i, -1);
      }
    }
    const { values, vectors } = symmetricEigen(a);
    // λ_k = 2 − 2 cos(kπ/(n+1)), eigenvector (sin(jkπ/(n+1)))_j, k = 1..n; descending means k = n first.
    for (let index = 0; index < n; index++) {
      const k = n - index;
      expect(Math.abs(values[index] - (2 - 2 * Math.cos((k * Math.PI) / (n + 1))))).toBeLessThan(1e-13);
      const expected = Array.from({ length: n }, (_, j) => Math.sin(((j + 1) * k * Math.PI) / (n + 1)));
      expect(alignment(vectors.column(index), expected)).toBeGreaterThan(1 - 1e-12);
    }
  });

  it('sorts a diagonal matrix and returns unit vectors', () => {
    const entries = [3, -1, 7, 0, 2];
    const a = new Matrix(5, 5);
    entries.forEach((value, i) => a.set(i, i, value));
    const { values, vectors } = symmetricEigen(a);
    expect(Array.from(values)).toEqual([7, 3, 2, 0, -1]);
    const positions = [2, 0, 4, 3, 1];
    positions.forEach((row, column) => expect(Math.abs(vectors.get(row, column))).toBe(1));
  });

  it('finds the single non-zero eigenvalue of a rank-1 matrix u uᵀ', () => {
    const u = randomMatrix(40, 1, 5);
    const a = matmul(u, u.transpose());
    const { values, vectors } = symmetricEigen(a);
    const normSquared = u.data.reduce((sum, value) => sum + value * value, 0);
    expect(Math.abs(values[0] - normSquared)).toBeLessThan(1e-12 * normSquared);
    expect(maxAbs(values.subarray(1))).toBeLessThan(1e-12 * normSquared);
    expect(alignment(vectors.column(0), u.data)).toBeGreaterThan(1 - 1e-14);
  });

  it.each([1, 2, 3, 17, 120, 257])('A V = V Λ with VᵀV = I for a random symmetric matrix of size %i', (n) => {
    const a = randomSymmetric(n, 40 + n);
    const { values, vectors } = symmetricEigen(a);
    const { residual, orthogonality } = eigenErrors(a, values, vectors);
    expect(residual).toBeLessThan(1e-12 * n);
    expect(orthogonality).toBeLessThan(1e-13 * n);
    let trace = 0;
    for (let i = 0; i < n; i++) trace += a.get(i, i);
    expect(Math.abs(values.reduce((sum, value) => sum + value, 0) - trace)).toBeLessThan(1e-12 * n);
    for (let i = 1; i < n; i++) expect(values[i]).toBeLessThanOrEqual(values[i - 1]);
  });

  it('handles repeated eigenvalues (Q diag(5, 5, 1, 1, 1) Qᵀ)', () => {
    const q = symmetricEigen(randomSymmetric(5, 9)).vectors;
    const scaled = q.clone();
    const diagonal = [5, 5, 1, 1, 1];
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) scaled.data[i * 5 + j] *= diagonal[j];
    const a = matmul(scaled, q.transpose());
    for (let i = 0; i < 5; i++) for (let j = i + 1; j < 5; j++) a.set(j, i, a.get(i, j));
    const { values, vectors } = symmetricEigen(a);
    expect(maxAbsDifference(values, diagonal)).toBeLessThan(1e-14);
    const { residual, orthogonality } = eigenErrors(a, values, vectors);
    expect(residual).toBeLessThan(1e-14);
    expect(orthogonality).toBeLessThan(1e-14);
  });

  it('handles a covariance plus λI (300-fold eigenvalue λ; the old local QL test stalled here)', () => {
    // 100 samples in 400 dimensions: XᵀX has rank 100, so XᵀX + I has the eigenvalue 1 with
    // multiplicity 300, and its other eigenvalues are those of X Xᵀ (100 x 100) plus 1.
    const x = randomMatrix(100, 400, 2);
    const a = gram(x);
    for (let i = 0; i < 400; i++) a.data[i * 401] += 1;
    const small = symmetricEigen(matmulTransposeB(x, x), { vectors: false }).values;
    const scale = small[0] + 1;
    const valuesOnly = symmetricEigen(a, { vectors: false }).values;
    const { values, vectors } = symmetricEigen(a);
    for (const computed of [valuesOnly, values]) {
      for (let i = 0; i < 100; i++) expect(Math.abs(computed[i] - (small[i] + 1))).toBeLessThan(1e-13 * scale);
      for (let i = 100; i < 400; i++) expect(Math.abs(computed[i] - 1)).toBeLessThan(1e-13 * scale);
    }
    const { residual, orthogonality } = eigenErrors(a, values, vectors);
    expect(residual).toBeLessThan(1e-14 * scale);
    expect(orthogonality).toBeLessThan(1e-13);
  });

  it('keeps orthogonality on three tight clusters (eigenvalues 1, 2, 3 spread by 1e-11)', () => {
    const n = 150;
    const q = symmetricEigen(randomSymmetric(n, 12)).vectors;
    const lambda = Array.from({ length: n }, (_, i) => 1 + (i % 3) + 1e-11 * i);
    const scaled = q.clone();
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) scaled.data[i * n + j] *= lambda[j];
    const a = matmulTransposeB(scaled, q);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a.set(j, i, a.get(i, j));
    const { values, vectors } = symmetricEigen(a);
    const expected = [...lambda].sort((first, second) => second - first);
    expect(maxAbsDifference(values, expected)).toBeLessThan(1e-14 * n);
    const { residual, orthogonality } = eigenErrors(a, values, vectors);
    expect(residual).toBeLessThan(1e-14 * n);
    expect(orthogonality).toBeLessThan(1e-14 * n);
  });

  it('returns the same values without vectors, and handles an empty matrix', () => {
    const a = randomSymmetric(30, 2);
    const withoutVectors = symmetricEigen(a, { vectors: false });
    expect(withoutVectors.vectors.rows).toBe(0);
    expect(maxAbsDifference(withoutVectors.values, symmetricEigen(a).values)).toBeLessThan(1e-13);
    expect(symmetricEigen(new Matrix(0, 0)).values.length).toBe(0);
  });

  it('rejects bad input before computing', () => {
    expect(thrownCode(() => symmetricEigen(Matrix.fromRows([[1, 2], [0, 1]])))).toBe('INVALID_ARGUMENT');
    expect(thrownCode(() => symmetricEigen(new Matrix(2, 3)))).toBe('DIMENSION_MISMATCH');
    expect(thrownCode(() => symmetricEigen(Matrix.fromRows([[Number.NaN]])))).toBe('NON_FINITE_INPUT');
  });
});
