import { describe, expect, it } from 'vitest';
import { Matrix } from '../matrix';
import { inverse, luDecompose, luSolve, matmul, matvec, solve } from './index';
import { maxAbsDifference, randomMatrix, thrownCode } from './testFixtures';

describe('LU with partial pivoting', () => {
  it('solves a hand-worked system that needs a row interchange', () => {
    // The (0, 0) entry is zero: without pivoting this fails.
    const a = Matrix.fromRows([[0, 1], [1, 1]]);
    expect(maxAbsDifference(solve(a, [2, 3]), [1, 2])).toBeLessThan(1e-15);
    const { permutation, permutationSign } = luDecompose(a);
    expect(Array.from(permutation)).toEqual([1, 0]);
    expect(permutationSign).toBe(-1);
  });

  it.each([1, 7, 47, 48, 49, 130])('P A = L U and A · solve(A, B) = B at n = %i', (n) => {
    const a = randomMatrix(n, n, 200 + n);
    const { lu, permutation } = luDecompose(a);
    const lower = new Matrix(n, n);
    const upper = new Matrix(n, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (j < i) lower.data[i * n + j] = lu.data[i * n + j];
        else upper.data[i * n + j] = lu.data[i * n + j];
      }
      lower.data[i * n + i] = 1;
      // Partial pivoting keeps every multiplier at most 1 in magnitude.
      for (let j = 0; j < i; j++) expect(Math.abs(lower.data[i * n + j])).toBeLessThanOrEqual(1);
    }
    expect(maxAbsDifference(matmul(lower, upper).data, a.selectRows(permutation).data)).toBeLessThan(1e-11);
    const b = randomMatrix(n, 3, 9);
    expect(maxAbsDifference(matmul(a, solve(a, b)).data, b.data)).toBeLessThan(1e-9);
    const x = solve(a, b.column(1));
    expect(maxAbsDifference(matvec(a, x), b.column(1))).toBeLessThan(1e-9);
    expect(maxAbsDifference(luSolve(luDecompose(a), b).data, solve(a, b).data)).toBeLessThan(1e-12);
  });

  it('inverse(A) · A = I', () => {
    const a = randomMatrix(60, 60, 31);
    expect(maxAbsDifference(matmul(inverse(a), a).data, Matrix.identity(60).data)).toBeLessThan(1e-10);
    expect(inverse(Matrix.fromRows([[2, 0], [0, 4]])).toRows()).toEqual([[0.5, 0], [0, 0.25]]);
  });

  it('reports a singular matrix with NUMERICAL_ERROR', () => {
    expect(thrownCode(() => solve(Matrix.fromRows([[1, 2], [2, 4]]), [1, 2]))).toBe('NUMERICAL_ERROR');
    const rankDeficient = randomMatrix(50, 50, 3);
    for (let j = 0; j < 50; j++) rankDeficient.data[49 * 50 + j] = rankDeficient.data[j] + rankDeficient.data[50 + j];
    expect(thrownCode(() => solve(rankDeficient, new Float64Array(50)))).toBe('NUMERICAL_ERROR');
  });

  it('rejects bad input before computing', () => {
    expect(thrownCode(() => solve(new Matrix(2, 3), [1, 2]))).toBe('DIMENSION_MISMATCH');
    expect(thrownCode(() => solve(Matrix.identity(2), [1, 2, 3]))).toBe('DIMENSION_MISMATCH');
    expect(thrownCode(() => solve(Matrix.identity(2), [1, Number.POSITIVE_INFINITY]))).toBe('NON_FINITE_INPUT');
  });
});
