/**
 * TrAdaBoost.R2: TrAdaBoost for regression, with AdaBoost.R2's adjusted error.
 */
import {
  definePlugin,
  type EstimatorFitInput,
  type FittedEstimator,
  type JsonValue,
  type Matrix,
  readJson,
  ridge,
  type StepContext,
  stepOptionSchema,
  type StepState,
} from '@tlkit/core';
import * as z from 'zod';
import { chanceAdvice, interpolationAdvice, mergeForBoosting, packLearners, resolveBaseLearner, runBoostingRounds, unpackLearners } from './internal/boosting';

/** Options of the `'tradaboost-r2'` plugin. */
export const tradaboostR2ConfigSchema = z
  .object({
    /** N, the number of boosting rounds; the prediction uses rounds ⌈N/2⌉..N. */
    rounds: z.number().int().min(2).max(1000).default(20),
    /** The base regressor: any estimator that accepts sample weights. */
    base: stepOptionSchema.default(() => ridge()),
    /** AdaBoost.R2's loss on the residual scaled by its largest value D: linear |r|/D, square (r/D)², exponential 1 − exp(−|r|/D). */
    loss: z.enum(['linear', 'square', 'exponential']).default('linear'),
    /** ε_t is capped at this value (below 0.5). */
    maxError: z.number().gt(0).lt(0.5).default(0.499),
    /** Keep the normalised weight vectors of every round in `info.roundWeights`. */
    recordWeights: z.boolean().default(true),
  })
  .strict();

/**
 * Options of {@link tradaboostR2}:
 * - `rounds` — N (default 20);
 * - `base` — the base regressor (default `ridge()`);
 * - `loss` — `'linear'` (default), `'square'` or `'exponential'` (AdaBoost.R2's adjusted error);
 * - `maxError` — cap of ε_t (default 0.499);
 * - `recordWeights` — keep per-round weight vectors in `info` (default true).
 */
export type TradaboostR2Options = z.input<typeof tradaboostR2ConfigSchema>;
type TradaboostR2Config = z.output<typeof tradaboostR2ConfigSchema>;

/**
 * The weighted median of `values` with `weights` (Drucker 1997): the smallest value whose
 * cumulative weight, in increasing order of value, reaches half the total.
 */
export function weightedMedian(values: ArrayLike<number>, weights: ArrayLike<number>): number {
  const order = Array.from({ length: values.length }, (_, k) => k).sort((a, b) => values[a] - values[b] || a - b);
  let total = 0;
  for (let k = 0; k < weights.length; k++) total += weights[k];
  let cumulative = 0;
  for (const k of order) {
    cumulative += weights[k];
    if (cumulative >= 0.5 * total) return values[k];
  }
  return values[order[order.length - 1]];
}

function medianPrediction(learners: readonly FittedEstimator[], voteWeights: readonly number[], X: Matrix): Float64Array {
  const predictions = learners.map((learner) => learner.predict(X));
  const out = new Float64Array(X.rows);
  const column = new Float64Array(learners.length);
  for (let i = 0; i < X.rows; i++) {
    for (let t = 0; t < learners.length; t++) column[t] = predictions[t][i];
    out[i] = weightedMedian(column, voteWeights);
  }
  return out;
}

function fittedMedian(learners: FittedEstimator[], voteWeights: number[], info: Record<string, JsonValue>): FittedEstimator {
  return {
    predict: (X) => medianPrediction(learners, voteWeights, X),
    info,
    saveState: () => packLearners(learners, { voteWeights }),
    dispose: () => {
      for (const learner of learners) learner.dispose?.();
    },
  };
}

/** AdaBoost.R2's adjusted errors eᵢ ∈ [0, 1] from the absolute residuals. */
export function adjustedErrors(residuals: Float64Array, loss: 'linear' | 'square' | 'exponential'): Float64Array {
  let largest = 0;
  for (const value of residuals) largest = Math.max(largest, value);
  const out = new Float64Array(residuals.length);
  if (largest === 0) return out;
  for (let i = 0; i < residuals.length; i++) {
    const scaled = residuals[i] / largest;
    out[i] = loss === 'linear' ? scaled : loss === 'square' ? scaled * scaled : 1 - Math.exp(-scaled);
  }
  return out;
}

async function fitTradaboostR2(input: EstimatorFitInput, context: StepContext, config: TradaboostR2Config): Promise<FittedEstimator> {
  const base = resolveBaseLearner(config.base, 'tradaboost-r2', 'regression');
  const merged = mergeForBoosting(input, 'tradaboost-r2', 'regression', context);
  const { sourceCount: n, targetCount: m } = merged;
  const N = config.rounds;
  const residuals = new Float64Array(n + m);
  // Adjusted errors over all n + m training samples (D = the largest residual).
  const { learners, voteWeights, log, sourceFactor, firstVoter } = await runBoostingRounds(input, context, base, merged, config, (predictions, into) => {
    for (let i = 0; i < n + m; i++) residuals[i] = Math.abs(predictions[i] - merged.y[i]);
    into.set(adjustedErrors(residuals, config.loss));
  });
  const diagnosis = log.diagnose('tradaboost-r2', { interpolating: interpolationAdvice(base, 'regression'), chance: chanceAdvice(base, 'regression') });
  if (diagnosis.warning) context.progress({ phase: 'warning', message: diagnosis.warning });
  const info: Record<string, JsonValue> = {
    rounds: N,
    base: base.name,
    loss: config.loss,
    sourceCount: n,
    targetCount: m,
    sourceFactor,
    votingRounds: [firstVoter, N],
    ...log.toJson(),
    degenerate: diagnosis.degenerate,
    ...(diagnosis.warning ? { warning: diagnosis.warning } : {}),
  };
  return fittedMedian(learners, voteWeights, info);
}

/**
 * The `'tradaboost-r2'` plugin: TrAdaBoost.R2 (Pardoe & Stone, *Boosting for Regression
 * Transfer*, ICML 2010).
 */
export const tradaboostR2Plugin = definePlugin({
  name: 'tradaboost-r2',
  kind: 'instance',
  role: 'estimator',
  description:
    'TrAdaBoost.R2: TrAdaBoost for regression with AdaBoost.R2 adjusted errors and a weighted-median prediction, on source + a few labelled target samples.',
  reference: 'D. Pardoe and P. Stone, Boosting for Regression Transfer, ICML 2010.',
  needs: { problems: ['regression'], targetLabels: 'required', acceptsSampleWeights: true },
  configSchema: tradaboostR2ConfigSchema,
  create: (config) => {
    const base = resolveBaseLearner(config.base, 'tradaboost-r2', 'regression');
    return {
      // The final hypothesis is a weighted vote (a weighted median for .R2): no class probabilities.
      probabilities: false,
      doFit: (input, context) => fitTradaboostR2(input, context, { ...config, base }),
      async doRestore(state: StepState) {
        const json = readJson<{ voteWeights: number[] }>(state);
        return fittedMedian(await unpackLearners(state, base), json.voteWeights, {});
      },
    };
  },
});

/**
 * TrAdaBoost.R2 as a pipeline step (registry name `'tradaboost-r2'`): regression from the labelled
 * source and a few labelled target samples (`task.targetLabeled`).
 *
 * Pardoe & Stone (2010), TrAdaBoost.R2 (the paper's adaptation of TrAdaBoost to regression):
 * TrAdaBoost's weight updates with AdaBoost.R2's adjusted error
 * (Drucker, *Improving Regressors using Boosting Techniques*, ICML 1997). Each round t fits the
 * base regressor on all n + m samples under `pₜ = wₜ/Σwₜ`, computes the absolute residuals rᵢ,
 * their largest value D over all n + m samples, and the adjusted errors `eᵢ = rᵢ/D` (`loss:
 * 'square'`: `(rᵢ/D)²`, `'exponential'`: `1 − exp(−rᵢ/D)`); the error of the round is
 * `εₜ = Σ_target wᵢeᵢ / Σ_target wᵢ` (capped at `maxError` < 0.5), `βₜ = εₜ/(1 − εₜ)`,
 * `β = 1/(1 + √(2 ln n / N))`, and the update is `wᵢ ← wᵢ β^{eᵢ}` on source samples,
 * `wᵢ ← wᵢ βₜ^{−eᵢ}` on target samples. The prediction is the weighted median of the rounds
 * ⌈N/2⌉..N with weights `ln(1/βₜ)`.
 *
 * The two-stage TrAdaBoost.R2 that the same paper proposes (an inner AdaBoost.R2′ loop and
 * cross-validation) is not implemented.
 *
 * `info` carries the same per-round record and degeneracy diagnosis as {@link tradaboost}
 * (here εₜ = 0 means the learner reproduces every labelled target value exactly). A round whose
 * error reaches the cap goes on with βₜ ≈ 1 (AdaBoost.R2 would stop boosting there); capped
 * voting rounds in the majority are reported as degenerate too.
 *
 * @param options - {@link TradaboostR2Options}.
 * @example
 * ```ts
 * const fitted = await compose(tradaboostR2({ base: decisionTree({ maxDepth: 3 }) })).fit(regressionTask);
 * ```
 * CLI: `{ "use": "tradaboost-r2", "rounds": 20, "base": { "use": "decision-tree", "maxDepth": 3 } }`.
 */
export const tradaboostR2 = (options?: TradaboostR2Options) => tradaboostR2Plugin.create(options);
