/**
 * Discriminative importance weighting: density ratios from a probabilistic domain classifier.
 */
import {
  createRng,
  definePlugin,
  deriveSeed,
  type EstimatorStrategy,
  type JsonValue,
  logisticRegression,
  Matrix,
  resolveStep,
  type StepContext,
  type StepFitInput,
  stepOptionSchema,
  TlkitError,
  type WeightingResult,
} from '@tlkit/core';
import * as z from 'zod';
import { effectiveSampleSize, weightSummary } from './internal/weights';

/** Options of the `'importance-weighting'` plugin. */
export const importanceWeightingConfigSchema = z
  .object({
    /** The probabilistic domain classifier (source = class 0, target = class 1); an estimator that declares `probabilities: false` (core's `svm` and `svc`) is rejected at creation. */
    classifier: stepOptionSchema.default(() => logisticRegression({ C: 0.1 })),
    /** Cross-fitting folds: each source weight comes from a classifier not trained on that sample (1 = fit on everything). */
    folds: z.number().int().min(1).max(50).default(5),
    /** Weights above this are clipped to it (null: no clipping). */
    maxWeight: z.number().positive().finite().nullable().default(10),
    /** Rescale the (clipped) weights to mean 1 over the source. */
    normalize: z.boolean().default(false),
  })
  .strict();

/**
 * Options of {@link importanceWeighting}:
 * - `classifier` — domain classifier with probabilities (default `logisticRegression({ C: 0.1 })`);
 * - `folds` — cross-fitting folds (default 5; 1 = in-sample probabilities);
 * - `maxWeight` — clip weights at this value (default 10; `null` = no clipping);
 * - `normalize` — rescale to mean 1 over the source (default false).
 */
export type ImportanceWeightingOptions = z.input<typeof importanceWeightingConfigSchema>;
type ImportanceWeightingConfig = z.output<typeof importanceWeightingConfigSchema>;

function resolveClassifier(option: ImportanceWeightingConfig['classifier']): EstimatorStrategy {
  const classifier = resolveStep(option, 'estimator', 'importance-weighting.classifier') as EstimatorStrategy;
  if (!classifier.needs.problems.includes('classification') || classifier.needs.targetLabels === 'required' || classifier.needs.trainingHooks) {
    throw new TlkitError(
      'INVALID_CONFIG',
      `importance-weighting.classifier: '${classifier.name}' cannot serve as a domain classifier; use a plain probabilistic classifier such as { use: 'logreg' }.`,
      { argument: 'classifier' },
    );
  }
  // An estimator that declares no probabilities is refused now; one that does not say is checked
  // after the first fold's fit.
  if (classifier.probabilities === false) throw noProbabilities(classifier.name);
  return classifier;
}

function noProbabilities(name: string): TlkitError {
  return new TlkitError(
    'INVALID_CONFIG',
    `importance-weighting.classifier: '${name}' gives no probabilities; use a probabilistic classifier such as { use: 'logreg' } or { use: 'knn' }.`,
    { argument: 'classifier' },
  );
}

/** Fold ids 0..folds−1, assigned by shuffling each domain separately (stratified by domain). */
function domainFolds(ns: number, nt: number, folds: number, seed: number): Int32Array {
  const rng = createRng(seed);
  const assignment = new Int32Array(ns + nt);
  for (const [start, count] of [
    [0, ns],
    [ns, nt],
  ] as const) {
    const order = rng.permutation(count);
    for (let k = 0; k < count; k++) assignment[start + order[k]] = k % folds;
  }
  return assignment;
}

/** Computes the weights (see {@link importanceWeighting}). @internal */
export async function fitImportanceWeights(
  input: StepFitInput,
  context: StepContext,
  config: ImportanceWeightingConfig,
  classifier: EstimatorStrategy,
): Promise<WeightingResult> {
  const Xs = input.source.X;
  const Xt = input.target.X;
  const ns = Xs.rows;
  const nt = Xt.rows;
  const folds = config.folds;
  if (folds > 1 && Math.min(ns, nt) < folds) {
    throw new TlkitError(
      'TOO_FEW_SAMPLES',
      `importance-weighting: folds = ${folds} needs at least ${folds} samples in each domain (source ${ns}, target ${nt}); lower folds.`,
      { argument: 'folds' },
    );
  }
  const pooled = Matrix.vstack([Xs, Xt]);
  const domain = new Int32Array(ns + nt);
  domain.fill(1, ns);
  const assignment = folds > 1 ? domainFolds(ns, nt, folds, deriveSeed(context.seed, 'folds')) : new Int32Array(ns + nt).fill(-1);
  const targetProbability = new Float64Array(ns + nt);
  // The prior odds ns/nt of the classifier each row's probability comes from: with cross-fitting,
  // the counts of that fold's training rows, the odds its classifier learned.
  const priorOdds = new Float64Array(ns + nt).fill(ns / nt);
  const rounds = folds > 1 ? folds : 1;
  for (let fold = 0; fold < rounds; fold++) {
    context.throwIfAborted();
    const trainRows: number[] = [];
    const heldOut: number[] = [];
    for (let i = 0; i < ns + nt; i++) (assignment[i] === fold ? heldOut : trainRows).push(i);
    const trainX = folds > 1 ? pooled.selectRows(trainRows) : pooled;
    const trainY = folds > 1 ? Int32Array.from(trainRows, (i) => domain[i]) : domain;
    const seed = deriveSeed(context.seed, 'fold', fold);
    const fitted = await classifier.doFit(
      {
        source: { X: trainX, y: trainY },
        target: { X: Xt },
        train: { X: trainX, y: trainY },
        trainingSteps: [],
      },
      { ...context, seed, rng: createRng(seed), numClasses: 2, problem: 'classification', progress: () => {} },
    );
    try {
      if (!fitted.predictProba) throw noProbabilities(classifier.name);
      const rows = folds > 1 ? heldOut : Array.from({ length: ns + nt }, (_, i) => i);
      const probabilities = fitted.predictProba(folds > 1 ? pooled.selectRows(rows) : pooled);
      let sourceTrained = 0;
      for (const i of trainRows) if (i < ns) sourceTrained++;
      const odds = folds > 1 ? sourceTrained / (trainRows.length - sourceTrained) : ns / nt;
      rows.forEach((i, k) => {
        targetProbability[i] = probabilities.data[k * 2 + 1];
        priorOdds[i] = odds;
      });
    } finally {
      fitted.dispose?.();
    }
    context.progress({ phase: 'fold', current: fold + 1, total: rounds });
  }
  // w(x) = p(target | x) / p(source | x) · ns / nt (the fold's counts with cross-fitting), then
  // clipping (and optional normalisation).
  const weights = new Float64Array(ns);
  let clipped = 0;
  let raw = 0;
  for (let i = 0; i < ns; i++) {
    const p = targetProbability[i];
    const ratio = p >= 1 ? Infinity : (p / (1 - p)) * priorOdds[i];
    raw += Number.isFinite(ratio) ? ratio : 0;
    if (config.maxWeight !== null && ratio > config.maxWeight) {
      weights[i] = config.maxWeight;
      clipped++;
    } else if (!Number.isFinite(ratio)) {
      throw new TlkitError(
        'NUMERICAL_ERROR',
        `importance-weighting: the domain classifier gives p(target | x) = 1 for source sample ${i}, an infinite weight; set maxWeight or regularise the classifier more.`,
        { argument: 'maxWeight' },
      );
    } else {
      weights[i] = ratio;
    }
  }
  const beforeNormalising = weightSummary(weights);
  if (config.normalize && beforeNormalising.sum > 0) for (let i = 0; i < ns; i++) weights[i] *= ns / beforeNormalising.sum;
  // Held-out domain accuracy of the classifier (0.5 = the domains look alike to it).
  let correct = 0;
  for (let i = 0; i < ns + nt; i++) if ((targetProbability[i] > 0.5 ? 1 : 0) === domain[i]) correct++;
  const summary = weightSummary(weights);
  const info: Record<string, JsonValue> = {
    classifier: classifier.name,
    folds,
    domainAccuracy: correct / (ns + nt),
    rawMeanWeight: raw / ns,
    meanWeight: summary.mean,
    maxWeight: summary.max,
    minWeight: summary.min,
    clipped,
    normalized: config.normalize,
    effectiveSampleSize: effectiveSampleSize(weights),
  };
  return { weights, info };
}

/**
 * The `'importance-weighting'` plugin: discriminative density-ratio estimation with a domain
 * classifier (Zadrozny, *Learning and evaluating classifiers under sample selection bias*, ICML
 * 2004; Bickel, Brückner & Scheffer, *Discriminative Learning Under Covariate Shift*, JMLR 10, 2009).
 */
export const importanceWeightingPlugin = definePlugin({
  name: 'importance-weighting',
  kind: 'instance',
  role: 'weighting',
  description:
    'Discriminative importance weighting: a probabilistic domain classifier gives w(x) = p(target|x)/p(source|x) · ns/nt (cross-fitted, clipped).',
  reference:
    'S. Bickel, M. Brückner and T. Scheffer, Discriminative Learning Under Covariate Shift, JMLR 10 (2009); B. Zadrozny, Learning and Evaluating Classifiers under Sample Selection Bias, ICML 2004.',
  needs: { problems: ['classification', 'regression'], targetLabels: 'never', acceptsSampleWeights: false },
  configSchema: importanceWeightingConfigSchema,
  create: (config) => {
    const classifier = resolveClassifier(config.classifier);
    return {
      doFitWeights: (input, context) => fitImportanceWeights(input, context, config, classifier),
    };
  },
});

/**
 * Discriminative importance weighting as a pipeline step (registry name `'importance-weighting'`).
 *
 * Trains a probabilistic classifier to tell source (class 0) from target (class 1) samples and
 * turns its probabilities into density ratios by Bayes' rule:
 * `w(x) = p_t(x)/p_s(x) = [p(target | x) / p(source | x)] · ns/nt`. With `folds` > 1 (default 5)
 * the probabilities are cross-fitted: the pooled samples are split into folds (stratified by
 * domain, seeded) and each sample's probability comes from the classifier trained on the other
 * folds, so a flexible classifier cannot memorise the source and inflate the weights; the prior
 * odds in Bayes' rule are then that classifier's own, the source/target counts of its training
 * folds. Weights
 * above `maxWeight` are clipped to it; `normalize` rescales them to mean 1 on the source. For a
 * calibrated classifier the unclipped weights have mean ≈ 1 over the source (E_s[w] = 1).
 *
 * `info`: the classifier's held-out domain accuracy, the raw (unclipped) mean weight, the final
 * mean/min/max weight, how many were clipped, and the effective sample size (Σw)²/Σw².
 *
 * @param options - {@link ImportanceWeightingOptions}.
 * @example
 * ```ts
 * const fitted = await compose(importanceWeighting({ maxWeight: 20 }), logisticRegression()).fit(task);
 * ```
 * CLI: `{ "use": "importance-weighting", "classifier": { "use": "logreg", "C": 0.1 }, "folds": 5, "maxWeight": 10 }`.
 */
export const importanceWeighting = (options?: ImportanceWeightingOptions) => importanceWeightingPlugin.create(options);
