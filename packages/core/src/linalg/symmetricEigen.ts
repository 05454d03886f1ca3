/**
 * Full eigendecomposition of a dense symmetric matrix, `A = V Λ Vᵀ`, in three stages:
 *
 * 1. blocked Householder tridiagonalisation `T = Qᵀ A Q` (Golub & Van Loan, Matrix Computations,
 *    4th ed., Algorithm 8.3.1, blocked after Dongarra, Hammarling & Sorensen 1989; see
 *    `tridiagonalReduction.ts`);
 * 2. the eigenvalues of T by the implicit QL iteration (values only), or eigenvalues and
 *    eigenvectors `T = Z Λ Zᵀ` by Cuppen's divide and conquer with Gu–Eisenstat eigenvectors
 *    (`tridiagonalEigen.ts`);
 * 3. `V = Q Z` by the compact WY form of the reflectors (Schreiber & Van Loan 1989).
 *
 * The same route as LAPACK's `dsyevd`. Stages 1 (half of it), 2 and 3 run mostly in the GEMM
 * kernel; measured figures in `apps/demo/src/bench/linalg.ts`.
 */
import { Matrix } from '../matrix';
import { tridiagonalEigenvectors, tridiagonalQl } from './tridiagonalEigen';
import { applyTridiagonalQ, tridiagonalize } from './tridiagonalReduction';
import { requireFiniteSymmetric, requireMatrix, requireSquare } from './validation';

/** The result of a symmetric eigendecomposition. */
export interface SymmetricEigenResult {
  /** Eigenvalues, in descending order. */
  readonly values: Float64Array;
  /** Unit-norm, mutually orthogonal eigenvectors as COLUMNS (column j belongs to `values[j]`). */
  readonly vectors: Matrix;
}

/** Options of {@link symmetricEigen}. */
export interface SymmetricEigenOptions {
  /** Also compute the eigenvectors. Default `true`; `false` returns an empty `0 x 0` `vectors`. */
  readonly vectors?: boolean;
}

/**
 * All eigenvalues (descending) and orthonormal eigenvectors of a symmetric matrix, `A = V Λ Vᵀ`.
 * Cost about `4/3 n³` flops for the values and about `3–5 n³` more with vectors (fewer when
 * eigenvalues are clustered or repeated: they deflate), mostly in matrix products; for only a
 * few eigenpairs of a large matrix use {@link topEigen}.
 *
 * Reference: Golub & Van Loan, Matrix Computations, 4th ed., §8.3 (Householder
 * tridiagonalisation, implicit symmetric QL with Wilkinson shift) and §8.4.4 (divide and
 * conquer); Gu & Eisenstat, SIAM J. Matrix Anal. Appl. 16(1), 1995 (orthogonal eigenvectors in
 * divide and conquer).
 *
 * @param a - a symmetric `n x n` matrix (checked to relative tolerance `1e-8`).
 * @param options - {@link SymmetricEigenOptions}: `vectors` (default `true`).
 * @returns `{ values, vectors }`: `values` descending, `vectors` with unit-norm columns.
 * @throws TlkitError `INVALID_ARGUMENT` when `a` is not symmetric, `DIMENSION_MISMATCH` when not
 *   square, `NON_FINITE_INPUT` on NaN/Infinity, `NUMERICAL_ERROR` if the iteration does not
 *   converge (not expected for finite input).
 * @example
 * ```ts
 * const { values, vectors } = symmetricEigen(Matrix.fromRows([[2, 1], [1, 2]]));
 * values; // Float64Array [3, 1]
 * vectors.column(0); // ±[0.7071, 0.7071]
 * ```
 */
export function symmetricEigen(a: Matrix, options: SymmetricEigenOptions = {}): SymmetricEigenResult {
  requireMatrix(a, 'a', 'symmetricEigen');
  requireSquare(a, 'a', 'symmetricEigen');
  requireFiniteSymmetric([[a, 'a']], 'symmetricEigen');
  return symmetricEigenUnchecked(a.data, a.rows, options.vectors ?? true);
}

/** {@link symmetricEigen} without argument checks, on a row-major array (not modified). @internal */
export function symmetricEigenUnchecked(data: Float64Array, n: number, withVectors: boolean): SymmetricEigenResult {
  if (n === 0) return { values: new Float64Array(0), vectors: new Matrix(0, 0) };
  const work = data.slice();
  const { diagonal, offDiagonal, betas } = tridiagonalize(work, n);
  const values = new Float64Array(n);
  if (!withVectors) {
    tridiagonalQl(diagonal, offDiagonal, 0, n);
    const order = descendingOrder(diagonal);
    for (let j = 0; j < n; j++) values[j] = diagonal[order[j]];
    return { values, vectors: new Matrix(0, 0) };
  }
  // Eigenvectors of T as rows (ascending), transposed into columns in descending order, then V = Q Z.
  const tridiagonalVectors = new Float64Array(n * n);
  tridiagonalEigenvectors(diagonal, offDiagonal, n, tridiagonalVectors);
  const vectors = new Matrix(n, n);
  const target = vectors.data;
  for (let j = 0; j < n; j++) values[j] = diagonal[n - 1 - j];
  // target[i][j] = rows[n − 1 − j][i], in 32 x 32 tiles so both sides stay in cache.
  const tile = 32;
  for (let i0 = 0; i0 < n; i0 += tile) {
    const i1 = Math.min(n, i0 + tile);
    for (let j0 = 0; j0 < n; j0 += tile) {
      const j1 = Math.min(n, j0 + tile);
      for (let i = i0; i < i1; i++) {
        const row = i * n;
        for (let j = j0; j < j1; j++) target[row + j] = tridiagonalVectors[(n - 1 - j) * n + i];
      }
    }
  }
  applyTridiagonalQ(work, betas, n, target, n);
  return { values, vectors };
}

/** Indices that sort `values` in descending order. @internal */
export function descendingOrder(values: ArrayLike<number>): Int32Array {
  const order = Int32Array.from({ length: values.length }, (_, index) => index);
  order.sort((first, second) => values[second] - values[first]);
  return order;
}
