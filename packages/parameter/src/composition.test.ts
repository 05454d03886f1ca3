import * as tf from '@tensorflow/tfjs';
import { compose, memoryStorage, predictWithHead, TlkitError, trainer } from '@tlkit/core';
import { describe, expect, it } from 'vitest';
import { fineTune } from './fine-tune';
import { recorder, recording, sameBytes, toyTask } from './internal/testing';
import { l2Sp } from './l2-sp';
import { lwf } from './lwf';
import { multiTask } from './multi-task';

const trainerOptions = {
  backbone: { use: 'mlp', hidden: [8, 6] },
  epochs: 4,
  batchSize: 4,
  pretrain: { epochs: 2, seed: 4 },
  checkpoint: { key: 'run/checkpoint' },
};

/** Every strategy of the package in one run: fine-tune schedule + L2-SP + LwF + multi-task. */
const pipeline = () =>
  compose(
    fineTune({ freeze: 'backbone', unfreeze: [{ epoch: 1, layers: 1 }, { epoch: 2, layers: 'all' }], learningRates: { layerDecay: 0.5 } }),
    l2Sp({ alpha: 0.2 }),
    lwf({ lambda: 1 }),
    multiTask({ tasks: [{ data: 'source', weight: 0.5 }] }),
    trainer(trainerOptions),
  );

describe('composition of the parameter strategies', () => {
  it('resuming from a checkpoint reproduces the uninterrupted run exactly, without leaking tensors', async () => {
    const task = toyTask(5);
    const whole = await pipeline().fit(task, { seed: 9, storage: memoryStorage(), trainOn: 'target' });
    const expected = Array.from(whole.predictProba(task.targetTest.X).data);
    const terms = Object.keys((whole.reports.at(-1)!.info!.history as { losses: Record<string, number> }[])[0].losses).sort();
    expect(terms).toEqual(['l2-sp', 'lwf', 'multi-task', 'task', 'total']); // fine-tune adds no loss term
    whole.dispose();

    const storage = memoryStorage();
    const controller = new AbortController();
    const before = tf.memory().numTensors;
    let error: unknown;
    try {
      await pipeline().fit(task, {
        seed: 9,
        storage,
        trainOn: 'target',
        signal: controller.signal,
        onProgress: (event) => {
          if (event.phase === 'checkpoint' && event.current === 2) controller.abort();
        },
      });
    } catch (caught) {
      error = caught;
    }
    expect((error as TlkitError).code).toBe('ABORTED');
    expect(tf.memory().numTensors).toBe(before);
    const resumed = await pipeline().fit(task, { seed: 9, storage, trainOn: 'target' });
    const info = resumed.reports.at(-1)!.info!;
    expect(info.resumedFrom).toBe(2);
    expect((info.pretrain as { cached: boolean }).cached).toBe(true); // pre-training was not redone
    expect(Array.from(resumed.predictProba(task.targetTest.X).data)).toEqual(expected);
    resumed.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('caches pre-training by backbone, options, seed and source data: a rerun reads it, other data retrains', async () => {
    const storage = memoryStorage();
    const options = { backbone: { use: 'mlp', hidden: [5] }, epochs: 1, pretrain: { epochs: 2, seed: 1 } };
    const run = async (task: ReturnType<typeof toyTask>) => {
      const fitted = await compose(fineTune(), trainer(options)).fit(task, { seed: 2, storage, trainOn: 'target' });
      const info = fitted.reports.at(-1)!.info!.pretrain as { cached: boolean; key: string };
      const values = Array.from(fitted.predictProba(task.targetTest.X).data);
      fitted.dispose();
      return { ...info, values };
    };
    const first = await run(toyTask(1));
    const second = await run(toyTask(1));
    expect([first.cached, second.cached]).toEqual([false, true]);
    expect(second.key).toBe(first.key);
    expect(second.values).toEqual(first.values);
    const other = await run(toyTask(2));
    expect(other.cached).toBe(false);
    expect(other.key).not.toBe(first.key);
  });

  it('starts from a tfjs model the user brings (initialModel): copied, frozen layers stay equal to it, LwF uses its head', async () => {
    const input = tf.input({ shape: [6] });
    const features = tf.layers.dense({ units: 5, activation: 'relu', kernelInitializer: tf.initializers.randomNormal({ seed: 3 }), name: 'mine_dense' }).apply(input) as tf.SymbolicTensor;
    const myBackbone = tf.model({ inputs: input, outputs: features });
    const headInput = tf.input({ shape: [5] });
    const myHead = tf.model({ inputs: headInput, outputs: tf.layers.dense({ units: 3, name: 'mine_head' }).apply(headInput) as tf.SymbolicTensor });
    const original = myBackbone.weights.map((weight) => Float32Array.from(weight.read().dataSync()));
    const task = toyTask(3);
    const before = tf.memory().numTensors;
    const fitted = await compose(
      fineTune({ freeze: 'backbone' }),
      lwf(),
      recorder('initial-model'),
      trainer({ epochs: 2, batchSize: 8, initialModel: { backbone: myBackbone, head: myHead } }),
    ).fit(task, { seed: 1, trainOn: 'target' });
    const [start, end] = [recording('initial-model').snapshots[0], recording('initial-model').snapshots.at(-1)!];
    expect(sameBytes(start.get('mine_dense')!, original)).toBe(true);
    expect(sameBytes(end.get('mine_dense')!, original)).toBe(true);
    expect(sameBytes(start.get('mine_head')!, end.get('mine_head')!)).toBe(false); // LwF trains the old head
    expect(predictWithHead(fitted, task.source.X, 'source')).toHaveLength((task.source.X as number[][]).length);
    fitted.dispose();
    expect(tf.memory().numTensors).toBe(before);
    // The user's models are untouched and still usable.
    expect(sameBytes(myBackbone.weights.map((weight) => Float32Array.from(weight.read().dataSync())), original)).toBe(true);
    expect(() => trainer({ initialModel: { backbone: myBackbone }, pretrain: { epochs: 1 } })).toThrow(/INVALID_CONFIG|use one of them/);
    myBackbone.dispose();
    myHead.dispose();
  });

  it('reports pre-training and training epochs with every loss term and the accuracy, and stops on the signal', async () => {
    const events: { phase: string; current?: number; metrics?: Readonly<Record<string, number>> }[] = [];
    const controller = new AbortController();
    const run = compose(
      l2Sp(),
      lwf(),
      trainer({ backbone: { use: 'mlp', hidden: [6] }, epochs: 5, batchSize: 6, pretrain: { epochs: 2, seed: 1 } }),
    ).fit(toyTask(8), {
      seed: 1,
      trainOn: 'target',
      signal: controller.signal,
      onProgress: (event) => {
        events.push(event);
        if (event.phase === 'epoch' && event.current === 2) controller.abort();
      },
    });
    await expect(run).rejects.toThrow(/ABORTED|aborted/);
    expect(events.filter((event) => event.phase === 'pretrain epoch').map((event) => event.current)).toEqual([1, 2]);
    const epochs = events.filter((event) => event.phase === 'epoch');
    expect(epochs.map((event) => event.current)).toEqual([1, 2]); // stopped inside epoch 3
    const metrics = epochs[0].metrics!;
    expect(Object.keys(metrics).sort()).toEqual(['accuracy', 'l2-sp', 'lwf', 'task', 'total']);
    expect(metrics.total).toBeCloseTo(metrics.task + metrics['l2-sp'] + metrics.lwf, 5);
  });
});
