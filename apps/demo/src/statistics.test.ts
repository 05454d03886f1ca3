import { describe, expect, it } from 'vitest';
import { mean, standardDeviation } from './statistics';

describe('summary statistics', () => {
  it('reports identical per-seed results exactly, with a spread of 0', () => {
    const tenRuns = new Array<number>(10).fill(0.975);
    expect(mean(tenRuns)).toBe(0.975);
    expect(standardDeviation(tenRuns)).toBe(0);
  });

  it('gives the hand-computed mean and sample standard deviation', () => {
    // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, squared deviations sum to 32, 32 / 7.
    const values = [2, 4, 4, 4, 5, 5, 7, 9];
    expect(mean(values)).toBe(5);
    expect(standardDeviation(values)).toBeCloseTo(Math.sqrt(32 / 7), 15);
    expect(standardDeviation([3])).toBe(0);
    expect(mean([])).toBeNaN();
    // Non-finite values give what the plain sum gives, in any order.
    expect(mean([Infinity, 1])).toBe(Infinity);
    expect(mean([1, Infinity])).toBe(Infinity);
    expect(mean([Infinity, -Infinity])).toBeNaN();
    expect(mean([Number.NaN, 1])).toBeNaN();
  });
});
