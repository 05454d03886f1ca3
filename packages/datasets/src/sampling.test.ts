import { isTlkitError } from '@tlkit/core';
import { describe, expect, it } from 'vitest';
import { sampleLabeledPerClass } from './sampling';

describe('sampleLabeledPerClass', () => {
  // 3 classes with 5, 7 and 4 rows, interleaved
  const y = Int32Array.from([0, 1, 2, 1, 0, 1, 2, 0, 1, 1, 2, 0, 1, 2, 0, 1]);

  it('draws exactly perClass rows of each class; labeled and rest are disjoint, sorted and cover all rows', () => {
    const { labeled, rest } = sampleLabeledPerClass(y, 3, 11);
    const counts = [0, 0, 0];
    for (const row of labeled) counts[y[row]]++;
    expect(counts).toEqual([3, 3, 3]);
    expect(labeled.length + rest.length).toBe(y.length);
    const all = [...labeled, ...rest].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: y.length }, (_, i) => i));
    expect(Array.from(labeled)).toEqual([...labeled].sort((a, b) => a - b));
    expect(Array.from(rest)).toEqual([...rest].sort((a, b) => a - b));
  });

  it('is deterministic for a seed and varies with the seed', () => {
    const first = sampleLabeledPerClass(y, 2, 5);
    const again = sampleLabeledPerClass(y, 2, 5);
    expect(first.labeled).toEqual(again.labeled);
    const draws = new Set<string>();
    for (let seed = 0; seed < 20; seed++) draws.add(sampleLabeledPerClass(y, 2, seed).labeled.join(','));
    expect(draws.size).toBeGreaterThan(10);
  });

  it('draws each row of a class about equally often (uniform within the class)', () => {
    const hits = new Array<number>(y.length).fill(0);
    const trials = 3000;
    for (let seed = 0; seed < trials; seed++) for (const row of sampleLabeledPerClass(y, 1, seed).labeled) hits[row]++;
    // class c has n_c rows, each drawn with probability 1/n_c per trial; 5 standard deviations of slack
    const sizes = [5, 7, 4];
    hits.forEach((count, row) => {
      const p = 1 / sizes[y[row]];
      expect(Math.abs(count - trials * p)).toBeLessThan(5 * Math.sqrt(trials * p * (1 - p)));
    });
  });

  it('rejects a class with too few samples with TOO_FEW_SAMPLES naming it, and bad arguments', () => {
    try {
      sampleLabeledPerClass(y, 5, 0);
      expect.unreachable();
    } catch (error) {
      expect(isTlkitError(error, 'TOO_FEW_SAMPLES')).toBe(true);
      expect((error as Error).message).toContain('class 2 has 4 samples');
    }
    const codeOf = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return isTlkitError(error) ? error.code : 'other';
      }
      return undefined;
    };
    expect(codeOf(() => sampleLabeledPerClass(y, 1, 0, 4))).toBe('TOO_FEW_SAMPLES'); // class 3 is empty
    expect(codeOf(() => sampleLabeledPerClass(y, 0, 0))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => sampleLabeledPerClass(y, 1, 0.5))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => sampleLabeledPerClass([0, -1], 1, 0))).toBe('LABEL_OUT_OF_RANGE');
  });
});
