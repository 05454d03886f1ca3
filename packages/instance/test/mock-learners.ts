/**
 * Base learners with known predictions, for hand-worked boosting rounds.
 */
import { definePlugin, readJson } from '@tlkit/core';
import * as z from 'zod';

/**
 * Classifies by feature 0 (class 1 when x₀ > threshold), whatever the weights; records the
 * weights it saw. With `cycle`, successive fits use successive thresholds.
 */
export const thresholdRulePlugin = definePlugin({
  name: 'test-threshold-rule',
  kind: 'base',
  role: 'estimator',
  description: 'Test learner: class 1 when x0 > threshold (ignores the weights).',
  needs: { problems: ['classification'], targetLabels: 'never', acceptsSampleWeights: true },
  configSchema: z.object({ threshold: z.number().default(0), cycle: z.array(z.number()).optional() }).strict(),
  create: (options) => {
    let calls = 0;
    const rule = (threshold: number) => ({
      predict: (X: { rows: number; get(i: number, j: number): number }) =>
        Int32Array.from({ length: X.rows }, (_, i) => (X.get(i, 0) > threshold ? 1 : 0)),
      saveState: () => ({ json: { threshold } }),
    });
    return {
      async doFit(input) {
        seenWeights.push(Array.from(input.train.weights ?? []));
        // With `cycle`, fit number k uses threshold cycle[k mod length].
        const threshold = options.cycle ? options.cycle[calls % options.cycle.length] : options.threshold;
        calls++;
        return rule(threshold);
      },
      doRestore: (state) => rule(readJson<{ threshold: number }>(state).threshold),
    };
  },
});

/** Weights each fit of {@link thresholdRulePlugin} or {@link offsetRegressorPlugin} received, in order. */
export const seenWeights: number[][] = [];

/** Predicts x₀ + offset, whatever the weights; with `cycle`, successive fits use successive offsets. */
export const offsetRegressorPlugin = definePlugin({
  name: 'test-offset-regressor',
  kind: 'base',
  role: 'estimator',
  description: 'Test learner: predicts x0 + offset (ignores the weights).',
  needs: { problems: ['regression'], targetLabels: 'never', acceptsSampleWeights: true },
  configSchema: z.object({ offset: z.number().default(0), cycle: z.array(z.number()).optional() }).strict(),
  create: (options) => {
    let calls = 0;
    const model = (offset: number) => ({
      predict: (X: { rows: number; get(i: number, j: number): number }) => Float64Array.from({ length: X.rows }, (_, i) => X.get(i, 0) + offset),
      saveState: () => ({ json: { offset } }),
    });
    return {
      async doFit(input) {
        seenWeights.push(Array.from(input.train.weights ?? []));
        const offset = options.cycle ? options.cycle[calls % options.cycle.length] : options.offset;
        calls++;
        return model(offset);
      },
      doRestore: (state) => model(readJson<{ offset: number }>(state).offset),
    };
  },
});
