/**
 * Cholesky factorisation `A = L Lᵀ` of a symmetric positive definite matrix, and solves with it.
 *
 * Recursive algorithm (Gustavson, "Recursion leads to automatic variable blocking for dense
 * linear-algebra algorithms", IBM J. Res. Dev. 41(6), 1997; Golub & Van Loan, Matrix
 * Computations, 4th ed., §4.2.9 for the block form): with `A = [[A₁₁, A₁₂], [A₂₁, A₂₂]]`, factor
 * A₁₁, solve for the off-diagonal block, update `A₂₂ ← A₂₂ − U₁₂ᵀ U₁₂` with one matrix product,
 * recurse on A₂₂. The off-diagonal solve is recursive the same way, so nearly all the work runs in
 * the GEMM kernel at every size. It works on the upper factor `U = Lᵀ` (row-major, so every
 * update reads contiguous rows and the symmetric update can skip the lower triangle).
 */
import { TlkitError } from '../errors';
import { Matrix } from '../matrix';
import { gemmAccumulate } from './gemm';
import { triangularSolveInPlace } from './triangular';
import { requireFinite, requireMatrix, requirePositive, requireSquare } from './validation';

/** Blocks up to this size are factored / solved by plain loops. */
const BASE = 16;

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
  const upper = choleskyUpper(a.data, n, jitter, (index, pivot) => notPositiveDefinite(a, index, pivot, jitter));
  // L = Uᵀ, in 32 x 32 tiles.
  const out = new Matrix(n, n);
  transposeUpperIntoLower(upper, out.data, n);
  return out;
}

/**
 * The upper Cholesky factor `U = Lᵀ` of a matrix already checked to be symmetric, read from its
 * upper triangle (plain row copies, no transposition), with the errors of {@link cholesky}.
 * @internal
 */
export function choleskyUpperOfSymmetric(
  a: Matrix,
  jitter: number,
  caller: { routine: string; argument: string } = { routine: 'cholesky', argument: 'a' },
): Float64Array {
  return choleskyUpper(a.data, a.rows, jitter, (index, pivot) => notPositiveDefinite(a, index, pivot, jitter, caller), true);
}

/**
 * The upper Cholesky factor `U` (`Uᵀ U = A + jitter · I`) of the symmetric matrix whose lower
 * triangle (or, with `fromUpper`, upper triangle) is in the row-major `n x n` array `data`, as a
 * new row-major array with zeros below the diagonal. `fail(index, pivot)` builds the error thrown
 * at a non-positive pivot. @internal
 */
export function choleskyUpper(
  data: Float64Array,
  n: number,
  jitter: number,
  fail: (index: number, pivot: number) => Error,
  fromUpper = false,
): Float64Array {
  const u = new Float64Array(n * n);
  if (fromUpper) for (let i = 0; i < n; i++) u.set(data.subarray(i * n + i, (i + 1) * n), i * n + i);
  else transposeLowerIntoUpper(data, u, n);
  if (jitter > 0) for (let i = 0; i < n; i++) u[i * n + i] += jitter;
  factorUpper(u, n, 0, n, fail);
  return u;
}

/** Rows/columns `start..start+size` of U (in place over the upper triangle of A). */
function factorUpper(u: Float64Array, n: number, start: number, size: number, fail: (index: number, pivot: number) => Error): void {
  if (size <= BASE) {
    // Right-looking on the small block: scale row j, update the rows below it (upper parts).
    const end = start + size;
    for (let j = start; j < end; j++) {
      const rowJ = j * n;
      const diagonal = u[rowJ + j];
      if (!(diagonal > 0)) throw fail(j, diagonal);
      const pivot = Math.sqrt(diagonal);
      u[rowJ + j] = pivot;
      const inverse = 1 / pivot;
      for (let c = j + 1; c < end; c++) u[rowJ + c] *= inverse;
      for (let i = j + 1; i < end; i++) {
        const factor = u[rowJ + i];
        if (factor === 0) continue;
        const rowI = i * n;
        for (let c = i; c < end; c++) u[rowI + c] -= factor * u[rowJ + c];
      }
    }
    return;
  }
  const half = size >> 1;
  const second = start + half;
  const rest = size - half;
  factorUpper(u, n, start, half, fail);
  // U₁₂ = U₁₁⁻ᵀ A₁₂
  solveUpperTransposed(u, n, start, half, second, rest);
  // A₂₂ ← A₂₂ − U₁₂ᵀ U₁₂ (upper triangle)
  gemmAccumulate(
    rest,
    rest,
    half,
    -1,
    { data: u, offset: start * n + second, rowStride: 1, colStride: n },
    { data: u, offset: start * n + second, rowStride: n, colStride: 1 },
    u,
    second * n + second,
    n,
    true,
  );
  factorUpper(u, n, second, rest, fail);
}

/**
 * `X ← U[t:t+size, t:t+size]⁻ᵀ X` in place, X being rows `t..t+size`, columns `column..column+count`
 * of `u` (forward substitution with the lower-triangular Uᵀ), recursively: the coupling block is
 * one matrix product.
 */
function solveUpperTransposed(u: Float64Array, n: number, t: number, size: number, column: number, count: number): void {
  if (size <= BASE) {
    const end = t + size;
    for (let i = t; i < end; i++) {
      const rowI = i * n + column;
      const inverse = 1 / u[i * n + i];
      for (let c = 0; c < count; c++) u[rowI + c] *= inverse;
      for (let q = i + 1; q < end; q++) {
        const factor = u[i * n + q];
        if (factor === 0) continue;
        const rowQ = q * n + column;
        for (let c = 0; c < count; c++) u[rowQ + c] -= factor * u[rowI + c];
      }
    }
    return;
  }
  const half = size >> 1;
  solveUpperTransposed(u, n, t, half, column, count);
  gemmAccumulate(
    size - half,
    count,
    half,
    -1,
    { data: u, offset: t * n + t + half, rowStride: 1, colStride: n },
    { data: u, offset: t * n + column, rowStride: n, colStride: 1 },
    u,
    (t + half) * n + column,
    n,
  );
  solveUpperTransposed(u, n, t + half, size - half, column, count);
}

/** `upper[i][j] = lower[j][i]` for `j ≥ i` (zeros below the diagonal stay), in tiles. */
function transposeLowerIntoUpper(lower: Float64Array, upper: Float64Array, n: number): void {
  const tile = 32;
  for (let i0 = 0; i0 < n; i0 += tile) {
    const i1 = Math.min(n, i0 + tile);
    for (let j0 = i0; j0 < n; j0 += tile) {
      const j1 = Math.min(n, j0 + tile);
      for (let i = i0; i < i1; i++) {
        const row = i * n;
        for (let j = Math.max(j0, i); j < j1; j++) upper[row + j] = lower[j * n + i];
      }
    }
  }
}

/** `lower[i][j] = upper[j][i]` for `j ≤ i` (the rest of `lower` stays zero), in tiles. */
function transposeUpperIntoLower(upper: Float64Array, lower: Float64Array, n: number): void {
  const tile = 32;
  for (let i0 = 0; i0 < n; i0 += tile) {
    const i1 = Math.min(n, i0 + tile);
    for (let j0 = 0; j0 <= i0; j0 += tile) {
      const j1 = Math.min(n, j0 + tile);
      for (let i = i0; i < i1; i++) {
        const row = i * n;
        const last = Math.min(j1, i + 1);
        for (let j = j0; j < last; j++) lower[row + j] = upper[j * n + i];
      }
    }
  }
}

function notPositiveDefinite(
  a: Matrix,
  index: number,
  pivot: number,
  jitter: number,
  caller: { routine: string; argument: string } = { routine: 'cholesky', argument: 'a' },
): TlkitError {
  const n = a.rows;
  let trace = 0;
  for (let i = 0; i < n; i++) trace += Math.abs(a.data[i * n + i]);
  const suggestion = Math.max((1e-8 * trace) / Math.max(n, 1), jitter * 10, Number.MIN_VALUE);
  const { routine, argument } = caller;
  const call = routine === 'cholesky' ? `cholesky(a, { jitter: ${suggestion.toExponential(2)} })` : `options.jitter: ${suggestion.toExponential(2)}`;
  return new TlkitError(
    'NUMERICAL_ERROR',
    `${routine}: the matrix ${argument}${jitter > 0 ? ` + ${jitter} · I` : ''} is not positive definite (pivot ${index} is ${pivot}). ` +
      `If it is positive semidefinite (a kernel or covariance matrix), add a ridge to its diagonal, e.g. ${call}; ` +
      `otherwise check that it is symmetric and built correctly.`,
    { argument, index, pivot, suggestedJitter: suggestion },
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
