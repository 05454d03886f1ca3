/**
 * TrAdaBoost: boosting for transfer learning with a few labelled target samples.
 */
import {
  definePlugin,
  type EstimatorFitInput,
  type FittedEstimator,
  type JsonValue,
  logisticRegression,
  Matrix,
  readJson,
  type StepContext,
  stepOptionSchema,
  type StepState,
} from '@tlkit/core';
import * as z from 'zod';
import { chanceAdvice, interpolationAdvice, mergeForBoosting, packLearners, resolveBaseLearner, runBoostingRounds, unpackLearners } from './internal/boosting';

/** Options of the `'tradaboost'` plugin. */
export const tradaboostConfigSchema = z
  .object({
    /** N, the number of boosting rounds; the final vote uses rounds ⌈N/2⌉..N. */
    rounds: z.number().int().min(2).max(1000).default(20),
    /**
     * The base learner: any estimator that accepts sample weights. Default: a strongly regularised
     * logistic regression (C = 0.001) — boosting needs a learner that does not interpolate the few
     * labelled target samples (C = 1 fits them exactly and makes TrAdaBoost degenerate).
     */
    base: stepOptionSchema.default(() => logisticRegression({ C: 0.001 })),
    /** ε_t is capped at this value (below 0.5, as the paper requires ε_t < 1/2). */
    maxError: z.number().gt(0).lt(0.5).default(0.499),
    /** Keep the normalised weight vectors of every round in `info.roundWeights`. */
    recordWeights: z.boolean().default(true),
  })
  .strict();

/**
 * Options of {@link tradaboost}:
 * - `rounds` — N (default 20);
 * - `base` — the base learner, a strategy or `{ use: NAME, ... }` (default `logisticRegression({ C: 0.001 })`, a learner that does not interpolate the few target labels);
 * - `maxError` — the cap of ε_t (default 0.499);
 * - `recordWeights` — keep per-round weight vectors in `info` (default true).
 */
export type TradaboostOptions = z.input<typeof tradaboostConfigSchema>;
type TradaboostConfig = z.output<typeof tradaboostConfigSchema>;

/** The weighted vote of the rounds' learners (ties go to the higher class id, the paper's "≥"). */
function vote(learners: readonly FittedEstimator[], voteWeights: readonly number[], numClasses: number, X: Matrix): Int32Array {
  const scores = new Float64Array(X.rows * numClasses);
  learners.forEach((learner, index) => {
    const predictions = learner.predict(X);
    for (let i = 0; i < X.rows; i++) scores[i * numClasses + predictions[i]] += voteWeights[index];
  });
  const out = new Int32Array(X.rows);
  for (let i = 0; i < X.rows; i++) {
    let best = 0;
    for (let k = 1; k < numClasses; k++) if (scores[i * numClasses + k] >= scores[i * numClasses + best]) best = k;
    out[i] = best;
  }
  return out;
}

function fittedVote(learners: FittedEstimator[], voteWeights: number[], numClasses: number, info: Record<string, JsonValue>): FittedEstimator {
  return {
    predict: (X) => vote(learners, voteWeights, numClasses, X),
    info,
    saveState: () => packLearners(learners, { numClasses, voteWeights }),
    dispose: () => {
      for (const learner of learners) learner.dispose?.();
    },
  };
}

/**
 * Runs TrAdaBoost (see {@link tradaboost}). @internal
 */
async function fitTradaboost(input: EstimatorFitInput, context: StepContext, config: TradaboostConfig): Promise<FittedEstimator> {
  const base = resolveBaseLearner(config.base, 'tradaboost', 'classification');
  const merged = mergeForBoosting(input, 'tradaboost', 'classification', context);
  const { sourceCount: n, targetCount: m } = merged;
  const labels = merged.y as Int32Array;
  const N = config.rounds;
  // eᵢ = [h(xᵢ) ≠ yᵢ]: misclassified source rows shrink by β, misclassified target rows grow by 1/βₜ.
  const { learners, voteWeights, log, sourceFactor, firstVoter } = await runBoostingRounds(input, context, base, merged, config, (predictions, into) => {
    for (let i = 0; i < n + m; i++) into[i] = predictions[i] === labels[i] ? 0 : 1;
  });
  const diagnosis = log.diagnose('tradaboost', { interpolating: interpolationAdvice(base, 'classification'), chance: chanceAdvice(base, 'classification') });
  if (diagnosis.warning) context.progress({ phase: 'warning', message: diagnosis.warning });
  const info: Record<string, JsonValue> = {
    rounds: N,
    base: base.name,
    sourceCount: n,
    targetCount: m,
    sourceFactor,
    votingRounds: [firstVoter, N],
    ...log.toJson(),
    degenerate: diagnosis.degenerate,
    ...(diagnosis.warning ? { warning: diagnosis.warning } : {}),
  };
  return fittedVote(learners, voteWeights, context.numClasses, info);
}

/**
 * The `'tradaboost'` plugin: TrAdaBoost (Dai, Yang, Xue & Yu, *Boosting for Transfer Learning*,
 * ICML 2007).
 */
export const tradaboostPlugin = definePlugin({
  name: 'tradaboost',
  kind: 'instance',
  role: 'estimator',
  description:
    'TrAdaBoost: boosting on source + a few labelled target samples; misclassified source samples lose weight, misclassified target samples gain it.',
  reference: 'W. Dai, Q. Yang, G.-R. Xue and Y. Yu, Boosting for Transfer Learning, ICML 2007.',
  needs: { problems: ['classification'], targetLabels: 'required', acceptsSampleWeights: true },
  configSchema: tradaboostConfigSchema,
  create: (config) => {
    // Resolve the base learner now, so a bad name or an unweighted learner fails before any data.
    const base = resolveBaseLearner(config.base, 'tradaboost', 'classification');
    return {
      // The final hypothesis is a weighted vote (a weighted median for .R2): no class probabilities.
      probabilities: false,
      doFit: (input, context) => fitTradaboost(input, context, { ...config, base }),
      async doRestore(state: StepState) {
        const json = readJson<{ numClasses: number; voteWeights: number[] }>(state);
        const learners = await unpackLearners(state, base);
        return fittedVote(learners, json.voteWeights, json.numClasses, {});
      },
    };
  },
});

/**
 * TrAdaBoost as a pipeline step (registry name `'tradaboost'`): an estimator that learns from the
 * labelled source samples and the few labelled target samples (`task.targetLabeled`).
 *
 * Algorithm 1 of Dai et al. (2007), with n source and m labelled target samples and N rounds:
 * starting from weights w¹ (1 everywhere, or the source weights of a preceding weighting step),
 * each round t fits the base learner on all n + m samples under `pₜ = wₜ / Σwₜ` (passed as sample
 * weights `pₜ·(n + m)`), measures its weighted error on the target samples only,
 * `εₜ = Σ_target wᵢ [hₜ(xᵢ) ≠ yᵢ] / Σ_target wᵢ` (capped at `maxError` < 0.5), and updates
 * `wᵢ ← wᵢ · β` for misclassified source samples, with `β = 1/(1 + √(2 ln n / N))`, and
 * `wᵢ ← wᵢ / βₜ` for misclassified target samples, with `βₜ = εₜ/(1 − εₜ)`. The prediction is
 * the vote of rounds ⌈N/2⌉..N weighted by `ln(1/βₜ)`.
 *
 * Multiclass extension (this package's, stated here as the paper is binary): the loss is the 0/1
 * indicator `[h(x) ≠ y]` and the final rule is the weighted plurality vote, ties to the higher
 * class id; for two classes it is exactly the paper's rule `Πβₜ^(−hₜ(x)) ≥ Πβₜ^(−1/2)`.
 * A round with εₜ = 0 gets the vote weight of εₜ = 1e-10 (finite).
 *
 * **Degenerate case.** A base learner that fits the labelled target samples exactly gives εₜ = 0:
 * the target weights never move and TrAdaBoost reduces to the base learner trained on the merged
 * set. When this happens in at least half the rounds, the fit reports a `'warning'` progress
 * event and `info.degenerate = true` with `info.warning` listing the per-round errors; prefer a
 * base learner that does not interpolate (`{ use: 'logreg', C: 0.001 }`, `decisionTree()`).
 * The opposite failure is flagged the same way: a learner no better than chance on the target
 * samples (εₜ ≥ ½, capped at `maxError`) in at least half of the voting rounds, whose rounds barely
 * move the weights and get a vote weight of about 0 (e.g. logreg with C = 0.001 on a few
 * low-dimensional samples, where it leaves little but the class prior); the warning then advises
 * less regularisation. With K ≥ 3 classes a learner can beat chance ((K − 1)/K) and still be
 * capped: the paper's rule is kept (no SAMME-style K − 1 term).
 *
 * `info` holds per round: `roundErrors` (εₜ), `roundErrorsCapped`, `roundBetas` (βₜ),
 * `voteWeights` (0 outside the vote), `sourceWeightShare`, `sourceTrainingErrors`,
 * `weightChanges` (L1 distance between consecutive normalised weight vectors),
 * `roundWeights.source/target` (the normalised weights each round's learner saw; with
 * `recordWeights`), and `zeroErrorRounds`, `cappedRounds` (εₜ ≥ `maxError`), `roundsWeightsMoved`,
 * `degenerate`.
 *
 * @param options - {@link TradaboostOptions}.
 * @example
 * ```ts
 * const fitted = await compose(tradaboost({ rounds: 20, base: logisticRegression({ C: 0.01 }) })).fit(task); // task.targetLabeled set
 * fitted.reports[0].info?.roundErrors;
 * ```
 * CLI: `{ "use": "tradaboost", "rounds": 20, "base": { "use": "logreg", "C": 0.01 } }` with `"targetLabeled": { "perClass": 3 }`.
 */
export const tradaboost = (options?: TradaboostOptions) => tradaboostPlugin.create(options);
