import * as tf from '@tensorflow/tfjs';
import { compose, createRng, Matrix, registerBackbone, trainer } from '@tlkit/core';
import { describe, expect, it } from 'vitest';
import { cloneModel, lenetBackbone, modelBackbones } from './index';
import { onWasmBackend } from '../test/wasm-backend';

/** Closed-form LeNet parameter count: conv (k²·c_in + 1)·c_out, dense (d_in + 1)·d_out. */
function lenetParams(side: number, channels: number, filters = [6, 16], kernel = 5, dense = [120, 84]): number {
  const conv1 = (kernel * kernel * channels + 1) * filters[0];
  const conv2 = (kernel * kernel * filters[0] + 1) * filters[1];
  const afterPools = Math.floor((Math.floor(side / 2) - kernel + 1) / 2);
  let width = afterPools * afterPools * filters[1];
  let total = conv1 + conv2;
  for (const units of dense) {
    total += (width + 1) * units;
    width = units;
  }
  return total;
}

const build = (inputShape: number[], options: Record<string, unknown> = {}, seed = 1, namePrefix = 'b_') =>
  lenetBackbone.build(lenetBackbone.configSchema.parse(options), { inputShape, seed, namePrefix });

describe('lenet backbone', () => {
  it('has the LeNet-5 parameter count and feature width on 28×28×1 and 16×16×1', () => {
    // 28×28: 156 + 2416 + (400+1)·120 + (120+1)·84 = 60,856 (the paper's C1..F6 on 32×32 inputs).
    expect(lenetParams(28, 1)).toBe(60_856);
    for (const side of [28, 16]) {
      const model = build([side, side, 1]);
      expect(model.countParams()).toBe(lenetParams(side, 1));
      expect(model.outputs[0].shape).toEqual([null, 84]);
      model.dispose();
    }
    const custom = build([20, 20, 3], { filters: [4, 8], kernelSize: 3, dense: [32] });
    expect(custom.countParams()).toBe(lenetParams(20, 3, [4, 8], 3, [32]));
    expect(custom.outputs[0].shape).toEqual([null, 32]);
    custom.dispose();
  });

  it('names its layers stably under the prefix', () => {
    const model = build([16, 16, 1], { dropout: 0.5 }, 1, 'src_');
    expect(model.layers.map((layer) => layer.name)).toEqual([
      'src_input',
      'src_conv1',
      'src_pool1',
      'src_conv2',
      'src_pool2',
      'src_flatten',
      'src_dense1',
      'src_dropout1',
      'src_dense2',
      'src_dropout2',
    ]);
    model.dispose();
  });

  it('is deterministic in the seed, with a distinct Glorot-uniform draw per layer and zero biases', () => {
    const a = build([16, 16, 1], {}, 7);
    const b = build([16, 16, 1], {}, 7);
    const c = build([16, 16, 1], {}, 8);
    const weightsA = a.getWeights().map((w) => w.dataSync());
    const weightsB = b.getWeights().map((w) => w.dataSync());
    const weightsC = c.getWeights().map((w) => w.dataSync());
    weightsA.forEach((values, index) => expect(Buffer.from(values.buffer).equals(Buffer.from(weightsB[index].buffer))).toBe(true));
    expect(Array.from(weightsA[0])).not.toEqual(Array.from(weightsC[0]));
    for (const layer of a.layers) {
      const [kernel, bias] = layer.getWeights();
      if (!kernel) continue;
      const shape = kernel.shape;
      // Glorot/Xavier (Glorot & Bengio 2010): U(±√(6/(fan_in+fan_out))), receptive field counted in both fans.
      const receptive = shape.length === 4 ? shape[0] * shape[1] : 1;
      const limit = Math.sqrt(6 / (receptive * (shape.at(-2)! + shape.at(-1)!)));
      const values = kernel.dataSync();
      expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(limit);
      // A uniform draw fills the interval: its largest magnitude is close to the limit.
      expect(Math.max(...values.map(Math.abs))).toBeGreaterThan(0.8 * limit);
      expect(Array.from(bias.dataSync()).every((value) => value === 0)).toBe(true);
    }
    // conv1 and dense1 seeds differ: their first values are not the same draw scaled.
    const conv1 = a.getLayer('b_conv1').getWeights()[0].dataSync();
    const conv2 = a.getLayer('b_conv2').getWeights()[0].dataSync();
    expect(conv1[0] / conv2[0]).not.toBeCloseTo(conv1[1] / conv2[1], 6);
    for (const model of [a, b, c]) model.dispose();
  });

  it('computes conv-relu-pool-conv-relu-pool-dense-relu-dense-relu (checked against plain tf ops)', () => {
    const model = build([16, 16, 1]);
    const rng = createRng(3);
    const image = tf.tensor4d(Float32Array.from({ length: 2 * 256 }, () => rng.float()), [2, 16, 16, 1]);
    const weights = (name: string) => model.getLayer(`b_${name}`).getWeights();
    const expected = tf.tidy(() => {
      const [k1, b1] = weights('conv1');
      const [k2, b2] = weights('conv2');
      const [d1, c1] = weights('dense1');
      const [d2, c2] = weights('dense2');
      let x: tf.Tensor = tf.relu(tf.add(tf.conv2d(image, k1 as tf.Tensor4D, 1, 'same'), b1));
      x = tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid');
      x = tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, k2 as tf.Tensor4D, 1, 'valid'), b2));
      x = tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid');
      x = tf.reshape(x, [2, -1]);
      x = tf.relu(tf.add(tf.matMul(x as tf.Tensor2D, d1 as tf.Tensor2D), c1));
      return tf.relu(tf.add(tf.matMul(x as tf.Tensor2D, d2 as tf.Tensor2D), c2));
    });
    const actual = model.predict(image) as tf.Tensor;
    expect(actual.shape).toEqual([2, 84]);
    const difference = tf.tidy(() => tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0]);
    expect(difference).toBeLessThan(1e-5);
    tf.dispose([image, expected, actual]);
    model.dispose();
  });

  it('draws a fresh, reproducible dropout mask at every training call and is the identity at inference', () => {
    const before = tf.memory().numTensors;
    const a = build([16, 16, 1], { dropout: 0.5, dense: [400] }, 5);
    const b = build([16, 16, 1], { dropout: 0.5, dense: [400] }, 5);
    const x = tf.ones([4, 16, 16, 1]);
    const zeros = (model: tf.LayersModel) => {
      const output = model.apply(x, { training: true }) as tf.Tensor;
      const plain = model.apply(x, { training: false }) as tf.Tensor;
      const mask = tf.tidy(() => tf.equal(output, 0).dataSync());
      const kept = tf.tidy(() => tf.where(tf.equal(output, 0), tf.zerosLike(output), tf.div(output, tf.maximum(plain, 1e-30))).dataSync());
      tf.dispose([output, plain]);
      return { mask: Array.from(mask), kept: Array.from(kept) };
    };
    const first = zeros(a);
    const second = zeros(a);
    // A new mask per call (tfjs's seeded dropout repeats one mask).
    expect(first.mask).not.toEqual(second.mask);
    // The same sequence for the same seed.
    expect(zeros(b).mask).toEqual(first.mask);
    expect(zeros(b).mask).toEqual(second.mask);
    // Inverted dropout: kept units are scaled by 1/(1−rate) = 2 (units that ReLU zeroed aside).
    for (const ratio of first.kept) if (ratio !== 0) expect(ratio).toBeCloseTo(2, 4);
    // Inference: the same output twice, no zeros from dropout.
    const p1 = a.predict(x) as tf.Tensor;
    const p2 = a.predict(x) as tf.Tensor;
    expect(Array.from(p1.dataSync())).toEqual(Array.from(p2.dataSync()));
    tf.dispose([p1, p2, x]);
    a.dispose();
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('keeps its place in the mask sequence in the weights: a copy made after k calls continues with mask k', async () => {
    const model = build([16, 16, 1], { dropout: 0.5, dense: [400] }, 5);
    const x = tf.ones([2, 16, 16, 1]);
    const mask = (network: tf.LayersModel) =>
      tf.tidy(() => Array.from(tf.equal(network.apply(x, { training: true }) as tf.Tensor, 0).dataSync()));
    mask(model);
    // The counter is one non-trainable weight per dropout layer (the only change to the count).
    expect(model.getLayer('b_dropout1').getWeights().map((weight) => Array.from(weight.dataSync()))).toEqual([[1]]);
    expect(model.countParams()).toBe(lenetParams(16, 1, [6, 16], 5, [400]) + 1);
    const copy = await cloneModel(model);
    const continued = mask(copy);
    expect(continued).toEqual(mask(model));
    x.dispose();
    copy.dispose();
    model.dispose();
  });

  it('survives a JSON round trip of its architecture (the seeded dropout layer is registered)', async () => {
    const model = build([16, 16, 1], { dropout: 0.25 });
    const topology = model.toJSON(null, false) as unknown as tf.io.ModelJSON['modelTopology'];
    const restored = await tf.models.modelFromJSON({ modelTopology: topology });
    expect(restored.layers.map((layer) => layer.getClassName())).toEqual(model.layers.map((layer) => layer.getClassName()));
    expect(restored.getLayer('b_dropout1').getConfig()).toMatchObject({ rate: 0.25 });
    restored.dispose();
    model.dispose();
  });

  it('rejects feature vectors, too-small images and bad options with clear errors', () => {
    expect(() => build([784])).toThrow(/needs images: inputShape must be \[height, width, channels\]/);
    expect(() => build([10, 10, 1])).toThrow(/at least 12×12/);
    expect(lenetBackbone.configSchema.safeParse({ dropout: 1 }).success).toBe(false);
    expect(lenetBackbone.configSchema.safeParse({ filters: [6] }).success).toBe(false);
    expect(lenetBackbone.configSchema.safeParse({ units: 3 }).success).toBe(false);
  });
});

describe('lenet in core trainer', () => {
  onWasmBackend();

  it('trains by name on wasm ({ use: "lenet" }): loss falls, no tensor leaks, same seed = same run', async () => {
    registerBackbone(modelBackbones);
    const rng = createRng(9);
    const count = 64;
    const X = new Matrix(count, 256);
    const y = Array.from({ length: count }, (_, index) => index % 2);
    // Two classes: bright top half vs bright bottom half, plus noise.
    for (let row = 0; row < count; row++) {
      for (let pixel = 0; pixel < 256; pixel++) {
        const top = pixel < 128;
        X.data[row * 256 + pixel] = 0.3 * rng.float() + ((y[row] === 0) === top ? 0.7 : 0);
      }
    }
    const task = { source: { X, y, shape: [16, 16, 1] as const }, target: { X, shape: [16, 16, 1] as const }, problem: 'classification' as const };
    const run = async () => {
      const fitted = await compose(trainer({ backbone: { use: 'lenet', dropout: 0.1 }, epochs: 6, batchSize: 16 })).fit(task, { seed: 4 });
      const history = fitted.reports.at(-1)!.info!.history as unknown as { losses: { task: number } }[];
      const predicted = Array.from(fitted.predict(X));
      const accuracy = predicted.filter((label, index) => label === y[index]).length / count;
      fitted.dispose();
      return { losses: history.map((epoch) => epoch.losses.task), accuracy };
    };
    const before = tf.memory().numTensors;
    const first = await run();
    expect(tf.memory().numTensors).toBe(before);
    expect(first.losses.at(-1)!).toBeLessThan(0.5 * first.losses[0]);
    expect(first.accuracy).toBe(1);
    const second = await run();
    expect(second.losses).toEqual(first.losses);
  });
});
