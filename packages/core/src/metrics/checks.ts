import { TlkitError } from '../errors';

/**
 * Argument checks shared by the metrics, protocols and discrepancy modules. Every check runs
 * before any compute and throws a {@link TlkitError} whose message names the argument.
 * @internal
 */

/** Throws `INVALID_ARGUMENT` unless `values` is array-like (an array or a typed array). @internal */
export function checkArrayLike(values: unknown, argument: string): asserts values is ArrayLike<number> {
  if (
    values === null ||
    typeof values !== 'object' ||
    typeof (values as ArrayLike<number>).length !== 'number'
  ) {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `${argument} must be an array (or typed array) of numbers, got ${values === null ? 'null' : typeof values}.`,
      { argument },
    );
  }
}

/** Throws `EMPTY_DOMAIN` when `values` has no entries. @internal */
export function checkNonEmpty(values: ArrayLike<number>, argument: string): void {
  if (values.length === 0) {
    throw new TlkitError('EMPTY_DOMAIN', `${argument} is empty; pass at least one sample.`, { argument });
  }
}

/** Throws `DIMENSION_MISMATCH` when the two arrays differ in length. @internal */
export function checkSameLength(
  first: ArrayLike<unknown>,
  second: ArrayLike<unknown>,
  firstName: string,
  secondName: string,
): void {
  if (first.length !== second.length) {
    throw new TlkitError(
      'DIMENSION_MISMATCH',
      `${firstName} has ${first.length} entries but ${secondName} has ${second.length}; pass one entry per sample in both.`,
      { argument: secondName, expected: first.length, actual: second.length },
    );
  }
}

/** Throws `NON_FINITE_INPUT` at the first NaN or ±Infinity. @internal */
export function checkFiniteValues(values: ArrayLike<number>, argument: string): void {
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new TlkitError(
        'NON_FINITE_INPUT',
        `${argument}[${i}] = ${String(value)} is not a finite number; remove or impute NaN/Infinity first.`,
        { argument, index: i },
      );
    }
  }
}

/** Throws `INVALID_ARGUMENT` unless `numClasses` is an integer ≥ 2. @internal */
export function checkNumClasses(numClasses: unknown, argument = 'numClasses'): asserts numClasses is number {
  if (typeof numClasses !== 'number' || !Number.isInteger(numClasses) || numClasses < 2) {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `${argument} must be an integer ≥ 2 (the number of classes), got ${String(numClasses)}.`,
      { argument },
    );
  }
}

/**
 * Checks class labels: finite integers `≥ 0`, and below `numClasses` when it is given.
 * Throws `NON_FINITE_INPUT`, `LABEL_NOT_INTEGER` or `LABEL_OUT_OF_RANGE`. @internal
 */
export function checkClassLabels(values: ArrayLike<number>, argument: string, numClasses?: number): void {
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new TlkitError(
        'NON_FINITE_INPUT',
        `${argument}[${i}] = ${String(value)} is not a finite number; class labels must be integers 0..C-1.`,
        { argument, index: i },
      );
    }
    if (!Number.isInteger(value)) {
      throw new TlkitError(
        'LABEL_NOT_INTEGER',
        `${argument}[${i}] = ${value} is not an integer class id; class labels must be integers 0..C-1 (round or map them first).`,
        { argument, index: i },
      );
    }
    if (value < 0 || (numClasses !== undefined && value >= numClasses)) {
      const range = numClasses === undefined ? 'C-1' : String(numClasses - 1);
      throw new TlkitError(
        'LABEL_OUT_OF_RANGE',
        `${argument}[${i}] = ${value} is outside 0..${range}; labels must be 0-based class ids${
          numClasses === undefined ? '' : ` below numClasses = ${numClasses} (raise numClasses or fix the label)`
        }.`,
        { argument, index: i },
      );
    }
  }
}

/** Checks a `(yTrue, yPred)` pair of class labels: array-like, same non-zero length, valid labels. @internal */
export function checkLabelPair(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  numClasses?: number,
  names: readonly [string, string] = ['yTrue', 'yPred'],
): void {
  checkArrayLike(yTrue, names[0]);
  checkArrayLike(yPred, names[1]);
  checkNonEmpty(yTrue, names[0]);
  checkSameLength(yTrue, yPred, names[0], names[1]);
  checkClassLabels(yTrue, names[0], numClasses);
  checkClassLabels(yPred, names[1], numClasses);
}

/** Checks a `(yTrue, yPred)` pair of real targets: array-like, same non-zero length, finite. @internal */
export function checkValuePair(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  names: readonly [string, string] = ['yTrue', 'yPred'],
): void {
  checkArrayLike(yTrue, names[0]);
  checkArrayLike(yPred, names[1]);
  checkNonEmpty(yTrue, names[0]);
  checkSameLength(yTrue, yPred, names[0], names[1]);
  checkFiniteValues(yTrue, names[0]);
  checkFiniteValues(yPred, names[1]);
}
