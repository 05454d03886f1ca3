import * as tf from '@tensorflow/tfjs';
import { compose, Matrix, trainer, type TrainingProgress } from '@tlkit/core';
import { describeStrategyConformance } from '@tlkit/core/testing';
import { describe, expect, it } from 'vitest';
import { fineTune } from './fine-tune';
import { fakeSetupContext, recorder, recording, toyTask } from './internal/testing';
import { l2Sp, l2SpPlugin } from './l2-sp';

const progress: TrainingProgress = { epoch: 0, epochs: 1, step: 0, stepsPerEpoch: 1, progress: 0 };

function denseModel(inputs: number, units: number, seed: number, name: string): tf.LayersModel {
  const input = tf.input({ shape: [inputs] });
  const output = tf.layers
    .dense({ units, kernelInitializer: tf.initializers.randomNormal({ seed }), biasInitializer: tf.initializers.randomNormal({ seed: seed + 1 }), name: `${name}_dense` })
    .apply(input) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name });
}

describe('l2Sp', () => {
  it('the penalty equals α/2‖w_S − w_S⁰‖² + β/2‖w_head‖² computed by hand in float64', () => {
    const before = tf.memory().numTensors;
    const backbone = denseModel(4, 3, 11, 'bb');
    const head = denseModel(3, 2, 21, 'hd');
    const sourceHead = denseModel(3, 2, 31, 'src');
    // The starting point: the current backbone weights shifted by a known amount per entry.
    const starts = backbone.weights.map((weight, index) => {
      const value = weight.read().dataSync() as Float32Array;
      return Float32Array.from(value, (v, k) => v - 0.1 * (k + 1) * (index + 1));
    });
    const snapshots = backbone.weights.map((weight, index) => ({
      layerName: 'bb_dense',
      name: weight.name,
      value: tf.tensor(starts[index], weight.shape as number[]),
    }));
    const X = new Matrix(2, 4, Float64Array.from([1, 0, 0, 1, 0, 1, 1, 0]));
    const hooks = l2SpPlugin.create({ alpha: 0.3, beta: 0.07 }).doCreateHooks({} as never);
    hooks.setup!(fakeSetupContext({ backbone, head, X, y: Int32Array.from([0, 1]), pretrained: { backboneWeights: snapshots, head: sourceHead, headName: 'source', numClasses: 2 } }));
    const penalty = hooks.loss!({} as never, {} as never, progress)!;
    let pull = 0;
    backbone.weights.forEach((weight, index) => {
      const value = weight.read().dataSync();
      value.forEach((v, k) => {
        pull += (v - starts[index][k]) ** 2;
      });
    });
    let decay = 0;
    for (const weight of head.weights) for (const v of weight.read().dataSync()) decay += v * v;
    expect(penalty.dataSync()[0]).toBeCloseTo((0.3 / 2) * pull + (0.07 / 2) * decay, 5);
    expect(pull).toBeGreaterThan(0.5); // the check is not vacuous
    penalty.dispose();
    hooks.dispose!();
    tf.dispose([...snapshots.map((snapshot) => snapshot.value)]);
    backbone.dispose();
    head.dispose();
    sourceHead.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a strong α keeps the backbone closer to the pre-trained weights than plain fine-tuning', async () => {
    const task = toyTask(4);
    const distance = async (id: string, steps: Parameters<typeof compose>) => {
      const fitted = await compose(...steps, recorder(id), trainer({ backbone: { use: 'mlp', hidden: [8] }, epochs: 5, batchSize: 8, optimizer: { learningRate: 0.02 }, pretrain: { epochs: 2, seed: 3 } })).fit(task, {
        seed: 2,
        trainOn: 'target',
      });
      fitted.dispose();
      const { snapshots, losses } = recording(id);
      const start = snapshots[0].get('backbone_dense0')!;
      const end = snapshots.at(-1)!.get('backbone_dense0')!;
      let squared = 0;
      start.forEach((values, index) => values.forEach((v, k) => (squared += (end[index][k] - v) ** 2)));
      return { squared, losses };
    };
    const plain = await distance('l2sp-plain', [fineTune()]);
    const pulled = await distance('l2sp-strong', [l2Sp({ alpha: 50, beta: 0 })]);
    expect(pulled.losses[0]['l2-sp']).toBeGreaterThan(0);
    expect(pulled.squared).toBeLessThan(0.25 * plain.squared);
  });
});

describeStrategyConformance({ plugin: l2SpPlugin, options: { alpha: 0.5, beta: 0.05 }, invalidOptions: [{ options: { alpha: -1 }, field: 'alpha' }] });
