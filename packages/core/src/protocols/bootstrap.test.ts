import { describe, expect, it } from 'vitest';
import { isTlkitError } from '../errors';
import { accuracy } from '../metrics/classification';
import { createRng } from '../rng';
import { bootstrapConfidenceInterval } from './bootstrap';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return isTlkitError(error) ? error.code : `not a TlkitError: ${String(error)}`;
  }
  return undefined;
}

const mean = (values: Float64Array) => values.reduce((a, b) => a + b, 0) / values.length;

describe('bootstrapConfidenceInterval', () => {
  const rng = createRng(21);
  const values = Float64Array.from({ length: 200 }, () => 3 + 2 * rng.normal());
  const sampleMean = values.reduce((a, b) => a + b, 0) / values.length;
  const populationStd = Math.sqrt(values.reduce((a, b) => a + (b - sampleMean) ** 2, 0) / values.length);
  // Closed form: the bootstrap distribution of the mean has standard deviation σ̂/√n (σ̂ with divisor n).
  const exactStandardError = populationStd / Math.sqrt(values.length);

  it('for the mean: SE ≈ σ̂/√n and the 95% interval ≈ mean ± 1.96 SE', () => {
    const interval = bootstrapConfidenceInterval(values, mean, { resamples: 4000, seed: 5 });
    expect(interval.estimate).toBeCloseTo(sampleMean, 12);
    expect(Math.abs(interval.standardError / exactStandardError - 1)).toBeLessThan(0.05);
    expect(Math.abs(interval.bootstrapMean - sampleMean)).toBeLessThan(0.1 * exactStandardError);
    expect(Math.abs(interval.lower - (sampleMean - 1.959964 * exactStandardError))).toBeLessThan(0.15 * exactStandardError);
    expect(Math.abs(interval.upper - (sampleMean + 1.959964 * exactStandardError))).toBeLessThan(0.15 * exactStandardError);
  });

  it('the ends are the interpolated percentiles of the sorted replicates', () => {
    const interval = bootstrapConfidenceInterval(values, mean, {
      resamples: 1000,
      level: 0.9,
      seed: 2,
      returnReplicates: true,
    });
    const replicates = interval.replicates as Float64Array;
    expect(replicates).toHaveLength(1000);
    // (B - 1) * 0.05 = 49.95 and (B - 1) * 0.95 = 949.05
    expect(interval.lower).toBeCloseTo(replicates[49] + 0.95 * (replicates[50] - replicates[49]), 14);
    expect(interval.upper).toBeCloseTo(replicates[949] + 0.05 * (replicates[950] - replicates[949]), 14);
    let sum = 0;
    for (const value of replicates) sum += value;
    expect(interval.bootstrapMean).toBeCloseTo(sum / 1000, 12);
  });

  it('constant data give a degenerate interval', () => {
    const interval = bootstrapConfidenceInterval([4, 4, 4, 4], mean, { resamples: 50 });
    expect([interval.lower, interval.estimate, interval.upper, interval.standardError]).toEqual([4, 4, 4, 0]);
  });

  it('paired data stay paired: accuracy replicates are multiples of 1/n, and exact predictions give [1, 1]', () => {
    const yTrue = [0, 1, 1, 0, 2, 2, 1, 0, 1, 2];
    const yPred = [0, 1, 0, 0, 2, 1, 1, 0, 1, 2];
    const interval = bootstrapConfidenceInterval({ yTrue, yPred }, accuracy, { resamples: 300, returnReplicates: true, seed: 1 });
    expect(interval.estimate).toBe(0.8);
    for (const value of interval.replicates as Float64Array) expect(Math.abs(value * 10 - Math.round(value * 10))).toBeLessThan(1e-12);
    const exact = bootstrapConfidenceInterval({ yTrue, yPred: yTrue }, accuracy, { resamples: 100 });
    expect([exact.lower, exact.upper]).toEqual([1, 1]);
  });

  it('is deterministic per seed', () => {
    const first = bootstrapConfidenceInterval(values, mean, { resamples: 200, seed: 8 });
    expect(bootstrapConfidenceInterval(values, mean, { resamples: 200, seed: 8 })).toEqual(first);
    expect(bootstrapConfidenceInterval(values, mean, { resamples: 200, seed: 9 }).lower).not.toBe(first.lower);
  });

  it('typed errors', () => {
    expect(codeOf(() => bootstrapConfidenceInterval([], mean))).toBe('EMPTY_DOMAIN');
    expect(codeOf(() => bootstrapConfidenceInterval([1, Number.NaN], mean))).toBe('NON_FINITE_INPUT');
    expect(codeOf(() => bootstrapConfidenceInterval({ yTrue: [0, 1], yPred: [0] }, accuracy))).toBe('DIMENSION_MISMATCH');
    expect(codeOf(() => bootstrapConfidenceInterval([1, 2], mean, { level: 95 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => bootstrapConfidenceInterval([1, 2], mean, { resamples: 1 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => bootstrapConfidenceInterval([1, 2], () => Number.NaN))).toBe('NUMERICAL_ERROR');
  });
});
