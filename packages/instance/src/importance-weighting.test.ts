import { compose, knn, logisticRegression, Matrix, ridge, svc, svm, TlkitError } from '@tlkit/core';
import { describeStrategyConformance } from '@tlkit/core/testing';
import { describe, expect, it } from 'vitest';
import { correlation, errorCode, gaussianShift, stepContext, thrownError } from '../test/helpers';
import { thresholdRulePlugin } from '../test/mock-learners';
import { decisionTree } from './decision-tree';
import { importanceWeighting, importanceWeightingConfigSchema, importanceWeightingPlugin } from './importance-weighting';

const run = (input: ReturnType<typeof gaussianShift>, options: Record<string, unknown>) =>
  importanceWeighting(options).doFitWeights({ source: input.source, target: input.target }, stepContext({ seed: 3 }));

describe('importance-weighting on a Gaussian shift with a known ratio w(x) = exp(x − ½)', () => {
  // A logistic domain classifier is well specified here: log p(t|x)/p(s|x) = x − ½ + log(nt/ns).
  const data = gaussianShift(1500, 1000, 1, 7);

  it('gives unclipped weights of mean ≈ 1 over the source that track the true ratio', async () => {
    const result = await run(data, { classifier: logisticRegression({ C: 100 }), maxWeight: null });
    const mean = result.weights.reduce((a, b) => a + b, 0) / result.weights.length;
    expect(Math.abs(mean - 1)).toBeLessThan(0.1);
    expect(correlation(result.weights, data.trueWeights)).toBeGreaterThan(0.99);
    expect(result.weights.every((value) => value >= 0)).toBe(true);
    expect(result.info?.clipped).toBe(0);
    // The held-out domain accuracy of a classifier between N(0,1) and N(1,1) is about Φ(½) ≈ 0.69 (balanced).
    expect(result.info?.domainAccuracy as number).toBeGreaterThan(0.6);
    expect(result.info?.domainAccuracy as number).toBeLessThan(0.75);
  });

  it('uses each fold\'s own source/target counts as the prior odds: features that carry nothing give weights of exactly 1 (algorithm audit IW1)', async () => {
    // x = 0 everywhere: the classifier learns only its training folds' target share, so by
    // Bayes' rule with those folds' counts w = 1 for every sample (closed form), for any split.
    for (const [ns, nt] of [[7, 5], [23, 9]]) {
      const zeros = (n: number) => ({ X: new Matrix(n, 1, new Float64Array(n)) });
      const result = await importanceWeighting({ classifier: logisticRegression({ C: 1 }), folds: 5, maxWeight: null }).doFitWeights(
        { source: { ...zeros(ns), y: Int32Array.from({ length: ns }, (_, i) => i % 2) }, target: zeros(nt) },
        stepContext({ seed: 3 }),
      );
      for (const weight of result.weights) expect(weight).toBeCloseTo(1, 5);
    }
  });

  it('clips at maxWeight and normalises to mean 1 on request', async () => {
    const raw = await run(data, { classifier: logisticRegression({ C: 100 }), maxWeight: null });
    const clipped = await run(data, { classifier: logisticRegression({ C: 100 }), maxWeight: 3 });
    const expectedClipped = raw.weights.filter((value) => value > 3).length;
    expect(expectedClipped).toBeGreaterThan(0);
    expect(clipped.info?.clipped).toBe(expectedClipped);
    expect(Math.max(...clipped.weights)).toBe(3);
    clipped.weights.forEach((value, i) => expect(value).toBe(Math.min(raw.weights[i], 3)));
    const normalised = await run(data, { classifier: logisticRegression({ C: 100 }), maxWeight: 3, normalize: true });
    const mean = normalised.weights.reduce((a, b) => a + b, 0) / normalised.weights.length;
    expect(mean).toBeCloseTo(1, 12);
  });

  it('works for regression tasks (the weights ignore the labels) and feeds ridge', async () => {
    const fitted = await compose(importanceWeighting(), ridge()).fit(
      { source: { X: data.source.X, y: Float64Array.from(data.source.X.data, (x) => 2 * x) }, target: data.target, problem: 'regression' },
      { seed: 1 },
    );
    expect(fitted.sourceWeights?.length).toBe(1500);
    fitted.dispose();
  });

  it('rejects impossible folds and classifiers without probabilities', async () => {
    const tiny = gaussianShift(3, 3, 1, 1);
    expect(await errorCode(() => run(tiny, { folds: 5 }))).toBe('TOO_FEW_SAMPLES');
    expect(await errorCode(() => run(tiny, { folds: 1, classifier: thresholdRulePlugin.create() }))).toBe('INVALID_CONFIG');
    expect(importanceWeightingConfigSchema.safeParse({ maxWeight: 0 }).success).toBe(false);
  });

  it('rejects a classifier for the wrong problem, by name and as a strategy, naming the option', async () => {
    for (const classifier of [{ use: 'ridge' }, ridge()]) {
      const error = await thrownError(() => importanceWeighting({ classifier }));
      expect(error.code).toBe('INVALID_CONFIG');
      expect(error.message).toContain("importance-weighting.classifier: 'ridge' cannot serve as a domain classifier");
      expect(error.details.argument).toBe('classifier');
    }
  });

  it("rejects core's SVMs (no probabilities) synchronously at creation, before any training", () => {
    for (const classifier of [{ use: 'svm' }, svm(), { use: 'svc' }, svc({ C: 0.5 })]) {
      let caught: unknown;
      try {
        importanceWeighting({ classifier });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(TlkitError);
      expect((caught as TlkitError).code).toBe('INVALID_CONFIG');
      expect((caught as TlkitError).message).toMatch(/importance-weighting\.classifier: 'sv[mc]' gives no probabilities/);
      expect((caught as TlkitError).details.argument).toBe('classifier');
    }
    // Classifiers with probabilities are accepted.
    for (const classifier of [{ use: 'logreg' }, { use: 'knn' }, knn(), decisionTree({ maxDepth: 2 })]) {
      expect(importanceWeighting({ classifier }).name).toBe('importance-weighting');
    }
  });

  it("reads any estimator's `probabilities` declaration: false is refused at creation, absent is checked after the fit", async () => {
    // The same rule with no predictProba, once declaring it and once saying nothing.
    const undeclared = thresholdRulePlugin.create();
    expect(undeclared.probabilities).toBeUndefined();
    const declared = { ...undeclared, probabilities: false };
    const atCreation = await thrownError(() => importanceWeighting({ classifier: declared }));
    expect(atCreation.code).toBe('INVALID_CONFIG');
    expect(atCreation.message).toContain("importance-weighting.classifier: 'test-threshold-rule' gives no probabilities");
    // Undeclared: creation succeeds, the fit finds no predictProba and fails with the same message.
    const step = importanceWeighting({ classifier: undeclared, folds: 1 });
    const afterFit = await thrownError(() =>
      step.doFitWeights({ source: data.source, target: data.target }, stepContext({ seed: 3 })),
    );
    expect(afterFit.code).toBe('INVALID_CONFIG');
    expect(afterFit.message).toContain("'test-threshold-rule' gives no probabilities");
  });
});

describeStrategyConformance({
  plugin: importanceWeightingPlugin,
  options: { folds: 3 },
  invalidOptions: [{ options: { folds: 0 }, field: 'folds' }],
});
