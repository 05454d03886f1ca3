/**
 * Input checks shared by the base estimators' low-level functions. Each check runs before any
 * compute and fails with a {@link TlkitError} whose message names the argument and the fix.
 *
 * @internal Not exported from the package.
 */
import { TlkitError } from '../errors';
import { Matrix } from '../matrix';

/** Checks that `X` is a non-empty {@link Matrix} of finite values. @internal */
export function checkFeatures(X: unknown, argument: string, function_: string): asserts X is Matrix {
  if (!(X instanceof Matrix)) {
    throw new TlkitError('INVALID_ARGUMENT', `${function_}: ${argument} must be a Matrix (use Matrix.fromRows(rows) or toMatrix(input)).`, {
      argument,
    });
  }
  if (X.rows === 0) {
    throw new TlkitError('EMPTY_DOMAIN', `${function_}: ${argument} has no rows; pass at least one sample.`, { argument });
  }
  if (X.cols === 0) {
    throw new TlkitError('INVALID_ARGUMENT', `${function_}: ${argument} has no columns; pass at least one feature.`, { argument });
  }
  const data = X.data;
  for (let index = 0; index < data.length; index++) {
    if (!Number.isFinite(data[index])) {
      throw new TlkitError(
        'NON_FINITE_INPUT',
        `${function_}: ${argument} has a non-finite value (${data[index]}) at row ${Math.floor(index / X.cols)}, column ${index % X.cols}; remove or impute it first.`,
        { argument, index },
      );
    }
  }
}

/** Checks that query features match the fitted feature count. @internal */
export function checkQuery(X: unknown, featureCount: number, function_: string): asserts X is Matrix {
  if (!(X instanceof Matrix)) {
    throw new TlkitError('INVALID_ARGUMENT', `${function_}: X must be a Matrix (use Matrix.fromRows(rows)).`, { argument: 'X' });
  }
  if (X.cols !== featureCount) {
    throw new TlkitError(
      'DIMENSION_MISMATCH',
      `${function_}: X has ${X.cols} features but the model was fitted on ${featureCount}; transform the query the same way as the training data.`,
      { argument: 'X', expected: featureCount, actual: X.cols },
    );
  }
}

/**
 * Checks classification labels (integers in `0..numClasses-1`, one per row) and returns them as
 * an `Int32Array` with the number of classes (given, or `max label + 1`, at least 2). @internal
 */
export function checkClassLabels(
  y: unknown,
  rows: number,
  numClasses: number | undefined,
  function_: string,
): { labels: Int32Array; numClasses: number } {
  if (!y || typeof y !== 'object' || typeof (y as ArrayLike<number>).length !== 'number') {
    throw new TlkitError('INVALID_ARGUMENT', `${function_}: y must be an array of class ids.`, { argument: 'y' });
  }
  const values = y as ArrayLike<number>;
  if (values.length !== rows) {
    throw new TlkitError(
      'DIMENSION_MISMATCH',
      `${function_}: y has ${values.length} labels but X has ${rows} rows; give one label per sample.`,
      { argument: 'y', expected: rows, actual: values.length },
    );
  }
  if (numClasses !== undefined && (!Number.isInteger(numClasses) || numClasses < 2)) {
    throw new TlkitError('INVALID_ARGUMENT', `${function_}: numClasses must be an integer ≥ 2, got ${numClasses}.`, {
      argument: 'numClasses',
    });
  }
  const labels = new Int32Array(rows);
  let maximum = 0;
  for (let i = 0; i < rows; i++) {
    const value = values[i];
    if (!Number.isInteger(value)) {
      throw new TlkitError(
        'LABEL_NOT_INTEGER',
        `${function_}: y[${i}] = ${value} is not an integer class id; classification labels must be integers 0..C-1 (use a regression estimator for real-valued targets).`,
        { argument: 'y', index: i },
      );
    }
    if (value < 0 || (numClasses !== undefined && value >= numClasses)) {
      throw new TlkitError(
        'LABEL_OUT_OF_RANGE',
        `${function_}: y[${i}] = ${value} is outside 0..${numClasses === undefined ? 'C-1' : numClasses - 1}; labels must be 0-based class ids.`,
        { argument: 'y', index: i },
      );
    }
    labels[i] = value;
    if (value > maximum) maximum = value;
  }
  return { labels, numClasses: numClasses ?? Math.max(2, maximum + 1) };
}

/** Checks regression targets (finite, one per row) and returns them as a `Float64Array`. @internal */
export function checkTargets(y: unknown, rows: number, function_: string): Float64Array {
  if (!y || typeof y !== 'object' || typeof (y as ArrayLike<number>).length !== 'number') {
    throw new TlkitError('INVALID_ARGUMENT', `${function_}: y must be an array of numbers.`, { argument: 'y' });
  }
  const values = y as ArrayLike<number>;
  if (values.length !== rows) {
    throw new TlkitError(
      'DIMENSION_MISMATCH',
      `${function_}: y has ${values.length} targets but X has ${rows} rows; give one target per sample.`,
      { argument: 'y', expected: rows, actual: values.length },
    );
  }
  const targets = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    if (!Number.isFinite(values[i])) {
      throw new TlkitError('NON_FINITE_INPUT', `${function_}: y[${i}] = ${values[i]} is not finite.`, { argument: 'y', index: i });
    }
    targets[i] = values[i];
  }
  return targets;
}

/**
 * Checks sample weights (finite, ≥ 0, one per row, not all 0) and returns them, or all ones when
 * absent. @internal
 */
export function checkSampleWeights(weights: unknown, rows: number, function_: string): Float64Array {
  if (weights === undefined) return new Float64Array(rows).fill(1);
  if (!weights || typeof weights !== 'object' || typeof (weights as ArrayLike<number>).length !== 'number') {
    throw new TlkitError('INVALID_ARGUMENT', `${function_}: weights must be an array of non-negative numbers.`, { argument: 'weights' });
  }
  const values = weights as ArrayLike<number>;
  if (values.length !== rows) {
    throw new TlkitError(
      'DIMENSION_MISMATCH',
      `${function_}: weights has ${values.length} entries but X has ${rows} rows; give one weight per sample.`,
      { argument: 'weights', expected: rows, actual: values.length },
    );
  }
  const out = new Float64Array(rows);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const value = values[i];
    if (!Number.isFinite(value) || value < 0) {
      throw new TlkitError('NON_FINITE_INPUT', `${function_}: weights[${i}] = ${value}; sample weights must be finite and ≥ 0.`, {
        argument: 'weights',
        index: i,
      });
    }
    out[i] = value;
    total += value;
  }
  if (!(total > 0)) {
    throw new TlkitError('INVALID_ARGUMENT', `${function_}: every sample weight is 0; at least one sample must have a positive weight.`, {
      argument: 'weights',
    });
  }
  return out;
}

/** Checks a positive finite number option. @internal */
export function checkPositive(value: unknown, argument: string, function_: string, allowZero = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new TlkitError(
      'INVALID_CONFIG',
      `${function_}: ${argument} must be a ${allowZero ? 'non-negative' : 'positive'} finite number, got ${String(value)}.`,
      { argument },
    );
  }
  return value;
}

/** Checks a positive integer option. @internal */
export function checkPositiveInteger(value: unknown, argument: string, function_: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TlkitError('INVALID_CONFIG', `${function_}: ${argument} must be a positive integer, got ${String(value)}.`, { argument });
  }
  return value;
}

/** Index of the largest entry of `values[offset .. offset+count)`; ties go to the lowest index. @internal */
export function argmax(values: Float64Array, offset: number, count: number): number {
  let best = 0;
  let bestValue = values[offset];
  for (let k = 1; k < count; k++) {
    const value = values[offset + k];
    if (value > bestValue) {
      bestValue = value;
      best = k;
    }
  }
  return best;
}

/**
 * Fails with `UNSUPPORTED_PROBLEM` unless the run has the supported problem type (the orchestrator checks
 * `needs.problems` first; this guards direct `doFit` calls). @internal
 */
export function requireProblem(actual: string, supported: 'classification' | 'regression', step: string): void {
  if (actual !== supported) {
    throw new TlkitError('UNSUPPORTED_PROBLEM', `'${step}' supports ${supported} only, but the task is ${actual}.`, { step });
  }
}
