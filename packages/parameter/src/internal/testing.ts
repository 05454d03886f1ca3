/**
 * Test helpers (not exported): seeded toy tasks and a recorder step that snapshots every layer's
 * weights at setup and after each epoch.
 */
import type * as tf from '@tensorflow/tfjs';
import { createRng, definePlugin, type TrainingHooks, type TransferTask } from '@tlkit/core';
import * as z from 'zod';

/** Gaussian blobs: `classes` classes in `dim` dimensions, class c centred at 2.5·e_c (+ shift). */
export function blobs(n: number, seed: number, options: { classes?: number; dim?: number; shift?: number } = {}) {
  const classes = options.classes ?? 3;
  const dim = options.dim ?? 6;
  const rng = createRng(seed);
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % classes;
    X.push(Array.from({ length: dim }, (_, j) => (j === label ? 2.5 : 0) + (options.shift ?? 0) * (j === dim - 1 ? 1 : 0) + rng.normal()));
    y.push(label);
  }
  return { X, y };
}

/** A 3-class source → shifted target task with 4 labelled target samples per class. */
export function toyTask(seed = 1, n = 90): TransferTask & { targetTest: { X: number[][]; y: number[] } } {
  const source = blobs(n, seed);
  const target = blobs(n, seed + 100, { shift: 1.5 });
  const labeled = blobs(12, seed + 200, { shift: 1.5 });
  return {
    source,
    target: { X: target.X },
    targetLabeled: labeled,
    targetTest: target,
    problem: 'classification',
  };
}

/** Every weight of a model, per layer name, as float32 copies. */
export function layerWeights(model: tf.LayersModel): Map<string, Float32Array[]> {
  const out = new Map<string, Float32Array[]>();
  const visit = (layer: tf.layers.Layer) => {
    const nested = (layer as unknown as { layers?: tf.layers.Layer[] }).layers;
    if (Array.isArray(nested)) {
      for (const inner of nested) visit(inner);
      return;
    }
    if (layer.weights.length === 0) return;
    out.set(
      layer.name,
      layer.weights.map((weight) => Float32Array.from(weight.read().dataSync() as Float32Array)),
    );
  };
  for (const layer of model.layers) visit(layer);
  return out;
}

/** What the recorder saw: weights per layer (backbone, task head, extra heads) at setup and after every epoch. */
export interface Recording {
  snapshots: Map<string, Float32Array[]>[];
  losses: Record<string, number>[];
}

const recordings = new Map<string, Recording>();

/** A test-only training step that records every layer's weights at setup and after each epoch. */
export const recorderPlugin = definePlugin({
  name: 'test-weight-recorder',
  kind: 'parameter',
  role: 'training',
  description: 'test: records the weights of every layer after each epoch',
  needs: { problems: ['classification', 'regression'], targetLabels: 'never', acceptsSampleWeights: false },
  configSchema: z.object({ id: z.string() }).strict(),
  create: (options) => ({
    doCreateHooks(): TrainingHooks {
      const recording: Recording = { snapshots: [], losses: [] };
      recordings.set(options.id, recording);
      let models: tf.LayersModel[] = [];
      const snapshot = () => {
        const all = new Map<string, Float32Array[]>();
        for (const model of models) for (const [name, values] of layerWeights(model)) all.set(name, values);
        recording.snapshots.push(all);
      };
      return {
        name: 'recorder',
        setup(context) {
          models = [context.model.backbone, context.model.head, ...context.model.extraHeads.values()];
          snapshot();
        },
        onEpochEnd(_progress, logs) {
          models = models.filter((model) => model.weights.length > 0);
          snapshot();
          recording.losses.push({ ...logs.losses });
        },
      };
    },
  }),
});

/** A recorder step; read what it saw with {@link recording}. */
export function recorder(id: string) {
  return recorderPlugin.create({ id });
}

/** The recording of the recorder step with this id. */
export function recording(id: string): Recording {
  const found = recordings.get(id);
  if (!found) throw new Error(`no recording '${id}'`);
  return found;
}

/** True when two weight lists are byte-identical. */
export function sameBytes(a: readonly Float32Array[], b: readonly Float32Array[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((values, index) => {
    const other = b[index];
    if (values.length !== other.length) return false;
    const left = new Uint32Array(values.buffer, values.byteOffset, values.length);
    const right = new Uint32Array(other.buffer, other.byteOffset, other.length);
    return left.every((word, k) => word === right[k]);
  });
}

/** Fraction of equal entries. */
export function accuracy(predicted: ArrayLike<number>, truth: ArrayLike<number>): number {
  let correct = 0;
  for (let i = 0; i < truth.length; i++) if (predicted[i] === truth[i]) correct++;
  return correct / truth.length;
}

/** A setup context around hand-built models, for calling a step's hooks directly. */
export function fakeSetupContext(parts: {
  backbone: tf.LayersModel;
  head: tf.LayersModel;
  X: import('@tlkit/core').Matrix;
  y: Int32Array;
  pretrained?: import('@tlkit/core').PretrainedState;
  labeledSource?: { X: import('@tlkit/core').Matrix; y: Int32Array };
  numClasses?: number;
  added?: { name: string; rows: number }[];
  augmented?: boolean;
}): import('@tlkit/core').TrainingSetupContext {
  const extraHeads = new Map<string, tf.LayersModel>();
  if (parts.pretrained?.head) extraHeads.set(parts.pretrained.headName, parts.pretrained.head);
  return {
    model: { backbone: parts.backbone, head: parts.head, extraHeads },
    problem: 'classification',
    numClasses: parts.numClasses ?? 2,
    inputShape: [parts.X.cols],
    featureDim: parts.backbone.outputs[0].shape[1] as number,
    source: { X: parts.X, y: parts.y },
    target: { X: parts.X },
    ...(parts.labeledSource ? { labeledSource: parts.labeledSource } : {}),
    ...(parts.pretrained ? { pretrained: parts.pretrained } : {}),
    augmented: parts.augmented ?? false,
    addLabeledBatches(name, set) {
      parts.added?.push({ name, rows: set.X.rows });
    },
    rng: createRng(1),
    epochs: 1,
    stepsPerEpoch: 1,
  };
}
