/**
 * Cholesky factorisation `A = L Lᵀ` of a symmetric positive definite matrix, and solves with it.
 *
 * Blocked left-looking algorithm (Golub & Van Loan, Matrix Computations, 4th ed., §4.2.9): each
 * block column is first updated with one matrix product against the columns already factored,
 * then factored with the dot-product (Cholesky–Crout) recurrence
 * `L[i][j] = (A[i][j] − Σ_{p<j} L[i][p] L[j][p]) / L[j][j]`, whose inner products run along
 * contiguous rows of the row-major storage.
 */
import { TlkitError } from '../errors';
import { Matrix } from '../matrix';
import { gemmAccumulate } from './gemm';
import { triangularSolveInPlace } from './triangular';
import { requireFinite, requireMatrix, requirePositive, requireSquare } from './validation';

/** Columns per block of the blocked factorisation. */
const BLOCK = 64;

/** Options of {@link cholesky}. */
export interface CholeskyOptions {
  /**
   * A non-negative amount added to the diagonal before factoring, so the result satisfies
   * `L Lᵀ = A + jitter · I`. Use it for positive semidefinite matrices such as kernel matrices
   * (e.g. `1e-8 · trace(A) / n`). Default `0`.
   */
  readonly jitter?: number;
}

/**
 * The Cholesky factor of a symmetric positive definite matrix: lower-triangular `L` with
 * `L Lᵀ = A + jitter · I`. Only the lower triangle of `a` is read.
 *
 * Reference: Golub & Van Loan, Matrix Computations, 4th ed., §4.2.
 *
 * @param a - a symmetric positive definite `n x n` matrix.
 * @param options - {@link CholeskyOptions}: `jitter` (default `0`).
 * @returns a new `n x n` lower-triangular matrix (zeros above the diagonal).
 * @throws TlkitError `NUMERICAL_ERROR` when `a + jitter · I` is not positive definite (the
 *   message suggests a jitter to add); `DIMENSION_MISMATCH` when `a` is not square;
 *   `NON_FINITE_INPUT` on NaN or Infinity.
 * @example
 * ```ts
 * const l = cholesky(Matrix.fromRows([[4, 2], [2, 2]]));
 * l.toRows(); // [[2, 0], [1, 1]]
 * ```
 */
export function cholesky(a: Matrix, options: CholeskyOptions = {}): Matrix {
  requireMatrix(a, 'a', 'cholesky');
  requireSquare(a, 'a', 'cholesky');
  const jitter = options.jitter ?? 0;
  requirePositive(jitter, 'options.jitter', 'cholesky', true);
  requireFinite(a.data, 'a', 'cholesky');
  const n = a.rows;
  const out = a.clone();
  const l = out.data;
  if (jitter > 0) for (let i = 0; i < n; i++) l[i * n + i] += jitter;

  for (let start = 0; start < n; start += BLOCK) {
    const end = Math.min(n, start + BLOCK);
    const width = end - start;
    if (start > 0) {
      // L[start:n, start:end] -= L[start:n, 0:start] · L[start:end, 0:start]ᵀ
      gemmAccumulate(
        n - start,
        width,
        start,
        -1,
        { data: l, offset: start * n, rowStride: n, colStride: 1 },
        { data: l, offset: start * n, rowStride: 1, colStride: n },
        l,
        start * n + start,
        n,
      );
    }
    // Factor the block column with the dot-product recurrence restricted to columns start..end.
    for (let j = start; j < end; j++) {
      const rowJ = j * n;
      let diagonal = l[rowJ + j];
      for (let p = start; p < j; p++) diagonal -= l[rowJ + p] * l[rowJ + p];
      if (!(diagonal > 0)) throw notPositiveDefinite(a, j, diagonal, jitter);
      const pivot = Math.sqrt(diagonal);
      l[rowJ + j] = pivot;
      const inverse = 1 / pivot;
      for (let i = j + 1; i < n; i++) {
        const rowI = i * n;
        let sum = l[rowI + j];
        for (let p = start; p < j; p++) sum -= l[rowI + p] * l[rowJ + p];
        l[rowI + j] = sum * inverse;
      }
    }
  }
  for (let i = 0; i < n; i++) l.fill(0, i * n + i + 1, (i + 1) * n);
  return out;
}

function notPositiveDefinite(a: Matrix, index: number, pivot: number, jitter: number): TlkitError {
  const n = a.rows;
  let trace = 0;
  for (let i = 0; i < n; i++) trace += Math.abs(a.data[i * n + i]);
  const suggestion = Math.max((1e-8 * trace) / Math.max(n, 1), jitter * 10, Number.MIN_VALUE);
  return new TlkitError(
    'NUMERICAL_ERROR',
    `cholesky: the matrix a${jitter > 0 ? ` + ${jitter} · I` : ''} is not positive definite (pivot ${index} is ${pivot}). ` +
      `If it is positive semidefinite (a kernel or covariance matrix), add a ridge to its diagonal, e.g. cholesky(a, { jitter: ${suggestion.toExponential(2)} }); ` +
      `otherwise check that it is symmetric and built correctly.`,
    { argument: 'a', index, pivot, suggestedJitter: suggestion },
  );
}

/**
 * Solves `A X = B` given the Cholesky factor `L` of `A` (from {@link cholesky}), by a forward
 * solve with `L` and a backward solve with `Lᵀ`.
 *
 * @param l - the lower-triangular `n x n` factor (only its lower triangle is read).
 * @param b - an `n x m` matrix of right-hand sides, or one right-hand side as a vector.
 * @returns `X = A⁻¹ B` with the shape of `b` (a Matrix, or a Float64Array for a vector).
 * @throws TlkitError `DIMENSION_MISMATCH` when `b` does not have `n` rows.
 * @example
 * ```ts
 * const a = Matrix.fromRows([[4, 2], [2, 2]]);
 * choleskySolve(cholesky(a), [6, 4]); // Float64Array [1, 1]
 * ```
 */
export function choleskySolve(l: Matrix, b: Matrix): Matrix;
export function choleskySolve(l: Matrix, b: ArrayLike<number>): Float64Array;
export function choleskySolve(l: Matrix, b: Matrix | ArrayLike<number>): Matrix | Float64Array {
  requireMatrix(l, 'l', 'choleskySolve');
  requireSquare(l, 'l', 'choleskySolve');
  const n = l.rows;
  const isMatrix = b instanceof Matrix;
  const rows = isMatrix ? b.rows : b.length;
  if (rows !== n) {
    throw new TlkitError(
      'DIMENSION_MISMATCH',
      `choleskySolve: l is ${n} x ${n} but b has ${rows} rows; b needs one row per row of l.`,
      { argument: 'b' },
    );
  }
  for (let i = 0; i < n; i++) {
    if (!(l.data[i * n + i] > 0)) {
      throw new TlkitError(
        'INVALID_ARGUMENT',
        `choleskySolve: l must be a Cholesky factor with a positive diagonal, but l(${i}, ${i}) = ${l.data[i * n + i]}; pass the result of cholesky(a).`,
        { argument: 'l', index: i },
      );
    }
  }
  const columns = isMatrix ? b.cols : 1;
  const out = isMatrix ? b.data.slice() : Float64Array.from(b);
  triangularSolveInPlace(l.data, n, true, false, false, out, columns);
  triangularSolveInPlace(l.data, n, true, true, false, out, columns);
  return isMatrix ? new Matrix(n, columns, out) : out;
}
