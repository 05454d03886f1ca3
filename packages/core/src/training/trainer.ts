import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { ProblemType } from '../data';
import { TlkitError } from '../errors';
import { Matrix } from '../matrix';
import { definePlugin } from '../plugin';
import { readJson, type JsonValue, type StepState } from '../state';
import type { EstimatorFitInput, FittedEstimator, StepContext, StrategyNeeds } from '../strategy';
import { type BackboneConfig, backboneOptionSchema, buildBackbone } from './backbones';
import { BatchSource } from './batches';
import {
  buildHead,
  disposeModel,
  loadModelWeightArrays,
  modelWeightArrays,
  runTraining,
  type TrainingRunOptions,
} from './loop';
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

const trainerSchema = z
  .object({
    /** The feature extractor, by registered name: `{ use: 'mlp', hidden: [256, 128] }`. */
    backbone: backboneOptionSchema.default({ use: 'mlp', hidden: [128] }),
    epochs: z.number().int().positive().default(20),
    batchSize: z.number().int().positive().default(64),
    optimizer: optimizerSchema.default({
      type: 'adam',
      learningRate: 1e-3,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      momentum: 0.9,
      weightDecay: 0,
    }),
    earlyStopping: earlyStoppingSchema.optional(),
    checkpoint: checkpointSchema.optional(),
  })
  .strict();

/** Options of {@link trainer}. */
export type TrainerOptions = z.input<typeof trainerSchema>;

const mlpSchema = z
  .object({
    hidden: z.array(z.number().int().positive()).min(1).default([100]),
    activation: z.enum(['relu', 'tanh', 'elu', 'sigmoid']).default('relu'),
    epochs: z.number().int().positive().default(50),
    batchSize: z.number().int().positive().default(64),
    optimizer: trainerSchema.shape.optimizer,
    earlyStopping: earlyStoppingSchema.optional(),
  })
  .strict();

/** Options of {@link mlp}. */
export type MlpOptions = z.input<typeof mlpSchema>;

const PREDICT_CHUNK = 1024;

/** A trained network as a fitted estimator. @internal */
class FittedNetwork implements FittedEstimator {
  readonly info: Readonly<Record<string, JsonValue>>;
  private disposed = false;

  constructor(
    private readonly model: TrainingModel,
    private readonly inputShape: readonly number[],
    private readonly problem: ProblemType,
    private readonly numClasses: number,
    private readonly backbone: BackboneConfig,
    history: readonly EpochLogs[],
    extraInfo: Record<string, JsonValue> = {},
  ) {
    this.info = { epochs: history.length, history: history as unknown as JsonValue, ...extraInfo };
  }

  private outputs(X: Matrix, transform: (logits: tf.Tensor2D) => tf.Tensor): Float32Array | Int32Array {
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
        const logits = this.model.head.apply(this.model.backbone.apply(source.slice(start, end), { training: false }), {
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
    const extraHeads: Record<string, JsonValue> = {};
    for (const [name, head] of this.model.extraHeads) {
      extraHeads[name] = JSON.parse(head.toJSON(null, false) as string) as JsonValue;
    }
    return {
      json: {
        inputShape: [...this.inputShape],
        problem: this.problem,
        numClasses: this.numClasses,
        backbone: this.backbone as unknown as JsonValue,
        extraHeads,
      },
      arrays: modelWeightArrays(this.model),
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    disposeModel(this.model);
  }
}

async function restoreNetwork(state: StepState): Promise<FittedNetwork> {
  const json = readJson<{
    inputShape: number[];
    problem: ProblemType;
    numClasses: number;
    backbone: Record<string, JsonValue>;
    extraHeads: Record<string, JsonValue>;
  }>(state);
  const backbone = buildBackbone(json.backbone as unknown as BackboneConfig, {
    inputShape: json.inputShape,
    seed: 0,
    namePrefix: 'backbone_',
  });
  const featureDim = backbone.outputs[0].shape[1] as number;
  const head = buildHead(featureDim, json.problem === 'classification' ? json.numClasses : 1, 0);
  const extraHeads = new Map<string, tf.LayersModel>();
  for (const [name, topology] of Object.entries(json.extraHeads ?? {})) {
    extraHeads.set(name, await tf.models.modelFromJSON({ modelTopology: topology as tf.io.ModelJSON['modelTopology'] }));
  }
  const model: TrainingModel = { backbone, head, extraHeads };
  loadModelWeightArrays(model, state.arrays ?? {});
  return new FittedNetwork(model, json.inputShape, json.problem, json.numClasses, json.backbone as unknown as BackboneConfig, []);
}

async function fitNetwork(options: TrainingRunOptions, input: EstimatorFitInput, context: StepContext): Promise<FittedNetwork> {
  const result = await runTraining(
    options,
    {
      train: input.train,
      target: input.target,
      ...(input.targetLabeled ? { targetLabeled: input.targetLabeled } : {}),
      problem: context.problem,
      numClasses: context.numClasses,
      ...(context.shape ? { imageShape: context.shape } : {}),
    },
    input.trainingSteps,
    context,
  );
  return new FittedNetwork(
    result.model,
    result.inputShape,
    context.problem,
    context.numClasses,
    options.backbone,
    result.history,
    { epochsRun: result.epochsRun, ...(result.resumedFrom !== undefined ? { resumedFrom: result.resumedFrom } : {}) },
  );
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
 * resume: true } writes to the run's storage and resumes from it).
 *
 * Labelled target samples reach a training step's `setup` only when that step declares it uses them.
 *
 * @example
 * ```ts
 * const deep = compose(myHook(), trainer({ backbone: { use: 'mlp', hidden: [256, 128] }, epochs: 30 }));
 * const fitted = await deep.fit(task, { seed: 1 });
 * ```
 */
export const trainerPlugin = definePlugin({
  name: 'trainer',
  kind: 'base',
  role: 'estimator',
  description: 'Deep trainer: backbone + head trained by core\'s loop with the pipeline\'s training hooks.',
  needs: deepNeeds,
  configSchema: trainerSchema,
  create: (options) => ({
    async doFit(input, context) {
      return fitNetwork(
        {
          backbone: options.backbone as BackboneConfig,
          epochs: options.epochs,
          batchSize: options.batchSize,
          optimizer: options.optimizer,
          ...(options.earlyStopping ? { earlyStopping: options.earlyStopping } : {}),
          ...(options.checkpoint ? { checkpoint: options.checkpoint } : {}),
        },
        input,
        context,
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
