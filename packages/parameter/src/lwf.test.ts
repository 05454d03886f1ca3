import * as tf from '@tensorflow/tfjs';
import { compose, Matrix, predictWithHead, TlkitError, trainer, type TrainingProgress } from '@tlkit/core';
import { describeStrategyConformance } from '@tlkit/core/testing';
import { describe, expect, it } from 'vitest';
import { fineTune } from './fine-tune';
import { accuracy, fakeSetupContext, recorder, recording, sameBytes, toyTask } from './internal/testing';
import { lwf, lwfDistillationLoss, lwfPlugin } from './lwf';

const progress: TrainingProgress = { epoch: 0, epochs: 1, step: 0, stepsPerEpoch: 1, progress: 0 };

/** −(1/b) Σᵢ Σⱼ softmax(z/T)ᵢⱼ log softmax(ẑ/T)ᵢⱼ in float64. */
function handDistillation(recorded: number[][], current: number[][], temperature: number): number {
  const softmax = (row: number[]) => {
    const scaled = row.map((value) => value / temperature);
    const max = Math.max(...scaled);
    const exps = scaled.map((value) => Math.exp(value - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    return exps.map((value) => value / sum);
  };
  let total = 0;
  recorded.forEach((row, i) => {
    const targets = softmax(row);
    const probabilities = softmax(current[i]);
    targets.forEach((target, j) => (total -= target * Math.log(probabilities[j])));
  });
  return total / recorded.length;
}

function linear(inputs: number, units: number, seed: number, name: string): tf.LayersModel {
  const input = tf.input({ shape: [inputs] });
  const output = tf.layers
    .dense({ units, kernelInitializer: tf.initializers.randomNormal({ seed }), biasInitializer: tf.initializers.randomNormal({ seed: seed + 1 }), name: `${name}_dense` })
    .apply(input) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name });
}

/** x·W + b for a dense layer's weights, in float64. */
function affine(rows: number[][], layer: tf.LayersModel): number[][] {
  const [kernel, bias] = layer.weights.map((weight) => Array.from(weight.read().dataSync()));
  const units = bias.length;
  return rows.map((row) => Array.from({ length: units }, (_, j) => bias[j] + row.reduce((sum, value, k) => sum + value * kernel[k * units + j], 0)));
}

describe('lwf', () => {
  it('the distillation loss on a 2-sample batch equals the hand computation (T = 2)', () => {
    const recorded = [
      [1, 2, 0],
      [0.5, -1, 3],
    ];
    const current = [
      [0.2, 0.1, -0.3],
      [2, 0, 1],
    ];
    const value = tf.tidy(() => lwfDistillationLoss(tf.tensor2d(recorded), tf.tensor2d(current), 2).dataSync()[0]);
    expect(value).toBeCloseTo(handDistillation(recorded, current, 2), 6);
    // At T = 1 it is the plain cross-entropy against the old probabilities.
    const atOne = tf.tidy(() => lwfDistillationLoss(tf.tensor2d(recorded), tf.tensor2d(current), 1).dataSync()[0]);
    expect(atOne).toBeCloseTo(handDistillation(recorded, current, 1), 6);
  });

  it('records the old model on the training set and scores a 2-sample batch against it as by hand', () => {
    const before = tf.memory().numTensors;
    const backbone = linear(3, 4, 1, 'bb');
    const head = linear(4, 2, 3, 'new');
    const oldHead = linear(4, 3, 5, 'old');
    const rows = [
      [1, 0, -1],
      [0.5, 2, 0],
      [-1, 1, 1],
    ];
    const X = new Matrix(3, 3, Float64Array.from(rows.flat()));
    const recordedByHand = affine(affine(rows, backbone), oldHead);
    const hooks = lwfPlugin.create({ lambda: 0.7, temperature: 2 }).doCreateHooks({} as never);
    hooks.setup!(fakeSetupContext({ backbone, head, X, y: Int32Array.from([0, 1, 0]), pretrained: { backboneWeights: [], head: oldHead, headName: 'source', numClasses: 3 } }));
    // Training moves the shared backbone: change it, then score rows 2 and 0.
    tf.tidy(() => {
      backbone.weights[0].write(tf.add(backbone.weights[0].read(), 0.3));
    });
    const batchRows = [rows[2], rows[0]];
    const value = tf.tidy(() => {
      const features = backbone.apply(tf.tensor2d(batchRows)) as tf.Tensor2D;
      const batch = { source: { x: tf.tensor2d(batchRows), y: tf.tensor1d([0, 0], 'int32'), weights: tf.ones([2]) as tf.Tensor1D, indices: Int32Array.from([2, 0]) } };
      return hooks.loss!(batch, { source: { features, logits: head.apply(features) as tf.Tensor2D } }, progress)!.dataSync()[0];
    });
    const currentByHand = affine(affine(batchRows, backbone), oldHead);
    expect(value).toBeCloseTo(0.7 * handDistillation([recordedByHand[2], recordedByHand[0]], currentByHand, 2), 5);
    expect(oldHead.trainable).toBe(true); // the old head trains jointly
    hooks.dispose!();
    for (const model of [backbone, head, oldHead]) model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('keeps the old head\'s answers on the source task better than plain fine-tuning, and predicts with it after fit', async () => {
    const task = toyTask(7);
    const options = { backbone: { use: 'mlp', hidden: [8] }, epochs: 8, batchSize: 4, optimizer: { learningRate: 0.03 }, pretrain: { epochs: 4, seed: 1 } };
    const before = tf.memory().numTensors;
    const sourceAccuracy = async (step: ReturnType<typeof lwf>) => {
      const fitted = await compose(step, trainer(options)).fit(task, { seed: 3, trainOn: 'target' });
      const value = accuracy(predictWithHead(fitted, task.source.X, 'source'), task.source.y as number[]);
      fitted.dispose();
      return value;
    };
    // The pre-trained model's own accuracy: a frozen backbone leaves the source head as it was.
    const pretrained = await sourceAccuracy(fineTune({ freeze: 'backbone' }));
    const plain = await sourceAccuracy(fineTune());
    const withLwf = await sourceAccuracy(lwf({ lambda: 2 }));
    expect(tf.memory().numTensors).toBe(before);
    expect(pretrained).toBeGreaterThan(0.8);
    expect(pretrained - withLwf).toBeLessThan(pretrained - plain);
  });

  it('rejects augmented training batches (its recorded responses belong to the unaugmented images)', () => {
    const before = tf.memory().numTensors;
    const backbone = linear(3, 4, 1, 'bb');
    const head = linear(4, 2, 3, 'new');
    const oldHead = linear(4, 3, 5, 'old');
    const X = new Matrix(1, 3, Float64Array.from([1, 0, -1]));
    const hooks = lwfPlugin.create({}).doCreateHooks({} as never);
    const setup = () =>
      hooks.setup!(fakeSetupContext({ backbone, head, X, y: Int32Array.from([0]), augmented: true, pretrained: { backboneWeights: [], head: oldHead, headName: 'source', numClasses: 3 } }));
    expect(setup).toThrow(TlkitError);
    expect(setup).toThrow(/remove the trainer's augment/);
    hooks.dispose!();
    for (const model of [backbone, head, oldHead]) model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('warm-up: for warmUpEpochs the backbone and the old head stay byte-identical while the new head trains, then all train jointly', async () => {
    const before = tf.memory().numTensors;
    const fitted = await compose(
      lwf({ lambda: 1, warmUpEpochs: 2 }),
      recorder('lwf-warm-up'),
      trainer({ backbone: { use: 'mlp', hidden: [8, 6] }, epochs: 4, batchSize: 4, optimizer: { learningRate: 0.03 }, pretrain: { epochs: 2, seed: 5 } }),
    ).fit(toyTask(), { seed: 1, trainOn: 'target' });
    fitted.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const { snapshots, losses } = recording('lwf-warm-up');
    const [start, epoch0, epoch1, epoch2, epoch3] = snapshots;
    const layers = ['backbone_dense0', 'backbone_dense1', 'head_dense', 'source_dense'];
    expect([...start.keys()].sort()).toEqual(layers);
    const changed = (from: Map<string, Float32Array[]>, to: Map<string, Float32Array[]>) =>
      layers.filter((layer) => !sameBytes(from.get(layer)!, to.get(layer)!));
    // Warm-up (epochs 0 and 1): only the new head moves; backbone and old head are as they started.
    expect(changed(start, epoch0)).toEqual(['head_dense']);
    expect(changed(epoch0, epoch1)).toEqual(['head_dense']);
    expect(changed(start, epoch1)).toEqual(['head_dense']);
    // From epoch 2 on everything trains jointly: the backbone and (through the distillation term) the old head move.
    expect(changed(epoch1, epoch2)).toEqual(layers);
    expect(changed(epoch2, epoch3)).toEqual(layers);
    // The distillation term is left out during warm-up and logged after it.
    expect(losses.map((logs) => 'lwf' in logs)).toEqual([false, false, true, true]);
    expect(losses[2].lwf).toBeGreaterThan(0);
    expect(Number.isFinite(losses[3].lwf)).toBe(true);
  });

  it('rejects warmUpEpochs at or beyond the trainer\'s epochs before training, naming the budget; one joint epoch is enough', async () => {
    const trainerOptions = { backbone: { use: 'mlp', hidden: [8, 6] }, epochs: 2, batchSize: 8, pretrain: { epochs: 1, seed: 5 } };
    for (const warmUpEpochs of [2, 10]) {
      const before = tf.memory().numTensors;
      const phases: string[] = [];
      const error = await compose(lwf({ warmUpEpochs }), trainer(trainerOptions)).fit(toyTask(), { seed: 1, trainOn: 'target', onProgress: (event) => phases.push(event.phase) }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(TlkitError);
      expect((error as TlkitError).code).toBe('INVALID_CONFIG');
      expect((error as TlkitError).message).toContain(`lwf warmUpEpochs = ${warmUpEpochs}, but the trainer runs 2 epochs`);
      expect((error as TlkitError).message).toMatch(/joint phase .* would never run; lower warmUpEpochs below 2 or raise the trainer's epochs/);
      expect((error as TlkitError).details).toMatchObject({ argument: 'warmUpEpochs' });
      // Before pre-training: the hooks' check sees the budget.
      expect(phases.filter((phase) => phase.startsWith('pretrain'))).toEqual([]);
      expect(tf.memory().numTensors).toBe(before);
    }
    // warmUpEpochs = epochs - 1: the last epoch trains jointly (the distillation term is logged).
    const fitted = await compose(lwf({ warmUpEpochs: 1 }), recorder('lwf-last-epoch'), trainer(trainerOptions)).fit(toyTask(), { seed: 1, trainOn: 'target' });
    fitted.dispose();
    expect(recording('lwf-last-epoch').losses.map((logs) => 'lwf' in logs)).toEqual([false, true]);
  });

  it('warm-up with a batch-normalised backbone: its moving statistics stay byte-identical too (the loop runs untrained BN in inference mode)', async () => {
    const before = tf.memory().numTensors;
    const input = tf.input({ shape: [6] });
    const dense = tf.layers.dense({ units: 6, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }), name: 'dense' }).apply(input);
    const normalised = tf.layers.batchNormalization({ name: 'bn' }).apply(dense);
    const backbone = tf.model({ inputs: input, outputs: tf.layers.reLU().apply(normalised) as tf.SymbolicTensor });
    const headInput = tf.input({ shape: [6] });
    const head = tf.model({ inputs: headInput, outputs: tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }), name: 'old_dense' }).apply(headInput) as tf.SymbolicTensor });
    const fitted = await compose(
      lwf({ lambda: 1, warmUpEpochs: 2 }),
      recorder('lwf-warm-up-bn'),
      trainer({ initialModel: { backbone, head }, epochs: 3, batchSize: 8, optimizer: { learningRate: 0.03 } }),
    ).fit(toyTask(), { seed: 1, trainOn: 'target' });
    fitted.dispose();
    for (const model of [backbone, head]) model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const { snapshots } = recording('lwf-warm-up-bn');
    const [start, , epoch1, epoch2] = snapshots;
    // γ, β, moving mean, moving variance of 'bn': untouched through the warm-up, all moving after it.
    const bnChanged = (from: Map<string, Float32Array[]>, to: Map<string, Float32Array[]>) =>
      from.get('bn')!.map((values, index) => !sameBytes([values], [to.get('bn')![index]]));
    expect(bnChanged(start, epoch1)).toEqual([false, false, false, false]);
    expect(sameBytes(start.get('dense')!, epoch1.get('dense')!)).toBe(true);
    expect(bnChanged(epoch1, epoch2)).toEqual([true, true, true, true]);
  });

  it('needs a pre-trained model', async () => {
    await expect(compose(lwf(), trainer({ backbone: { use: 'mlp', hidden: [4] }, epochs: 1 })).fit(toyTask(), { seed: 1 })).rejects.toThrow(TlkitError);
    await expect(compose(lwf(), trainer({ backbone: { use: 'mlp', hidden: [4] }, epochs: 1 })).fit(toyTask(), { seed: 1 })).rejects.toThrow(/pretrain/);
  });
});

describeStrategyConformance({
  plugin: lwfPlugin,
  options: { lambda: 1, temperature: 2, warmUpEpochs: 1 },
  trainer: { backbone: { use: 'mlp', hidden: [16] }, epochs: 2, batchSize: 32, pretrain: { epochs: 1 } },
  invalidOptions: [{ options: { temperature: 0 }, field: 'temperature' }],
});
