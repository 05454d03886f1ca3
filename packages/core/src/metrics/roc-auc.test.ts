import { describe, expect, it } from 'vitest';
import { isTlkitError } from '../errors';
import { Matrix } from '../matrix';
import { createRng } from '../rng';
import { rocAuc, rocAucOneVsRest } from './roc-auc';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return isTlkitError(error) ? error.code : `not a TlkitError: ${String(error)}`;
  }
  return undefined;
}

/** The definition: P(score_pos > score_neg) + ½ P(tie), by counting every pair. */
function pairCountAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  let credit = 0;
  let pairs = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 1) continue;
    for (let j = 0; j < labels.length; j++) {
      if (labels[j] !== 0) continue;
      pairs++;
      if (scores[i] > scores[j]) credit += 1;
      else if (scores[i] === scores[j]) credit += 0.5;
    }
  }
  return credit / pairs;
}

describe('rocAuc (binary)', () => {
  it('is 1 for a perfectly separating score, 0 for the reversed score, 0.5 for all ties', () => {
    const labels = [0, 0, 1, 0, 1, 1];
    const scores = [0.1, 0.2, 0.7, 0.3, 0.8, 0.9];
    expect(rocAuc(labels, scores)).toBe(1);
    expect(rocAuc(labels, scores.map((s) => -s))).toBe(0);
    expect(rocAuc(labels, [3, 3, 3, 3, 3, 3])).toBe(0.5);
  });

  it('hand-worked cases: 3 of 4 pairs ordered; a tie counts one half', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBe(0.75);
    // positives {0.5, 0.9}, negatives {0.5, 0.2}: pairs 0.5, 1, 1, 1 -> 3.5 / 4
    expect(rocAuc([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9])).toBe(0.875);
  });

  it('matches pair counting on random scores with many ties', () => {
    const rng = createRng(11);
    for (let trial = 0; trial < 5; trial++) {
      const n = 200;
      const labels = Array.from({ length: n }, () => (rng.float() < 0.4 ? 1 : 0));
      const scores = labels.map((label) => rng.int(12) + label * 3); // integer scores: heavy ties
      expect(rocAuc(labels, scores)).toBeCloseTo(pairCountAuc(labels, scores), 12);
    }
  });

  it('rejects a single class, non-binary labels, non-finite scores and length mismatch', () => {
    expect(codeOf(() => rocAuc([1, 1], [0.2, 0.3]))).toBe('TOO_FEW_SAMPLES');
    expect(codeOf(() => rocAuc([0, 2], [0.2, 0.3]))).toBe('LABEL_OUT_OF_RANGE');
    expect(codeOf(() => rocAuc([0, 1], [0.2, Number.POSITIVE_INFINITY]))).toBe('NON_FINITE_INPUT');
    expect(codeOf(() => rocAuc([0, 1], [0.2]))).toBe('DIMENSION_MISMATCH');
    expect(codeOf(() => rocAuc([], []))).toBe('EMPTY_DOMAIN');
  });
});

describe('rocAucOneVsRest', () => {
  it('hand-worked 3-class case: class AUCs 3/4, 1, 1 and macro 11/12', () => {
    const probabilities = Matrix.fromRows([
      [0.6, 0.3, 0.1],
      [0.5, 0.4, 0.1],
      [0.2, 0.2, 0.6],
      [0.3, 0.3, 0.4],
    ]);
    const result = rocAucOneVsRest([0, 1, 2, 0], probabilities);
    expect(result.perClass).toEqual([0.75, 1, 1]);
    expect(result.macro).toBeCloseTo(11 / 12, 15);
    expect(rocAuc([0, 1, 2, 0], probabilities)).toBeCloseTo(11 / 12, 15);
  });

  it('with complementary columns it equals the binary AUC', () => {
    const rng = createRng(3);
    const labels = Array.from({ length: 60 }, () => rng.int(2));
    const p1 = labels.map((label) => Math.min(1, Math.max(0, 0.3 * label + 0.7 * rng.float())));
    const probabilities = Matrix.fromRows(p1.map((p) => [1 - p, p]));
    expect(rocAuc(labels, probabilities)).toBeCloseTo(rocAuc(labels, p1), 14);
  });

  it('skips a class absent from yTrue and rejects a single present class', () => {
    const probabilities = Matrix.fromRows([
      [0.9, 0.05, 0.05],
      [0.2, 0.7, 0.1],
      [0.6, 0.3, 0.1],
    ]);
    const result = rocAucOneVsRest([0, 1, 0], probabilities);
    expect(result.perClass[2]).toBeNull();
    expect(result.averagedLabels).toEqual([0, 1]);
    expect(result.macro).toBe(1);
    expect(codeOf(() => rocAucOneVsRest([0, 0, 0], probabilities))).toBe('TOO_FEW_SAMPLES');
    expect(codeOf(() => rocAucOneVsRest([0, 1], probabilities))).toBe('DIMENSION_MISMATCH');
    expect(codeOf(() => rocAucOneVsRest([0, 3, 1], probabilities))).toBe('LABEL_OUT_OF_RANGE');
  });
});
