import { toMatrix, type MatrixInput } from '../data';
import { TlkitError } from '../errors';
import type { Matrix } from '../matrix';

/**
 * Argument checks shared by the kernel and discrepancy modules; each runs before any compute.
 * @internal
 */

/**
 * Converts to a float64 {@link Matrix} (checking finiteness; these helpers compute in float64, so
 * values beyond float32's range are fine) and rejects an empty one. @internal
 */
export function readMatrix(input: MatrixInput, argument: string): Matrix {
  if (input === null || input === undefined) {
    throw new TlkitError('INVALID_ARGUMENT', `${argument} is missing; pass a Matrix, an array of rows or a tensor.`, {
      argument,
    });
  }
  const { matrix } = toMatrix(input, argument, { float32Range: false });
  if (matrix.rows === 0) {
    throw new TlkitError('EMPTY_DOMAIN', `${argument} has no rows; pass at least one sample.`, { argument });
  }
  if (matrix.cols === 0) {
    throw new TlkitError('INVALID_ARGUMENT', `${argument} has no columns; every sample needs at least one feature.`, {
      argument,
    });
  }
  return matrix;
}

/** Throws `DIMENSION_MISMATCH` unless both matrices have the same number of columns. @internal */
export function checkSameColumns(first: Matrix, second: Matrix, firstName: string, secondName: string): void {
  if (first.cols !== second.cols) {
    throw new TlkitError(
      'DIMENSION_MISMATCH',
      `${secondName} has ${second.cols} features but ${firstName} has ${first.cols}; both must share one feature space.`,
      { argument: secondName, expected: first.cols, actual: second.cols },
    );
  }
}

/** Throws `INVALID_ARGUMENT` unless `value` is a finite number > 0. @internal */
export function checkPositive(value: unknown, argument: string, hint = ''): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `${argument} must be a finite number > 0, got ${String(value)}.${hint ? ` ${hint}` : ''}`,
      { argument },
    );
  }
}
