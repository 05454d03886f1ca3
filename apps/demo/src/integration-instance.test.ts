/**
 * Integration of an instance-weighting step with a feature mapping and an estimator, across
 * packages: `compose(kmm(), tca(), logisticRegression())` on Office-Caltech10 SURF D→W must run
 * end to end, leave no tensors behind, and give exactly what the same three steps give when they
 * are run by hand (KMM's weights → TCA → a logistic regression fitted with those weights on the
 * TCA-embedded source, applied to the TCA-embedded target).
 */
import * as tf from '@tensorflow/tfjs';
import {
  accuracy,
  compose,
  createRng,
  deriveSeed,
  fitLogisticRegression,
  logisticRegression,
  memoryStorage,
  type StepContext,
  type TransferTask,
} from '@tlkit/core';
import { preprocess } from '@tlkit/datasets';
import { loadShippedDataset } from '@tlkit/datasets/node';
import { tca } from '@tlkit/feature';
import { kmm } from '@tlkit/instance';
import { describe, expect, it } from 'vitest';

async function officeData() {
  const office = await loadShippedDataset('office_caltech10_surf', { domains: ['dslr', 'webcam'] });
  const [dslr, webcam] = preprocess('office_caltech10_surf', [office.domains.dslr, office.domains.webcam], 'standard');
  const source = { X: dslr.X, y: dslr.y };
  const target = { X: webcam.X };
  const test = { X: webcam.X, y: webcam.y };
  const task: TransferTask = { source, target, targetTest: test, problem: 'classification', numClasses: 10 };
  return { task, source, target, test };
}

/** The context the orchestrator gives step `index` (seed derived from the run seed and the step). */
function contextFor(seed: number, index: number, name: string): StepContext {
  const stepSeed = deriveSeed(seed, index, name);
  return {
    seed: stepSeed,
    rng: createRng(stepSeed),
    problem: 'classification',
    numClasses: 10,
    progress: () => {},
    throwIfAborted: () => {},
    storage: memoryStorage(),
  };
}

describe('integration: kmm → tca → logistic regression (Office D→W)', () => {
  it('runs through compose, leaks no tensors, and equals the steps run by hand', async () => {
    const { task, source, target, test } = await officeData();
    const seed = 3;
    const tensorsBefore = tf.memory().numTensors;
    const fitted = await compose(kmm(), tca({ dim: 30 }), logisticRegression({ C: 1 })).fit(task, { seed });
    const predicted = fitted.predict(test.X);
    const weights = fitted.sourceWeights!;
    const reports = fitted.reports.map((report) => report.step);
    fitted.dispose();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(reports).toEqual(['kmm', 'tca', 'logreg']);

    // By hand: the same three steps, without the orchestrator.
    const weighting = await kmm().doFitWeights({ source, target }, contextFor(seed, 0, 'kmm'));
    const mapping = await tca({ dim: 30 }).doFit({ source: { ...source, weights: weighting.weights }, target }, contextFor(seed, 1, 'tca'));
    const embeddedSource = mapping.fitted?.source ?? mapping.transform(source.X, 'source');
    const embeddedTarget = mapping.transform(test.X, 'target');
    const model = fitLogisticRegression(embeddedSource, source.y, { C: 1, weights: weighting.weights, numClasses: 10 });
    const byHand = model.predict(embeddedTarget);

    // KMM's weights reach the estimator: they are KMM's, and they are not uniform.
    expect(Array.from(weights)).toEqual(Array.from(weighting.weights));
    expect(Math.max(...weights) - Math.min(...weights)).toBeGreaterThan(0.1);
    expect(Array.from(predicted)).toEqual(Array.from(byHand));
    const composed = accuracy(test.y, predicted);
    expect(composed).toBe(accuracy(test.y, byHand));
    // The weights change the classifier: the unweighted fit on the same embedding differs somewhere.
    const unweighted = fitLogisticRegression(embeddedSource, source.y, { C: 1, numClasses: 10 });
    const unweightedScores = unweighted.decisionFunction(embeddedTarget).data;
    const weightedScores = model.decisionFunction(embeddedTarget).data;
    let largestGap = 0;
    for (let i = 0; i < weightedScores.length; i++) largestGap = Math.max(largestGap, Math.abs(weightedScores[i] - unweightedScores[i]));
    expect(largestGap).toBeGreaterThan(1e-3);
    // Sanity: a 10-class problem well above chance (logistic regression alone scores 79 % on D→W).
    expect(composed).toBeGreaterThan(0.5);
  }, 60_000);
});
