import { describe, expect, it } from 'vitest';
import { isTlkitError } from '../errors';
import { Matrix } from '../matrix';
import { accuracy, balancedAccuracy, confusionMatrix, precisionRecallF1 } from './classification';
import { meanAbsoluteError, meanSquaredError, r2Score } from './regression';
import { scoreClassification, scoreRegression } from './report';
import { rocAucOneVsRest } from './roc-auc';

describe('scoreClassification', () => {
  const yTrue = [0, 0, 0, 1, 1, 2, 2, 2, 2];
  const yPred = [0, 1, 0, 1, 2, 2, 2, 0, 1];

  it('agrees with the individual metrics and survives a JSON round trip', () => {
    const report = scoreClassification(yTrue, yPred, { numClasses: 3 });
    const scores = precisionRecallF1(yTrue, yPred, 3);
    expect(report.numSamples).toBe(9);
    expect(report.accuracy).toBe(accuracy(yTrue, yPred));
    expect(report.accuracy).toBeCloseTo(5 / 9, 15);
    expect(report.balancedAccuracy).toBe(balancedAccuracy(yTrue, yPred, 3));
    expect(report.confusionMatrix).toEqual(confusionMatrix(yTrue, yPred, 3));
    expect(report.macro).toEqual(scores.macro);
    expect(report.weighted).toEqual(scores.weighted);
    expect(report.perClass).toEqual(scores.perClass);
    expect(report.rocAuc).toBeUndefined();
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('adds one-vs-rest AUC when probabilities are given', () => {
    const probabilities = Matrix.fromRows([
      [0.6, 0.3, 0.1],
      [0.5, 0.4, 0.1],
      [0.2, 0.2, 0.6],
      [0.3, 0.3, 0.4],
    ]);
    const report = scoreClassification([0, 1, 2, 0], [0, 0, 2, 2], { numClasses: 3, probabilities });
    expect(report.rocAuc?.macro).toBeCloseTo(11 / 12, 15);
    expect(report.rocAuc?.perClass).toEqual(rocAucOneVsRest([0, 1, 2, 0], probabilities).perClass);
    const single = scoreClassification([0, 0, 0, 0], [0, 0, 2, 2], { numClasses: 3, probabilities });
    expect(single.rocAuc?.macro).toBeNull();
  });

  it('rejects probabilities with the wrong number of columns', () => {
    const probabilities = Matrix.fromRows([
      [0.5, 0.5],
      [0.5, 0.5],
    ]);
    try {
      scoreClassification([0, 1], [0, 1], { numClasses: 3, probabilities });
      expect.unreachable();
    } catch (error) {
      expect(isTlkitError(error, 'DIMENSION_MISMATCH')).toBe(true);
    }
  });
});

describe('scoreRegression', () => {
  it('agrees with the individual metrics on the hand-worked case', () => {
    const yTrue = [1, 2, 3, 4];
    const yPred = [1.5, 2, 2, 5];
    const report = scoreRegression(yTrue, yPred);
    expect(report).toEqual({
      numSamples: 4,
      meanSquaredError: meanSquaredError(yTrue, yPred),
      rootMeanSquaredError: 0.75,
      meanAbsoluteError: meanAbsoluteError(yTrue, yPred),
      r2: r2Score(yTrue, yPred),
    });
    expect(scoreRegression([0.1, 0.1], [0.1, 0.3]).r2).toBe(0);
  });
});
