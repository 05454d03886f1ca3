import * as tf from '@tensorflow/tfjs';
import { compose, createRng, Matrix, registerBackbone, trainer } from '@tlkit/core';
import { describe, expect, it } from 'vitest';
import { modelBackbones, resnet18Backbone } from './index';
import { onWasmBackend } from '../test/wasm-backend';

const build = (inputShape: number[], options: Record<string, unknown> = {}, seed = 1, namePrefix = 'r_') =>
  resnet18Backbone.build(resnet18Backbone.configSchema.parse(options), { inputShape, seed, namePrefix });

/**
 * Closed-form parameter count of ResNet-18 (He et al. 2016, Table 1) without the FC layer:
 * convolutions k²·c_in·c_out (no bias), BN γ, β per channel (trainable) and moving mean/variance.
 */
function resnet18Params(width: number, inChannels: number, stem: 'imagenet' | 'cifar') {
  const stemKernel = stem === 'imagenet' ? 7 : 3;
  let convolutions = stemKernel * stemKernel * inChannels * width;
  let bnChannels = width;
  let channels = width;
  for (let stage = 0; stage < 4; stage++) {
    const out = width * 2 ** stage;
    for (let block = 0; block < 2; block++) {
      convolutions += 9 * channels * out + 9 * out * out;
      bnChannels += 2 * out;
      if (block === 0 && (stage > 0 || channels !== out)) {
        convolutions += channels * out;
        bnChannels += out;
      }
      channels = out;
    }
  }
  return { trainable: convolutions + 2 * bnChannels, movingStatistics: 2 * bnChannels };
}

const trainableCount = (model: tf.LayersModel) => model.trainableWeights.reduce((sum, weight) => sum + weight.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);

/**
 * The paper's forward pass written with plain tf ops from the layers' weights (inference-mode BN),
 * padded as torchvision pads: ⌊k/2⌋ on every side of every convolution and of the max-pool.
 */
function referenceForward(model: tf.LayersModel, x: tf.Tensor4D, stem: 'imagenet' | 'cifar', epsilon = 1e-5): tf.Tensor {
  return tf.tidy(() => {
    const weights = (name: string) => model.getLayer(`r_${name}`).getWeights();
    const conv = (input: tf.Tensor4D, name: string, stride: number) => {
      const kernel = weights(name)[0] as tf.Tensor4D;
      return tf.conv2d(input, kernel, stride, Math.floor(kernel.shape[0] / 2));
    };
    const bn = (input: tf.Tensor4D, name: string) => {
      const [gamma, beta, mean, variance] = weights(name);
      return tf.add(tf.mul(gamma, tf.div(tf.sub(input, mean), tf.sqrt(tf.add(variance, epsilon)))), beta) as tf.Tensor4D;
    };
    let current = tf.relu(bn(conv(x, 'conv1', stem === 'imagenet' ? 2 : 1), 'bn1'));
    if (stem === 'imagenet') current = tf.maxPool(current, 3, 2, 1);
    for (let stage = 1; stage <= 4; stage++) {
      for (let block = 1; block <= 2; block++) {
        const name = `stage${stage}_block${block}_`;
        const projection = stage > 1 && block === 1;
        const stride = projection ? 2 : 1;
        let residual = tf.relu(bn(conv(current, `${name}conv1`, stride), `${name}bn1`));
        residual = bn(conv(residual, `${name}conv2`, 1), `${name}bn2`);
        const shortcut = projection ? bn(conv(current, `${name}shortcut_conv`, stride), `${name}shortcut_bn`) : current;
        current = tf.relu(tf.add(residual, shortcut)) as tf.Tensor4D;
      }
    }
    return tf.mean(current, [1, 2]);
  });
}

describe('resnet18 backbone', () => {
  it("has the paper configuration's 11,176,512 trainable parameters and its stage shapes at 224×224×3", () => {
    const closed = resnet18Params(64, 3, 'imagenet');
    // torchvision resnet18: 11,689,512 parameters, minus its FC 1000 head (512·1000 + 1000).
    expect(closed.trainable).toBe(11_689_512 - 513_000);
    const before = tf.memory().numTensors;
    const model = build([224, 224, 3]);
    expect(trainableCount(model)).toBe(11_176_512);
    expect(model.countParams()).toBe(closed.trainable + closed.movingStatistics);
    const shape = (name: string) => model.getLayer(`r_${name}`).outputShape;
    expect(shape('conv1')).toEqual([null, 112, 112, 64]);
    expect(shape('pool1')).toEqual([null, 56, 56, 64]);
    expect(shape('stage1_block2_out')).toEqual([null, 56, 56, 64]);
    expect(shape('stage2_block2_out')).toEqual([null, 28, 28, 128]);
    expect(shape('stage3_block2_out')).toEqual([null, 14, 14, 256]);
    expect(shape('stage4_block2_out')).toEqual([null, 7, 7, 512]);
    expect(model.outputs[0].shape).toEqual([null, 512]);
    // Projection shortcuts exactly where the shape changes: first blocks of stages 2–4.
    const projections = model.layers.filter((layer) => layer.name.endsWith('shortcut_conv')).map((layer) => layer.name);
    expect(projections).toEqual(['r_stage2_block1_shortcut_conv', 'r_stage3_block1_shortcut_conv', 'r_stage4_block1_shortcut_conv']);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('small version: cifar stem on 28×28×1 and 16×16×1 digits', () => {
    for (const [side, shapes] of [
      [28, [28, 14, 7, 4]],
      [16, [16, 8, 4, 2]],
    ] as const) {
      const model = build([side, side, 1], { width: 8, stem: 'cifar' });
      expect(model.countParams()).toBe(resnet18Params(8, 1, 'cifar').trainable + resnet18Params(8, 1, 'cifar').movingStatistics);
      shapes.forEach((size, stage) => {
        expect(model.getLayer(`r_stage${stage + 1}_block2_out`).outputShape).toEqual([null, size, size, 8 * 2 ** stage]);
      });
      expect(model.outputs[0].shape).toEqual([null, 64]);
      model.dispose();
    }
  });

  for (const [stem, inputShape] of [
    ['imagenet', [20, 20, 3]],
    ['cifar', [8, 8, 1]],
  ] as const) {
    it(`computes the paper's blocks (${stem} stem; checked against plain tf ops, inference-mode BN)`, () => {
      const model = build([...inputShape], { width: 2, stem });
      const rng = createRng(12);
      // Non-trivial BN statistics and affine parameters, so a misplaced BN would show.
      for (const layer of model.layers.filter((candidate) => candidate.getClassName() === 'BatchNormalization')) {
        const channels = layer.getWeights()[0].shape[0];
        const draw = (low: number, high: number) => tf.tensor1d(Float32Array.from({ length: channels }, () => low + (high - low) * rng.float()));
        const values = [draw(0.5, 1.5), draw(-0.5, 0.5), draw(-0.3, 0.3), draw(0.5, 2)];
        layer.setWeights(values);
        tf.dispose(values);
      }
      const x = tf.tensor4d(Float32Array.from({ length: 2 * inputShape[0] * inputShape[1] * inputShape[2] }, () => rng.normal()), [2, ...inputShape]);
      const expected = referenceForward(model, x, stem);
      const actual = model.predict(x) as tf.Tensor;
      expect(actual.shape).toEqual([2, 16]);
      const scale = tf.tidy(() => tf.max(tf.abs(expected)).dataSync()[0]);
      expect(scale).toBeGreaterThan(0);
      const difference = tf.tidy(() => tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0]);
      expect(difference).toBeLessThan(1e-5 * Math.max(1, scale));
      tf.dispose([x, expected, actual]);
      model.dispose();
    });
  }

  it('is deterministic in the seed; He-normal kernels with per-layer seeds', () => {
    const a = build([16, 16, 1], { width: 8, stem: 'cifar' }, 3);
    const b = build([16, 16, 1], { width: 8, stem: 'cifar' }, 3);
    const c = build([16, 16, 1], { width: 8, stem: 'cifar' }, 4);
    const bytes = (model: tf.LayersModel) => model.getWeights().map((weight) => Buffer.from(weight.dataSync().buffer));
    const [wa, wb, wc] = [bytes(a), bytes(b), bytes(c)];
    wa.forEach((values, index) => expect(values.equals(wb[index])).toBe(true));
    expect(wa[0].equals(wc[0])).toBe(false);
    // He normal (truncated at 2σ): σ = √(2 / fan_in); the sample std of a 3×3×32×64 kernel is near 0.88σ.
    const kernel = a.getLayer('r_stage4_block2_conv2').getWeights()[0];
    const values = Array.from(kernel.dataSync());
    const sigma = Math.sqrt(2 / (9 * 64));
    const std = Math.sqrt(values.reduce((sum, value) => sum + value * value, 0) / values.length);
    expect(std / sigma).toBeGreaterThan(0.83);
    expect(std / sigma).toBeLessThan(0.93);
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(2 * sigma + 1e-7);
    // Two same-shaped kernels of different layers are different draws.
    const other = Array.from(a.getLayer('r_stage4_block2_conv1').getWeights()[0].dataSync());
    expect(other.slice(0, 5)).not.toEqual(values.slice(0, 5));
    for (const model of [a, b, c]) model.dispose();
  });

  it('rejects feature vectors and unknown options', () => {
    expect(() => build([64])).toThrow(/needs images/);
    expect(resnet18Backbone.configSchema.safeParse({ stem: 'tiny' }).success).toBe(false);
    expect(resnet18Backbone.configSchema.safeParse({ width: 0 }).success).toBe(false);
    expect(resnet18Backbone.configSchema.safeParse({ depth: 34 }).success).toBe(false);
  });
});

describe('resnet18 in core trainer', () => {
  onWasmBackend();

  it('trains by name on wasm (small cifar-stem version): loss falls, BN statistics move, no leaks, reproducible', async () => {
    registerBackbone(modelBackbones);
    const rng = createRng(2);
    const count = 16;
    const X = new Matrix(count, 64);
    const y = Array.from({ length: count }, (_, index) => index % 2);
    // Class 0: bright left half; class 1: bright right half.
    for (let row = 0; row < count; row++) {
      for (let pixel = 0; pixel < 64; pixel++) X.data[row * 64 + pixel] = 0.3 * rng.float() + ((pixel % 8 < 4) === (y[row] === 0) ? 0.7 : 0);
    }
    const task = { source: { X, y, shape: [8, 8, 1] as const }, target: { X, shape: [8, 8, 1] as const }, problem: 'classification' as const };
    const run = async () => {
      const fitted = await compose(trainer({ backbone: { use: 'resnet18', width: 4, stem: 'cifar' }, epochs: 3, batchSize: 8 })).fit(task, { seed: 6 });
      const report = fitted.reports.at(-1)!;
      const history = report.info!.history as unknown as { losses: { task: number } }[];
      fitted.dispose();
      return history.map((epoch) => epoch.losses.task);
    };
    const before = tf.memory().numTensors;
    const first = await run();
    expect(tf.memory().numTensors).toBe(before);
    expect(first.at(-1)!).toBeLessThan(0.8 * first[0]);
    expect(await run()).toEqual(first);
    // ~7 s alone; the generous limit covers CI, where several packages' tests share two cores.
  }, 240_000);

  it('updates the BN moving statistics in training mode only', () => {
    const model = build([8, 8, 1], { width: 2, stem: 'cifar' });
    const layer = model.getLayer('r_bn1');
    const movingMean = () => Array.from(layer.getWeights()[2].dataSync());
    const x = tf.randomNormal([4, 8, 8, 1], 1, 1, 'float32', 5);
    tf.dispose(model.apply(x, { training: false }) as tf.Tensor);
    expect(movingMean().every((value) => value === 0)).toBe(true);
    // One training call: moving mean = momentum · 0 + (1 − momentum) · batch mean of conv1's output.
    const batchMean = tf.tidy(() => {
      const kernel = model.getLayer('r_conv1').getWeights()[0] as tf.Tensor4D;
      return Array.from(tf.mean(tf.conv2d(x as tf.Tensor4D, kernel, 1, 'same'), [0, 1, 2]).dataSync());
    });
    tf.dispose(model.apply(x, { training: true }) as tf.Tensor);
    movingMean().forEach((value, index) => expect(value).toBeCloseTo(0.1 * batchMean[index], 5));
    x.dispose();
    model.dispose();
  });
});
