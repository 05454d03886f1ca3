/**
 * What TrAdaBoost and TrAdaBoost.R2 share: resolving and checking the base learner, fitting it on
 * the merged source + labelled target set under a weight distribution, the round bookkeeping
 * (weights, errors, degeneracy) and saving the voting learners.
 *
 * @internal Not exported from the package.
 */
import {
  createRng,
  deriveSeed,
  type EstimatorFitInput,
  type EstimatorStrategy,
  type FittedEstimator,
  type JsonValue,
  type LabeledSet,
  Matrix,
  type ProblemType,
  resolveStep,
  type StepContext,
  type StepOption,
  type StepState,
  type StoredArray,
  TlkitError,
} from '@tlkit/core';
import { lendForSortOrderReuse } from './sort-orders';

/** Resolves the `base` option and checks it can be boosted. */
export function resolveBaseLearner(option: StepOption, strategy: string, problem: ProblemType): EstimatorStrategy {
  const base = resolveStep(option, 'estimator', `${strategy}.base`) as EstimatorStrategy;
  if (!base.needs.acceptsSampleWeights) {
    throw new TlkitError(
      'INVALID_CONFIG',
      `${strategy}.base: '${base.name}' does not accept sample weights, which boosting needs; use one that does (e.g. ${problem === 'classification' ? "{ use: 'logreg' } or { use: 'decision-tree' }" : "{ use: 'ridge' } or { use: 'decision-tree' }"}).`,
      { argument: 'base' },
    );
  }
  if (!base.needs.problems.includes(problem)) {
    throw new TlkitError('INVALID_CONFIG', `${strategy}.base: '${base.name}' does not support ${problem}.`, { argument: 'base' });
  }
  if (base.needs.targetLabels === 'required' || base.needs.trainingHooks) {
    throw new TlkitError(
      'INVALID_CONFIG',
      `${strategy}.base: '${base.name}' cannot be a base learner here (it needs target labels or training steps of its own); use a plain estimator.`,
      { argument: 'base' },
    );
  }
  return base;
}

/** A number for a suggestion: three significant digits (0.001 / 10 is 0.0001, not 0.00010000000000000002). */
function suggested(value: number): number {
  return Number(value.toPrecision(3));
}

/**
 * What to do when the base learner fits the labelled target samples exactly in every round (the
 * boosting's weights then never move): a setting that regularises more than the one in use, for
 * the base learner given (logreg's C ÷ 10, ridge's alpha × 10, a shallower decision tree).
 */
export function interpolationAdvice(base: EstimatorStrategy, problem: ProblemType): string {
  const config = base.config as Readonly<Record<string, unknown>>;
  const learner = problem === 'classification' ? 'base learner' : 'base regressor';
  const tree = `a shallow tree ({ use: 'decision-tree', maxDepth: ${problem === 'classification' ? 2 : 3} })`;
  if (base.name === 'logreg' && typeof config.C === 'number') {
    return `Use a ${learner} that cannot interpolate them: stronger regularisation than the C = ${config.C} in use (e.g. { use: 'logreg', C: ${suggested(config.C / 10)} }) or ${tree}.`;
  }
  if (base.name === 'ridge' && typeof config.alpha === 'number' && config.alpha > 0) {
    return `Use a ${learner} that cannot interpolate them: stronger regularisation than the alpha = ${config.alpha} in use (e.g. { use: 'ridge', alpha: ${suggested(config.alpha * 10)} }) or ${tree}.`;
  }
  if (base.name === 'decision-tree' && typeof config.maxDepth === 'number' && config.maxDepth > 1) {
    return `Use a ${learner} that cannot interpolate them: a shallower tree than the maxDepth = ${config.maxDepth} in use (e.g. { use: 'decision-tree', maxDepth: ${Math.max(1, Math.floor(config.maxDepth / 2))} }) or stronger regularisation (e.g. ${problem === 'classification' ? "{ use: 'logreg', C: 0.001 }" : "{ use: 'ridge', alpha: 10 }"}).`;
  }
  return `Use a ${learner} that cannot interpolate them: stronger regularisation (e.g. ${problem === 'classification' ? "{ use: 'logreg', C: 0.001 }" : "{ use: 'ridge', alpha: 10 }"}) or ${tree}.`;
}

/**
 * What to do when the base learner does no better than chance on the labelled target samples in
 * most voting rounds (ε_t ≥ ½, capped): a more flexible setting than the one in use (logreg's
 * C × 10, ridge's alpha ÷ 10, a deeper decision tree).
 */
export function chanceAdvice(base: EstimatorStrategy, problem: ProblemType): string {
  const config = base.config as Readonly<Record<string, unknown>>;
  const learner = problem === 'classification' ? 'base learner' : 'base regressor';
  if (base.name === 'logreg' && typeof config.C === 'number') {
    const prior = config.C < 1 ? '; on few samples or few features a small C leaves little but the class prior' : '';
    return `Use a ${learner} that can fit them better: less regularisation than the C = ${config.C} in use (e.g. { use: 'logreg', C: ${suggested(config.C * 10)} })${prior}.`;
  }
  if (base.name === 'ridge' && typeof config.alpha === 'number' && config.alpha > 0) {
    return `Use a ${learner} that can fit them better: less regularisation than the alpha = ${config.alpha} in use (e.g. { use: 'ridge', alpha: ${suggested(config.alpha / 10)} }).`;
  }
  if (base.name === 'decision-tree' && typeof config.maxDepth === 'number') {
    return `Use a ${learner} that can fit them better: a deeper tree than the maxDepth = ${config.maxDepth} in use (e.g. { use: 'decision-tree', maxDepth: ${config.maxDepth * 2} }).`;
  }
  return `Use a ${learner} that can fit them better (less regularisation or more capacity).`;
}

/** The merged training set of boosting: source rows first, then the labelled target rows. */
export interface MergedSet {
  readonly X: Matrix;
  readonly y: Int32Array | Float64Array;
  readonly sourceCount: number;
  readonly targetCount: number;
}

/** Checks the inputs of a boosting estimator and merges source and labelled target samples. */
export function mergeForBoosting(input: EstimatorFitInput, strategy: string, problem: ProblemType, context: StepContext): MergedSet {
  if (context.problem !== problem) {
    throw new TlkitError('UNSUPPORTED_PROBLEM', `${strategy} is for ${problem}; the task is ${context.problem}.`);
  }
  const targetLabeled = input.targetLabeled;
  if (!targetLabeled || targetLabeled.X.rows === 0) {
    throw new TlkitError(
      'MISSING_TARGET_LABELS',
      `${strategy} needs a few labelled target samples; pass task.targetLabeled (the CLI: "targetLabeled": { "perClass": 3 }).`,
      { argument: 'task.targetLabeled' },
    );
  }
  const source = input.source;
  if (targetLabeled.X.cols !== source.X.cols) {
    throw new TlkitError(
      'DIMENSION_MISMATCH',
      `${strategy}: the labelled target samples have ${targetLabeled.X.cols} features, the source ${source.X.cols}.`,
      { argument: 'task.targetLabeled.X' },
    );
  }
  if (source.X.rows < 2) {
    throw new TlkitError('TOO_FEW_SAMPLES', `${strategy} needs at least 2 source samples (the source factor uses ln n); got ${source.X.rows}.`, {
      argument: 'task.source',
    });
  }
  const n = source.X.rows;
  const m = targetLabeled.X.rows;
  const y = problem === 'classification' ? new Int32Array(n + m) : new Float64Array(n + m);
  y.set(source.y, 0);
  y.set(targetLabeled.y, n);
  return { X: Matrix.vstack([source.X, targetLabeled.X]), y, sourceCount: n, targetCount: m };
}

/** Initial weights w¹: the incoming source weights (from weighting steps) or 1, and 1 on the target rows. */
export function initialWeights(source: LabeledSet, merged: MergedSet): Float64Array {
  const weights = new Float64Array(merged.sourceCount + merged.targetCount).fill(1);
  if (source.weights) weights.set(source.weights, 0);
  let total = 0;
  for (const value of weights) total += value;
  if (!(total > 0)) {
    throw new TlkitError('INVALID_ARGUMENT', 'the incoming source weights are all 0; boosting needs some positive weight.', { argument: 'weights' });
  }
  return weights;
}

/**
 * Fits the base learner on the merged set under the distribution `p = w / Σw`, passed to the
 * learner as sample weights `p · (n + m)` (mean 1, so a regularised learner sees the same
 * data-term scale as an unweighted fit on the merged set).
 */
export async function fitRound(
  base: EstimatorStrategy,
  input: EstimatorFitInput,
  merged: MergedSet,
  weights: Float64Array,
  context: StepContext,
  round: number,
): Promise<FittedEstimator> {
  let total = 0;
  for (const value of weights) total += value;
  const scale = weights.length / total;
  const sampleWeights = Float64Array.from(weights, (value) => value * scale);
  const seed = deriveSeed(context.seed, 'round', round);
  const train: LabeledSet = { X: merged.X, y: merged.y, weights: sampleWeights };
  return base.doFit(
    {
      source: { X: input.source.X, y: input.source.y, weights: sampleWeights.subarray(0, merged.sourceCount) },
      target: input.target,
      train,
      trainingSteps: [],
    },
    { ...context, seed, rng: createRng(seed), progress: () => {} },
  );
}

/** Per-round bookkeeping shared by both boosting strategies. */
export class RoundLog {
  readonly errors: number[] = [];
  readonly cappedErrors: number[] = [];
  readonly betas: number[] = [];
  readonly voteWeights: number[] = [];
  readonly sourceShares: number[] = [];
  readonly sourceTrainingErrors: number[] = [];
  /** L1 distance between consecutive normalised weight vectors (after each round's update). */
  readonly weightChanges: number[] = [];
  readonly sourceWeights: number[][] = [];
  readonly targetWeights: number[][] = [];

  constructor(
    private readonly merged: MergedSet,
    private readonly recordWeights: boolean,
    private readonly maxError: number,
  ) {}

  /** Records the distribution a round's learner was fitted under. */
  recordDistribution(weights: Float64Array): void {
    const { sourceCount } = this.merged;
    let total = 0;
    let source = 0;
    for (let i = 0; i < weights.length; i++) {
      total += weights[i];
      if (i < sourceCount) source += weights[i];
    }
    this.sourceShares.push(source / total);
    if (this.recordWeights) {
      this.sourceWeights.push(Array.from(weights.subarray(0, sourceCount), (value) => value / total));
      this.targetWeights.push(Array.from(weights.subarray(sourceCount), (value) => value / total));
    }
  }

  /** Records how far the normalised distribution moved in an update. */
  recordChange(before: Float64Array, after: Float64Array): void {
    let totalBefore = 0;
    let totalAfter = 0;
    for (let i = 0; i < before.length; i++) {
      totalBefore += before[i];
      totalAfter += after[i];
    }
    let change = 0;
    for (let i = 0; i < before.length; i++) change += Math.abs(after[i] / totalAfter - before[i] / totalBefore);
    this.weightChanges.push(change);
  }

  /** Rounds whose target error was exactly 0. */
  get zeroErrorRounds(): number {
    return this.errors.filter((error) => error === 0).length;
  }

  /** Rounds whose target error reached the cap (ε_t ≥ `maxError`): at the default cap the rounds at chance; with a lower cap, also rounds better than chance. */
  get cappedRounds(): number {
    return this.errors.filter((error) => error >= this.maxError).length;
  }

  /** Voting rounds (⌈N/2⌉..N) whose learner did no better than chance on the target (ε_t ≥ ½, whatever `maxError` is). */
  get chanceVotingRounds(): number {
    return this.errors.slice(firstVotingRound(this.errors.length) - 1).filter((error) => error >= 0.5).length;
  }

  /** Rounds whose update moved the normalised weights (L1 change > 1e-9). */
  get movedRounds(): number {
    return this.weightChanges.filter((change) => change > 1e-9).length;
  }

  /**
   * The degeneracy diagnosis, in two forms. Either the base learner fits the labelled target
   * samples exactly (ε_t = 0) in at least half of the rounds, so the target weights never move and
   * the vote collapses to (nearly) one learner trained on source + target merged. Or it does no
   * better than chance on them (ε_t ≥ ½, then capped at `maxError`) in at least half of the voting
   * rounds: such a round moves the target weights by a factor of only 1/βₜ and gets a vote weight
   * of ln(1/βₜ) (≈ 1 and ≈ 0 at the default cap 0.499), so the vote is over learners that are no
   * better than chance.
   */
  diagnose(strategy: string, advice: { interpolating: string; chance: string }): { degenerate: boolean; warning?: string } {
    const rounds = this.errors.length;
    const listed = this.errors.map((error) => Number(error.toPrecision(3))).join(', ');
    if (this.zeroErrorRounds * 2 >= rounds) {
      return {
        degenerate: true,
        warning: `${strategy} is degenerate: the base learner fits the ${this.merged.targetCount} labelled target samples exactly in ${this.zeroErrorRounds} of ${rounds} rounds (target error ε_t = 0), so the target weights never move and the result is essentially the base learner trained on source + target merged. Per-round target errors: [${listed}]. ${advice.interpolating}`,
      };
    }
    const first = firstVotingRound(rounds);
    const voting = rounds - first + 1;
    const chance = this.chanceVotingRounds;
    if (chance * 2 >= voting) {
      const weights = this.voteWeights.slice(first - 1).map((weight) => Number(weight.toPrecision(3))).join(', ');
      return {
        degenerate: true,
        warning: `${strategy} is degenerate: the base learner does no better than chance on the ${this.merged.targetCount} labelled target samples in ${chance} of the ${voting} voting rounds (target error ε_t ≥ 0.5, capped at ${this.maxError}), so those rounds barely move the target weights and get little or no vote: at least half of the vote is over learners no better than chance. Per-round target errors: [${listed}]; vote weights of rounds ${first}..${rounds}: [${weights}]. ${advice.chance}`,
      };
    }
    return { degenerate: false };
  }

  /** The log as JSON for `info`. */
  toJson(): Record<string, JsonValue> {
    return {
      roundErrors: this.errors,
      roundErrorsCapped: this.cappedErrors,
      roundBetas: this.betas,
      voteWeights: this.voteWeights,
      sourceWeightShare: this.sourceShares,
      sourceTrainingErrors: this.sourceTrainingErrors,
      weightChanges: this.weightChanges,
      zeroErrorRounds: this.zeroErrorRounds,
      cappedRounds: this.cappedRounds,
      roundsWeightsMoved: this.movedRounds,
      ...(this.recordWeights ? { roundWeights: { source: this.sourceWeights, target: this.targetWeights } } : {}),
    };
  }
}

/** Packs the voting learners' states into one state (arrays prefixed `learner<k>.`). */
export async function packLearners(
  learners: readonly FittedEstimator[],
  json: Record<string, JsonValue>,
): Promise<StepState> {
  const arrays: Record<string, StoredArray> = {};
  const learnerJson: JsonValue[] = [];
  for (const [index, learner] of learners.entries()) {
    const state = await learner.saveState();
    const names: string[] = [];
    for (const [name, array] of Object.entries(state.arrays ?? {})) {
      arrays[`learner${index}.${name}`] = array;
      names.push(name);
    }
    learnerJson.push({ json: state.json ?? null, arrays: names });
  }
  return { json: { ...json, learners: learnerJson }, arrays };
}

/** Restores the voting learners packed by {@link packLearners}. */
export async function unpackLearners(state: StepState, base: EstimatorStrategy): Promise<FittedEstimator[]> {
  const json = state.json as { learners?: { json: JsonValue; arrays: string[] }[] } | undefined;
  if (!json || !Array.isArray(json.learners)) throw new TlkitError('INVALID_ARTIFACT', 'boosting state: no learners.');
  const learners: FittedEstimator[] = [];
  for (const [index, entry] of json.learners.entries()) {
    const arrays: Record<string, StoredArray> = {};
    for (const name of entry.arrays) {
      const stored = state.arrays?.[`learner${index}.${name}`];
      if (!stored) throw new TlkitError('INVALID_ARTIFACT', `boosting state: learner ${index} has no array '${name}'.`);
      arrays[name] = stored;
    }
    learners.push(await base.doRestore({ ...(entry.json !== null ? { json: entry.json } : {}), arrays }));
  }
  return learners;
}

/** The first voting round (1-based) of N rounds: ⌈N/2⌉, as in both papers. */
export function firstVotingRound(rounds: number): number {
  return Math.ceil(rounds / 2);
}

/** The per-round settings both algorithms take. */
export interface BoostingRoundOptions {
  readonly rounds: number;
  readonly maxError: number;
  readonly recordWeights: boolean;
}

/** What the rounds leave: the voting learners (rounds ⌈N/2⌉..N), their vote weights and the log. */
export interface BoostingRounds {
  readonly learners: FittedEstimator[];
  readonly voteWeights: number[];
  readonly log: RoundLog;
  readonly sourceFactor: number;
  readonly firstVoter: number;
}

/** εₜ is floored here for the vote weight, so a perfect round gets a finite vote. */
const ERROR_FLOOR = 1e-10;

/**
 * The round loop TrAdaBoost (Dai et al., ICML 2007) and TrAdaBoost.R2 (Pardoe & Stone, ICML 2010)
 * share. Each round fits the base learner under the current weights, asks `sampleErrors` for
 * eᵢ ∈ [0, 1] on every merged row (0/1 misclassification, or the adjusted regression error), takes
 * εₜ = Σ_target wᵢeᵢ / Σ_target wᵢ capped at `maxError`, βₜ = εₜ / (1 − εₜ), and updates
 * wᵢ ← wᵢ·β^{eᵢ} on the source (β = 1 / (1 + √(2 ln n / N))) and wᵢ ← wᵢ / βₜ^{eᵢ} on the target.
 * Learners of the first half are disposed; on an error every kept learner is.
 *
 * The merged matrix is built by {@link mergeForBoosting} and never changed, so it is lent for
 * sort-order reuse: a decision-tree base learner sorts its columns once per run, not once per round.
 */
export function runBoostingRounds(
  input: EstimatorFitInput,
  context: StepContext,
  base: EstimatorStrategy,
  merged: MergedSet,
  options: BoostingRoundOptions,
  sampleErrors: (predictions: Int32Array | Float64Array, into: Float64Array) => void,
): Promise<BoostingRounds> {
  return lendForSortOrderReuse(merged.X, async () => {
    const { sourceCount: n, targetCount: m } = merged;
    const N = options.rounds;
    const sourceFactor = 1 / (1 + Math.sqrt((2 * Math.log(n)) / N));
    const firstVoter = firstVotingRound(N);
    let weights = initialWeights(input.source, merged);
    const log = new RoundLog(merged, options.recordWeights, options.maxError);
    const learners: FittedEstimator[] = [];
    const voteWeights: number[] = [];
    const errors = new Float64Array(n + m);
    try {
      for (let round = 1; round <= N; round++) {
        context.throwIfAborted();
        log.recordDistribution(weights);
        const learner = await fitRound(base, input, merged, weights, context, round);
        sampleErrors(learner.predict(merged.X), errors);
        let targetWeight = 0;
        let targetError = 0;
        let sourceError = 0;
        for (let i = 0; i < n + m; i++) {
          if (i >= n) {
            targetWeight += weights[i];
            targetError += weights[i] * errors[i];
          } else {
            sourceError += errors[i];
          }
        }
        const error = targetError / targetWeight;
        const capped = Math.min(error, options.maxError);
        const beta = capped / (1 - capped);
        const floored = Math.max(capped, ERROR_FLOOR);
        const voteWeight = Math.log(1 / (floored / (1 - floored)));
        log.errors.push(error);
        log.cappedErrors.push(capped);
        log.betas.push(beta);
        log.voteWeights.push(round >= firstVoter ? voteWeight : 0);
        log.sourceTrainingErrors.push(sourceError / n);
        // Source rows with error shrink by β^e; target rows with error grow by βₜ^(−e).
        const next = weights.slice();
        for (let i = 0; i < n + m; i++) {
          if (errors[i] === 0) continue;
          next[i] = i < n ? weights[i] * sourceFactor ** errors[i] : weights[i] / beta ** errors[i];
        }
        log.recordChange(weights, next);
        weights = next;
        if (round >= firstVoter) {
          learners.push(learner);
          voteWeights.push(voteWeight);
        } else {
          learner.dispose?.();
        }
        context.progress({
          phase: 'round',
          current: round,
          total: N,
          metrics: { targetError: error, sourceError: sourceError / n, sourceShare: log.sourceShares[round - 1] },
        });
      }
    } catch (error) {
      for (const learner of learners) learner.dispose?.();
      throw error;
    }
    return { learners, voteWeights, log, sourceFactor, firstVoter };
  });
}
