/**
 * Mean and sample standard deviation of the per-seed results in a summary. Both work on the
 * values shifted by the first one, so seeds that all give the same figure report that figure
 * exactly with a spread of exactly 0 (summing ten 0.975s first gives a mean of 0.9749999999999999
 * and a spread of 1.2e-16).
 */

/** The arithmetic mean; `NaN` for no values. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const first = values[0] as number;
  // Shifting by an infinite first value would give ∞ − ∞; the plain sum is then the answer.
  if (!values.every(Number.isFinite)) return values.reduce((sum, value) => sum + value, 0) / values.length;
  return first + values.reduce((sum, value) => sum + (value - first), 0) / values.length;
}

/** The sample standard deviation (n − 1 in the denominator); 0 for fewer than two values. */
export function standardDeviation(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const average = mean(values);
  return Math.sqrt(values.reduce((sum, value) => sum + (value - average) ** 2, 0) / (values.length - 1));
}
