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
  // Fast pass without branches: x · 0 is NaN exactly when x is NaN or ±Infinity.
  const length = values.length;
  let sum0 = 0;
  let sum1 = 0;
  let index = 0;
  for (; index + 1 < length; index += 2) {
    sum0 += values[index] * 0;
    sum1 += values[index + 1] * 0;
  }
  if (index < length) sum0 += values[index] * 0;
  if (sum0 + sum1 === 0) return;
  throwNonFinite(values, argument, routine);
}

/** Finds the first non-finite value and throws `NON_FINITE_INPUT` naming it. */
function throwNonFinite(values: ArrayLike<number>, argument: string, routine: string): never {
  let index = 0;
  while (index < values.length && values[index] - values[index] === 0) index++;
  const value = values[index];
  throw new TlkitError(
    'NON_FINITE_INPUT',
    `${routine}: ${argument} holds a non-finite value (${value}) at flat index ${index}; remove or impute NaN/Infinity first.`,
    { argument, index },
  );
}

/**
 * Throws `INVALID_ARGUMENT` unless `matrix` is symmetric to within `relativeTolerance` times its
 * largest absolute entry. @internal
 */
export function requireSymmetric(matrix: Matrix, argument: string, routine: string, relativeTolerance = 1e-8): void {
  const { largest, asymmetry } = symmetryScan(matrix);
  checkSymmetry(matrix, argument, routine, relativeTolerance, largest, asymmetry);
}

/**
 * {@link requireFinite} for every `[matrix, argument]` entry, then {@link requireSymmetric} for
 * every entry (the same errors in the same order as calling them so), with one tiled pass over
 * each matrix. @internal
 */
export function requireFiniteSymmetric(
  entries: readonly (readonly [Matrix, string])[],
  routine: string,
  relativeTolerance = 1e-8,
): void {
  const scans = entries.map(([matrix]) => symmetryScan(matrix));
  entries.forEach(([matrix, argument], index) => {
    if (!scans[index].finite) throwNonFinite(matrix.data, argument, routine);
  });
  entries.forEach(([matrix, argument], index) => {
    checkSymmetry(matrix, argument, routine, relativeTolerance, scans[index].largest, scans[index].asymmetry);
  });
}

/**
 * Largest |entry|, largest |a_ij − a_ji| and whether every entry is finite, visiting each pair
 * (i, j), (j, i) together in 32 x 32 tiles so the transposed reads stay in cache. Non-finite
 * entries make `finite` false (the other two are then meaningless).
 */
function symmetryScan(matrix: Matrix): { largest: number; asymmetry: number; finite: boolean } {
  const n = matrix.rows;
  const data = matrix.data;
  let largest = 0;
  let asymmetry = 0;
  let poison = 0; // Σ x · 0: NaN iff some x is NaN or ±Infinity
  const tile = 32;
  for (let rowStart = 0; rowStart < n; rowStart += tile) {
    const rowEnd = Math.min(n, rowStart + tile);
    for (let columnStart = rowStart; columnStart < n; columnStart += tile) {
      const columnEnd = Math.min(n, columnStart + tile);
      for (let i = rowStart; i < rowEnd; i++) {
        const row = i * n;
        for (let j = Math.max(columnStart, i); j < columnEnd; j++) {
          const upper = data[row + j];
          const lower = data[j * n + i];
          poison += upper * 0 + lower * 0;
          const magnitude = Math.max(Math.abs(upper), Math.abs(lower));
          if (magnitude > largest) largest = magnitude;
          const difference = Math.abs(upper - lower);
          if (difference > asymmetry) asymmetry = difference;
        }
      }
    }
  }
  return { largest, asymmetry, finite: poison === 0 };
}

function checkSymmetry(
  matrix: Matrix,
  argument: string,
  routine: string,
  relativeTolerance: number,
  largest: number,
  asymmetry: number,
): void {
  const limit = relativeTolerance * (largest === 0 ? 1 : largest);
  if (!(asymmetry > limit)) return;
  // Name the first offending pair (row-major order of the upper triangle).
  const n = matrix.rows;
  const data = matrix.data;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
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
