/**
 * The Strategy contract (specification v1): what every step of a tlkit pipeline is.
 *
 * A strategy has a `kind` (WHAT knowledge it transfers: the taxonomy users search by) and a
 * `role` (WHERE it plugs into a run: what the orchestrator does with it). Methods prefixed `do`
 * are called by the orchestrator only; users call `compose(...).fit(...)`.
 */
import type { ImageShape, ProblemType } from './data';
import type { Matrix } from './matrix';
import type { ProgressReporter } from './progress';
import type { Rng } from './rng';
import type { JsonValue, StepState } from './state';
import type { ByteStorage } from './storage';
import type { TrainingHooks } from './training/types';

/** The version of this contract a strategy implements. */
export type SpecificationVersion = 'v1';

/**
 * WHAT knowledge a strategy transfers. `base` marks steps that transfer nothing themselves
 * (base estimators such as k-NN or logistic regression, the deep trainer).
 */
export type StrategyKind = 'instance' | 'feature' | 'parameter' | 'relational' | 'adversarial' | 'base';

/**
 * WHERE a strategy plugs into a run:
 * - `weighting`: produces a weight per source sample (KMM, KLIEP);
 * - `mapping`: a fitted transform X → Z for both domains (PCA, TCA, CORAL);
 * - `estimator`: a fitted predictor (k-NN, logistic regression, TrAdaBoost, the deep trainer);
 * - `training`: hooks into core's deep training loop (fine-tuning, DANN, LwF).
 */
export type StrategyRole = 'weighting' | 'mapping' | 'estimator' | 'training';

/** All kinds, in display order. */
export const STRATEGY_KINDS: readonly StrategyKind[] = ['instance', 'feature', 'parameter', 'relational', 'adversarial', 'base'];
/** All roles, in pipeline order. */
export const STRATEGY_ROLES: readonly StrategyRole[] = ['weighting', 'mapping', 'estimator', 'training'];

/** Whether a step may see the few labelled target samples (`task.targetLabeled`). */
export type TargetLabelUse = 'never' | 'optional' | 'required';

/** What a strategy needs from a task and from the steps around it. */
export interface StrategyNeeds {
  /** Problems it supports. */
  readonly problems: readonly ProblemType[];
  /**
   * `'required'`: fails without labelled target samples; `'optional'`: uses them when present;
   * `'never'`: never receives them. Unlabelled target features are given to every step.
   */
  readonly targetLabels: TargetLabelUse;
  /** True when it consumes per-sample source weights from a preceding `weighting` step. */
  readonly acceptsSampleWeights: boolean;
  /** Estimators only: true when it runs core's training loop and takes `training` steps. */
  readonly trainingHooks?: boolean;
  /** True when its input must be images (a domain with `shape`). */
  readonly images?: boolean;
}

/** Labelled samples handed to a step. Row `i` of `X` has label `y[i]` and weight `weights[i]`. */
export interface LabeledSet {
  readonly X: Matrix;
  readonly y: Int32Array | Float64Array;
  /** Per-sample weights from the weighting steps, if any (absent means all 1). */
  readonly weights?: Float64Array;
}

/** Unlabelled samples handed to a step. */
export interface UnlabeledSet {
  readonly X: Matrix;
}

/** Services every `do*` call receives from the orchestrator. */
export interface StepContext {
  /** This step's seed, derived from the run seed and the step's position. */
  readonly seed: number;
  /** A generator seeded with {@link StepContext.seed}. */
  readonly rng: Rng;
  readonly problem: ProblemType;
  /** Number of classes (0 for regression). */
  readonly numClasses: number;
  /** The image shape of the current features, if they are images. */
  readonly shape?: ImageShape;
  /** Reports progress; cheap to call often. */
  readonly progress: ProgressReporter;
  /** The run's abort signal, if any. */
  readonly signal?: AbortSignal;
  /** Throws a `TlkitError` with code `ABORTED` when the run's signal has fired. */
  throwIfAborted(): void;
  /** Byte storage for checkpoints and caches (in memory unless the caller passes one). */
  readonly storage: ByteStorage;
}

/** The data a step is fitted on. Read-only: copy before changing anything (later steps and pipelines get the same arrays). */
export interface StepFitInput {
  /** Source samples with labels, in the current feature space, with current weights. */
  readonly source: LabeledSet;
  /** Unlabelled target samples, in the current feature space. */
  readonly target: UnlabeledSet;
  /** Labelled target samples: present only when the step declares it uses target labels. */
  readonly targetLabeled?: LabeledSet;
}

/** What a weighting step returns. */
export interface WeightingResult {
  /** One non-negative weight per source sample. */
  readonly weights: Float64Array;
  /** Numbers worth reporting (objective, effective sample size, chosen kernel width, ...). */
  readonly info?: Readonly<Record<string, JsonValue>>;
}

/** A fitted mapping: transforms features of either domain into the learned space. */
export interface FittedMapping {
  /** Output feature dimension. */
  readonly outputDim: number;
  /** Output image shape, when the mapping keeps images as images. */
  readonly outputShape?: ImageShape;
  /** Maps samples of the given domain (out-of-sample points welcome). */
  transform(X: Matrix, domain: 'source' | 'target'): Matrix;
  /**
   * The fitted samples already transformed, when the mapping has them for free (in the same
   * order as fitted). The orchestrator uses them instead of calling `transform` again.
   */
  readonly fitted?: { readonly source?: Matrix; readonly target?: Matrix; readonly targetLabeled?: Matrix };
  /** Numbers worth reporting (eigenvalues, iterations, ...). */
  readonly info?: Readonly<Record<string, JsonValue>>;
  /** What {@link MappingStrategy.doRestore} needs to rebuild this mapping. */
  saveState(): StepState | Promise<StepState>;
  /** Frees tensors, if it holds any. */
  dispose?(): void;
}

/** A fitted predictor. */
export interface FittedEstimator {
  /** Class ids (`Int32Array`) for classification, values (`Float64Array`) for regression. */
  predict(X: Matrix): Int32Array | Float64Array;
  /** Class probabilities, `n x numClasses` (classification estimators that have them). */
  predictProba?(X: Matrix): Matrix;
  /** Numbers worth reporting (per-round errors, training curves, ...). */
  readonly info?: Readonly<Record<string, JsonValue>>;
  /** What {@link EstimatorStrategy.doRestore} needs to rebuild this predictor. */
  saveState(): StepState | Promise<StepState>;
  /** Frees tensors, if it holds any. */
  dispose?(): void;
}

/** Estimator input: the set to learn from, plus every part of the task the step may see. */
export interface EstimatorFitInput extends StepFitInput {
  /**
   * What a plain estimator learns from: the source (default), the labelled target samples,
   * or both, as the run asked (`trainOn`). Estimators that treat domains differently (TrAdaBoost)
   * read `source` and `targetLabeled` instead.
   */
  readonly train: LabeledSet;
  /** The pipeline's `training` steps (only for estimators with `needs.trainingHooks`). */
  readonly trainingSteps: readonly TrainingStrategy[];
}

/** Fields every strategy carries. The orchestrator relies on them; `definePlugin` fills them in. */
export interface StrategyBase {
  /** Always `'v1'` for this contract. */
  readonly specificationVersion: SpecificationVersion;
  /** The registry name (kebab-case), e.g. `'tca'`. */
  readonly name: string;
  readonly kind: StrategyKind;
  readonly role: StrategyRole;
  readonly needs: StrategyNeeds;
  /** The validated options, as JSON where possible; saved in a pipeline's manifest. */
  readonly config: Readonly<Record<string, unknown>>;
}

/** A `weighting` step: computes a weight per source sample. */
export interface WeightingStrategy extends StrategyBase {
  readonly role: 'weighting';
  /** @internal Called by the orchestrator. */
  doFitWeights(input: StepFitInput, context: StepContext): Promise<WeightingResult>;
}

/** A `mapping` step: learns a transform of both domains. */
export interface MappingStrategy extends StrategyBase {
  readonly role: 'mapping';
  /** @internal Called by the orchestrator. */
  doFit(input: StepFitInput, context: StepContext): Promise<FittedMapping>;
  /** @internal Rebuilds a fitted mapping from {@link FittedMapping.saveState}. */
  doRestore(state: StepState): Promise<FittedMapping> | FittedMapping;
}

/** An `estimator` step: learns a predictor. */
export interface EstimatorStrategy extends StrategyBase {
  readonly role: 'estimator';
  /**
   * Whether its fitted predictor has {@link FittedEstimator.predictProba} on classification tasks:
   * `true` always, `false` never. Leave it out when that is known only after fitting. Steps that
   * need class probabilities from an estimator they are given (importance weighting's domain
   * classifier) read it to refuse an estimator without them before any compute; when it is absent
   * they check the fitted predictor instead.
   */
  readonly probabilities?: boolean;
  /** @internal Called by the orchestrator. */
  doFit(input: EstimatorFitInput, context: StepContext): Promise<FittedEstimator>;
  /** @internal Rebuilds a fitted estimator from {@link FittedEstimator.saveState}. */
  doRestore(state: StepState): Promise<FittedEstimator> | FittedEstimator;
}

/** A `training` step: contributes hooks to core's training loop. */
export interface TrainingStrategy extends StrategyBase {
  readonly role: 'training';
  /** @internal Called by the training loop once per run. */
  doCreateHooks(context: StepContext): TrainingHooks;
}

/** Any strategy. Narrow on `role`. */
export type Strategy = WeightingStrategy | MappingStrategy | EstimatorStrategy | TrainingStrategy;

/** The role-specific part a plugin implements; `definePlugin` adds the {@link StrategyBase} fields. */
export type StrategyImplementation<R extends StrategyRole> = R extends 'weighting'
  ? Omit<WeightingStrategy, keyof StrategyBase>
  : R extends 'mapping'
    ? Omit<MappingStrategy, keyof StrategyBase>
    : R extends 'estimator'
      ? Omit<EstimatorStrategy, keyof StrategyBase>
      : Omit<TrainingStrategy, keyof StrategyBase>;

/** The full strategy type for a role. */
export type StrategyForRole<R extends StrategyRole> = R extends 'weighting'
  ? WeightingStrategy
  : R extends 'mapping'
    ? MappingStrategy
    : R extends 'estimator'
      ? EstimatorStrategy
      : TrainingStrategy;

/** True when `value` looks like a strategy of this contract. */
export function isStrategy(value: unknown): value is Strategy {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as StrategyBase).specificationVersion === 'v1' &&
    typeof (value as StrategyBase).name === 'string' &&
    typeof (value as StrategyBase).role === 'string'
  );
}
