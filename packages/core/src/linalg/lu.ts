/**
 * LU factorisation with partial pivoting, `P A = L U`, and the solves built on it.
 *
 * Blocked right-looking algorithm (Golub & Van Loan, Matrix Computations, 4th ed., §3.4 and
 * §3.2.11): a panel of columns is factored with row interchanges, the matching block row of U is
 * found by a unit-lower triangular solve, and the trailing matrix is updated with one matrix
 * product.
 */
import { TlkitError } from '../errors';
import { Matrix } from '../matrix';
import { gemmAccumulate } from './gemm';
import { triangularSolveInPlace } from './triangular';
import { requireFinite, requireMatrix, requireSquare } from './validation';

/** Columns per panel. */
const BLOCK = 48;

/** The result of {@link luDecompose}. */
export interface LuDecomposition {
  /** `L` (unit lower, diagonal not stored) and `U` (upper) packed in one `n x n` matrix. */
  readonly lu: Matrix;
  /** Row `i` of `P A` is row `permutation[i]` of `A`. */
  readonly permutation: Int32Array;
  /** `det(P)`: `+1` or `-1`. */
  readonly permutationSign: number;
}

/**
 * Factors `P A = L U` with partial (row) pivoting.
 *
 * Reference: Golub & Van Loan, Matrix Computations, 4th ed., §3.4.
 *
 * @param a - a square `n x n` matrix.
 * @returns {@link LuDecomposition}.
 * @throws TlkitError `NUMERICAL_ERROR` when `a` is singular to working precision (a pivot below
 *   `n · ε · max|a|`); `DIMENSION_MISMATCH` when not square; `NON_FINITE_INPUT` on NaN/Infinity.
 * @example
 * ```ts
 * const { lu, permutation } = luDecompose(Matrix.fromRows([[1, 2], [3, 4]]));
 * permutation; // Int32Array [1, 0]: the larger first-column entry is the first pivot
 * ```
 */
export function luDecompose(a: Matrix): LuDecomposition {
  requireMatrix(a, 'a', 'luDecompose');
  requireSquare(a, 'a', 'luDecompose');
  requireFinite(a.data, 'a', 'luDecompose');
  return factor(a, 'luDecompose');
}

function factor(a: Matrix, routine: string): LuDecomposition {
  const n = a.rows;
  const out = a.clone();
  const data = out.data;
  let scale = 0;
  for (let index = 0; index < data.length; index++) scale = Math.max(scale, Math.abs(data[index]));
  const threshold = Math.max(n, 1) * Number.EPSILON * scale;
  const permutation = new Int32Array(n);
  for (let i = 0; i < n; i++) permutation[i] = i;
  let sign = 1;

  for (let start = 0; start < n; start += BLOCK) {
    const end = Math.min(n, start + BLOCK);
    // Factor the panel A[start:n, start:end] column by column (row-oriented updates).
    for (let k = start; k < end; k++) {
      let pivotRow = k;
      let pivotMagnitude = Math.abs(data[k * n + k]);
      for (let i = k + 1; i < n; i++) {
        const magnitude = Math.abs(data[i * n + k]);
        if (magnitude > pivotMagnitude) {
          pivotMagnitude = magnitude;
          pivotRow = i;
        }
      }
      if (!(pivotMagnitude > threshold)) {
        throw new TlkitError(
          'NUMERICAL_ERROR',
          `${routine}: the matrix is singular to working precision (largest pivot candidate in column ${k} is ${pivotMagnitude.toExponential(3)}). ` +
            `Remove linearly dependent rows/columns, or regularise it (add a small ridge λ·I to a Gram or kernel matrix).`,
          { argument: 'a', column: k, pivot: pivotMagnitude },
        );
      }
      if (pivotRow !== k) {
        swapRows(data, n, k, pivotRow);
        const swap = permutation[k];
        permutation[k] = permutation[pivotRow];
        permutation[pivotRow] = swap;
        sign = -sign;
      }
      const inversePivot = 1 / data[k * n + k];
      const rowK = k * n;
      for (let i = k + 1; i < n; i++) {
        const rowI = i * n;
        const multiplier = data[rowI + k] * inversePivot;
        data[rowI + k] = multiplier;
        if (multiplier === 0) continue;
        // Update only the panel's remaining columns; the rest waits for the blocked update.
        for (let j = k + 1; j < end; j++) data[rowI + j] -= multiplier * data[rowK + j];
      }
    }
    if (end < n) {
      // U12 = L11⁻¹ A12 (unit lower triangular solve on the block row).
      solveBlockRow(data, n, start, end);
      // A22 -= L21 U12
      gemmAccumulate(
        n - end,
        n - end,
        end - start,
        -1,
        { data, offset: end * n + start, rowStride: n, colStride: 1 },
        { data, offset: start * n + end, rowStride: n, colStride: 1 },
        data,
        end * n + end,
        n,
      );
    }
  }
  return { lu: out, permutation, permutationSign: sign };
}

/** In place: A[start:end, end:n] ← L11⁻¹ A[start:end, end:n], L11 unit lower from the panel. */
function solveBlockRow(data: Float64Array, n: number, start: number, end: number): void {
  for (let i = start + 1; i < end; i++) {
    const rowI = i * n;
    for (let p = start; p < i; p++) {
      const factorValue = data[rowI + p];
      if (factorValue === 0) continue;
      const rowP = p * n;
      for (let j = end; j < n; j++) data[rowI + j] -= factorValue * data[rowP + j];
    }
  }
}

function swapRows(data: Float64Array, n: number, first: number, second: number): void {
  const a = first * n;
  const b = second * n;
  for (let j = 0; j < n; j++) {
    const swap = data[a + j];
    data[a + j] = data[b + j];
    data[b + j] = swap;
  }
}

/**
 * Solves `A X = B` from an {@link LuDecomposition} of `A`.
 *
 * @param decomposition - the result of {@link luDecompose}.
 * @param b - an `n x m` matrix of right-hand sides, or one right-hand side as a vector.
 * @returns `X` with the shape of `b`.
 * @throws TlkitError `DIMENSION_MISMATCH` when `b` does not have `n` rows.
 * @example
 * ```ts
 * const factors = luDecompose(Matrix.fromRows([[1, 2], [3, 4]]));
 * luSolve(factors, [5, 11]); // Float64Array [1, 2]
 * ```
 */
export function luSolve(decomposition: LuDecomposition, b: Matrix): Matrix;
export function luSolve(decomposition: LuDecomposition, b: ArrayLike<number>): Float64Array;
export function luSolve(decomposition: LuDecomposition, b: Matrix | ArrayLike<number>): Matrix | Float64Array {
  const { lu, permutation } = decomposition;
  requireMatrix(lu, 'decomposition.lu', 'luSolve');
  const n = lu.rows;
  const isMatrix = b instanceof Matrix;
  const rows = isMatrix ? b.rows : b.length;
  if (rows !== n || permutation.length !== n) {
    throw new TlkitError(
      'DIMENSION_MISMATCH',
      `luSolve: the factorisation is ${n} x ${n} but b has ${rows} rows; b needs one row per row of a.`,
      { argument: 'b' },
    );
  }
  const columns = isMatrix ? b.cols : 1;
  const source = isMatrix ? b.data : b;
  const x = new Float64Array(n * columns);
  for (let i = 0; i < n; i++) {
    const from = permutation[i] * columns;
    for (let j = 0; j < columns; j++) x[i * columns + j] = source[from + j];
  }
  triangularSolveInPlace(lu.data, n, true, false, true, x, columns);
  triangularSolveInPlace(lu.data, n, false, false, false, x, columns);
  return isMatrix ? new Matrix(n, columns, x) : x;
}

/**
 * Solves the square linear system `A X = B` by LU factorisation with partial pivoting. For a
 * symmetric positive definite `A`, {@link cholesky} + {@link choleskySolve} is about twice as fast.
 *
 * Reference: Golub & Van Loan, Matrix Computations, 4th ed., §3.4.
 *
 * @param a - a square `n x n` matrix.
 * @param b - an `n x m` matrix of right-hand sides, or one right-hand side as a vector.
 * @returns `X = A⁻¹ B` with the shape of `b` (a Matrix, or a Float64Array for a vector).
 * @throws TlkitError `NUMERICAL_ERROR` when `a` is singular to working precision;
 *   `DIMENSION_MISMATCH` on incompatible shapes; `NON_FINITE_INPUT` on NaN/Infinity.
 * @example
 * ```ts
 * solve(Matrix.fromRows([[1, 2], [3, 4]]), [5, 11]); // Float64Array [1, 2]
 * ```
 */
export function solve(a: Matrix, b: Matrix): Matrix;
export function solve(a: Matrix, b: ArrayLike<number>): Float64Array;
export function solve(a: Matrix, b: Matrix | ArrayLike<number>): Matrix | Float64Array {
  requireMatrix(a, 'a', 'solve');
  requireSquare(a, 'a', 'solve');
  const rows = b instanceof Matrix ? b.rows : b?.length;
  if (rows !== a.rows) {
    throw new TlkitError(
      'DIMENSION_MISMATCH',
      `solve: a is ${a.rows} x ${a.cols} but b has ${String(rows)} rows; b needs one row per row of a.`,
      { argument: 'b' },
    );
  }
  requireFinite(a.data, 'a', 'solve');
  requireFinite(b instanceof Matrix ? b.data : b, 'b', 'solve');
  const decomposition = factor(a, 'solve');
  return b instanceof Matrix ? luSolve(decomposition, b) : luSolve(decomposition, b);
}

/**
 * The inverse `A⁻¹` (via LU with partial pivoting). Prefer {@link solve} when you only need
 * `A⁻¹ B`: it is cheaper and more accurate.
 *
 * @param a - a square non-singular `n x n` matrix.
 * @returns a new `n x n` matrix.
 * @throws TlkitError `NUMERICAL_ERROR` when `a` is singular to working precision.
 * @example
 * ```ts
 * inverse(Matrix.fromRows([[2, 0], [0, 4]])).toRows(); // [[0.5, 0], [0, 0.25]]
 * ```
 */
export function inverse(a: Matrix): Matrix {
  requireMatrix(a, 'a', 'inverse');
  requireSquare(a, 'a', 'inverse');
  requireFinite(a.data, 'a', 'inverse');
  return luSolve(factor(a, 'inverse'), Matrix.identity(a.rows));
}
