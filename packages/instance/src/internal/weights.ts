/**
 * Small facts about sample weights that several strategies report.
 *
 * @internal Not exported from the package.
 */

/** Kish's effective sample size `(Σw)² / Σw²` (n for uniform weights, 1 when one weight holds everything). */
export function effectiveSampleSize(weights: ArrayLike<number>): number {
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < weights.length; i++) {
    sum += weights[i];
    squares += weights[i] * weights[i];
  }
  return squares > 0 ? (sum * sum) / squares : 0;
}

/** Sum, mean, minimum and maximum. */
export function weightSummary(weights: ArrayLike<number>): { sum: number; mean: number; min: number; max: number } {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < weights.length; i++) {
    sum += weights[i];
    if (weights[i] < min) min = weights[i];
    if (weights[i] > max) max = weights[i];
  }
  return { sum, mean: weights.length ? sum / weights.length : 0, min, max };
}
