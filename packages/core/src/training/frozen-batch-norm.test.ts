import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { compose } from '../pipeline';
import { definePlugin } from '../plugin';
import { createRng } from '../rng';
import { trainer } from './trainer';
import type { TrainingHooks } from './types';

/** Two seeded Gaussian blobs in 4 dimensions. */
function task(n = 64) {
  const rng = createRng(3);
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    y.push(i % 2);
    X.push([0, 1, 2, 3].map((j) => (i % 2 ? 1 : -1) * (j < 2 ? 1.5 : 0) + 2 + rng.normal()));
  }
  return { source: { X, y }, target: { X }, problem: 'classification' as const };
}

interface Watch {
  /** γ, β (when present), moving mean, moving variance of the layer 'bn', at setup and after each epoch. */
  snapshots: Float32Array[][];
  layer: tf.layers.Layer | null;
}
const watches = new Map<string, Watch>();

function findLayer(model: tf.LayersModel, name: string): tf.layers.Layer | null {
  for (const layer of model.layers) {
    if (layer.name === name) return layer;
    if (layer instanceof tf.LayersModel) {
      const inner = findLayer(layer, name);
      if (inner) return inner;
    }
  }
  return null;
}

/** A test-only step: watches the backbone's layer 'bn'; with `zeroFactor` it gives that layer's weights a learning-rate factor of 0. */
const watchPlugin = definePlugin({
  name: 'test-batch-norm-watch',
  kind: 'parameter',
  role: 'training',
  description: 'test: records the weights of the backbone layer named bn',
  needs: { problems: ['classification'], targetLabels: 'never', acceptsSampleWeights: false },
  configSchema: z.object({ id: z.string(), zeroFactor: z.boolean().default(false) }).strict(),
  create: (options) => ({
    doCreateHooks(): TrainingHooks {
      const watch: Watch = { snapshots: [], layer: null };
      watches.set(options.id, watch);
      const snapshot = () => watch.snapshots.push(watch.layer!.weights.map((weight) => Float32Array.from(weight.read().dataSync() as Float32Array)));
      return {
        name: 'watch',
        setup(context) {
          watch.layer = findLayer(context.model.backbone, 'bn');
          snapshot();
        },
        learningRateMultiplier: (_variable, layerName) => (options.zeroFactor && layerName === 'bn' ? 0 : undefined),
        onEpochEnd() {
          snapshot();
        },
      };
    },
  }),
});

/** dense(6) → BN → ReLU, optionally with the BN inside a nested model. (tfjs 4.22 cannot differentiate through a BN layer without γ and β, so every BN here has them.) */
function backbone(options: { bnTrainable?: boolean; nestedTrainable?: boolean }): tf.LayersModel {
  const input = tf.input({ shape: [4] });
  const dense = tf.layers.dense({ units: 6, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }), name: 'dense' }).apply(input) as tf.SymbolicTensor;
  const batchNorm = tf.layers.batchNormalization({ name: 'bn', trainable: options.bnTrainable ?? true });
  let normalised: tf.SymbolicTensor;
  if (options.nestedTrainable === undefined) {
    normalised = batchNorm.apply(dense) as tf.SymbolicTensor;
  } else {
    const innerInput = tf.input({ shape: [6] });
    const inner = tf.model({ inputs: innerInput, outputs: batchNorm.apply(innerInput) as tf.SymbolicTensor, name: 'inner' });
    inner.trainable = options.nestedTrainable;
    normalised = inner.apply(dense) as tf.SymbolicTensor;
  }
  const output = tf.layers.reLU({ name: 'relu' }).apply(normalised) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: 'backbone' });
}

/** Trains 2 epochs from `model` and returns what the watch saw. */
async function train(id: string, model: tf.LayersModel, zeroFactor = false): Promise<Watch> {
  const fitted = await compose(
    watchPlugin.create({ id, zeroFactor }),
    trainer({ initialModel: { backbone: model }, epochs: 2, batchSize: 16, optimizer: { learningRate: 0.05 } }),
  ).fit(task(), { seed: 2 });
  fitted.dispose();
  return watches.get(id)!;
}

const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((value, index) => Object.is(value, b[index]));
/** Which of the layer's weights changed from the first snapshot to the last. */
const changed = (watch: Watch) => watch.snapshots[0].map((values, index) => !same(values, watch.snapshots.at(-1)![index]));

describe("the training loop's rule for batch normalisation that a step does not train", () => {
  it('a trainable BN layer learns γ, β and updates its moving statistics (the control)', async () => {
    const model = backbone({});
    const watch = await train('control', model);
    model.dispose();
    // γ, β, moving mean, moving variance.
    expect(changed(watch)).toEqual([true, true, true, true]);
  });

  it('a BN layer with trainable = false keeps γ, β and its moving statistics byte-identical (Keras TF 2)', async () => {
    const before = tf.memory().numTensors;
    const model = backbone({ bnTrainable: false });
    const watch = await train('frozen', model);
    model.dispose();
    expect(changed(watch)).toEqual([false, false, false, false]);
    expect(tf.memory().numTensors).toBe(before);
    // The run's own copy gets its layers' call back at the end.
    expect(Object.prototype.hasOwnProperty.call(watch.layer, 'call')).toBe(false);
  });

  it('so does a BN layer inside a nested model that is not trainable', async () => {
    const frozen = backbone({ nestedTrainable: false });
    expect(changed(await train('nested-frozen', frozen))).toEqual([false, false, false, false]);
    frozen.dispose();
    const trainable = backbone({ nestedTrainable: true });
    expect(changed(await train('nested-trainable', trainable))).toEqual([true, true, true, true]);
    trainable.dispose();
  });

  it('so does a BN layer whose γ and β a hook gives a learning-rate factor of 0', async () => {
    const model = backbone({});
    expect(changed(await train('zero-factor', model, true))).toEqual([false, false, false, false]);
    model.dispose();
  });
});
