import { describe, expect, it } from 'vitest';
import { Matrix } from '../matrix';
import { inverseSqrtmSymmetric, matmul, matmulTransposeB, sqrtmSymmetric } from './index';
import { maxAbs, maxAbsDifference, randomMatrix, randomSpd, thrownCode } from './testFixtures';

describe('sqrtmSymmetric / inverseSqrtmSymmetric', () => {
  it('gives closed forms on a diagonal matrix', () => {
    const a = Matrix.fromRows([[4, 0], [0, 9]]);
    expect(maxAbsDifference(sqrtmSymmetric(a).data, [2, 0, 0, 3])).toBeLessThan(1e-15);
    expect(maxAbsDifference(inverseSqrtmSymmetric(a).data, [0.5, 0, 0, 1 / 3])).toBeLessThan(1e-15);
    expect(maxAbsDifference(inverseSqrtmSymmetric(a, { ridge: 5 }).data, [1 / 3, 0, 0, 1 / Math.sqrt(14)])).toBeLessThan(1e-15);
  });

  it.each([3, 50, 90])('S² = A, W A W = I and S W = I for a random SPD matrix of size %i', (n) => {
    const a = randomSpd(n, 60 + n);
    const s = sqrtmSymmetric(a);
    const w = inverseSqrtmSymmetric(a);
    const scale = maxAbs(a.data);
    expect(maxAbsDifference(matmul(s, s).data, a.data)).toBeLessThan(1e-12 * scale);
    expect(maxAbsDifference(matmul(matmul(w, a), w).data, Matrix.identity(n).data)).toBeLessThan(1e-11);
    expect(maxAbsDifference(matmul(s, w).data, Matrix.identity(n).data)).toBeLessThan(1e-11);
    expect(maxAbsDifference(s.data, s.transpose().data)).toBe(0);
  });

  it('takes the square root of a singular PSD matrix: sqrt(u uᵀ) = u uᵀ / ‖u‖', () => {
    const u = randomMatrix(30, 1, 3);
    const a = matmulTransposeB(u, u);
    const norm = Math.hypot(...u.data);
    const expected = a.data.map((value) => value / norm);
    expect(maxAbsDifference(sqrtmSymmetric(a).data, expected)).toBeLessThan(1e-7 * norm);
  });

  it('rejects an indefinite matrix and a singular one for the inverse root', () => {
    expect(thrownCode(() => sqrtmSymmetric(Matrix.fromRows([[1, 0], [0, -1]])))).toBe('NUMERICAL_ERROR');
    expect(thrownCode(() => inverseSqrtmSymmetric(Matrix.fromRows([[1, 1], [1, 1]])))).toBe('NUMERICAL_ERROR');
    expect(maxAbsDifference(inverseSqrtmSymmetric(Matrix.fromRows([[1, 1], [1, 1]]), { ridge: 1 }).data, [
      (1 / Math.sqrt(3) + 1) / 2, (1 / Math.sqrt(3) - 1) / 2, (1 / Math.sqrt(3) - 1) / 2, (1 / Math.sqrt(3) + 1) / 2,
    ])).toBeLessThan(1e-15);
    expect(thrownCode(() => sqrtmSymmetric(Matrix.fromRows([[1, 2], [0, 1]])))).toBe('INVALID_ARGUMENT');
    expect(thrownCode(() => sqrtmSymmetric(Matrix.identity(2), { ridge: -1 }))).toBe('INVALID_ARGUMENT');
  });
});
