/**
 * Test-only plugins that record what the orchestrator hands them, so tests can check what each
 * step saw (weights, labels, transformed features).
 */
import * as z from 'zod';
import { TlkitError } from '../src/errors';
import { Matrix } from '../src/matrix';
import { definePlugin } from '../src/plugin';
import { readJson, readMatrix, storeMatrix } from '../src/state';
import type { EstimatorFitInput, StepFitInput } from '../src/strategy';

/** Everything a spy saw, by spy name. */
export const seen: Record<string, (StepFitInput | EstimatorFitInput)[]> = {};

export function resetSeen(): void {
  for (const key of Object.keys(seen)) delete seen[key];
}

function record(name: string, input: StepFitInput | EstimatorFitInput): void {
  (seen[name] ??= []).push(input);
}

/** Weighting spy: weight = `factor` for even rows, 1 for odd rows. */
export const spyWeightingPlugin = definePlugin({
  name: 'spy-weighting',
  kind: 'instance',
  role: 'weighting',
  description: 'test spy: weights even rows by factor',
  needs: { problems: ['classification', 'regression'], targetLabels: 'never', acceptsSampleWeights: false },
  configSchema: z.object({ factor: z.number().positive().default(2), label: z.string().default('spy-weighting') }).strict(),
  create: (options) => ({
    async doFitWeights(input) {
      record(options.label, input);
      const weights = new Float64Array(input.source.X.rows);
      for (let i = 0; i < weights.length; i++) weights[i] = i % 2 === 0 ? options.factor : 1;
      return { weights, info: { factor: options.factor } };
    },
  }),
});

/** Mapping spy: adds `shift` to every feature (so its effect is visible downstream). */
export const spyMappingPlugin = definePlugin({
  name: 'spy-mapping',
  kind: 'feature',
  role: 'mapping',
  description: 'test spy: adds a constant',
  needs: { problems: ['classification', 'regression'], targetLabels: 'never', acceptsSampleWeights: false },
  configSchema: z.object({ shift: z.number().default(10), label: z.string().default('spy-mapping') }).strict(),
  create: (options) => {
    const mapping = () => ({
      outputDim: 0,
      transform: (X: Matrix) => X.map((value) => value + options.shift),
      saveState: () => ({ json: { shift: options.shift } }),
    });
    return {
      async doFit(input) {
        record(options.label, input);
        return { ...mapping(), outputDim: input.source.X.cols };
      },
      doRestore: (state) => ({ ...mapping(), outputDim: 0, info: readJson(state) }),
    };
  },
});

/** Estimator spy: nearest class mean (weighted), records its inputs. */
export const spyEstimatorPlugin = definePlugin({
  name: 'spy-estimator',
  kind: 'base',
  role: 'estimator',
  description: 'test spy: weighted nearest class mean',
  needs: (options: { useTargetLabels: boolean }) => ({
    problems: ['classification'],
    targetLabels: options.useTargetLabels ? 'optional' : 'never',
    acceptsSampleWeights: true,
  }),
  configSchema: z.object({ useTargetLabels: z.boolean().default(false), label: z.string().default('spy-estimator') }).strict(),
  create: (options) => {
    const fitted = (means: Matrix) => ({
      predict(X: Matrix) {
        const out = new Int32Array(X.rows);
        for (let i = 0; i < X.rows; i++) {
          let best = 0;
          let bestDistance = Number.POSITIVE_INFINITY;
          for (let c = 0; c < means.rows; c++) {
            let distance = 0;
            for (let j = 0; j < X.cols; j++) distance += (X.get(i, j) - means.get(c, j)) ** 2;
            if (distance < bestDistance) {
              bestDistance = distance;
              best = c;
            }
          }
          out[i] = best;
        }
        return out;
      },
      saveState: () => ({ arrays: { means: storeMatrix(means) } }),
    });
    return {
      async doFit(input, context) {
        record(options.label, input);
        const { X, y, weights } = input.train;
        const means = new Matrix(context.numClasses, X.cols);
        const totals = new Float64Array(context.numClasses);
        for (let i = 0; i < X.rows; i++) {
          const w = weights ? weights[i] : 1;
          totals[y[i]] += w;
          for (let j = 0; j < X.cols; j++) means.data[y[i] * X.cols + j] += w * X.get(i, j);
        }
        for (let c = 0; c < means.rows; c++) {
          if (totals[c] === 0) throw new TlkitError('TOO_FEW_SAMPLES', `class ${c} has no weight`);
          for (let j = 0; j < X.cols; j++) means.data[c * X.cols + j] /= totals[c];
        }
        return fitted(means);
      },
      doRestore: (state) => fitted(readMatrix(state, 'means')),
    };
  },
});

/** A two-class task: class 0 around (0, 0), class 1 around (4, 4); target shifted by (1, 1). */
export function twoBlobTask() {
  const source = { X: [[0, 0], [0.5, -0.5], [-0.5, 0.5], [4, 4], [4.5, 3.5], [3.5, 4.5]], y: [0, 0, 0, 1, 1, 1] };
  const target = { X: [[1, 1], [1.5, 0.5], [5, 5], [5.5, 4.5]], y: [0, 0, 1, 1] };
  const targetLabeled = { X: [[0.8, 1.2], [5.2, 4.8]], y: [0, 1] };
  return { source, target, targetLabeled, problem: 'classification' as const };
}
