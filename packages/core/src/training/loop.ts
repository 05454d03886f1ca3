import * as tf from '@tensorflow/tfjs';
import { decodeState as decodeArtifactState, type EncodedState } from '../artifacts';
import type { ImageShape, ProblemType } from '../data';
import { TlkitError } from '../errors';
import type { Matrix } from '../matrix';
import { createRng, deriveSeed, type Rng } from '../rng';
import type { StoredArray } from '../state';
import type { StepContext, TrainingStrategy } from '../strategy';
import { type augmentationSchema, augmentBatch } from './augment';
import { BatchSource, labelBatch, weightBatch } from './batches';
import { type BackboneConfig, buildBackbone, seededGlorot } from './backbones';
import { FrozenBatchNormRule } from './frozen-batch-norm';
import { EventLoopYielder } from './event-loop';
import { type CheckpointManifest, damagedCheckpoint, readCheckpoint, runFingerprint, writeCheckpoint } from './checkpoint';
import { checkInitialModel, copyInitialModel, type InitialModel } from './initial-model';
import { innerLayers } from './inner-layers';
import { createOptimizer, type optimizerSchema, type ParameterOptimizer } from './optimizers';
import type {
  EpochLogs,
  LabeledBatch,
  PretrainedState,
  TrainingBatch,
  TrainingCheckContext,
  TrainingHooks,
  TrainingModel,
  TrainingOutputs,
  TrainingProgress,
  TrainingSetupContext,
  WeightSnapshot,
} from './types';
import type { z } from 'zod';

export type { InitialModel } from './initial-model';

/** Early stopping on a held-out part of the training set. */
export interface EarlyStoppingOptions {
  /** Epochs without improvement before stopping. */
  readonly patience: number;
  /** Fraction of the training set held out (seeded, stratified for classification). */
  readonly validationFraction: number;
  /** Smallest decrease of the validation loss that counts as an improvement. */
  readonly minDelta: number;
}

/** Checkpoints in the run's {@link ByteStorage}. */
export interface CheckpointOptions {
  /** Storage key of the checkpoint (one file; overwritten). */
  readonly key: string;
  /** Write a checkpoint every this many epochs. */
  readonly every: number;
  /**
   * Continue from the checkpoint under `key` when there is one. Only the run that wrote it is
   * resumed: the checkpoint holds a fingerprint of the run's options (with the training steps and
   * the seed), data, starting weights (an `initialModel`'s architecture, layer names and weights)
   * and epochs, and one that differs (or has none, from an earlier tlkit) is refused with
   * `INVALID_CONFIG` before the run's training. The trainer's `pretrain` comes before that check,
   * since the fingerprint includes the pre-trained weights: read from its cache when it has them,
   * trained first otherwise. A checkpoint that early stopping ended its run with is resumed as that
   * end: no further epoch, the same network.
   */
  readonly resume: boolean;
}

/**
 * Weights a run starts from: a trained model's {@link modelWeightArrays} (keys `backbone/<i>` and
 * `head/<i>`), e.g. the trainer's pre-training on the labelled source. The backbone is loaded
 * with them and the old head becomes the frozen extra head `'source'`. @internal
 */
export interface InitialWeights {
  readonly arrays: Readonly<Record<string, StoredArray>>;
  /** Outputs of the saved head (its number of classes). */
  readonly headOutputs: number;
}

/** The loop's settings (validated by the trainer's schema). @internal */
export interface TrainingRunOptions {
  readonly backbone: BackboneConfig;
  readonly epochs: number;
  readonly batchSize: number;
  readonly optimizer: z.output<typeof optimizerSchema>;
  readonly earlyStopping?: EarlyStoppingOptions;
  readonly checkpoint?: CheckpointOptions;
  readonly initialWeights?: InitialWeights;
  /** A pre-trained network the user brings: it replaces the configured backbone (copied, never modified). */
  readonly initialModel?: InitialModel;
  /** Random affine augmentation of the training batches (image inputs only). */
  readonly augment?: z.output<typeof augmentationSchema>;
  /** The option's name in errors (`'augment'` or `'pretrain.augment'`). */
  readonly augmentArgument?: string;
}

/** Name of the extra head that holds the source task's (pre-trained) head. */
export const SOURCE_HEAD = 'source';

/** The labelled data the loop learns from. @internal */
export interface TrainingData {
  readonly train: { readonly X: Matrix; readonly y: Int32Array | Float64Array; readonly weights?: Float64Array };
  readonly target: { readonly X: Matrix };
  readonly targetLabeled?: { readonly X: Matrix; readonly y: Int32Array | Float64Array };
  /** The labelled source domain (whatever `train` is), for hooks that use it (multi-task). */
  readonly labeledSource?: { readonly X: Matrix; readonly y: Int32Array | Float64Array };
  readonly problem: ProblemType;
  readonly numClasses: number;
  readonly imageShape?: ImageShape;
}

/** What a finished run returns. @internal */
export interface TrainingResult {
  readonly model: TrainingModel;
  readonly inputShape: readonly number[];
  readonly history: EpochLogs[];
  /** Epochs actually run (early stopping may end a run sooner). */
  readonly epochsRun: number;
  /** Epoch the run resumed from (a checkpoint), if any. */
  readonly resumedFrom?: number;
}

/** Per-sample task loss: softmax cross-entropy (classification) or squared error (regression). @internal */
export function taskLossPerSample(logits: tf.Tensor2D, y: tf.Tensor1D, problem: ProblemType, numClasses: number): tf.Tensor1D {
  return tf.tidy(() => {
    if (problem === 'classification') {
      const logProbabilities = tf.logSoftmax(logits);
      const oneHot = tf.oneHot(y as tf.Tensor1D, numClasses).toFloat();
      return tf.neg(tf.sum(tf.mul(oneHot, logProbabilities), 1)) as tf.Tensor1D;
    }
    return tf.square(tf.sub(tf.reshape(logits, [-1]), y.toFloat())) as tf.Tensor1D;
  });
}

/** Builds the task head: one dense layer to `numClasses` logits (or 1 value). @internal */
export function buildHead(featureDim: number, outputs: number, seed: number, name = 'head'): tf.LayersModel {
  const input = tf.input({ shape: [featureDim], name: `${name}_input` });
  const output = tf.layers
    .dense({ units: outputs, kernelInitializer: seededGlorot(seed, name), biasInitializer: 'zeros', name: `${name}_dense` })
    .apply(input) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name });
}

/** Every part of the model in a fixed order: backbone, head, extra heads by name. @internal */
export function modelParts(model: TrainingModel): [string, tf.LayersModel][] {
  return [
    ['backbone', model.backbone],
    ['head', model.head],
    ...[...model.extraHeads.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, head]) => [`heads/${name}`, head] as [string, tf.LayersModel]),
  ];
}

/** The trainable variables with their layer names, in a fixed order. @internal */
function trainableWithLayers(model: TrainingModel): { variable: tf.Variable; layerName: string }[] {
  const out: { variable: tf.Variable; layerName: string }[] = [];
  const visit = (layer: tf.layers.Layer) => {
    const nested = innerLayers(layer);
    if (nested && layer instanceof tf.LayersModel) {
      if (!layer.trainable) return;
      for (const inner of nested) visit(inner);
      return;
    }
    if (!layer.trainable) return;
    for (const weight of layer.trainableWeights) out.push({ variable: weight.read() as tf.Variable, layerName: layer.name });
  };
  for (const [, part] of modelParts(model)) visit(part);
  return out;
}

/** Every weight variable of the model (trainable or not), in a fixed order. @internal */
function allModelVariables(model: TrainingModel): tf.Variable[] {
  return modelParts(model).flatMap(([, part]) => part.weights.map((weight) => weight.read() as tf.Variable));
}

/** The layer each weight of `model` belongs to, by weight variable name (nested models walked). @internal */
export function weightLayerNames(model: tf.LayersModel): Map<string, string> {
  const names = new Map<string, string>();
  const visit = (layer: tf.layers.Layer) => {
    const nested = innerLayers(layer);
    if (nested && layer instanceof tf.LayersModel) {
      for (const inner of nested) visit(inner);
      return;
    }
    for (const weight of layer.weights) names.set(weight.name, layer.name);
  };
  for (const layer of model.layers) visit(layer);
  return names;
}

/** Throws `INVALID_ARTIFACT` when a saved array holds more or fewer values than its shape needs. */
function checkStoredLength(stored: StoredArray, key: string): void {
  const size = stored.shape.reduce((a, b) => a * b, 1);
  if (stored.data.length !== size) {
    throw new TlkitError(
      'INVALID_ARTIFACT',
      `saved weights '${key}' hold ${stored.data.length} values but their shape [${stored.shape.join(', ')}] needs ${size}; the artifact is damaged: save it again.`,
    );
  }
}

/** Loads `arrays[<prefix>/<i>]` into the weights of one model part. @internal */
export function loadPartWeights(part: tf.LayersModel, prefix: string, arrays: Readonly<Record<string, StoredArray>>): void {
  part.weights.forEach((weight, index) => {
    const stored = arrays[`${prefix}/${index}`];
    if (!stored || stored.shape.join('x') !== weight.shape.join('x')) {
      throw new TlkitError(
        'INVALID_ARTIFACT',
        `saved weights '${prefix}/${index}' ${stored ? `have shape [${stored.shape.join(', ')}]` : 'are missing'}; the model expects [${weight.shape.join(', ')}]. Was it saved from a different architecture?`,
      );
    }
    checkStoredLength(stored, `${prefix}/${index}`);
    tf.tidy(() => {
      weight.write(tf.tensor(Float32Array.from(stored.data), [...stored.shape], 'float32'));
    });
  });
}

/** Saves every model weight as float32 arrays keyed `<part>/<index>`. @internal */
export function modelWeightArrays(model: TrainingModel): Record<string, StoredArray> {
  const arrays: Record<string, StoredArray> = {};
  for (const [name, part] of modelParts(model)) {
    part.weights.forEach((weight, index) => {
      const value = weight.read();
      arrays[`${name}/${index}`] = { dtype: 'float32', shape: value.shape, data: value.dataSync() as Float32Array };
    });
  }
  return arrays;
}

/** Loads weights saved by {@link modelWeightArrays}. @internal */
export function loadModelWeightArrays(model: TrainingModel, arrays: Readonly<Record<string, StoredArray>>): void {
  for (const [name, part] of modelParts(model)) loadPartWeights(part, name, arrays);
}

function stratifiedHoldOut(y: Int32Array | Float64Array, fraction: number, rng: Rng): { train: Int32Array; validation: Int32Array } {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < y.length; i++) {
    const key = y instanceof Int32Array ? y[i] : 0;
    const group = groups.get(key) ?? [];
    group.push(i);
    groups.set(key, group);
  }
  const validation: number[] = [];
  const train: number[] = [];
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const members = rng.shuffle(groups.get(key)!.slice());
    const count = Math.floor(members.length * fraction);
    validation.push(...members.slice(0, count));
    train.push(...members.slice(count));
  }
  if (validation.length === 0 || train.length === 0) {
    throw new TlkitError(
      'TOO_FEW_SAMPLES',
      `earlyStopping.validationFraction ${fraction} of ${y.length} samples leaves an empty ${validation.length === 0 ? 'validation' : 'training'} set; raise the fraction or turn early stopping off.`,
      { argument: 'earlyStopping.validationFraction' },
    );
  }
  return { train: Int32Array.from(train.sort((a, b) => a - b)), validation: Int32Array.from(validation.sort((a, b) => a - b)) };
}

/**
 * Core's one training loop. Builds backbone + head, collects the training steps' hooks, and per
 * batch sums the sample-weighted task loss and every hook's loss term inside one gradient tape,
 * then takes one optimiser step over the model's trainable weights and the hooks' variables.
 * Supports early stopping on a held-out split, checkpoints to the run's storage and resume.
 * @internal Used by the `trainer` and `mlp` estimators.
 */
export async function runTraining(
  options: TrainingRunOptions,
  data: TrainingData,
  steps: readonly TrainingStrategy[],
  context: StepContext,
): Promise<TrainingResult> {
  const { problem, numClasses } = data;
  if (options.augment && !data.imageShape) {
    const argument = options.augmentArgument ?? 'augment';
    throw new TlkitError(
      'INVALID_CONFIG',
      `${argument} warps images, but the training data has no image shape; give the domains a shape (Domain.shape, or meta.json "shape") or remove ${argument}.`,
      { argument },
    );
  }
  const inputShape = data.imageShape ? [...data.imageShape] : [data.train.X.cols];
  const rng = createRng(deriveSeed(context.seed, 'batches'));
  const targetRng = createRng(deriveSeed(context.seed, 'target-batches'));

  // Held-out validation for early stopping.
  let trainIndices: Int32Array = Int32Array.from({ length: data.train.X.rows }, (_, i) => i);
  let validationIndices: Int32Array | null = null as Int32Array | null;
  if (options.earlyStopping) {
    const split = stratifiedHoldOut(data.train.y, options.earlyStopping.validationFraction, createRng(deriveSeed(context.seed, 'validation')));
    trainIndices = split.train;
    validationIndices = split.validation;
  }
  if (trainIndices.length === 0) throw new TlkitError('EMPTY_DOMAIN', 'the training set is empty.');

  // A brought network is checked against the task before anything is copied or trained.
  if (options.initialModel) checkInitialModel(options.initialModel, { inputShape, problem, ...(data.imageShape ? { imageShape: data.imageShape } : {}) });
  const copied = options.initialModel ? await copyInitialModel(options.initialModel) : undefined;
  const backbone = copied
    ? copied.backbone
    : buildBackbone(options.backbone, { inputShape, seed: deriveSeed(context.seed, 'backbone'), namePrefix: 'backbone_' });
  const featureDim = backbone.outputs[0].shape[1] as number;
  let head: tf.LayersModel;
  try {
    head = buildHead(featureDim, headOutputs(problem, numClasses), deriveSeed(context.seed, 'head'));
  } catch (error) {
    backbone.dispose();
    copied?.head?.dispose();
    throw error;
  }
  const model: TrainingModel = { backbone, head, extraHeads: new Map() };
  let pretrained: PretrainedState | undefined;
  let snapshots: WeightSnapshot[] = [];
  if (options.initialWeights) {
    try {
      loadPartWeights(backbone, 'backbone', options.initialWeights.arrays);
      const sourceHead = buildHead(featureDim, options.initialWeights.headOutputs, deriveSeed(context.seed, 'source-head'), SOURCE_HEAD);
      model.extraHeads.set(SOURCE_HEAD, sourceHead);
      loadPartWeights(sourceHead, 'head', options.initialWeights.arrays);
      sourceHead.trainable = false;
      const layerNames = weightLayerNames(backbone);
      snapshots = backbone.weights.map((weight) => ({
        layerName: layerNames.get(weight.name) ?? '',
        name: weight.name,
        value: tf.keep(weight.read().clone()),
      }));
      pretrained = { backboneWeights: snapshots, head: sourceHead, headName: SOURCE_HEAD, numClasses: options.initialWeights.headOutputs };
    } catch (error) {
      disposeModel(model);
      throw error;
    }
  } else if (copied) {
    // The copy outputs logits (a final softmax removed); it is frozen unless a step trains it (LwF, multi-task).
    const sourceHead = copied.head;
    if (sourceHead) {
      sourceHead.trainable = false;
      model.extraHeads.set(SOURCE_HEAD, sourceHead);
    }
    const layerNames = weightLayerNames(backbone);
    snapshots = backbone.weights.map((weight) => ({ layerName: layerNames.get(weight.name) ?? '', name: weight.name, value: tf.keep(weight.read().clone()) }));
    pretrained = {
      backboneWeights: snapshots,
      ...(sourceHead ? { head: sourceHead } : {}),
      headName: SOURCE_HEAD,
      numClasses: sourceHead ? (sourceHead.outputs[0].shape[1] as number) : 0,
    };
  }

  let hooks: TrainingHooks[];
  try {
    hooks = createHooks(steps, context);
  } catch (error) {
    // A step that fails to create its hooks leaves nothing behind: the pre-trained snapshots and
    // the model are freed (createHooks frees the hooks it made).
    for (const snapshot of snapshots) snapshot.value.dispose();
    disposeModel(model);
    throw error;
  }
  const hookNames = hooks.map((hook, index) => hook.name ?? steps[index].name);
  const needsTarget = hooks.some((hook) => hook.needsTargetBatch);
  const batchSize = Math.min(options.batchSize, trainIndices.length);
  const extraSets: {
    name: string;
    batches: BatchSource;
    y: Int32Array | Float64Array;
    rng: Rng;
    order: Int32Array;
    cursor: number;
    size: number;
  }[] = [];
  const stepsPerEpoch = Math.ceil(trainIndices.length / batchSize);
  const epochs = options.epochs;

  const setupContext: TrainingSetupContext = {
    model,
    problem,
    numClasses,
    inputShape,
    featureDim,
    ...dataForHooks(data, options),
    ...(pretrained ? { pretrained } : {}),
    addLabeledBatches(name, set) {
      const rowLength = inputShape.reduce((a, b) => a * b, 1);
      if (extraSets.some((entry) => entry.name === name)) {
        throw new TlkitError('INVALID_ARGUMENT', `a labelled batch set named '${name}' was already added; give each set its own name.`, { argument: 'name' });
      }
      if (set.X.rows === 0 || set.X.rows !== set.y.length) {
        throw new TlkitError('EMPTY_DOMAIN', `labelled batch set '${name}' has ${set.X.rows} rows and ${set.y.length} labels; it needs at least one row and one label per row.`);
      }
      if (set.X.cols !== rowLength) {
        throw new TlkitError('DIMENSION_MISMATCH', `labelled batch set '${name}' has ${set.X.cols} features; the network takes ${rowLength}.`);
      }
      const extraRng = createRng(deriveSeed(context.seed, 'extra-batches', name));
      extraSets.push({
        name,
        batches: new BatchSource(set.X, inputShape),
        y: set.y,
        rng: extraRng,
        order: new Int32Array(0),
        cursor: 0,
        size: Math.min(batchSize, set.X.rows),
      });
    },
    rng: createRng(deriveSeed(context.seed, 'setup')),
    epochs,
    stepsPerEpoch,
  };
  const sourceBatches = new BatchSource(data.train.X, inputShape);
  const augmentation = options.augment;
  const imageShape = data.imageShape;
  const augmentTransform = (step: number) =>
    augmentation && imageShape
      ? (values: Float32Array, count: number) => augmentBatch(values, count, imageShape, augmentation, context.seed, step)
      : undefined;
  const targetBatches = needsTarget ? new BatchSource(data.target.X, inputShape) : null;
  const optimizer: ParameterOptimizer = createOptimizer(options.optimizer);
  const history: EpochLogs[] = [];
  let startEpoch = 0;
  let resumedFrom: number | undefined;
  const early = { bestLoss: Number.POSITIVE_INFINITY, wait: 0, best: null as Record<string, StoredArray> | null };

  const hookVariables = () => hooks.flatMap((hook) => hook.trainableVariables?.() ?? []);
  const checkpointVariables = () => [...allModelVariables(model), ...hookVariables()];

  // Batch normalisation that a step does not train runs in inference mode (see the rule's doc).
  const batchNormRule = new FrozenBatchNormRule();
  const disposeAll = () => {
    // Before the hooks' dispose: patches come off in the reverse order they went on.
    batchNormRule.detach();
    optimizer.dispose();
    for (const hook of hooks) hook.dispose?.();
    for (const snapshot of snapshots) snapshot.value.dispose();
    snapshots = [];
  };

  try {
    // A checkpoint is matched to this run (its fingerprint) before the hooks' setup and any training.
    const fingerprint = options.checkpoint ? runFingerprint(options, data, steps, context.seed, backbone) : undefined;
    const saved = options.checkpoint?.resume ? await readCheckpoint(context, options.checkpoint.key, fingerprint!, hooks.length) : undefined;
    checkHooks(hooks, steps, {
      backbone,
      problem,
      numClasses,
      inputShape,
      featureDim,
      ...dataForHooks(data, options),
      ...(pretrained?.head ? { sourceHead: { outputs: pretrained.numClasses } } : {}),
    });
    for (const [index, hook] of hooks.entries()) await hook.setup?.(visibleTo(steps[index], setupContext));
    // After the hooks' setup, so heads they add are covered and their own BN patches sit inside.
    batchNormRule.attach(modelParts(model).map(([, part]) => part));

    // Resume from the checkpoint.
    if (saved) {
      const { manifest, blob } = saved;
      const key = options.checkpoint!.key;
      // An array that does not fit the blob means a damaged file: say which checkpoint and the fixes.
      const decodeState = (data: Uint8Array, encoded: EncodedState) => {
        try {
          return decodeArtifactState(data, encoded);
        } catch (error) {
          throw damagedCheckpoint(key, error);
        }
      };
      loadModelWeightArrays(model, decodeState(blob, manifest.model).arrays ?? {});
      const optimizerState = decodeState(blob, manifest.optimizerState);
      optimizer.setState(checkpointVariables(), {
        json: manifest.optimizer,
        arrays: { ...(optimizerState.arrays ?? {}) },
      });
      for (const [index, hook] of hooks.entries()) {
        const encoded = manifest.hooks[index];
        if (encoded && hook.setState) await hook.setState(decodeState(blob, encoded));
      }
      rng.setState(manifest.rng);
      targetRng.setState(manifest.targetRng);
      (manifest.extraRngs ?? []).forEach((state, index) => extraSets[index]?.rng.setState(state));
      history.push(...manifest.history);
      early.bestLoss = manifest.early.bestLoss;
      early.wait = manifest.early.wait;
      early.best = manifest.best ? ({ ...(decodeState(blob, manifest.best).arrays ?? {}) } as Record<string, StoredArray>) : null;
      startEpoch = manifest.epochsDone;
      resumedFrom = startEpoch;
      const ended = stoppedEarly(manifest, options.earlyStopping) ? ' (early stopping ended the run there)' : '';
      context.progress({ phase: 'resume', current: startEpoch, total: epochs, message: `resumed after epoch ${startEpoch}${ended}` });
    }

    let targetOrder = targetBatches ? targetRng.permutation(targetBatches.rows) : null;
    let targetCursor = 0;
    const nextTargetIndices = (count: number): Int32Array => {
      const out = new Int32Array(count);
      for (let k = 0; k < count; k++) {
        if (targetCursor >= targetOrder!.length) {
          targetOrder = targetRng.permutation(targetBatches!.rows);
          targetCursor = 0;
        }
        out[k] = targetOrder![targetCursor++];
      }
      return out;
    };

    const nextExtraBatch = (set: (typeof extraSets)[number], track: <T extends tf.Tensor>(tensor: T) => T): LabeledBatch => {
      const indices = new Int32Array(set.size);
      for (let k = 0; k < set.size; k++) {
        if (set.cursor >= set.order.length) {
          set.order = set.rng.permutation(set.batches.rows);
          set.cursor = 0;
        }
        indices[k] = set.order[set.cursor++];
      }
      return { x: track(set.batches.batch(indices)), y: track(labelBatch(set.y, indices)), indices };
    };

    // Training is synchronous tfjs work: the loop yields to the event loop once per epoch and
    // about every 50 ms inside one, so timers, signal handlers and UI events run and an abort from
    // outside is seen within about 50 ms or one step, whichever is longer. Yielding changes no
    // number of the run.
    const yielder = new EventLoopYielder();
    let epoch = startEpoch;
    // A checkpoint written when early stopping ended the run resumes as that end: no more epochs,
    // then the best weights are loaded below, as the original run did after writing it.
    let stopped = saved !== undefined && stoppedEarly(saved.manifest, options.earlyStopping);
    for (; epoch < epochs && !stopped; epoch++) {
      await yielder.yieldNow();
      const order = rng.permutation(trainIndices.length);
      // A new target order each epoch keeps resume exact (the order is a function of the saved state).
      if (targetBatches) {
        targetOrder = targetRng.permutation(targetBatches.rows);
        targetCursor = 0;
      }
      for (const set of extraSets) {
        set.order = set.rng.permutation(set.batches.rows);
        set.cursor = 0;
      }
      const sums = new Map<string, number>();
      let correct = 0;
      let seen = 0;
      for (let batchIndex = 0; batchIndex < stepsPerEpoch; batchIndex++) {
        if (yielder.isDue()) await yielder.yieldNow();
        context.throwIfAborted();
        const start = batchIndex * batchSize;
        const end = Math.min(start + batchSize, trainIndices.length);
        const indices = new Int32Array(end - start);
        for (let k = 0; k < indices.length; k++) indices[k] = trainIndices[order[start + k]];
        const globalStep = epoch * stepsPerEpoch + batchIndex;
        const progress: TrainingProgress = {
          epoch,
          epochs,
          step: globalStep,
          stepsPerEpoch,
          progress: epochs * stepsPerEpoch > 1 ? globalStep / (epochs * stepsPerEpoch - 1) : 1,
        };
        // Everything this step allocates is freed in the finally below, also when a hook throws.
        const stepTensors: tf.Tensor[] = [];
        const kept: tf.Tensor[] = [];
        const track = <T extends tf.Tensor>(tensor: T): T => {
          stepTensors.push(tensor);
          return tensor;
        };
        try {
          const batch: TrainingBatch = {
            source: {
              x: track(sourceBatches.batch(indices, augmentTransform(globalStep))),
              y: track(labelBatch(data.train.y, indices)),
              weights: track(weightBatch(data.train.weights, indices)),
              indices,
            },
            ...(targetBatches
              ? (() => {
                  const targetIndices = nextTargetIndices(indices.length);
                  return { target: { x: track(targetBatches.batch(targetIndices)), indices: targetIndices } };
                })()
              : {}),
            ...(extraSets.length > 0 ? { extra: Object.fromEntries(extraSets.map((set) => [set.name, nextExtraBatch(set, track)])) } : {}),
          };
          const candidates = [
            ...trainableWithLayers(model),
            ...hookVariables().map((variable) => ({ variable, layerName: '' })),
          ];
          const candidateScales = candidates.map(({ variable, layerName }) => {
            let scale = 1;
            for (const hook of hooks) {
              const factor = hook.learningRateMultiplier?.(variable, layerName, progress);
              if (factor !== undefined) scale *= factor;
            }
            return scale;
          });
          // A factor of 0 freezes a weight: leave it out of the gradient (no backward pass through
          // a frozen backbone) and of the update (byte-identical weights, moments not advanced).
          const variables = candidates.filter((_, index) => candidateScales[index] !== 0);
          const scales = candidateScales.filter((scale) => scale !== 0);
          batchNormRule.beginStep(new Set(variables.map(({ variable }) => variable)));
          const termNames: string[] = [];
          const lossFunction = () => {
            const sourceFeatures = backbone.apply(batch.source.x, { training: true }) as tf.Tensor2D;
            const sourceLogits = head.apply(sourceFeatures, { training: true }) as tf.Tensor2D;
            let outputs: TrainingOutputs = { source: { features: sourceFeatures, logits: sourceLogits } };
            if (batch.target) {
              const targetFeatures = backbone.apply(batch.target.x, { training: true }) as tf.Tensor2D;
              const targetLogits = head.apply(targetFeatures, { training: true }) as tf.Tensor2D;
              outputs = { ...outputs, target: { features: targetFeatures, logits: targetLogits } };
            }
            if (batch.extra) {
              const extra: Record<string, { features: tf.Tensor2D }> = {};
              for (const [name, entry] of Object.entries(batch.extra)) {
                extra[name] = { features: backbone.apply(entry.x, { training: true }) as tf.Tensor2D };
              }
              outputs = { ...outputs, extra };
            }
            const perSample = taskLossPerSample(sourceLogits, batch.source.y, problem, numClasses);
            // Without sample weights every weight is 1: skip the product (same value, two kernels fewer).
            const weighted = data.train.weights ? tf.mul(perSample, batch.source.weights) : perSample;
            const taskLoss = tf.div(tf.sum(weighted), indices.length) as tf.Scalar;
            const terms: tf.Scalar[] = [taskLoss];
            termNames.push('task');
            hooks.forEach((hook, index) => {
              const term = hook.loss?.(batch, outputs, progress);
              if (term) {
                terms.push(term);
                termNames.push(hookNames[index]);
              }
            });
            kept.push(tf.keep(tf.stack(terms)));
            if (problem === 'classification') {
              kept.push(tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(sourceLogits, 1), batch.source.y), 'float32'))));
            }
            return tf.addN(terms) as tf.Scalar;
          };
          // A hook that throws inside the tape would strand the tensors tfjs saved for the backward
          // pass: catch it, finish the pass on a zero that depends on one variable (tfjs requires a
          // connection), so the backward pass frees them, then rethrow.
          let lossFailed = false;
          let lossError: unknown;
          const guardedLoss = (): tf.Scalar => {
            try {
              return lossFunction();
            } catch (error) {
              lossFailed = true;
              lossError = error;
              return variables.length > 0 ? (tf.mul(tf.sum(variables[0].variable), 0) as tf.Scalar) : tf.scalar(0);
            }
          };
          // Every weight frozen: the losses are still logged, no gradient is taken.
          const { grads, value } =
            variables.length > 0
              ? tf.variableGrads(guardedLoss, variables.map(({ variable }) => variable))
              : { grads: {} as tf.NamedTensorMap, value: tf.tidy(guardedLoss) };
          stepTensors.push(value, ...Object.values(grads));
          if (lossFailed) throw lossError;
          const gradientList = variables.map(({ variable }) => {
            const gradient = grads[variable.name];
            if (!gradient) {
              throw new TlkitError(
                'INVALID_CONFIG',
                `weight '${variable.name}' is trainable but no loss term depends on it; freeze it (layer.trainable = false or a learning-rate factor of 0) or add a loss that uses it.`,
              );
            }
            return gradient;
          });
          optimizer.apply(
            variables.map(({ variable }) => variable),
            gradientList,
            scales,
          );
          const termValues = kept[0].dataSync();
          const total = value.dataSync()[0] ?? 0;
          // The losses are read here anyway (no extra sync): a NaN or infinite loss stops the run
          // instead of training on NaN and "succeeding".
          if (!Number.isFinite(total)) throw nonFiniteLossError(total, termNames, termValues, epoch, batchIndex, stepsPerEpoch);
          termNames.forEach((name, index) => sums.set(name, (sums.get(name) ?? 0) + termValues[index] * indices.length));
          sums.set('total', (sums.get('total') ?? 0) + total * indices.length);
          if (kept[1]) correct += kept[1].dataSync()[0];
          seen += indices.length;
        } finally {
          tf.dispose([...kept, ...stepTensors]);
        }
      }

      const losses: Record<string, number> = {};
      for (const [name, sum] of sums) losses[name] = sum / seen;
      let validationLoss: number | undefined;
      if (validationIndices) validationLoss = evaluateLoss(model, sourceBatches, data.train, validationIndices, problem, numClasses);
      const logs: EpochLogs = {
        losses,
        ...(problem === 'classification' ? { accuracy: correct / seen } : {}),
        ...(validationLoss !== undefined ? { validationLoss } : {}),
      };
      history.push(logs);
      const progressAtEnd: TrainingProgress = {
        epoch,
        epochs,
        step: (epoch + 1) * stepsPerEpoch - 1,
        stepsPerEpoch,
        progress: (epoch + 1) / epochs,
      };
      for (const hook of hooks) await hook.onEpochEnd?.(progressAtEnd, logs);
      context.progress({
        phase: 'epoch',
        current: epoch + 1,
        total: epochs,
        metrics: {
          ...losses,
          ...(logs.accuracy !== undefined ? { accuracy: logs.accuracy } : {}),
          ...(validationLoss !== undefined ? { validationLoss } : {}),
        },
      });

      if (options.earlyStopping && validationLoss !== undefined) {
        if (validationLoss < early.bestLoss - options.earlyStopping.minDelta) {
          early.bestLoss = validationLoss;
          early.wait = 0;
          early.best = modelWeightArrays(model);
        } else if (++early.wait >= options.earlyStopping.patience) {
          stopped = true;
        }
      }
      const done = epoch + 1;
      if (options.checkpoint && (done % options.checkpoint.every === 0 || done === epochs || stopped)) {
        await writeCheckpoint(context, options.checkpoint.key, {
          fingerprint: fingerprint!,
          epochsDone: done,
          history,
          rng,
          targetRng,
          optimizer,
          variables: checkpointVariables(),
          modelArrays: modelWeightArrays(model),
          early,
          stopped,
          hooks,
          extraRngs: extraSets.map((set) => set.rng),
        });
      }
    }
    if (early.best) loadModelWeightArrays(model, early.best);
    return {
      model,
      inputShape,
      history,
      epochsRun: epoch,
      ...(resumedFrom !== undefined ? { resumedFrom } : {}),
    };
  } catch (error) {
    disposeModel(model);
    throw error;
  } finally {
    disposeAll();
  }
}

/**
 * Whether early stopping ended the run that wrote a checkpoint: its `stopped` flag, or, in a
 * checkpoint without it, a wait that had reached the patience (the stop condition; the patience
 * is part of the fingerprint, so it is the run's own).
 */
function stoppedEarly(manifest: CheckpointManifest, earlyStopping: EarlyStoppingOptions | undefined): boolean {
  return manifest.stopped === true || (earlyStopping !== undefined && manifest.early.wait >= earlyStopping.patience);
}

/** The `NUMERICAL_ERROR` for a batch whose loss is NaN or infinite, naming the epoch, the step and the terms at fault. */
function nonFiniteLossError(
  total: number,
  termNames: readonly string[],
  termValues: ArrayLike<number>,
  epoch: number,
  batchIndex: number,
  stepsPerEpoch: number,
): TlkitError {
  const bad: string[] = [];
  termNames.forEach((name, index) => {
    if (!Number.isFinite(termValues[index])) bad.push(`${name} loss = ${termValues[index]}`);
  });
  return new TlkitError(
    'NUMERICAL_ERROR',
    `the training loss became ${total} at epoch ${epoch} (0-based), step ${batchIndex + 1} of ${stepsPerEpoch}${bad.length > 0 ? ` (${bad.join(', ')})` : ''}. Lower the optimizer's learningRate, or scale the inputs (standardise X; for regression, the targets too).`,
    { epoch, step: batchIndex, loss: total },
  );
}

/** Outputs of a task head (and of the source head pre-trained for it): one per class, or 1 for regression. @internal */
export function headOutputs(problem: ProblemType, numClasses: number): number {
  return problem === 'classification' ? numClasses : 1;
}

/** The context as a step may see it: labelled target samples only for steps that declare they use them. */
function visibleTo<Context extends { readonly targetLabeled?: unknown }>(step: TrainingStrategy, context: Context): Context {
  if (step.needs.targetLabels !== 'never') return context;
  const { targetLabeled: _hidden, ...withoutTargetLabels } = context;
  return withoutTargetLabels as Context;
}

/** The data part of the context hooks' `check` and `setup` see. */
function dataForHooks(data: TrainingData, options: TrainingRunOptions) {
  return {
    source: data.train,
    target: data.target,
    ...(data.targetLabeled ? { targetLabeled: data.targetLabeled } : {}),
    ...(data.labeledSource ? { labeledSource: data.labeledSource } : {}),
    ...(data.imageShape ? { imageShape: data.imageShape } : {}),
    augmented: options.augment !== undefined,
    epochs: options.epochs,
  };
}

/** Each step's hooks, seeded per step; when one step fails, the hooks made so far are freed. */
function createHooks(steps: readonly TrainingStrategy[], context: StepContext): TrainingHooks[] {
  const hooks: TrainingHooks[] = [];
  try {
    for (const [index, step] of steps.entries()) {
      hooks.push(
        step.doCreateHooks({
          ...context,
          seed: deriveSeed(context.seed, 'hook', index, step.name),
          rng: createRng(deriveSeed(context.seed, 'hook', index, step.name)),
        }),
      );
    }
  } catch (error) {
    for (const hook of hooks) hook.dispose?.();
    throw error;
  }
  return hooks;
}

/** Runs every hook's `check`. */
function checkHooks(hooks: readonly TrainingHooks[], steps: readonly TrainingStrategy[], checkContext: TrainingCheckContext): void {
  hooks.forEach((hook, index) => hook.check?.(visibleTo(steps[index], checkContext)));
}

/**
 * Runs the training steps' `check`s against the run as it will be, before any training: the
 * trainer calls it before pre-training, so a configuration error (an unknown layer name, LwF with
 * `augment`, ...) does not come after minutes of it. Builds the backbone only when a hook has a
 * check, and frees it and the hooks again.
 * @internal Used by the `trainer`.
 */
export function checkTrainingSteps(
  options: TrainingRunOptions,
  data: TrainingData,
  steps: readonly TrainingStrategy[],
  context: StepContext,
  pretrainsSourceHead: boolean,
): void {
  const hooks = createHooks(steps, context);
  let built: tf.LayersModel | undefined;
  try {
    if (!hooks.some((hook) => hook.check)) return;
    const inputShape = data.imageShape ? [...data.imageShape] : [data.train.X.cols];
    const backbone =
      options.initialModel?.backbone ??
      (built = buildBackbone(options.backbone, { inputShape, seed: deriveSeed(context.seed, 'backbone'), namePrefix: 'backbone_' }));
    checkHooks(hooks, steps, {
      backbone,
      problem: data.problem,
      numClasses: data.numClasses,
      inputShape,
      featureDim: backbone.outputs[0].shape[1] as number,
      ...dataForHooks(data, options),
      ...(pretrainsSourceHead ? { sourceHead: { outputs: headOutputs(data.problem, data.numClasses) } } : {}),
    });
  } finally {
    for (const hook of hooks) hook.dispose?.();
    built?.dispose();
  }
}

/** Frees every weight of the model. @internal */
export function disposeModel(model: TrainingModel): void {
  for (const [, part] of modelParts(model)) part.dispose();
}

function evaluateLoss(
  model: TrainingModel,
  source: BatchSource,
  train: TrainingData['train'],
  indices: Int32Array,
  problem: ProblemType,
  numClasses: number,
): number {
  let total = 0;
  let weightSum = 0;
  const chunk = 512;
  for (let start = 0; start < indices.length; start += chunk) {
    const part = indices.subarray(start, Math.min(start + chunk, indices.length));
    const value = tf.tidy(() => {
      const x = source.batch(part);
      const logits = model.head.apply(model.backbone.apply(x, { training: false }), { training: false }) as tf.Tensor2D;
      const weights = weightBatch(train.weights, part);
      const perSample = taskLossPerSample(logits, labelBatch(train.y, part), problem, numClasses);
      return tf.stack([tf.sum(tf.mul(perSample, weights)), tf.sum(weights)]);
    });
    const [lossSum, weights] = value.dataSync();
    value.dispose();
    total += lossSum;
    weightSum += weights;
  }
  return total / Math.max(weightSum, 1e-12);
}
