/**
 * Types of core's one training loop. Deep strategies do not own loops: a `training` step returns
 * {@link TrainingHooks}, and the trainer calls every step's hooks in the same loop, so
 * fine-tuning + DANN + LwF compose in one run.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ImageShape, ProblemType } from '../data';
import type { Matrix } from '../matrix';
import type { Rng } from '../rng';
import type { StepState } from '../state';

/**
 * The network being trained: a backbone (inputs → features) and a task head
 * (features → logits for classification, → predictions for regression). Hooks may add heads
 * (LwF's old-task head, multi-task heads) under a name.
 */
export interface TrainingModel {
  /** Inputs → features. */
  readonly backbone: tf.LayersModel;
  /** Features → task outputs (logits or regression values). */
  readonly head: tf.LayersModel;
  /** Extra heads added by hooks, by name. Their weights are trained with the rest unless frozen. */
  readonly extraHeads: Map<string, tf.LayersModel>;
}

/** One batch of the loop: source samples, and target samples when a hook asks for them. */
export interface TrainingBatch {
  readonly source: {
    /** Inputs, `b x d` (or `b x h x w x c` for images). */
    readonly x: tf.Tensor;
    /** Labels: int32 class ids (classification) or float32 targets (regression). */
    readonly y: tf.Tensor1D;
    /** Per-sample weights (1 when no weighting step ran). */
    readonly weights: tf.Tensor1D;
    /** Row indices of this batch in the source set. */
    readonly indices: Int32Array;
  };
  /** Unlabelled target inputs (present when a hook has `needsTargetBatch`). */
  readonly target?: {
    readonly x: tf.Tensor;
    readonly indices: Int32Array;
  };
  /**
   * Batches of the extra labelled sets hooks asked for with
   * {@link TrainingSetupContext.addLabeledBatches} (multi-task: another task's data), by name.
   */
  readonly extra?: Readonly<Record<string, LabeledBatch>>;
}

/** A batch of an extra labelled set: inputs, labels, and row indices in that set. */
export interface LabeledBatch {
  readonly x: tf.Tensor;
  /** int32 class ids (classification) or float32 targets (regression). */
  readonly y: tf.Tensor1D;
  readonly indices: Int32Array;
}

/** What the forward pass produced for a batch (computed inside the gradient tape). */
export interface TrainingOutputs {
  readonly source: { readonly features: tf.Tensor2D; readonly logits: tf.Tensor2D };
  readonly target?: { readonly features: tf.Tensor2D; readonly logits: tf.Tensor2D };
  /** Backbone features of each extra labelled batch (heads are the hook's business). */
  readonly extra?: Readonly<Record<string, { readonly features: tf.Tensor2D }>>;
}

/** One backbone weight at the start of the run, with the layer it belongs to. */
export interface WeightSnapshot {
  /** The tfjs layer name (e.g. `backbone_dense0`). */
  readonly layerName: string;
  /** The weight's variable name. */
  readonly name: string;
  /** The value, owned by the loop (freed after the run): read it, do not dispose it. */
  readonly value: tf.Tensor;
}

/**
 * What the run starts from when the trainer pre-trained on the labelled source (`pretrain`) or
 * was given a pre-trained model: the backbone's starting weights (the pre-trained values, which
 * the backbone also holds at `setup`) and the source task's head.
 */
export interface PretrainedState {
  /** Every backbone weight as it was before the first step, in `model.backbone.weights` order. */
  readonly backboneWeights: readonly WeightSnapshot[];
  /**
   * The source task's (old) head, in `model.extraHeads` under {@link PretrainedState.headName}.
   * Frozen (`trainable = false`) unless a hook makes it trainable (LwF, multi-task); the fitted
   * network can predict with it (old-task accuracy, forgetting). Absent when the user brought a
   * pre-trained backbone without a head (`trainer({ initialModel: { backbone } })`).
   */
  readonly head?: tf.LayersModel;
  /** `'source'`. */
  readonly headName: string;
  /** Outputs of the source head (classes of the source task, 1 for regression; 0 without a head). */
  readonly numClasses: number;
}

/** Where the loop is; `progress` runs from 0 to 1 over the whole run (for λ schedules). */
export interface TrainingProgress {
  /** 0-based epoch. */
  readonly epoch: number;
  readonly epochs: number;
  /** 0-based global step. */
  readonly step: number;
  readonly stepsPerEpoch: number;
  /**
   * 0 at the first step, 1 at the last: `step / (epochs · stepsPerEpoch − 1)` during batches (1 for
   * a one-step run), and `(epoch + 1) / epochs` in `onEpochEnd`.
   */
  readonly progress: number;
}

/** The data and services a hook's `setup` receives. */
export interface TrainingSetupContext {
  readonly model: TrainingModel;
  readonly problem: ProblemType;
  readonly numClasses: number;
  /** Shape of one input sample: `[d]` or `[h, w, c]`. */
  readonly inputShape: readonly number[];
  /** Width of the backbone's feature output. */
  readonly featureDim: number;
  readonly source: { readonly X: Matrix; readonly y: Int32Array | Float64Array; readonly weights?: Float64Array };
  readonly target: { readonly X: Matrix };
  readonly targetLabeled?: { readonly X: Matrix; readonly y: Int32Array | Float64Array };
  /**
   * The labelled source domain, whatever the run trains on (`source` above is the training set:
   * the labelled target samples when the run trains on the target). Multi-task uses it.
   */
  readonly labeledSource?: { readonly X: Matrix; readonly y: Int32Array | Float64Array };
  /** The pre-trained starting point, when there is one (trainer `pretrain`). */
  readonly pretrained?: PretrainedState;
  readonly imageShape?: ImageShape;
  /**
   * True when the loop augments the training batches (trainer `augment`): `batch.source.x` is then
   * a random warp of the rows of `source.X`, so responses recorded on `source.X` at setup do not
   * belong to the batch's images.
   */
  readonly augmented: boolean;
  /**
   * Asks the loop for a batch of another labelled set in every step (multi-task), under `name`:
   * the batch is `batch.extra[name]` and its backbone features `outputs.extra[name].features`.
   * Batches have the main batch size (at most the set's size) and cycle through a fresh seeded
   * permutation of the set each epoch.
   */
  addLabeledBatches(name: string, set: { readonly X: Matrix; readonly y: Int32Array | Float64Array }): void;
  /** A generator for this hook (seeded from its step's seed). */
  readonly rng: Rng;
  readonly epochs: number;
  readonly stepsPerEpoch: number;
}

/**
 * What a hook's `check` sees: the run as it will be, before anything trains (the trainer calls
 * `check` before pre-training, and the loop calls it again before `setup`). Read it; keep nothing.
 */
export interface TrainingCheckContext {
  /** The backbone the run trains (untrained when the check runs before pre-training): its layers and shapes. */
  readonly backbone: tf.LayersModel;
  readonly problem: ProblemType;
  readonly numClasses: number;
  /** Shape of one input sample: `[d]` or `[h, w, c]`. */
  readonly inputShape: readonly number[];
  /** Width of the backbone's feature output. */
  readonly featureDim: number;
  readonly source: TrainingSetupContext['source'];
  readonly target: TrainingSetupContext['target'];
  readonly targetLabeled?: TrainingSetupContext['targetLabeled'];
  readonly labeledSource?: TrainingSetupContext['labeledSource'];
  readonly imageShape?: ImageShape;
  /** True when the loop augments the training batches (trainer `augment`). */
  readonly augmented: boolean;
  /** The run's epoch budget (trainer `epochs`): a schedule can check its epochs fit in it. */
  readonly epochs: number;
  /**
   * The pre-trained source head the run will start from (trainer `pretrain`, or `initialModel`
   * with a head): its number of outputs. Absent when the run has none.
   */
  readonly sourceHead?: { readonly outputs: number };
}

/** Metrics of one finished epoch. */
export interface EpochLogs {
  /** Mean of each loss term over the epoch (`task` plus one per hook term). */
  readonly losses: Readonly<Record<string, number>>;
  /** Training accuracy on the source batches (classification). */
  readonly accuracy?: number;
  /** Validation loss when early stopping holds out data. */
  readonly validationLoss?: number;
}

/**
 * What a `training` step contributes to the loop. Every member is optional.
 *
 * The loop, per batch, inside one gradient tape: forward source (and target) through backbone and
 * head; `task` loss (sample-weighted); plus each hook's `loss` (already weighted by the hook,
 * e.g. with a λ schedule); gradients for the model's trainable weights and each hook's
 * `trainableVariables`; one optimizer step.
 */
export interface TrainingHooks {
  /** Name of the loss term in logs (defaults to the step's name). */
  readonly name?: string;
  /** True when `loss` needs a target batch in every step. */
  readonly needsTargetBatch?: boolean;
  /**
   * Rejects a configuration that cannot run (unknown layer names, a missing pre-trained head, ...)
   * with a `TlkitError`, before any training: the trainer calls it before pre-training, so an error
   * does not come after minutes of it. Synchronous, and allocates no tensors.
   */
  check?(context: TrainingCheckContext): void;
  /** Called once before the first epoch: add a discriminator, snapshot the model, freeze layers. */
  setup?(context: TrainingSetupContext): void | Promise<void>;
  /** Extra variables to optimise (a discriminator's weights). */
  trainableVariables?(): tf.Variable[];
  /**
   * A learning-rate factor for a model weight (discriminative learning rates); `undefined` keeps 1.
   * `layerName` is the tfjs layer the weight belongs to.
   */
  learningRateMultiplier?(variable: tf.Variable, layerName: string, progress: TrainingProgress): number | undefined;
  /** The hook's extra loss term for this batch (a scalar, already weighted), or undefined. */
  loss?(batch: TrainingBatch, outputs: TrainingOutputs, progress: TrainingProgress): tf.Scalar | undefined;
  /** Called after each epoch (unfreeze schedules, λ schedules, logging). */
  onEpochEnd?(progress: TrainingProgress, logs: EpochLogs): void | Promise<void>;
  /** The hook's own state for checkpoints (variables, counters). */
  getState?(): StepState | Promise<StepState>;
  /** Restores {@link TrainingHooks.getState} when resuming. Called after `setup`. */
  setState?(state: StepState): void | Promise<void>;
  /** Frees tensors the hook holds. */
  dispose?(): void;
}
