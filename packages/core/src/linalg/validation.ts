/**
 * Argument checks shared by the linear-algebra routines. Every check runs before any compute and
 * throws a {@link TlkitError} that names the argument and says how to fix it.
 * @internal
 */
import { TlkitError } from '../errors';
import { Matrix } from '../matrix';

/** Throws `INVALID_ARGUMENT` unless `value` is a {@link Matrix}. @internal */
export function requireMatrix(value: unknown, argument: string, routine: string): asserts value is Matrix {
  if (!(value instanceof Matrix)) {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `${routine}: ${argument} must be a Matrix (row-major Float64Array); build one with new Matrix(rows, cols, data) or Matrix.fromRows(...).`,
      { argument },
    );
  }
}

/** Throws `DIMENSION_MISMATCH` unless `matrix` is square. @internal */
export function requireSquare(matrix: Matrix, argument: string, routine: string): void {
  if (matrix.rows !== matrix.cols) {
    throw new TlkitError(
      'DIMENSION_MISMATCH',
      `${routine}: ${argument} must be square, got ${matrix.rows} x ${matrix.cols}.`,
      { argument, rows: matrix.rows, cols: matrix.cols },
    );
  }
}

/** Throws `NON_FINITE_INPUT` if any value is NaN or ±Infinity. @internal */
export function requireFinite(values: ArrayLike<number>, argument: string, routine: string): void {
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    if (value - value !== 0) {
      throw new TlkitError(
        'NON_FINITE_INPUT',
        `${routine}: ${argument} holds a non-finite value (${value}) at flat index ${index}; remove or impute NaN/Infinity first.`,
        { argument, index },
      );
    }
  }
}

/**
 * Throws `INVALID_ARGUMENT` unless `matrix` is symmetric to within `relativeTolerance` times its
 * largest absolute entry. @internal
 */
export function requireSymmetric(matrix: Matrix, argument: string, routine: string, relativeTolerance = 1e-8): void {
  const n = matrix.rows;
  const data = matrix.data;
  let scale = 0;
  for (let index = 0; index < data.length; index++) {
    const magnitude = Math.abs(data[index]);
    if (magnitude > scale) scale = magnitude;
  }
  const limit = relativeTolerance * (scale === 0 ? 1 : scale);
  // Compare in 32 x 32 tiles so the transposed reads stay in cache.
  const tile = 32;
  for (let rowStart = 0; rowStart < n; rowStart += tile) {
    for (let columnStart = rowStart; columnStart < n; columnStart += tile) {
      const rowEnd = Math.min(n, rowStart + tile);
      const columnEnd = Math.min(n, columnStart + tile);
      for (let i = rowStart; i < rowEnd; i++) {
        for (let j = Math.max(columnStart, i + 1); j < columnEnd; j++) {
          const difference = Math.abs(data[i * n + j] - data[j * n + i]);
          if (difference > limit) {
            throw new TlkitError(
              'INVALID_ARGUMENT',
              `${routine}: ${argument} must be symmetric, but entries (${i}, ${j}) and (${j}, ${i}) differ by ${difference.toExponential(3)}; symmetrise it first, e.g. (A + Aᵀ) / 2.`,
              { argument, row: i, column: j },
            );
          }
        }
      }
    }
  }
}

/** Throws `INVALID_ARGUMENT` unless `value` is an integer in `[min, max]`. @internal */
export function requireInteger(value: unknown, argument: string, routine: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `${routine}: ${argument} must be an integer in [${min}, ${max}], got ${String(value)}.`,
      { argument, value, min, max },
    );
  }
}

/** Throws `INVALID_ARGUMENT` unless `value` is a finite number `> 0` (or `>= 0` when `allowZero`). @internal */
export function requirePositive(value: unknown, argument: string, routine: string, allowZero = false): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `${routine}: ${argument} must be a finite number ${allowZero ? '>= 0' : '> 0'}, got ${String(value)}.`,
      { argument, value },
    );
  }
}
