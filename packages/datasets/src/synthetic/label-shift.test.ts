import { isTlkitError } from '@tlkit/core';
import { describe, expect, it } from 'vitest';
import { priorShift } from './label-shift';

function counts(y: Int32Array, numClasses: number): number[] {
  const out = new Array<number>(numClasses).fill(0);
  for (const label of y) out[label]++;
  return out;
}

describe('priorShift', () => {
  it('gives each part exactly the requested class proportions', () => {
    const task = priorShift({ nSource: 300, nTarget: 200, nTest: 50, targetPriors: [0.5, 0.3, 0.2], seed: 4 });
    expect(counts(task.source.y, 3)).toEqual([100, 100, 100]);
    expect(counts(task.target.y, 3)).toEqual([100, 60, 40]);
    expect(counts(task.targetTest.y, 3)).toEqual([25, 15, 10]);
    // largest-remainder rounding when n · π is not an integer: 200/3 → 67, 67, 66
    expect(counts(priorShift({ nSource: 200 }).source.y, 3)).toEqual([67, 67, 66]);
  });

  it('weights are π_t/π_s per class, and reweighting the source gives the target proportions', () => {
    const task = priorShift({ nSource: 300, sourcePriors: [0.2, 0.3, 0.5], targetPriors: [0.6, 0.3, 0.1], seed: 1 });
    expect(Array.from(task.truth.classWeights)).toEqual([0.6 / 0.2, 0.3 / 0.3, 0.1 / 0.5]);
    const weighted = [0, 0, 0];
    task.source.y.forEach((label, i) => {
      expect(task.truth.sourceWeights[i]).toBe(task.truth.classWeights[label]);
      weighted[label] += task.truth.sourceWeights[i] / 300;
    });
    weighted.forEach((share, label) => expect(share).toBeCloseTo([0.6, 0.3, 0.1][label], 12));
  });

  it('keeps p(x | y): class means in source and target are both m_c', () => {
    const task = priorShift({ nSource: 6000, nTarget: 6000, numClasses: 3, separation: 3, std: 1, seed: 2 });
    const means = task.truth.classMeans;
    expect(means.toRows()[1][0]).toBeCloseTo(3 * Math.cos((2 * Math.PI) / 3), 12);
    for (const part of [task.source, task.target]) {
      const sums = [new Float64Array(2), new Float64Array(2), new Float64Array(2)];
      const n = counts(part.y, 3);
      for (let i = 0; i < part.X.rows; i++) for (let j = 0; j < 2; j++) sums[part.y[i]][j] += part.X.get(i, j);
      for (let c = 0; c < 3; c++) {
        for (let j = 0; j < 2; j++) expect(Math.abs(sums[c][j] / n[c] - means.get(c, j))).toBeLessThan(5 / Math.sqrt(n[c]));
      }
    }
  });

  it('validates the priors', () => {
    const codeOf = (options: object) => {
      try {
        priorShift(options);
      } catch (error) {
        return isTlkitError(error) ? error.code : 'other';
      }
      return undefined;
    };
    expect(codeOf({ targetPriors: [0.5, 0.5] })).toBe('INVALID_ARGUMENT');
    expect(codeOf({ targetPriors: [0.5, 0.6, -0.1] })).toBe('INVALID_ARGUMENT');
    expect(codeOf({ targetPriors: [0.5, 0.3, 0.3] })).toBe('INVALID_ARGUMENT');
    expect(codeOf({ numClasses: 1 })).toBe('INVALID_ARGUMENT');
  });
});
