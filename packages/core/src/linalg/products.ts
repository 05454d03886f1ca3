/**
 * Dense float64 matrix products on {@link Matrix}: `AB`, `AᵀB`, `ABᵀ`, `Aᵀ A`, `Ax`, `Aᵀx`.
 *
 * All matrix–matrix products run through one packed, cache-blocked kernel with a 4 x 4 register
 * tile (see `gemm.ts`; after Goto & van de Geijn, ACM TOMS 34(3), 2008), so transposed operands
 * are as fast as plain ones. Measured figures: `apps/demo/src/bench/linalg.ts`.
 */
import { TlkitError } from '../errors';
import { Matrix } from '../matrix';
import { gemmAccumulate, rowMajorView } from './gemm';
import { requireMatrix } from './validation';

function mismatch(routine: string, detail: string, details: Record<string, unknown>): TlkitError {
  return new TlkitError('DIMENSION_MISMATCH', `${routine}: ${detail}`, details);
}

/**
 * The matrix product `A B`.
 *
 * @param a - an `m x k` matrix.
 * @param b - a `k x n` matrix.
 * @returns a new `m x n` matrix.
 * @throws TlkitError `DIMENSION_MISMATCH` when `a.cols !== b.rows`.
 * @example
 * ```ts
 * matmul(Matrix.fromRows([[1, 2]]), Matrix.fromRows([[3], [4]])).get(0, 0); // 11
 * ```
 */
export function matmul(a: Matrix, b: Matrix): Matrix {
  requireMatrix(a, 'a', 'matmul');
  requireMatrix(b, 'b', 'matmul');
  if (a.cols !== b.rows) {
    throw mismatch('matmul', `a is ${a.rows} x ${a.cols} and b is ${b.rows} x ${b.cols}; a.cols must equal b.rows.`, {
      argument: 'b',
    });
  }
  const out = new Matrix(a.rows, b.cols);
  gemmAccumulate(a.rows, b.cols, a.cols, 1, rowMajorView(a.data, a.cols), rowMajorView(b.data, b.cols), out.data, 0, b.cols);
  return out;
}

/**
 * The product `Aᵀ B` without forming `Aᵀ`.
 *
 * @param a - a `k x m` matrix.
 * @param b - a `k x n` matrix (same number of rows as `a`).
 * @returns a new `m x n` matrix.
 * @throws TlkitError `DIMENSION_MISMATCH` when `a.rows !== b.rows`.
 * @example
 * ```ts
 * matmulTransposeA(Matrix.fromRows([[1], [2]]), Matrix.fromRows([[3], [4]])).get(0, 0); // 11
 * ```
 */
export function matmulTransposeA(a: Matrix, b: Matrix): Matrix {
  requireMatrix(a, 'a', 'matmulTransposeA');
  requireMatrix(b, 'b', 'matmulTransposeA');
  if (a.rows !== b.rows) {
    throw mismatch(
      'matmulTransposeA',
      `a is ${a.rows} x ${a.cols} and b is ${b.rows} x ${b.cols}; aᵀb needs a.rows === b.rows.`,
      { argument: 'b' },
    );
  }
  const out = new Matrix(a.cols, b.cols);
  gemmAccumulate(a.cols, b.cols, a.rows, 1, rowMajorView(a.data, a.cols, true), rowMajorView(b.data, b.cols), out.data, 0, b.cols);
  return out;
}

/**
 * The product `A Bᵀ` without forming `Bᵀ`.
 *
 * @param a - an `m x k` matrix.
 * @param b - an `n x k` matrix (same number of columns as `a`).
 * @returns a new `m x n` matrix.
 * @throws TlkitError `DIMENSION_MISMATCH` when `a.cols !== b.cols`.
 * @example
 * ```ts
 * matmulTransposeB(Matrix.fromRows([[1, 2]]), Matrix.fromRows([[3, 4]])).get(0, 0); // 11
 * ```
 */
export function matmulTransposeB(a: Matrix, b: Matrix): Matrix {
  requireMatrix(a, 'a', 'matmulTransposeB');
  requireMatrix(b, 'b', 'matmulTransposeB');
  if (a.cols !== b.cols) {
    throw mismatch(
      'matmulTransposeB',
      `a is ${a.rows} x ${a.cols} and b is ${b.rows} x ${b.cols}; abᵀ needs a.cols === b.cols.`,
      { argument: 'b' },
    );
  }
  const out = new Matrix(a.rows, b.rows);
  gemmAccumulate(a.rows, b.rows, a.cols, 1, rowMajorView(a.data, a.cols), rowMajorView(b.data, b.cols, true), out.data, 0, b.rows);
  return out;
}

/**
 * The Gram matrix `Aᵀ A` (symmetric, `d x d` for an `n x d` input). Only the upper triangle is
 * computed and then mirrored, so it costs about half of `matmulTransposeA(a, a)` and is exactly
 * symmetric.
 *
 * @param a - an `n x d` matrix.
 * @returns a new symmetric `d x d` matrix.
 * @example
 * ```ts
 * gram(Matrix.fromRows([[1, 2], [3, 4]])).toRows(); // [[10, 14], [14, 20]]
 * ```
 */
export function gram(a: Matrix): Matrix {
  requireMatrix(a, 'a', 'gram');
  const d = a.cols;
  const out = new Matrix(d, d);
  gemmAccumulate(d, d, a.rows, 1, rowMajorView(a.data, d, true), rowMajorView(a.data, d), out.data, 0, d, true);
  mirrorUpperToLower(out.data, d);
  return out;
}

/** Copies the strict upper triangle of a row-major `n x n` array onto its lower triangle. @internal */
export function mirrorUpperToLower(data: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) {
    const row = i * n;
    for (let j = 0; j < i; j++) data[row + j] = data[j * n + i];
  }
}

/**
 * The matrix–vector product `A x`.
 *
 * @param a - an `m x n` matrix.
 * @param x - a vector of length `n`.
 * @returns a new Float64Array of length `m`.
 * @throws TlkitError `DIMENSION_MISMATCH` when `x.length !== a.cols`.
 * @example
 * ```ts
 * matvec(Matrix.fromRows([[1, 2], [3, 4]]), [1, 1]); // Float64Array [3, 7]
 * ```
 */
export function matvec(a: Matrix, x: ArrayLike<number>): Float64Array {
  requireMatrix(a, 'a', 'matvec');
  if (x.length !== a.cols) {
    throw mismatch('matvec', `a is ${a.rows} x ${a.cols} but x has length ${x.length}; x.length must equal a.cols.`, {
      argument: 'x',
    });
  }
  const out = new Float64Array(a.rows);
  matvecInto(a.data, a.rows, a.cols, x, out);
  return out;
}

/**
 * The product `Aᵀ x` without forming `Aᵀ`.
 *
 * @param a - an `m x n` matrix.
 * @param x - a vector of length `m`.
 * @returns a new Float64Array of length `n`.
 * @throws TlkitError `DIMENSION_MISMATCH` when `x.length !== a.rows`.
 * @example
 * ```ts
 * matvecTranspose(Matrix.fromRows([[1, 2], [3, 4]]), [1, 1]); // Float64Array [4, 6]
 * ```
 */
export function matvecTranspose(a: Matrix, x: ArrayLike<number>): Float64Array {
  requireMatrix(a, 'a', 'matvecTranspose');
  if (x.length !== a.rows) {
    throw mismatch(
      'matvecTranspose',
      `a is ${a.rows} x ${a.cols} but x has length ${x.length}; x.length must equal a.rows.`,
      { argument: 'x' },
    );
  }
  const { rows, cols, data } = a;
  const out = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const scale = x[i];
    if (scale === 0) continue;
    const offset = i * cols;
    for (let j = 0; j < cols; j++) out[j] += scale * data[offset + j];
  }
  return out;
}

/** `out = A x` for a row-major `rows x cols` array (no checks). @internal */
export function matvecInto(
  data: Float64Array,
  rows: number,
  cols: number,
  x: ArrayLike<number>,
  out: Float64Array,
): void {
  for (let i = 0; i < rows; i++) {
    const offset = i * cols;
    let sum0 = 0;
    let sum1 = 0;
    let j = 0;
    for (; j + 1 < cols; j += 2) {
      sum0 += data[offset + j] * x[j];
      sum1 += data[offset + j + 1] * x[j + 1];
    }
    if (j < cols) sum0 += data[offset + j] * x[j];
    out[i] = sum0 + sum1;
  }
}
