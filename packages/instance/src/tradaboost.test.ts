import { compose, createRng, knn, logisticRegression, Matrix, type ProgressEvent, ridge } from '@tlkit/core';
import { describeStrategyConformance } from '@tlkit/core/testing';
import { preprocess, sampleLabeledPerClass, selectDomainRows } from '@tlkit/datasets';
import { loadShippedDataset } from '@tlkit/datasets/node';
import { describe, expect, it } from 'vitest';
import { errorCode, stepContext, thrownError } from '../test/helpers';
import { seenWeights, thresholdRulePlugin } from '../test/mock-learners';
import { decisionTree } from './decision-tree';
import { tradaboost, tradaboostPlugin } from './tradaboost';

const column = (values: number[]) => Matrix.fromRows(values.map((value) => [value]));

/** Source x = −2, −1, 1, 2 (y = 0, 0, 1, 0); labelled target x = −1, 1, 2 (y = 1, 1, 1). */
const tinyTask = {
  source: { X: column([-2, -1, 1, 2]), y: [0, 0, 1, 0] },
  target: { X: column([0, 3]) },
  targetLabeled: { X: column([-1, 1, 2]), y: [1, 1, 1] },
  problem: 'classification' as const,
  numClasses: 2,
};

describe('tradaboost: hand-worked rounds (Dai et al. 2007, Algorithm 1)', () => {
  it('one round: ε₁ = 1/3, β₁ = 1/2; the wrong source sample × β, the wrong target sample × 2', async () => {
    seenWeights.length = 0;
    const base = thresholdRulePlugin.create({ threshold: 0 });
    const fitted = await compose(tradaboost({ rounds: 2, base })).fit(tinyTask);
    const info = fitted.reports[0].info as Record<string, unknown> & { roundWeights: { source: number[][]; target: number[][] } };
    // The rule x > 0 → 1 gets source x = 2 (y = 0) and target x = −1 (y = 1) wrong.
    const beta = 1 / (1 + Math.sqrt((2 * Math.log(4)) / 2)); // n = 4, N = 2
    expect(info.sourceFactor).toBeCloseTo(beta, 15);
    expect((info.roundErrors as number[])[0]).toBeCloseTo(1 / 3, 15);
    expect((info.roundBetas as number[])[0]).toBeCloseTo(0.5, 15);
    // w² = (1, 1, 1, β | 2, 1, 1), normalised by 3 + β + 4.
    const total = 7 + beta;
    const expectedSource = [1, 1, 1, beta].map((value) => value / total);
    const expectedTarget = [2, 1, 1].map((value) => value / total);
    info.roundWeights.source[1].forEach((value, i) => expect(value).toBeCloseTo(expectedSource[i], 14));
    info.roundWeights.target[1].forEach((value, i) => expect(value).toBeCloseTo(expectedTarget[i], 14));
    // The learner of round 2 received p²·(n + m) as sample weights.
    seenWeights[1].forEach((value, i) => expect(value).toBeCloseTo(7 * [...expectedSource, ...expectedTarget][i], 13));
    // Round 2: target error (2)/(2 + 1 + 1) = 1/2, capped at 0.499.
    expect((info.roundErrors as number[])[1]).toBeCloseTo(0.5, 15);
    expect((info.roundErrorsCapped as number[])[1]).toBe(0.499);
    fitted.dispose();
  });

  it('three rounds with different learners: weights, the cap, ε = 0, and the vote weights of rounds ⌈N/2⌉..N', async () => {
    seenWeights.length = 0;
    // Thresholds 0, 1.5, −1.5 in rounds 1, 2, 3.
    const base = thresholdRulePlugin.create({ cycle: [0, 1.5, -1.5] });
    const fitted = await compose(tradaboost({ rounds: 3, base })).fit(tinyTask);
    const info = fitted.reports[0].info as Record<string, number[]> & { roundWeights: { source: number[][]; target: number[][] } };
    const beta = 1 / (1 + Math.sqrt((2 * Math.log(4)) / 3));
    // Round 1 (x > 0): wrong source {x = 2}, target {x = −1}: ε = 1/3, β₁ = 1/2 → w = (1, 1, 1, β | 2, 1, 1).
    // Round 2 (x > 1.5): wrong source {1, 2}, target {−1, 1}: ε = 3/4 → capped 0.499, β₂ = 0.499/0.501
    //   → w = (1, 1, β, β² | 2/β₂, 1/β₂, 1).
    // Round 3 (x > −1.5): wrong source {−1, 2}, target none: ε = 0.
    expect(info.roundErrors[0]).toBeCloseTo(1 / 3, 15);
    expect(info.roundErrors[1]).toBeCloseTo(3 / 4, 15);
    expect(info.roundErrors[2]).toBe(0);
    const beta2 = 0.499 / 0.501;
    const round3 = [1, 1, beta, beta * beta, 2 / beta2, 1 / beta2, 1];
    const total = round3.reduce((a, b) => a + b, 0);
    [...info.roundWeights.source[2], ...info.roundWeights.target[2]].forEach((value, i) => expect(value).toBeCloseTo(round3[i] / total, 13));
    // Only rounds ⌈3/2⌉ = 2 and 3 vote, with ln(1/β₂) ≈ 0.004 and ln(1/β₃) with ε₃ floored at 1e-10 (≈ 23.03).
    expect(info.votingRounds).toEqual([2, 3]);
    expect(info.voteWeights[0]).toBe(0);
    expect(info.voteWeights[1]).toBeCloseTo(Math.log(0.501 / 0.499), 12);
    expect(info.voteWeights[2]).toBeCloseTo(Math.log((1 - 1e-10) / 1e-10), 8);
    fitted.dispose();
  });

  it('predicts the vote of rounds ⌈N/2⌉..N weighted by ln(1/βₜ): a query where round 1 or equal weights would flip the answer', async () => {
    // Labelled target x = 1, 2, 3, 4, 5 with y = 0, 1, 1, 1, 1; source x = 0, 6 (y = 0, 1), which every rule below gets right.
    // N = 3 rounds with thresholds 0.5, 3.5, 0.5 (hₜ(x) = 1 iff x > threshold); target weights start at 1.
    //   Round 1 (x > 0.5): wrong on x = 1 only → ε₁ = 1/5, β₁ = 1/4; x = 1 grows ×4 → weights (4, 1, 1, 1, 1), total 8.
    //   Round 2 (x > 3.5): wrong on x = 2, 3 → ε₂ = 2/8 = 1/4, β₂ = 1/3, vote ln 3 ≈ 1.099; they grow ×3 → (4, 3, 3, 1, 1), total 12.
    //   Round 3 (x > 0.5): wrong on x = 1 → ε₃ = 4/12 = 1/3, β₃ = 1/2, vote ln 2 ≈ 0.693.
    // Rounds ⌈3/2⌉ = 2 and 3 vote; the rule is 1 iff Σ hₜ(x) ln(1/βₜ) ≥ ½ Σ ln(1/βₜ) = ½ ln 6 ≈ 0.896.
    //   x = 0: h₂ = h₃ = 0 → 0 ≥ 0.896 fails → 0.
    //   x = 2: h₂ = 0, h₃ = 1 → ln 2 = 0.693 ≥ 0.896 fails → 0. The wrong rules give 1 here:
    //     - round 1 voting too (h₁ = 1, ln 4): ln 2 + ln 4 = 2.079 ≥ ½ ln 24 = 1.589 → 1;
    //     - equal vote weights: one of two votes for 1 reaches half (ties go to 1) → 1.
    //   x = 5: h₂ = h₃ = 1 → 1.
    const task = {
      source: { X: column([0, 6]), y: [0, 1] },
      target: { X: column([2.5]) },
      targetLabeled: { X: column([1, 2, 3, 4, 5]), y: [0, 1, 1, 1, 1] },
      problem: 'classification' as const,
      numClasses: 2,
    };
    const fitted = await compose(tradaboost({ rounds: 3, base: thresholdRulePlugin.create({ cycle: [0.5, 3.5, 0.5] }) })).fit(task);
    expect(Array.from(fitted.predict(column([0, 2, 5])))).toEqual([0, 0, 1]);
    // The record agrees with the hand computation.
    const info = fitted.reports[0].info as Record<string, number[]>;
    [1 / 5, 1 / 4, 1 / 3].forEach((error, round) => expect(info.roundErrors[round]).toBeCloseTo(error, 15));
    expect(info.votingRounds).toEqual([2, 3]);
    expect(info.voteWeights[0]).toBe(0);
    expect(info.voteWeights[1]).toBeCloseTo(Math.log(3), 14);
    expect(info.voteWeights[2]).toBeCloseTo(Math.log(2), 14);
    fitted.dispose();
  });

  it('starts from the source weights of a preceding weighting step (w¹)', async () => {
    seenWeights.length = 0;
    const base = thresholdRulePlugin.create({ threshold: 0 });
    const strategy = tradaboost({ rounds: 2, base });
    const fittedEstimator = await strategy.doFit(
      {
        source: { X: column([-2, -1, 1, 2]), y: Int32Array.from([0, 0, 1, 0]), weights: Float64Array.from([2, 0, 1, 1]) },
        target: { X: column([0]) },
        targetLabeled: { X: column([-1, 1, 2]), y: Int32Array.from([1, 1, 1]) },
        train: { X: column([-2, -1, 1, 2]), y: Int32Array.from([0, 0, 1, 0]) },
        trainingSteps: [],
      },
      stepContext(),
    );
    // p¹ = (2, 0, 1, 1, 1, 1, 1)/7, passed as p¹·7.
    expect(seenWeights[0]).toEqual([2, 0, 1, 1, 1, 1, 1]);
    fittedEstimator.dispose?.();
  });
});

describe('tradaboost on real data and degenerate base learners', async () => {
  const office = await loadShippedDataset('office_caltech10_surf', { domains: ['dslr', 'webcam'] });
  const [dslr, webcam] = preprocess('office_caltech10_surf', [office.domains.dslr, office.domains.webcam], 'standard');
  const split = sampleLabeledPerClass(webcam.y, 3, 0, 10);
  const labelled = selectDomainRows(webcam, split.labeled);
  const rest = selectDomainRows(webcam, split.rest);
  const task = {
    source: { X: dslr.X, y: dslr.y },
    target: { X: rest.X },
    targetLabeled: { X: labelled.X, y: labelled.y },
    problem: 'classification' as const,
    numClasses: 10,
  };

  it('D → W with a strongly regularised logistic regression: ε_t > 0 and the weights move every round', async () => {
    const fitted = await compose(tradaboost({ rounds: 4, base: logisticRegression({ C: 0.001 }) })).fit(task, { seed: 0 });
    const info = fitted.reports[0].info as Record<string, number[] | number | boolean> & { roundWeights: { target: number[][] } };
    expect(info.degenerate).toBe(false);
    expect((info.roundErrors as number[])[0]).toBeGreaterThan(0);
    expect(info.roundsWeightsMoved).toBe(4);
    // The target weights of round 2 differ from round 1's uniform ones.
    const first = info.roundWeights.target[0];
    const second = info.roundWeights.target[1];
    expect(Math.max(...first) - Math.min(...first)).toBeLessThan(1e-15);
    expect(Math.max(...second)).toBeGreaterThan(1.5 * Math.min(...second));
    // The target share grows: misclassified target samples gain weight.
    const shares = info.sourceWeightShare as number[];
    expect(shares[3]).toBeLessThan(shares[0]);
    fitted.dispose();
  });

  it('reports the degenerate case: a deep tree fits the 30 target samples exactly (ε_t = 0 in every round)', async () => {
    const events: ProgressEvent[] = [];
    // 100 of the 800 features are plenty for a deep tree to isolate the 30 samples (and keep the test fast).
    const narrow = (X: Matrix) => X.selectColumns(100);
    const narrowTask = { ...task, source: { ...task.source, X: narrow(task.source.X) }, target: { X: narrow(task.target.X) }, targetLabeled: { ...task.targetLabeled, X: narrow(task.targetLabeled.X) } };
    const fitted = await compose(tradaboost({ rounds: 4, base: decisionTree({ maxDepth: 30 }) })).fit(narrowTask, {
      seed: 0,
      onProgress: (event) => events.push(event),
    });
    const info = fitted.reports[0].info as Record<string, unknown>;
    expect(info.zeroErrorRounds).toBe(4);
    expect(info.degenerate).toBe(true);
    const warning = events.find((event) => event.phase === 'warning');
    expect(warning?.step).toBe('tradaboost');
    expect(warning?.message).toContain('[0, 0, 0, 0]');
    expect(info.warning).toBe(warning?.message);
    fitted.dispose();
  });
});

/**
 * Two Gaussian classes in 2-D (centres −1 and +1 on the first axis, spread `sd`), the target
 * shifted by 0.7: `sizes` source, labelled target and query rows, drawn from `seed`.
 */
function twoGaussians(seed: number, sd: number, sizes: [number, number, number]) {
  const rng = createRng(seed);
  const draw = (n: number, shift: number) =>
    Array.from({ length: n }, (_, i) => ({ x: [(i % 2 ? 1 : -1) + sd * rng.normal() + shift, sd * rng.normal() + shift], y: i % 2 }));
  const [source, labelled, query] = [draw(sizes[0], 0), draw(sizes[1], 0.7), draw(sizes[2], 0.7)];
  return {
    source: { X: source.map((row) => row.x), y: source.map((row) => row.y) },
    target: { X: query.map((row) => row.x) },
    targetLabeled: { X: labelled.map((row) => row.x), y: labelled.map((row) => row.y) },
    problem: 'classification' as const,
  };
}

describe('tradaboost: a base learner no better than chance on the target (algorithm audit T1)', () => {
  // 30 source rows, 8 labelled target rows. On so few rows logreg with C = 0.001 is nearly the
  // class prior, so from round 2 on it predicts one class everywhere and ε_t sits at about ½.
  const task = twoGaussians(5, 0.8, [30, 8, 40]);

  it('flags capped voting rounds as degenerate, with a warning that advises less regularisation', async () => {
    const events: ProgressEvent[] = [];
    const fitted = await compose(tradaboost()).fit(task, { seed: 0, onProgress: (event) => events.push(event) });
    const info = fitted.reports[0].info as { roundErrors: number[]; voteWeights: number[]; cappedRounds: number; degenerate: boolean; warning?: string };
    const capped = info.roundErrors.filter((error) => error >= 0.499);
    expect(info.cappedRounds).toBe(capped.length);
    expect(info.roundErrors.slice(9).every((error) => error >= 0.499)).toBe(true); // all 11 voting rounds
    // A capped round's vote weight is ln((1 − 0.499) / 0.499) ≈ 0.004 (by hand).
    for (const weight of info.voteWeights.slice(9)) expect(weight).toBeCloseTo(Math.log(0.501 / 0.499), 12);
    expect(info.degenerate).toBe(true);
    const warning = events.find((event) => event.phase === 'warning');
    expect(warning?.message).toMatch(/no better than chance on the 8 labelled target samples in 11 of the 11 voting rounds/);
    expect(warning?.message).toMatch(/less regularisation than the C = 0\.001 in use \(e\.g\. \{ use: 'logreg', C: 0\.01 \}\)/);
    expect(info.warning).toBe(warning?.message);
    fitted.dispose();
  });

  it('a learner that beats chance is not flagged, whatever maxError caps (diff review s18 findings 4 and 7)', async () => {
    // A noisier task (sd 1.2, 60 source and 30 labelled target rows) where logreg C = 1 neither
    // fits the target rows exactly nor sits at chance: ε_t = 0.100, 0.500, 0.044, 0.419, ... .
    const noisyTask = twoGaussians(7, 1.2, [60, 30, 40]);
    for (const maxError of [0.2, 0.499]) {
      const fitted = await compose(tradaboost({ rounds: 6, maxError, base: logisticRegression({ C: 1 }) })).fit(noisyTask, { seed: 0 });
      const info = fitted.reports[0].info as { roundErrors: number[]; cappedRounds: number; zeroErrorRounds: number; degenerate: boolean; warning?: string };
      const voting = info.roundErrors.slice(2); // rounds 3..6
      expect(voting.filter((error) => error > 0 && error < 0.5).length).toBeGreaterThanOrEqual(3); // the case is not vacuous
      expect(info.zeroErrorRounds * 2).toBeLessThan(6);
      expect(info.cappedRounds).toBe(info.roundErrors.filter((error) => error >= maxError).length);
      if (maxError === 0.2) expect(info.cappedRounds).toBeGreaterThanOrEqual(3); // rounds at the cap, yet better than chance
      expect(info.degenerate).toBe(false);
      expect(info.warning).toBeUndefined();
      fitted.dispose();
    }
  });
});

describe('tradaboost: bad configurations', () => {
  it('fails before any compute with the option and the fix named', async () => {
    expect(await errorCode(() => tradaboost({ rounds: 1 }))).toBe('INVALID_CONFIG');
    expect(await errorCode(() => tradaboost({ maxError: 0.5 }))).toBe('INVALID_CONFIG');
    const { targetLabeled: _dropped, ...withoutLabels } = tinyTask;
    expect(await errorCode(() => compose(tradaboost()).fit(withoutLabels))).toBe('MISSING_TARGET_LABELS');
  });

  it('rejects a base learner without sample weights or for regression, by name and as a strategy, naming base', async () => {
    for (const [base, reason] of [
      [{ use: 'knn' }, "tradaboost.base: 'knn' does not accept sample weights"],
      [knn(), "tradaboost.base: 'knn' does not accept sample weights"],
      [{ use: 'ridge' }, "tradaboost.base: 'ridge' does not support classification"],
      [ridge(), "tradaboost.base: 'ridge' does not support classification"],
    ] as const) {
      const error = await thrownError(() => tradaboost({ base }));
      expect(error.code).toBe('INVALID_CONFIG');
      expect(error.message).toContain(reason);
      expect(error.details.argument).toBe('base');
    }
  });
});

describeStrategyConformance({
  plugin: tradaboostPlugin,
  options: { rounds: 4, base: logisticRegression({ C: 0.1, maxIterations: 200 }), recordWeights: false },
  invalidOptions: [
    { options: { rounds: 0 }, field: 'rounds' },
    { options: { maxError: 0.6 }, field: 'maxError' },
  ],
});
