import { checkValuePair } from './checks';

/**
 * Mean squared error `(1/n) Σ (yᵢ − ŷᵢ)²`.
 *
 * @param yTrue - true targets (finite numbers).
 * @param yPred - predictions, same length.
 * @throws TlkitError `DIMENSION_MISMATCH`, `EMPTY_DOMAIN`, `NON_FINITE_INPUT`.
 *
 * @example
 * ```ts
 * meanSquaredError([1, 2, 3], [1, 2, 5]); // 4/3
 * ```
 */
export function meanSquaredError(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkValuePair(yTrue, yPred);
  let sum = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const residual = yTrue[i] - yPred[i];
    sum += residual * residual;
  }
  return sum / yTrue.length;
}

/**
 * Mean absolute error `(1/n) Σ |yᵢ − ŷᵢ|`.
 *
 * @throws TlkitError `DIMENSION_MISMATCH`, `EMPTY_DOMAIN`, `NON_FINITE_INPUT`.
 *
 * @example
 * ```ts
 * meanAbsoluteError([1, 2, 3], [2, 2, 1]); // 1
 * ```
 */
export function meanAbsoluteError(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkValuePair(yTrue, yPred);
  let sum = 0;
  for (let i = 0; i < yTrue.length; i++) sum += Math.abs(yTrue[i] - yPred[i]);
  return sum / yTrue.length;
}

/**
 * Coefficient of determination `R² = 1 − SS_res / SS_tot`, with
 * `SS_res = Σ (yᵢ − ŷᵢ)²` and `SS_tot = Σ (yᵢ − ȳ)²` (e.g. Hastie, Tibshirani & Friedman,
 * *The Elements of Statistical Learning*, 2009). It can be negative (worse than predicting ȳ).
 *
 * **Constant `yTrue`** (`SS_tot = 0`, including n = 1): R² is undefined; by scikit-learn's
 * `force_finite` convention it is 1 when the predictions are exact (`SS_res = 0`) and 0 otherwise.
 *
 * @throws TlkitError `DIMENSION_MISMATCH`, `EMPTY_DOMAIN`, `NON_FINITE_INPUT`.
 *
 * @example
 * ```ts
 * r2Score([1, 2, 3], [1, 2, 3]); // 1
 * r2Score([1, 2, 3], [2, 2, 2]); // 0
 * ```
 */
export function r2Score(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkValuePair(yTrue, yPred);
  const n = yTrue.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += yTrue[i];
  mean /= n;
  let residualSum = 0;
  let totalSum = 0;
  for (let i = 0; i < n; i++) {
    const residual = yTrue[i] - yPred[i];
    const deviation = yTrue[i] - mean;
    residualSum += residual * residual;
    totalSum += deviation * deviation;
  }
  let constant = true;
  for (let i = 1; i < n && constant; i++) constant = yTrue[i] === yTrue[0];
  if (constant || totalSum === 0) return residualSum === 0 ? 1 : 0;
  return 1 - residualSum / totalSum;
}
