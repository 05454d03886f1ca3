import * as tf from '@tensorflow/tfjs';
import { compose, Matrix, memoryStorage, type TlkitError, trainer, type TrainingProgress } from '@tlkit/core';
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

  it("parameters 'kernels' covers only the kernels: the penalty by hand in float64 leaves biases out", () => {
    const before = tf.memory().numTensors;
    const backbone = denseModel(4, 3, 12, 'bbk');
    const head = denseModel(3, 2, 22, 'hdk');
    const starts = backbone.weights.map((weight) => Float32Array.from(weight.read().dataSync() as Float32Array, (v, k) => v + 0.05 * (k + 1)));
    const snapshots = backbone.weights.map((weight, index) => ({ layerName: 'bbk_dense', name: weight.name, value: tf.tensor(starts[index], weight.shape as number[]) }));
    const X = new Matrix(2, 4, Float64Array.from([1, 0, 0, 1, 0, 1, 1, 0]));
    const penaltyOf = (parameters: 'all' | 'kernels') => {
      const hooks = l2SpPlugin.create({ alpha: 0.4, beta: 0.05, parameters }).doCreateHooks({} as never);
      hooks.setup!(fakeSetupContext({ backbone, head, X, y: Int32Array.from([0, 1]), pretrained: { backboneWeights: snapshots, headName: 'source', numClasses: 0 } }));
      const penalty = hooks.loss!({} as never, {} as never, progress)!;
      const value = penalty.dataSync()[0];
      penalty.dispose();
      hooks.dispose!();
      return value;
    };
    const byHand = (kernelsOnly: boolean) => {
      let pull = 0;
      backbone.weights.forEach((weight, index) => {
        if (kernelsOnly && !weight.name.endsWith('kernel')) return;
        weight.read().dataSync().forEach((v, k) => (pull += (v - starts[index][k]) ** 2));
      });
      let decay = 0;
      for (const weight of head.weights) if (!kernelsOnly || weight.name.endsWith('kernel')) for (const v of weight.read().dataSync()) decay += v * v;
      return (0.4 / 2) * pull + (0.05 / 2) * decay;
    };
    expect(penaltyOf('kernels')).toBeCloseTo(byHand(true), 6);
    expect(penaltyOf('all')).toBeCloseTo(byHand(false), 6);
    expect(byHand(false) - byHand(true)).toBeGreaterThan(1e-3); // the biases count for something
    tf.dispose(snapshots.map((snapshot) => snapshot.value));
    backbone.dispose();
    head.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  describe('a task head kept from the source head is reused, so pulled to its start (deep audit 3.2)', () => {
    const frozen = { freeze: 'backbone' as const, learningRates: { head: 0 } };
    const options = { backbone: { use: 'mlp', hidden: [8] }, epochs: 1, batchSize: 8, pretrain: { epochs: 2, seed: 3 } };
    const firstEpoch = async (id: string, steps: Parameters<typeof compose>) => {
      const fitted = await compose(...steps, recorder(id), trainer(options)).fit(toyTask(4), { seed: 2, trainOn: 'target' });
      fitted.dispose();
      return recording(id);
    };

    it('with nothing moving, Ω is exactly 0 for a kept head, whichever step comes first, and β/2‖head‖² (by hand) for a new one', async () => {
      const kept = await firstEpoch('l2sp-kept', [fineTune({ ...frozen, head: 'keep' }), l2Sp({ alpha: 0.3, beta: 0.07 })]);
      const keptFirst = await firstEpoch('l2sp-kept-order', [l2Sp({ alpha: 0.3, beta: 0.07 }), fineTune({ ...frozen, head: 'keep' })]);
      expect(kept.losses[0]['l2-sp']).toBe(0);
      expect(keptFirst.losses[0]['l2-sp']).toBe(0);
      const fresh = await firstEpoch('l2sp-new', [fineTune(frozen), l2Sp({ alpha: 0.3, beta: 0.07 })]);
      const headLayers = [...fresh.snapshots[0].keys()].filter((name) => !name.startsWith('backbone_') && !name.startsWith('source'));
      expect(headLayers.length).toBeGreaterThan(0);
      let squared = 0;
      for (const name of headLayers) for (const values of fresh.snapshots[0].get(name)!) for (const v of values) squared += v * v;
      expect(fresh.losses[0]['l2-sp']).toBeCloseTo((0.07 / 2) * squared, 5);
      expect(squared).toBeGreaterThan(0.1);
    });

    it('a run with a kept head resumed from its checkpoint reproduces the uninterrupted run', async () => {
      const task = toyTask(6);
      const run = { ...options, epochs: 4, batchSize: 4, checkpoint: { key: 'l2sp/kept' } };
      const pipeline = () => compose(fineTune({ head: 'keep' }), l2Sp({ alpha: 0.5, beta: 0.2 }), trainer(run));
      const whole = await pipeline().fit(task, { seed: 5, storage: memoryStorage(), trainOn: 'target' });
      const expected = Array.from(whole.predictProba(task.targetTest.X).data);
      whole.dispose();
      const storage = memoryStorage();
      const controller = new AbortController();
      const before = tf.memory().numTensors;
      const stopped = await pipeline()
        .fit(task, {
          seed: 5,
          storage,
          trainOn: 'target',
          signal: controller.signal,
          onProgress: (event) => {
            if (event.phase === 'checkpoint' && event.current === 2) controller.abort();
          },
        })
        .catch((error: unknown) => error);
      expect((stopped as TlkitError).code).toBe('ABORTED');
      expect(tf.memory().numTensors).toBe(before);
      const resumed = await pipeline().fit(task, { seed: 5, storage, trainOn: 'target' });
      expect(resumed.reports.at(-1)!.info!.resumedFrom).toBe(2);
      expect(Array.from(resumed.predictProba(task.targetTest.X).data)).toEqual(expected);
      resumed.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  });
});

describeStrategyConformance({ plugin: l2SpPlugin, options: { alpha: 0.5, beta: 0.05 }, invalidOptions: [{ options: { alpha: -1 }, field: 'alpha' }, { options: { parameters: 'weights' }, field: 'parameters' }] });
