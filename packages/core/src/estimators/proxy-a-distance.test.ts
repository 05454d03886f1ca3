import { describe, expect, it } from 'vitest';
import { Matrix } from '../matrix';
import { createRng } from '../rng';
import { proxyADistance } from './proxy-a-distance';

function gaussian(seed: number, n: number, d: number, shift: number): Matrix {
  const rng = createRng(seed);
  const X = new Matrix(n, d);
  for (let index = 0; index < X.data.length; index++) X.data[index] = rng.normal() + (index % d === 0 ? shift : 0);
  return X;
}

describe('proxyADistance', () => {
  it('is exactly 2 for linearly separable domains (ε = 0), with either classifier', () => {
    const Xs = gaussian(1, 60, 4, -6);
    const Xt = gaussian(2, 50, 4, 6);
    for (const classifier of ['svm', 'logreg'] as const) {
      const result = proxyADistance(Xs, Xt, { classifier, seed: 3 });
      expect(result.error).toBe(0);
      expect(result.distance).toBe(2);
      expect(result.testSize).toBe(30 + 25);
      expect(result.trainSize).toBe(30 + 25);
    }
  });

  it('is about 0 for domains drawn from one distribution (mean over seeds)', () => {
    const distances: number[] = [];
    for (let seed = 0; seed < 12; seed++) {
      const Xs = gaussian(100 + seed, 80, 3, 0);
      const Xt = gaussian(200 + seed, 80, 3, 0);
      const { distance, error } = proxyADistance(Xs, Xt, { seed });
      expect(distance).toBeCloseTo(2 * (1 - 2 * error), 14);
      distances.push(distance);
    }
    const mean = distances.reduce((sum, value) => sum + value, 0) / distances.length;
    // Chance error is ½ (distance 0); the held-out error of 80 test rows has a standard deviation
    // of about √(¼/80) ≈ 0.056, i.e. 0.22 in distance per run and 0.065 for the mean of 12.
    expect(Math.abs(mean)).toBeLessThan(0.25);
  });

  it('grows with the shift between the domains', () => {
    const mean = (shift: number) => {
      let total = 0;
      for (let seed = 0; seed < 4; seed++) total += proxyADistance(gaussian(seed, 100, 2, 0), gaussian(50 + seed, 100, 2, shift), { seed }).distance;
      return total / 4;
    };
    const small = mean(0.5);
    const large = mean(2);
    expect(small).toBeGreaterThan(0);
    expect(large).toBeGreaterThan(small + 0.5);
    expect(large).toBeLessThanOrEqual(2);
  });

  it('uses balanced error so unequal domain sizes do not bias it', () => {
    // 200 vs 20 rows from one distribution: a majority-class guess has plain error ≈ 0.09 (distance
    // ≈ 1.6) but balanced error ½ (distance 0). Take the mean over seeds.
    let total = 0;
    for (let seed = 0; seed < 8; seed++) total += proxyADistance(gaussian(seed, 200, 2, 0), gaussian(90 + seed, 20, 2, 0), { seed }).distance;
    expect(Math.abs(total / 8)).toBeLessThan(0.5);
  });

  it('is deterministic for a seed', () => {
    const Xs = gaussian(1, 40, 3, 0.5);
    const Xt = gaussian(2, 40, 3, 0);
    expect(proxyADistance(Xs, Xt, { seed: 5 })).toEqual(proxyADistance(Xs, Xt, { seed: 5 }));
  });

  it('rejects bad input', () => {
    const Xs = gaussian(1, 10, 3, 0);
    expect(() => proxyADistance(Xs, gaussian(2, 10, 2, 0))).toThrow(/DIMENSION_MISMATCH/);
    expect(() => proxyADistance(Xs, gaussian(2, 1, 3, 0))).toThrow(/TOO_FEW_SAMPLES.*Xt/);
    expect(() => proxyADistance(Xs, Xs, { testFraction: 1 })).toThrow(/INVALID_CONFIG.*testFraction/);
    expect(() => proxyADistance(Xs, Xs, { classifier: 'tree' as never })).toThrow(/INVALID_CONFIG.*classifier/);
    expect(() => proxyADistance(Xs, Xs, { C: 0 })).toThrow(/INVALID_CONFIG.*\bC\b/);
  });
});
