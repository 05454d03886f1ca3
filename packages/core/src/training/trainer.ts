import * as tf from '@tensorflow/tfjs';
import * as z from 'zod';
import type { ProblemType } from '../data';
import { reasonOf, TlkitError } from '../errors';
import { Matrix } from '../matrix';
import { definePlugin } from '../plugin';
import { BlobWriter, decodeState, type EncodedState, packArtifacts, unpackArtifacts } from '../artifacts';
import type { FittedPipeline } from '../pipeline';
import type { MatrixInput } from '../data';
import { createRng, deriveSeed, MAX_SEED } from '../rng';
import { withSavedConfig } from '../saved-config';
import { readJson, type JsonValue, type StepState, type StoredArray } from '../state';
import type { EstimatorFitInput, FittedEstimator, LabeledSet, StepContext, StrategyNeeds } from '../strategy';
import { type BackboneConfig, backboneArchitecture, backboneConfigText, backboneOptionSchema, buildBackbone } from './backbones';
import { augmentationSchema } from './augment';
import { BatchSource } from './batches';
import {
  buildHead,
  checkTrainingSteps,
  disposeModel,
  headOutputs,
  type InitialModel,
  type InitialWeights,
  loadModelWeightArrays,
  modelParts,
  modelWeightArrays,
  runTraining,
  SOURCE_HEAD,
  type TrainingRunOptions,
} from './loop';
import { describePart, restorePart, type SavedPart } from './network-parts';
import { fingerprintArchitecture, fingerprintRows, Hasher } from './fingerprint';
import { optimizerSchema } from './optimizers';
import type { EpochLogs, TrainingModel } from './types';

const earlyStoppingSchema = z
  .object({
    patience: z.number().int().positive().default(5),
    validationFraction: z.number().gt(0).lt(1).default(0.1),
    minDelta: z.number().min(0).default(0),
  })
  .strict();

const checkpointSchema = z
  .object({
    key: z.string().min(1).default('trainer/checkpoint'),
    every: z.number().int().positive().default(1),
    resume: z.boolean().default(true),
  })
  .strict();

const pretrainSchema = z
  .object({
    /** Epochs of pre-training on the labelled source. */
    epochs: z.number().int().positive(),
    /** Batch size of pre-training (default: the trainer's). */
    batchSize: z.number().int().positive().optional(),
    /** Optimiser of pre-training (default: the trainer's). */
    optimizer: optimizerSchema.optional(),
    /** Keep the pre-trained weights in the run's storage and reuse them on reruns. */
    cache: z.boolean().default(true),
    /**
     * Seed of pre-training (initialisation and batch order). Default: derived from the trainer's
     * step seed. Give one number to share one pre-trained model between the arms of a comparison.
     * An integer in `0 … 2^32 − 1`, as every tlkit seed.
     */
    seed: z.number().int().min(0).max(MAX_SEED).optional(),
    /**
     * Random affine augmentation of the source images during pre-training (off by default):
     * `{ translate: pixels, rotate: degrees, scale: [min, max] }`.
     */
    augment: augmentationSchema.optional(),
  })
  .strict();

/** The optimizer option of the trainer and the MLP: Adam, learning rate 1e-3, unless the config says otherwise. */
const optimizerWithDefault = optimizerSchema.default({
  type: 'adam',
  learningRate: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  momentum: 0.9,
  weightDecay: 0,
});

/**
 * What a saved pipeline's trainer options hold in place of `initialModel`: the network itself
 * (topology and weights) is in the estimator's saved state. @internal
 */
interface SavedInitialModel {
  readonly $tlkit: 'initial-model';
  /** Whether the brought network had a head (the run's `'source'` head). */
  readonly head: boolean;
}

function isInitialModel(value: unknown): value is InitialModel {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as InitialModel).backbone instanceof tf.LayersModel &&
    ((value as InitialModel).head === undefined || (value as InitialModel).head instanceof tf.LayersModel)
  );
}

function isSavedInitialModel(value: unknown): value is SavedInitialModel {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as SavedInitialModel).$tlkit === 'initial-model' &&
    typeof (value as SavedInitialModel).head === 'boolean' &&
    Object.keys(value).length === 2
  );
}

/**
 * A tfjs model where a backbone config belongs: a `tf.LayersModel`, or an object whose `predict`
 * and `apply` are functions (a model of another tfjs copy, which fails `instanceof`). Only
 * functions count, which a JSON config never holds: a backbone's own options may have any name
 * (`{ use: 'my-stack', layers: [6, 4] }` is a config, not a model).
 */
function looksLikeModel(value: unknown): boolean {
  if (value instanceof tf.LayersModel) return true;
  if (typeof value !== 'object' || value === null) return false;
  const { predict, apply } = value as { predict?: unknown; apply?: unknown };
  return typeof predict === 'function' && typeof apply === 'function';
}

const MODEL_AS_BACKBONE =
  "a tfjs model is not a backbone config: backbone names a registered backbone ({ use: 'mlp', hidden: [128] }, { use: 'lenet' }, ...). " +
  'To start from your own model, pass it as initialModel: { backbone, head? } (backbone: inputs → features, head: features → class scores; ' +
  "cut your model with cutAtLayer, or split it into both with splitAtLayer, of @tlkit/models), and leave backbone out";

/** The trainer's `backbone` option: a registered backbone by name; a model given here gets an error pointing to `initialModel`. */
const trainerBackboneSchema = z
  .preprocess((value: BackboneConfig, context) => {
    if (looksLikeModel(value)) {
      context.issues.push({ code: 'custom', message: MODEL_AS_BACKBONE, input: value });
      return z.NEVER;
    }
    return value;
  }, backboneOptionSchema)
  .default({ use: 'mlp', hidden: [128] });

const trainerSchema = z
  .object({
    /** The feature extractor, by registered name: `{ use: 'mlp', hidden: [256, 128] }`. */
    backbone: trainerBackboneSchema,
    epochs: z.number().int().positive().default(20),
    batchSize: z.number().int().positive().default(64),
    optimizer: optimizerWithDefault,
    earlyStopping: earlyStoppingSchema.optional(),
    checkpoint: checkpointSchema.optional(),
    /** Pre-train backbone + a source head on the labelled source first (off by default). */
    pretrain: pretrainSchema.optional(),
    /**
     * Random affine augmentation of the training images (off by default): every image of a batch
     * rotated, scaled and shifted by its own seeded random amounts.
     */
    augment: augmentationSchema.optional(),
    /**
     * A pre-trained network to start from (`{ backbone, head? }` tfjs models; not from JSON
     * configs). Saved pipelines hold a marker here instead (`{ "$tlkit": "initial-model", "head":
     * true }`), the network being in the estimator's state.
     */
    initialModel: z
      .custom<InitialModel>((value) => isInitialModel(value) || isSavedInitialModel(value), {
        message: 'initialModel must be { backbone: tf.LayersModel, head?: tf.LayersModel }',
      })
      // The options' saved form holds a JSON marker in its place (the registry writes it).
      .transform((value) =>
        isInitialModel(value) ? withSavedConfig(value, { $tlkit: 'initial-model', head: value.head !== undefined }) : value,
      )
      .optional(),
  })
  .strict()
  .refine((options) => !(options.pretrain && options.initialModel), {
    message: 'pretrain and initialModel both give the starting weights; use one of them',
    path: ['initialModel'],
  });

/** Options of the trainer's `pretrain`. */
export type PretrainOptions = z.input<typeof pretrainSchema>;

/** Options of {@link trainer}. */
export type TrainerOptions = z.input<typeof trainerSchema>;
export type { InitialModel };

const mlpSchema = z
  .object({
    hidden: z.array(z.number().int().positive()).min(1).default([100]),
    activation: z.enum(['relu', 'tanh', 'elu', 'sigmoid']).default('relu'),
    epochs: z.number().int().positive().default(50),
    batchSize: z.number().int().positive().default(64),
    optimizer: optimizerWithDefault,
    earlyStopping: earlyStoppingSchema.optional(),
  })
  .strict();

/** Options of {@link mlp}. */
export type MlpOptions = z.input<typeof mlpSchema>;

const PREDICT_CHUNK = 1024;

/** The parts of a fitted network `exportNetwork` copies. @internal */
export interface NetworkForExport {
  readonly backbone: tf.LayersModel;
  readonly head: tf.LayersModel;
  readonly problem: ProblemType;
  readonly inputShape: readonly number[];
}

/** A trained network as a fitted estimator. @internal */
class FittedNetwork implements FittedEstimator {
  readonly info: Readonly<Record<string, JsonValue>>;
  private disposed = false;

  constructor(
    private readonly model: TrainingModel,
    private readonly inputShape: readonly number[],
    private readonly problem: ProblemType,
    private readonly numClasses: number,
    /** The registered backbone it was built from; null for a network the user brought (`initialModel`), saved as topology. */
    private readonly backbone: BackboneConfig | null,
    history: readonly EpochLogs[],
    extraInfo: Record<string, JsonValue> = {},
  ) {
    this.info = { epochs: history.length, history: history as unknown as JsonValue, ...extraInfo };
  }

  /** The heads it can predict with: `'task'` (the run's task head) and the extra heads by name (e.g. `'source'`). */
  get heads(): string[] {
    return ['task', ...[...this.model.extraHeads.keys()].sort()];
  }

  /**
   * Predicts with one head: `'task'` (same as {@link predict}) or an extra head such as `'source'`
   * (the pre-trained source head: old-task accuracy after transfer, LwF). Class ids for
   * classification, values for regression.
   */
  predictWithHead(X: Matrix, head: string): Int32Array | Float64Array {
    const chosen = this.headModel(head);
    const classification = this.problem === 'classification';
    const values = this.outputs(X, (logits) => (classification ? tf.argMax(logits, 1).toInt() : tf.reshape(logits, [-1])), chosen);
    return classification ? Int32Array.from(values) : Float64Array.from(values);
  }

  /** The backbone and one head (checked by name), for `exportNetwork`. @internal */
  forExport(head: string): NetworkForExport {
    if (this.disposed) throw new TlkitError('NOT_FITTED', 'this network was disposed.');
    return { backbone: this.model.backbone, head: this.headModel(head), problem: this.problem, inputShape: this.inputShape };
  }

  private headModel(head: string): tf.LayersModel {
    if (head === 'task') return this.model.head;
    const extra = this.model.extraHeads.get(head);
    if (!extra) {
      throw new TlkitError('INVALID_ARGUMENT', `this network has no head '${head}'; its heads are ${this.heads.join(', ')}.`, { argument: 'head' });
    }
    return extra;
  }

  private outputs(X: Matrix, transform: (logits: tf.Tensor2D) => tf.Tensor, headModel: tf.LayersModel = this.model.head): Float32Array | Int32Array {
    if (this.disposed) throw new TlkitError('NOT_FITTED', 'this network was disposed.');
    const rowLength = this.inputShape.reduce((a, b) => a * b, 1);
    if (X.cols !== rowLength) {
      throw new TlkitError('DIMENSION_MISMATCH', `X has ${X.cols} features; the network takes ${rowLength}.`, { argument: 'X' });
    }
    const source = new BatchSource(X, this.inputShape);
    const parts: (Float32Array | Int32Array)[] = [];
    for (let start = 0; start < X.rows; start += PREDICT_CHUNK) {
      const end = Math.min(start + PREDICT_CHUNK, X.rows);
      const result = tf.tidy(() => {
        const logits = headModel.apply(this.model.backbone.apply(source.slice(start, end), { training: false }), {
          training: false,
        }) as tf.Tensor2D;
        return transform(logits);
      });
      parts.push(result.dataSync() as Float32Array | Int32Array);
      result.dispose();
    }
    const total = parts.reduce((sum, part) => sum + part.length, 0);
    const out = parts[0] instanceof Int32Array ? new Int32Array(total) : new Float32Array(total);
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }

  predict(X: Matrix): Int32Array | Float64Array {
    if (this.problem === 'classification') return Int32Array.from(this.outputs(X, (logits) => tf.argMax(logits, 1).toInt()));
    return Float64Array.from(this.outputs(X, (logits) => tf.reshape(logits, [-1])));
  }

  predictProba(X: Matrix): Matrix {
    if (this.problem !== 'classification') {
      throw new TlkitError('INVALID_ARGUMENT', 'predictProba is for classification networks.');
    }
    const values = this.outputs(X, (logits) => tf.softmax(logits));
    return new Matrix(X.rows, this.numClasses, Float64Array.from(values));
  }

  saveState(): StepState {
    const facts = { inputShape: [...this.inputShape], problem: this.problem, numClasses: this.numClasses };
    const arrays = modelWeightArrays(this.model);
    if (this.backbone === null) {
      // A network the user brought: no registry name rebuilds it, so every part is saved as
      // tfjs topology + weight names + trainable flags (weights in `arrays`, `<part>/<i>`).
      const parts: Record<string, JsonValue> = {};
      for (const [name, part] of modelParts(this.model)) parts[name] = describePart(part, partLabel(name)) as unknown as JsonValue;
      return { json: { ...facts, backbone: null, parts }, arrays };
    }
    const extraHeads: Record<string, JsonValue> = {};
    for (const [name, head] of this.model.extraHeads) {
      extraHeads[name] = head.toJSON(null, false) as unknown as JsonValue;
    }
    // The backbone is rebuilt from its config on load (seed 0, as here): its architecture hash
    // tells whether the code of that day builds the network these weights were trained in. A
    // network loaded from an artifact that had no hash is saved without one: today's hash would
    // vouch for weights trained in an architecture nobody checked.
    const architecture = this.restoredArchitecture === undefined ? backboneArchitecture(this.backbone, this.inputShape) : this.restoredArchitecture;
    return { json: { ...facts, backbone: this.backbone as unknown as JsonValue, ...(architecture !== null ? { architecture } : {}), extraHeads }, arrays };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // An export in flight still reads these weights: they are freed when it ends.
    if (this.holds === 0) disposeModel(this.model);
  }

  private holds = 0;

  /** Set on a network restored from an artifact: the architecture hash it carried, or null for none. @internal */
  restoredArchitecture?: string | null;

  /**
   * Keeps the weights alive for an async reader (exportNetwork) until the returned release is
   * called, even if `dispose` comes in between. @internal
   */
  hold(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      if (this.holds === 0 && this.disposed) disposeModel(this.model);
    };
  }
}

/** How errors name a part of the network (`'backbone'`, `'head/task'`, `'heads/source'`). */
function partLabel(name: string): string {
  if (name === 'backbone') return 'network backbone';
  if (name === 'head') return "network's task head";
  return `network's '${name.slice('heads/'.length)}' head`;
}

/** Rebuilds a network saved as topology (from `initialModel`): every part from its saved form. */
async function restoreSavedParts(json: SavedNetworkJson, arrays: Readonly<Record<string, StoredArray>>): Promise<FittedNetwork> {
  const parts = json.parts ?? {};
  if (!parts.backbone || !parts.head) {
    throw new TlkitError('INVALID_ARTIFACT', 'the saved trainer network has no backbone or task head; the artifact is damaged: save the pipeline again.');
  }
  const built = new Map<string, tf.LayersModel>();
  try {
    for (const [name, saved] of Object.entries(parts)) {
      if (name !== 'backbone' && name !== 'head' && !name.startsWith('heads/')) {
        throw new TlkitError('INVALID_ARTIFACT', `the saved trainer network has an unknown part '${name}'; the artifact is damaged or from another version.`);
      }
      built.set(name, await restorePart(saved, arrays, name, partLabel(name)));
    }
  } catch (error) {
    for (const part of built.values()) part.dispose();
    if (error instanceof TlkitError) throw error;
    throw new TlkitError(
      'INVALID_ARTIFACT',
      `the saved trainer network cannot be restored (${error instanceof Error ? error.message : String(error)}); the artifact is damaged or from another version: save the pipeline again.`,
    );
  }
  const extraHeads = new Map<string, tf.LayersModel>();
  for (const [name, part] of built) if (name.startsWith('heads/')) extraHeads.set(name.slice('heads/'.length), part);
  const model: TrainingModel = { backbone: built.get('backbone')!, head: built.get('head')!, extraHeads };
  return new FittedNetwork(model, json.inputShape, json.problem, json.numClasses, null, []);
}

/** The JSON of a saved network (see `FittedNetwork.saveState`). */
interface SavedNetworkJson {
  inputShape: number[];
  problem: ProblemType;
  numClasses: number;
  /** The registered backbone; null when the network was brought as tfjs models (`parts` holds it). */
  backbone: Record<string, JsonValue> | null;
  /** `fingerprintArchitecture` of the backbone that was saved (absent in artifacts of earlier builds). */
  architecture?: string;
  extraHeads?: Record<string, JsonValue>;
  parts?: Record<string, SavedPart>;
}

async function restoreNetwork(state: StepState): Promise<FittedNetwork> {
  const json = readJson(state) as unknown as SavedNetworkJson;
  if (json.backbone === null) return restoreSavedParts(json, state.arrays ?? {});
  const backbone = buildBackbone(json.backbone as unknown as BackboneConfig, {
    inputShape: json.inputShape,
    seed: 0,
    namePrefix: 'backbone_',
  });
  // Everything built for these weights is freed when they do not load, or every damaged artifact leaks it.
  const built: tf.LayersModel[] = [backbone];
  let model: TrainingModel;
  try {
    if (json.architecture !== undefined && json.architecture !== fingerprintArchitecture(backbone)) {
      throw new TlkitError(
        'INVALID_ARTIFACT',
        `the saved network's backbone ${JSON.stringify(json.backbone)} was trained in another architecture than the one this version of its code builds (a backbone changed since it was saved, e.g. resnet18's padding); its weights would compute something else here. Fit the pipeline again, or load it with the version that saved it.`,
        { argument: 'saved', backbone: json.backbone },
      );
    }
    const featureDim = backbone.outputs[0].shape[1] as number;
    const head = buildHead(featureDim, headOutputs(json.problem, json.numClasses), 0);
    built.push(head);
    const extraHeads = new Map<string, tf.LayersModel>();
    for (const [name, topology] of Object.entries(json.extraHeads ?? {})) {
      const extraHead = await tf.models.modelFromJSON({ modelTopology: topology as tf.io.ModelJSON['modelTopology'] });
      built.push(extraHead);
      extraHeads.set(name, extraHead);
    }
    model = { backbone, head, extraHeads };
    loadModelWeightArrays(model, state.arrays ?? {});
  } catch (error) {
    for (const part of built) part.dispose();
    if (error instanceof TlkitError) throw error;
    throw new TlkitError(
      'INVALID_ARTIFACT',
      `the saved trainer network cannot be restored (${error instanceof Error ? error.message : String(error)}); the artifact is damaged or from another version: save the pipeline again.`,
    );
  }
  const network = new FittedNetwork(model, json.inputShape, json.problem, json.numClasses, json.backbone as unknown as BackboneConfig, []);
  network.restoredArchitecture = json.architecture ?? null;
  return network;
}

/**
 * A 64-bit fingerprint of a labelled set and a settings string: the cache key of pre-trained
 * weights. Features are hashed as float32 (what the network sees), as a checkpoint's data are. @internal
 */
export function fingerprintLabeledSet(set: LabeledSet, settings: string): string {
  return new Hasher().text(settings).text(fingerprintRows(set)).digest();
}

interface PretrainResult {
  readonly weights: InitialWeights;
  readonly info: Record<string, JsonValue>;
}

interface PretrainManifest {
  readonly format: 'tlkit-pretrained';
  readonly formatVersion: 1;
  readonly headOutputs: number;
  readonly epochs: number;
  readonly finalLoss: number | null;
  readonly finalAccuracy: number | null;
  readonly weights: EncodedState;
}

/**
 * Pre-trains backbone + a source head on the labelled source with core's loop (no training
 * hooks), or reads the weights from the run's storage when the same backbone, settings, seed and
 * source data were pre-trained before.
 */
async function pretrainOnSource(
  options: TrainingRunOptions,
  pretrain: z.output<typeof pretrainSchema>,
  input: EstimatorFitInput,
  context: StepContext,
): Promise<PretrainResult> {
  const started = performance.now();
  const seed = pretrain.seed ?? deriveSeed(context.seed, 'pretrain');
  const settings = {
    backbone: backboneConfigText(options.backbone),
    // The network the config builds today: a change to a backbone's code that changes its layers,
    // their settings or connections must not serve weights cached for the earlier architecture.
    architecture: backboneArchitecture(options.backbone, context.shape ? [...context.shape] : [input.source.X.cols]),
    epochs: pretrain.epochs,
    batchSize: pretrain.batchSize ?? options.batchSize,
    optimizer: pretrain.optimizer ?? options.optimizer,
    seed,
    problem: context.problem,
    numClasses: context.numClasses,
    shape: context.shape ?? null,
    // Only when set, so the cache keys of runs without augmentation stay what they were.
    ...(pretrain.augment ? { augment: pretrain.augment } : {}),
  };
  const key = `pretrained/${fingerprintLabeledSet(input.source, JSON.stringify(settings))}`;
  const sourceHeadOutputs = headOutputs(context.problem, context.numClasses);
  if (pretrain.cache) {
    const bytes = await context.storage.read(key);
    // A damaged entry (truncated, overwritten) is a cache miss: pre-train again and replace it.
    let cached: { manifest: PretrainManifest; state: StepState } | undefined;
    if (bytes) {
      try {
        const { manifest, data } = unpackArtifacts<PretrainManifest>(bytes);
        if (manifest?.format === 'tlkit-pretrained' && manifest.headOutputs === sourceHeadOutputs) cached = { manifest, state: decodeState(data, manifest.weights) };
      } catch (error) {
        context.progress({
          phase: 'warning',
          message: `the cached pre-trained weights '${key}' are damaged (${reasonOf(error)}); pre-training again, and replacing them.`,
        });
      }
    }
    if (cached) {
      const { manifest, state } = cached;
      context.progress({ phase: 'pretrain', message: `pre-trained weights read from cache '${key}'` });
      return {
        weights: { arrays: (state.arrays ?? {}) as Record<string, StoredArray>, headOutputs: sourceHeadOutputs },
        info: { cached: true, key, epochs: manifest.epochs, finalLoss: manifest.finalLoss, finalAccuracy: manifest.finalAccuracy, seconds: (performance.now() - started) / 1000 },
      };
    }
  }
  const pretrainContext: StepContext = {
    ...context,
    seed,
    rng: createRng(seed),
    progress: (event) => context.progress({ ...event, phase: `pretrain ${event.phase}` }),
  };
  const result = await runTraining(
    {
      backbone: options.backbone,
      epochs: settings.epochs,
      batchSize: settings.batchSize,
      optimizer: settings.optimizer,
      ...(pretrain.augment ? { augment: pretrain.augment, augmentArgument: 'pretrain.augment' } : {}),
    },
    {
      train: input.source,
      target: input.target,
      problem: context.problem,
      numClasses: context.numClasses,
      ...(context.shape ? { imageShape: context.shape } : {}),
    },
    [],
    pretrainContext,
  );
  const arrays = modelWeightArrays(result.model);
  disposeModel(result.model);
  const last = result.history.at(-1);
  const finalLoss = last?.losses.task ?? null;
  const finalAccuracy = last?.accuracy ?? null;
  if (pretrain.cache) {
    const writer = new BlobWriter();
    const weights = writer.encodeState({ arrays });
    const manifest: PretrainManifest = { format: 'tlkit-pretrained', formatVersion: 1, headOutputs: sourceHeadOutputs, epochs: settings.epochs, finalLoss, finalAccuracy, weights };
    await context.storage.write(key, packArtifacts({ manifest: manifest as unknown as JsonValue, data: writer.finish() }));
  }
  return {
    weights: { arrays, headOutputs: sourceHeadOutputs },
    info: { cached: false, key, epochs: settings.epochs, finalLoss, finalAccuracy, seconds: (performance.now() - started) / 1000 },
  };
}

async function fitNetwork(
  options: TrainingRunOptions,
  input: EstimatorFitInput,
  context: StepContext,
  pretrain?: z.output<typeof pretrainSchema>,
): Promise<FittedNetwork> {
  const trainingData = {
    train: input.train,
    target: input.target,
    ...(input.targetLabeled ? { targetLabeled: input.targetLabeled } : {}),
    labeledSource: input.source,
    problem: context.problem,
    numClasses: context.numClasses,
    ...(context.shape ? { imageShape: context.shape } : {}),
  };
  // The training steps' checks run before pre-training, so a bad step fails in milliseconds.
  if (pretrain) checkTrainingSteps(options, trainingData, input.trainingSteps, context, true);
  const pretrained = pretrain ? await pretrainOnSource(options, pretrain, input, context) : undefined;
  const result = await runTraining(
    { ...options, ...(pretrained ? { initialWeights: pretrained.weights } : {}) },
    trainingData,
    input.trainingSteps,
    context,
  );
  return new FittedNetwork(
    result.model,
    result.inputShape,
    context.problem,
    context.numClasses,
    options.initialModel ? null : options.backbone,
    result.history,
    {
      epochsRun: result.epochsRun,
      ...(result.resumedFrom !== undefined ? { resumedFrom: result.resumedFrom } : {}),
      ...(pretrained ? { pretrain: pretrained.info } : {}),
    },
  );
}

/**
 * Predicts with one head of a fitted deep pipeline (a `trainer` run): `'task'` is the task head
 * (what `fitted.predict` uses); `'source'` is the source task's head when the trainer pre-trained
 * (`pretrain`) or was given one (`initialModel: { backbone, head }`) — frozen during transfer
 * unless LwF or multi-task trained it — so its accuracy on held-out source rows after transfer
 * measures forgetting. Mapping steps are applied first.
 *
 * @throws TlkitError `INVALID_ARGUMENT` when the pipeline's estimator is not a trained network or
 * has no such head (the message lists its heads).
 * @example
 * ```ts
 * const fitted = await compose(lwf(), trainer({ backbone: { use: 'lenet' }, pretrain: { epochs: 5 } })).fit(task, { trainOn: 'target' });
 * const oldTask = predictWithHead(fitted, mnistHeldOut.X, 'source');
 * ```
 */
export function predictWithHead(fitted: FittedPipeline, X: MatrixInput, head: string): Int32Array | Float64Array {
  return fittedNetworkOf(fitted, 'predictWithHead').predictWithHead(fitted.transform(X, 'target'), head);
}

/**
 * The trained network of a deep pipeline, or `INVALID_ARGUMENT` naming `caller` when its estimator
 * is not one (`NOT_FITTED` when the pipeline was disposed). @internal
 */
export function fittedNetworkOf(fitted: FittedPipeline, caller: string): Pick<FittedNetwork, 'forExport' | 'predictWithHead' | 'heads' | 'hold'> {
  const estimator = fitted?.fittedEstimator;
  if (!(estimator instanceof FittedNetwork)) {
    const name = fitted?.steps?.find((step) => step.role === 'estimator')?.name;
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `${caller} needs a pipeline whose estimator is a trained network (trainer or mlp)${name ? `; this one's is '${name}'` : ''}.`,
      { argument: 'fitted' },
    );
  }
  return estimator;
}

/**
 * The heads of a fitted deep pipeline (`['task', 'source', ...]`: what {@link predictWithHead} and
 * `exportNetwork` accept), or `[]` when its estimator is not a network.
 */
export function networkHeads(fitted: FittedPipeline): string[] {
  const estimator = fitted.fittedEstimator;
  return estimator instanceof FittedNetwork ? estimator.heads : [];
}

const deepNeeds: StrategyNeeds = {
  problems: ['classification', 'regression'],
  targetLabels: 'optional',
  acceptsSampleWeights: true,
  trainingHooks: true,
};

/**
 * The deep trainer: builds a backbone (by registered name) plus a task head and trains it with
 * core's one training loop, calling the hooks of the pipeline's `training` steps (fine-tuning,
 * DANN, LwF, ...). Sample weights from weighting steps weight the task loss
 * (Σᵢ wᵢ·lossᵢ / batch size). Classification uses softmax cross-entropy; regression squared error.
 *
 * Options (defaults): `backbone` ({ use: 'mlp', hidden: [128] }), `epochs` (20), `batchSize` (64),
 * `optimizer` ({ type: 'adam', learningRate: 1e-3 }; also 'sgd', 'momentum', `weightDecay` for AdamW),
 * `earlyStopping` (off; { patience: 5, validationFraction: 0.1, minDelta: 0 } holds out a stratified
 * part of the training set and restores the best weights), `checkpoint` (off; { key, every: 1,
 * resume: true } writes to the run's storage; a rerun resumes from it only when it was written by the same
 * run — same options, data, starting weights (layer names included) and epochs — and gets `INVALID_CONFIG`
 * otherwise; a rerun of a run that early stopping ended trains no further), `augment` (off; image inputs only:
 * { translate: 0 pixels, rotate: 0 degrees, scale: [1, 1] } warps every image of the labelled
 * training batches (those of the task loss) by its own random rotation, scale and shift — seeded
 * per step, so reruns and resumed runs see the same images; unlabelled target batches, hooks' extra
 * batches and validation batches are not augmented; `lwf` rejects it), `pretrain` (off; { epochs, batchSize?,
 * optimizer?, cache: true, seed?, augment? } first trains the backbone and a source head on the labelled source
 * — `input.source`, whatever `trainOn` says — then the run starts from those weights with a new task
 * head; the source head stays in the network as the frozen extra head `'source'` and reaches the
 * training steps as `setup` context `pretrained` (fine-tune, L2-SP, LwF read it). The weights are
 * cached in the run's storage under a key derived from the backbone, the pre-training options, the
 * seed and a fingerprint of the source data, so a rerun skips pre-training), `initialModel`
 * (not from JSON configs: `{ backbone, head? }` tfjs models to start from instead — your own
 * pre-trained network, e.g. cut with `cutAtLayer` or split with `splitAtLayer` of `@tlkit/models`;
 * copied, never modified; the configured `backbone` is then unused; with a `head`, the run has the
 * frozen extra head `'source'`. The fitted pipeline saves as any other: its state holds the
 * network's tfjs topology and weights, its options a marker `{ "$tlkit": "initial-model", "head":
 * true }` in place of the models, and loading rebuilds the network with no registry name — layer
 * classes of your own must be registered with tfjs before loading. `exportNetwork` gives the
 * trained network back as a tfjs model).
 *
 * Labelled target samples reach a training step's `setup` only when that step declares it uses them.
 *
 * @example
 * ```ts
 * const deep = compose(myHook(), trainer({ backbone: { use: 'mlp', hidden: [256, 128] }, epochs: 30 }));
 * const fitted = await deep.fit(task, { seed: 1 });
 * // Pre-train on the labelled source, then train on the few labelled target samples:
 * const transfer = compose(trainer({ backbone: { use: 'mlp', hidden: [64] }, pretrain: { epochs: 10 } }));
 * await transfer.fit(task, { seed: 1, trainOn: 'target', storage: fileStorage('.tlkit-cache') });
 * ```
 */
export const trainerPlugin = definePlugin({
  name: 'trainer',
  kind: 'base',
  role: 'estimator',
  description: 'Deep trainer: backbone + head trained by core\'s loop with the pipeline\'s training hooks.',
  // Augmentation warps images: with `augment` the pipeline rejects data without an image shape
  // before any step runs.
  needs: (options) => (options.augment || options.pretrain?.augment ? { ...deepNeeds, images: true } : deepNeeds),
  configSchema: trainerSchema,
  create: (options) => ({
    probabilities: true,
    async doFit(input, context) {
      if (isSavedInitialModel(options.initialModel)) {
        throw new TlkitError(
          'INVALID_CONFIG',
          "this trainer's initialModel is the marker of a saved pipeline ({ $tlkit: 'initial-model' }): the saved network is in the pipeline's fitted state, not in its options, so the step cannot be fitted again. To fit anew, create the trainer again with initialModel: { backbone, head? } (tfjs models).",
          { argument: 'initialModel' },
        );
      }
      return fitNetwork(
        {
          backbone: options.backbone as BackboneConfig,
          epochs: options.epochs,
          batchSize: options.batchSize,
          optimizer: options.optimizer,
          ...(options.earlyStopping ? { earlyStopping: options.earlyStopping } : {}),
          ...(options.checkpoint ? { checkpoint: options.checkpoint } : {}),
          ...(options.initialModel ? { initialModel: options.initialModel } : {}),
          ...(options.augment ? { augment: options.augment } : {}),
        },
        input,
        context,
        options.pretrain,
      );
    },
    doRestore: restoreNetwork,
  }),
});

/** Creates a {@link trainerPlugin} step. */
export function trainer(options?: TrainerOptions) {
  return trainerPlugin.create(options);
}

/**
 * A multilayer-perceptron classifier or regressor (a base estimator): `hidden` dense ReLU layers
 * and a linear output, trained with Adam on the (sample-weighted) cross-entropy or squared error
 * by core's training loop. Rumelhart, Hinton & Williams, "Learning representations by
 * back-propagating errors", Nature 1986; Kingma & Ba, ICLR 2015 (Adam).
 *
 * Options (defaults): `hidden` ([100]), `activation` ('relu'), `epochs` (50), `batchSize` (64),
 * `optimizer` (Adam, learning rate 1e-3), `earlyStopping` (off).
 *
 * @example
 * ```ts
 * const fitted = await compose(mlp({ hidden: [64], epochs: 30 })).fit(task, { seed: 0 });
 * ```
 */
export const mlpPlugin = definePlugin({
  name: 'mlp',
  kind: 'base',
  role: 'estimator',
  description: 'Multilayer perceptron (dense ReLU layers), trained with Adam by core\'s loop.',
  needs: { problems: ['classification', 'regression'], targetLabels: 'never', acceptsSampleWeights: true },
  configSchema: mlpSchema,
  create: (options) => ({
    probabilities: true,
    async doFit(input, context) {
      return fitNetwork(
        {
          backbone: { use: 'mlp', hidden: options.hidden, activation: options.activation },
          epochs: options.epochs,
          batchSize: options.batchSize,
          optimizer: options.optimizer,
          ...(options.earlyStopping ? { earlyStopping: options.earlyStopping } : {}),
        },
        { ...input, trainingSteps: [] },
        context,
      );
    },
    doRestore: restoreNetwork,
  }),
});

/** Creates an {@link mlpPlugin} step. */
export function mlp(options?: MlpOptions) {
  return mlpPlugin.create(options);
}
