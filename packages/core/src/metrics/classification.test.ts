import { describe, expect, it } from 'vitest';
import { isTlkitError } from '../errors';
import { accuracy, balancedAccuracy, confusionMatrix, precisionRecallF1 } from './classification';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return isTlkitError(error) ? error.code : `not a TlkitError: ${String(error)}`;
  }
  return undefined;
}

// Worked by hand: true class 0 -> predicted 0,1,0; class 1 -> 1,2; class 2 -> 2,2,0,1.
const yTrue = [0, 0, 0, 1, 1, 2, 2, 2, 2];
const yPred = [0, 1, 0, 1, 2, 2, 2, 0, 1];

describe('classification metrics, hand-worked 3-class case', () => {
  it('confusion matrix counts rows = true, columns = predicted', () => {
    expect(confusionMatrix(yTrue, yPred, 3)).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [1, 1, 2],
    ]);
  });

  it('accuracy = trace / n = 5/9', () => {
    expect(accuracy(yTrue, yPred)).toBeCloseTo(5 / 9, 15);
    expect(accuracy(Int32Array.from(yTrue), Float64Array.from(yTrue))).toBe(1);
  });

  it('per-class precision, recall, F1 and the macro and weighted averages', () => {
    const scores = precisionRecallF1(yTrue, yPred, 3);
    const expected = [
      { precision: 2 / 3, recall: 2 / 3, f1: 2 / 3, support: 3 },
      { precision: 1 / 3, recall: 1 / 2, f1: 2 / 5, support: 2 },
      { precision: 2 / 3, recall: 1 / 2, f1: 4 / 7, support: 4 },
    ];
    expected.forEach((entry, c) => {
      expect(scores.perClass[c].label).toBe(c);
      expect(scores.perClass[c].precision).toBeCloseTo(entry.precision, 15);
      expect(scores.perClass[c].recall).toBeCloseTo(entry.recall, 15);
      expect(scores.perClass[c].f1).toBeCloseTo(entry.f1, 15);
      expect(scores.perClass[c].support).toBe(entry.support);
    });
    expect(scores.macro.precision).toBeCloseTo(5 / 9, 15);
    expect(scores.macro.recall).toBeCloseTo(5 / 9, 15);
    expect(scores.macro.f1).toBeCloseTo(172 / 315, 15);
    expect(scores.weighted.precision).toBeCloseTo(16 / 27, 15);
    expect(scores.weighted.recall).toBeCloseTo(5 / 9, 15); // weighted recall = accuracy
    expect(scores.weighted.f1).toBeCloseTo(178 / 315, 15);
    expect(scores.averagedLabels).toEqual([0, 1, 2]);
  });

  it('balanced accuracy is the mean recall over present classes', () => {
    expect(balancedAccuracy(yTrue, yPred, 3)).toBeCloseTo((2 / 3 + 1 / 2 + 1 / 2) / 3, 15);
    expect(balancedAccuracy([0, 0, 0, 1], [0, 0, 0, 0], 3)).toBe(0.5);
  });
});

describe('zero-division convention', () => {
  it('a never-predicted class has precision 0; a class absent everywhere is left out of the macro mean', () => {
    const scores = precisionRecallF1([0, 0, 1, 1], [0, 0, 0, 0], 3);
    expect(scores.perClass[0]).toEqual({ label: 0, precision: 0.5, recall: 1, f1: 2 / 3, support: 2 });
    expect(scores.perClass[1]).toEqual({ label: 1, precision: 0, recall: 0, f1: 0, support: 2 });
    expect(scores.perClass[2]).toEqual({ label: 2, precision: 0, recall: 0, f1: 0, support: 0 });
    expect(scores.averagedLabels).toEqual([0, 1]);
    expect(scores.macro.precision).toBeCloseTo(0.25, 15);
    expect(scores.macro.recall).toBeCloseTo(0.5, 15);
    expect(scores.macro.f1).toBeCloseTo(1 / 3, 15);
  });

  it('a class predicted but absent from yTrue counts in the macro mean with recall 0', () => {
    const scores = precisionRecallF1([0, 0], [0, 1], 2);
    expect(scores.perClass[1]).toEqual({ label: 1, precision: 0, recall: 0, f1: 0, support: 0 });
    expect(scores.averagedLabels).toEqual([0, 1]);
    expect(scores.macro.precision).toBeCloseTo(0.5, 15); // (1 + 0) / 2
    expect(scores.macro.recall).toBeCloseTo(0.25, 15); // (0.5 + 0) / 2
  });
});

describe('typed errors before any compute', () => {
  it('rejects length mismatch, empty input, bad labels and bad numClasses', () => {
    expect(codeOf(() => accuracy([0, 1], [0]))).toBe('DIMENSION_MISMATCH');
    expect(codeOf(() => accuracy([], []))).toBe('EMPTY_DOMAIN');
    expect(codeOf(() => accuracy([0, 1.5], [0, 1]))).toBe('LABEL_NOT_INTEGER');
    expect(codeOf(() => accuracy([0, Number.NaN], [0, 1]))).toBe('NON_FINITE_INPUT');
    expect(codeOf(() => accuracy([0, -1], [0, 1]))).toBe('LABEL_OUT_OF_RANGE');
    expect(codeOf(() => confusionMatrix([0, 3], [0, 1], 3))).toBe('LABEL_OUT_OF_RANGE');
    expect(codeOf(() => confusionMatrix([0, 1], [0, 1], 1))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => precisionRecallF1([0, 1], [0, 1], 2.5))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => accuracy(null as unknown as number[], [0]))).toBe('INVALID_ARGUMENT');
  });

  it('names the argument in the message', () => {
    expect(() => confusionMatrix([0, 1], [0, 7], 3)).toThrow(/yPred\[1\] = 7/);
    expect(() => accuracy([0, 1, 1], [0, 1])).toThrow(/yTrue has 3 entries but yPred has 2/);
  });
});
