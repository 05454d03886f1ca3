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

  it('completes U to an orthonormal basis when the rank asked for exceeds the numerical rank', () => {
    // Rank 3, 20 triplets asked: 17 columns of U vanish and are replaced (the recursive block
    // orthonormalisation with its cancellation and vanishing checks).
    const x = matmul(randomMatrix(60, 3, 11), randomMatrix(3, 45, 12));
    const reference = thinSvd(x);
    const { U, S, V } = thinSvd(x, { rank: 20 });
    expect(maxAbsDifference(S.subarray(0, 3), reference.S)).toBeLessThan(1e-12 * reference.S[0]);
    expect(maxAbs(S.subarray(3))).toBeLessThan(1e-6 * reference.S[0]);
    expect(maxAbsDifference(matmulTransposeA(U, U).data, Matrix.identity(20).data)).toBeLessThan(1e-13);
    expect(maxAbsDifference(matmulTransposeA(V, V).data, Matrix.identity(20).data)).toBeLessThan(1e-13);
    // The 17 extra σ are Gram-matrix noise (≈ √ε σ₁); the 3 real triplets reproduce X.
    const leading = S.map((value, j) => (j < 3 ? value : 0));
    expect(maxAbsDifference(reconstruct(U, leading, V).data, x.data)).toBeLessThan(1e-11 * maxAbs(x.data));
  });

  it('orthonormalises many columns with a spread of singular values (300 x 70, σ from 1 to 1e-6)', () => {
    // X = A diag(σ) with orthonormal-ish random A: the recovered U loses orthogonality like ε σ₁² / σᵢ².
    const n = 300;
    const d = 70;
    const x = randomMatrix(n, d, 21);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x.data[i * d + j] *= 10 ** (-6 * (j / (d - 1)));
    const { U, S, V } = thinSvd(x, { rank: d });
    expect(maxAbsDifference(matmulTransposeA(U, U).data, Matrix.identity(d).data)).toBeLessThan(1e-13);
    expect(maxAbsDifference(matmulTransposeA(V, V).data, Matrix.identity(d).data)).toBeLessThan(1e-13);
    // X v_i = σ_i u_i to ε σ₁ for the well-resolved leading half.
    const xv = matmul(x, V);
    let worst = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < d / 2; j++) worst = Math.max(worst, Math.abs(xv.get(i, j) - S[j] * U.get(i, j)));
    expect(worst).toBeLessThan(1e-12 * S[0]);
  });

  it('returns the leading triplets for a given rank (Lanczos on the Gram matrix)', () => {
    const x = randomMatrix(150, 100, 9);
    const full = thinSvd(x);
    const { U, S, V } = thinSvd(x, { rank: 5 });
    expect(maxAbsDifference(S, full.S.subarray(0, 5))).toBeLessThan(1e-10);
    // X v_i = σ_i u_i
    const xv = matmul(x, V);
    let worst = 0;
    for (let i = 0; i < 150; i++) for (let j = 0; j < 5; j++) worst = Math.max(worst, Math.abs(xv.get(i, j) - S[j] * U.get(i, j)));
    expect(worst).toBeLessThan(1e-9);
  });

  it('rejects bad input', () => {
    expect(thrownCode(() => thinSvd(new Matrix(0, 3)))).toBe('INVALID_ARGUMENT');
    expect(thrownCode(() => thinSvd(new Matrix(3, 3)))).toBe('INVALID_ARGUMENT');
    expect(thrownCode(() => thinSvd(Matrix.identity(3), { rank: 4 }))).toBe('INVALID_ARGUMENT');
    expect(thrownCode(() => thinSvd(Matrix.fromRows([[Number.NaN]])))).toBe('NON_FINITE_INPUT');
  });
});
