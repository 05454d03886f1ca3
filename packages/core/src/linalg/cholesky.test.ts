import { describe, expect, it } from 'vitest';
import { Matrix } from '../matrix';
import { cholesky, choleskySolve, matmul, matmulTransposeB, matvec } from './index';
import { maxAbs, maxAbsDifference, randomMatrix, randomSpd, thrownCode } from './testFixtures';

describe('cholesky', () => {
  it('factors a hand-worked 3 x 3 matrix', () => {
    // L = [[2,0,0],[1,3,0],[-1,2,1]] gives A = L Lᵀ below.
    const a = Matrix.fromRows([[4, 2, -2], [2, 10, 5], [-2, 5, 6]]);
    const l = cholesky(a);
    expect(maxAbsDifference(l.data, Matrix.fromRows([[2, 0, 0], [1, 3, 0], [-1, 2, 1]]).data)).toBeLessThan(1e-15);
  });

  it.each([1, 5, 63, 64, 65, 200])('L Lᵀ reproduces a random SPD matrix of size %i', (n) => {
    const a = randomSpd(n, n);
    const l = cholesky(a);
    let upperMagnitude = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) upperMagnitude = Math.max(upperMagnitude, Math.abs(l.get(i, j)));
    expect(upperMagnitude).toBe(0);
    expect(maxAbsDifference(matmulTransposeB(l, l).data, a.data)).toBeLessThan(1e-12 * maxAbs(a.data));
  });

  it('names the failing pivot deep inside the recursion', () => {
    // SPD except for a negative 2 x 2 Schur complement at rows 150..151.
    const a = randomSpd(200, 4);
    a.set(150, 150, -1);
    try {
      cholesky(a);
      throw new Error('expected a throw');
    } catch (error) {
      expect((error as { code: string }).code).toBe('NUMERICAL_ERROR');
      expect((error as { details: { index: number } }).details.index).toBe(150);
    }
  });

  it('adds the jitter to the diagonal', () => {
    const a = Matrix.fromRows([[1, 1], [1, 1]]); // PSD, singular
    expect(thrownCode(() => cholesky(a))).toBe('NUMERICAL_ERROR');
    const l = cholesky(a, { jitter: 0.25 });
    expect(maxAbsDifference(matmulTransposeB(l, l).data, [1.25, 1, 1, 1.25])).toBeLessThan(1e-15);
  });

  it('reports an indefinite matrix with NUMERICAL_ERROR and a suggested jitter', () => {
    const a = Matrix.fromRows([[1, 2], [2, 1]]);
    try {
      cholesky(a);
      throw new Error('expected a throw');
    } catch (error) {
      expect((error as { code: string }).code).toBe('NUMERICAL_ERROR');
      expect((error as Error).message).toMatch(/jitter/);
    }
  });

  it('rejects bad input before computing', () => {
    expect(thrownCode(() => cholesky(new Matrix(2, 3)))).toBe('DIMENSION_MISMATCH');
    expect(thrownCode(() => cholesky(Matrix.fromRows([[1, 0], [0, Number.NaN]])))).toBe('NON_FINITE_INPUT');
    expect(thrownCode(() => cholesky(Matrix.identity(2), { jitter: -1 }))).toBe('INVALID_ARGUMENT');
  });
});

describe('choleskySolve', () => {
  it('solves a hand-worked system', () => {
    const l = cholesky(Matrix.fromRows([[4, 2], [2, 2]]));
    expect(maxAbsDifference(choleskySolve(l, [6, 4]), [1, 1])).toBeLessThan(1e-15);
  });

  it.each([[10, 1], [150, 7], [150, 1]])('A · choleskySolve(L, B) = B at n = %i, m = %i', (n, m) => {
    const a = randomSpd(n, 100 + n);
    const l = cholesky(a);
    const b = randomMatrix(n, m, 7);
    const x = choleskySolve(l, b);
    expect(maxAbsDifference(matmul(a, x).data, b.data)).toBeLessThan(1e-10);
    const vector = choleskySolve(l, b.column(0));
    expect(maxAbsDifference(matvec(a, vector), b.column(0))).toBeLessThan(1e-10);
  });

  it('rejects a right-hand side of the wrong length', () => {
    const l = cholesky(Matrix.identity(3));
    expect(thrownCode(() => choleskySolve(l, [1, 2]))).toBe('DIMENSION_MISMATCH');
    expect(thrownCode(() => choleskySolve(Matrix.fromRows([[0, 0], [1, 1]]), [1, 2]))).toBe('INVALID_ARGUMENT');
  });
});
