import { compose, knn, logisticRegression, Matrix, ridge } from '@tlkit/core';
import { describeStrategyConformance } from '@tlkit/core/testing';
import { covariateShift } from '@tlkit/datasets';
import { describe, expect, it } from 'vitest';
import { errorCode, thrownError } from '../test/helpers';
import { offsetRegressorPlugin, seenWeights } from '../test/mock-learners';
import { decisionTree } from './decision-tree';
import { adjustedErrors, tradaboostR2, tradaboostR2Plugin, weightedMedian } from './tradaboost-r2';

const column = (values: number[]) => Matrix.fromRows(values.map((value) => [value]));

describe('weightedMedian and adjustedErrors (Drucker 1997)', () => {
  it('takes the smallest value whose cumulative weight reaches half the total', () => {
    expect(weightedMedian([3, 1, 2], [1, 1, 1])).toBe(2);
    expect(weightedMedian([3, 1, 2], [1, 1, 5])).toBe(2);
    expect(weightedMedian([3, 1, 2], [5, 1, 1])).toBe(3);
    // Cumulative 1, 2 of total 4 → 2 reaches half: the lower middle value.
    expect(weightedMedian([1, 2, 3, 4], [1, 1, 1, 1])).toBe(2);
  });

  it('scales residuals by the largest one: linear, square and exponential losses', () => {
    const residuals = Float64Array.from([0, 1, 2, 4]);
    expect(Array.from(adjustedErrors(residuals, 'linear'))).toEqual([0, 0.25, 0.5, 1]);
    expect(Array.from(adjustedErrors(residuals, 'square'))).toEqual([0, 0.0625, 0.25, 1]);
    adjustedErrors(residuals, 'exponential').forEach((value, i) => expect(value).toBeCloseTo(1 - Math.exp(-residuals[i] / 4), 15));
    expect(Array.from(adjustedErrors(new Float64Array(3), 'linear'))).toEqual([0, 0, 0]);
  });
});

describe('tradaboost-r2: a hand-worked round (Pardoe & Stone 2010, TrAdaBoost.R2)', () => {
  it('adjusted errors over all samples, ε on the target, β^e on the source and β_t^(−e) on the target', async () => {
    seenWeights.length = 0;
    // The learner predicts x: residuals |x − y|. Source x = 0, 1, 2, 3 with y = 0, 1, 2, 7 → residuals 0, 0, 0, 4;
    // target x = 0, 1 with y = 1, 3 → residuals 1, 2. D = 4: e = (0, 0, 0, 1 | 1/4, 1/2).
    const task = {
      source: { X: column([0, 1, 2, 3]), y: [0, 1, 2, 7] },
      target: { X: column([5]) },
      targetLabeled: { X: column([0, 1]), y: [1, 3] },
      problem: 'regression' as const,
    };
    const fitted = await compose(tradaboostR2({ rounds: 2, base: offsetRegressorPlugin.create() })).fit(task);
    const info = fitted.reports[0].info as Record<string, number[] | number> & { roundWeights: { source: number[][]; target: number[][] } };
    // ε₁ = (1·¼ + 1·½)/2 = 3/8, β₁ = 3/5, β = 1/(1 + √(2 ln 4 / 2)).
    const beta = 1 / (1 + Math.sqrt(Math.log(4)));
    expect((info.roundErrors as number[])[0]).toBeCloseTo(3 / 8, 15);
    expect((info.roundBetas as number[])[0]).toBeCloseTo(3 / 5, 15);
    const next = [1, 1, 1, beta, (3 / 5) ** -0.25, (3 / 5) ** -0.5];
    const total = next.reduce((a, b) => a + b, 0);
    [...info.roundWeights.source[1], ...info.roundWeights.target[1]].forEach((value, i) => expect(value).toBeCloseTo(next[i] / total, 14));
    seenWeights[1].forEach((value, i) => expect(value).toBeCloseTo((6 * next[i]) / total, 13));
    // Both rounds predict x, so the weighted median is x.
    expect(Array.from(fitted.predict(column([0.5, 9])))).toEqual([0.5, 9]);
    fitted.dispose();
  });

  it('ε of later rounds uses the target weights of earlier rounds; vote weights ln(1/βₜ) of rounds ⌈N/2⌉..N', async () => {
    // Three rounds predicting x + 1, x, x + 3 on source x = 0, 1 (y = 0, 1) and target x = 0, 1 (y = 0, 2).
    // Round 1 (x + 1): residuals 1, 1 | 1, 0 → D = 1, e = 1, 1 | 1, 0, ε₁ = 1/2 → capped 0.499.
    const task = {
      source: { X: column([0, 1]), y: [0, 1] },
      target: { X: column([5]) },
      targetLabeled: { X: column([0, 1]), y: [0, 2] },
      problem: 'regression' as const,
    };
    const fitted = await compose(tradaboostR2({ rounds: 3, base: offsetRegressorPlugin.create({ cycle: [1, 0, 3] }) })).fit(task);
    const info = fitted.reports[0].info as Record<string, number[]>;
    expect(info.roundErrors[0]).toBeCloseTo(0.5, 15);
    // Round 2 (x): residuals 0, 0 | 0, 1 → e = 0, 0 | 0, 1; target weights after round 1: 1/β₁ and 1 → ε₂ = 1/(1/β₁ + 1).
    const beta1 = 0.499 / 0.501;
    const error2 = 1 / (1 / beta1 + 1);
    expect(info.roundErrors[1]).toBeCloseTo(error2, 14);
    // Round 3 (x + 3): residuals 3, 3 | 3, 2 → e = 1, 1 | 1, 2/3; target weights (1/β₁, 1/β₂).
    const beta2 = error2 / (1 - error2);
    const error3 = (1 / beta1 + (2 / 3) / beta2) / (1 / beta1 + 1 / beta2);
    expect(info.roundErrors[2]).toBeCloseTo(error3, 14);
    // Voters: rounds 2 (x, weight ln(1/β₂)) and 3 (x + 3, weight ln(1/min(ε₃, 0.499)-odds)).
    const weight2 = Math.log(1 / beta2);
    const capped3 = Math.min(error3, 0.499);
    const weight3 = Math.log((1 - capped3) / capped3);
    expect(info.voteWeights).toEqual([0, expect.closeTo(weight2, 12), expect.closeTo(weight3, 12)]);
    fitted.dispose();
  });

  it('predicts the weighted median of rounds ⌈N/2⌉..N with weights ln(1/βₜ): the heaviest voter wins, not the middle one', async () => {
    // Source x = 0, 1 (y = 0, 1); one labelled target x = 0 (y = 2), so εₜ is that sample's adjusted error whatever its weight.
    // N = 4 rounds predicting x + o for o = 2.2, 1.8, 3, 4: residuals o, o on the source and |o − 2| on the target,
    // D = o (the largest), εₜ = |o − 2| / o, βₜ = εₜ / (1 − εₜ):
    //   round 1, o = 2.2: ε = 0.2/2.2 = 1/11, β = 1/10 (ln 10 ≈ 2.303; does not vote);
    //   round 2, o = 1.8: ε = 0.2/1.8 = 1/9, β = 1/8, vote ln 8 ≈ 2.079;
    //   round 3, o = 3:   ε = 1/3, β = 1/2, vote ln 2 ≈ 0.693;
    //   round 4, o = 4:   ε = 2/4 = 1/2 → capped at 0.499, vote ln(0.501/0.499) ≈ 0.004.
    // Rounds ⌈4/2⌉ = 2..4 vote. Weighted median at x: sorted x + 1.8 (2.079), x + 3 (0.693), x + 4 (0.004); total 2.776,
    // half 1.388; the cumulative weight reaches it at the first value → x + 1.8. The wrong rules:
    //   - unweighted median of the three: x + 3;
    //   - round 1 voting too: x + 1.8 (2.079), x + 2.2 (2.303), x + 3, x + 4; total 5.079, half 2.540 → reached at x + 2.2.
    const task = {
      source: { X: column([0, 1]), y: [0, 1] },
      target: { X: column([5]) },
      targetLabeled: { X: column([0]), y: [2] },
      problem: 'regression' as const,
    };
    const fitted = await compose(tradaboostR2({ rounds: 4, base: offsetRegressorPlugin.create({ cycle: [2.2, 1.8, 3, 4] }) })).fit(task);
    fitted.predict(column([0, 10])).forEach((value, i) => expect(value).toBeCloseTo([0, 10][i] + 1.8, 12));
    // The record agrees with the hand computation.
    const info = fitted.reports[0].info as Record<string, number[]>;
    [1 / 11, 1 / 9, 1 / 3, 1 / 2].forEach((error, round) => expect(info.roundErrors[round]).toBeCloseTo(error, 14));
    expect(info.votingRounds).toEqual([2, 4]);
    expect(info.voteWeights).toEqual([0, expect.closeTo(Math.log(8), 12), expect.closeTo(Math.log(2), 12), expect.closeTo(Math.log(0.501 / 0.499), 12)]);
    fitted.dispose();
  });
});

describe('tradaboost-r2 on a covariate-shift regression task', () => {
  it('moves the weights every round, and beats ridge trained on the source and on source + target merged', async () => {
    const data = covariateShift({ problem: 'regression', nSource: 200, nTarget: 200, nTest: 400, seed: 3 });
    const few = 10;
    const task = {
      source: data.source,
      target: { X: data.target.X.selectRows(Array.from({ length: 190 }, (_, i) => i + few)) },
      targetLabeled: { X: data.target.X.selectRows(Array.from({ length: few }, (_, i) => i)), y: data.target.y.slice(0, few) },
      problem: 'regression' as const,
    };
    const mse = (predicted: ArrayLike<number>) =>
      Array.from(predicted).reduce((total, value, i) => total + (value - data.targetTest.y[i]) ** 2, 0) / predicted.length;
    for (const base of [ridge(), decisionTree({ maxDepth: 3 })]) {
      const boosted = await compose(tradaboostR2({ rounds: 10, base })).fit(task, { seed: 0 });
      const info = boosted.reports[0].info as Record<string, number | boolean>;
      expect(info.degenerate).toBe(false);
      expect(info.roundsWeightsMoved).toBe(10);
      const error = mse(boosted.predict(data.targetTest.X));
      for (const trainOn of ['source', 'source+target'] as const) {
        const baseline = await compose(ridge()).fit(task, { trainOn });
        expect(error).toBeLessThan(mse(baseline.predict(data.targetTest.X)));
      }
    }
  });
});

describe('tradaboost-r2: bad configurations', () => {
  it('fails with the option named', async () => {
    expect(await errorCode(() => tradaboostR2({ loss: 'cubic' as never }))).toBe('INVALID_CONFIG');
  });

  it('rejects a base learner for classification or without sample weights, by name and as a strategy, naming base', async () => {
    for (const [base, reason] of [
      [{ use: 'logreg' }, "tradaboost-r2.base: 'logreg' does not support regression"],
      [logisticRegression(), "tradaboost-r2.base: 'logreg' does not support regression"],
      [{ use: 'knn' }, "tradaboost-r2.base: 'knn' does not accept sample weights"],
      [knn(), "tradaboost-r2.base: 'knn' does not accept sample weights"],
    ] as const) {
      const error = await thrownError(() => tradaboostR2({ base }));
      expect(error.code).toBe('INVALID_CONFIG');
      expect(error.message).toContain(reason);
      expect(error.details.argument).toBe('base');
    }
  });
});

describeStrategyConformance({
  plugin: tradaboostR2Plugin,
  options: { rounds: 4, base: ridge({ alpha: 1 }) },
  invalidOptions: [{ options: { loss: 'huber' }, field: 'loss' }],
});
