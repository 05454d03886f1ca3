import { describe, expect, it } from 'vitest';
import { Matrix } from '../matrix';
import { matmul, matmulTransposeA, matmulTransposeB, thinSvd } from './index';
import { maxAbs, maxAbsDifference, randomMatrix, thrownCode } from './testFixtures';

function reconstruct(u: Matrix, s: Float64Array, v: Matrix): Matrix {
  const scaled = u.clone();
  for (let i = 0; i < u.rows; i++) for (let j = 0; j < u.cols; j++) scaled.data[i * u.cols + j] *= s[j];
  return matmulTransposeB(scaled, v);
}

describe('thinSvd', () => {
  it('gives a hand-worked case', () => {
    const { U, S, V } = thinSvd(Matrix.fromRows([[3, 0], [0, 4], [0, 0]]));
    expect(maxAbsDifference(S, [4, 3])).toBeLessThan(1e-15);
    expect(Math.abs(U.get(1, 0))).toBeCloseTo(1, 15);
    expect(Math.abs(V.get(0, 1))).toBeCloseTo(1, 15);
  });

  it.each([[80, 30], [30, 80], [40, 40]])('U Σ Vᵀ = X with orthonormal U, V for a random %i x %i matrix', (n, d) => {
    const x = randomMatrix(n, d, n * 100 + d);
    const { U, S, V } = thinSvd(x);
    const r = Math.min(n, d);
    expect(S.length).toBe(r);
    expect(maxAbsDifference(reconstruct(U, S, V).data, x.data)).toBeLessThan(1e-11);
    expect(maxAbsDifference(matmulTransposeA(U, U).data, Matrix.identity(r).data)).toBeLessThan(1e-13);
    expect(maxAbsDifference(matmulTransposeA(V, V).data, Matrix.identity(r).data)).toBeLessThan(1e-13);
    // Independent invariant: Σ σ² = ‖X‖_F².
    const frobenius = x.data.reduce((sum, value) => sum + value * value, 0);
    expect(Math.abs(S.reduce((sum, value) => sum + value * value, 0) - frobenius)).toBeLessThan(1e-10 * frobenius);
    for (let i = 1; i < r; i++) expect(S[i]).toBeLessThanOrEqual(S[i - 1]);
  });

  it('finds the numerical rank of a low-rank matrix and reproduces it', () => {
    const x = matmul(randomMatrix(60, 3, 1), randomMatrix(3, 45, 2));
    const { U, S, V } = thinSvd(x);
    expect(S.length).toBe(3);
    expect(maxAbsDifference(reconstruct(U, S, V).data, x.data)).toBeLessThan(1e-11 * maxAbs(x.data));
  });

  it('returns the leading triplets for a given rank (Lanczos on the Gram matrix)', () => {
    const x = randomMatrix(150, 100, 9);
    const full = thinSvd(x);
    const { U, S, V } = thinSvd(x, { rank: 5 });
    expect(maxAbsDifference(S, full.S.subarray(0, 5))).toBeLessThan(1e-10);
    // X v_i = σ_i u_i
    const xv = matmul(x, V);
    for (let i = 0; i < 150; i++) for (let j = 0; j < 5; j++) expect(Math.abs(xv.get(i, j) - S[j] * U.get(i, j))).toBeLessThan(1e-9);
  });

  it('rejects bad input', () => {
    expect(thrownCode(() => thinSvd(new Matrix(0, 3)))).toBe('INVALID_ARGUMENT');
    expect(thrownCode(() => thinSvd(new Matrix(3, 3)))).toBe('INVALID_ARGUMENT');
    expect(thrownCode(() => thinSvd(Matrix.identity(3), { rank: 4 }))).toBe('INVALID_ARGUMENT');
    expect(thrownCode(() => thinSvd(Matrix.fromRows([[Number.NaN]])))).toBe('NON_FINITE_INPUT');
  });
});
