/**
 * A training step's configuration error comes before the trainer's pre-training, not after it:
 * the trainer runs every step's `check` first. Each case pre-trains for 200 epochs if the check
 * does not stop it, and the progress events show whether pre-training started.
 */
import * as tf from '@tensorflow/tfjs';
import { compose, type Strategy, TlkitError, trainer, type TransferTask } from '@tlkit/core';
import { describe, expect, it } from 'vitest';
import { fineTune } from './fine-tune';
import { toyTask } from './internal/testing';
import { lwf } from './lwf';
import { multiTask } from './multi-task';

const longPretrain = { epochs: 200, batchSize: 16, seed: 0 };
const network = { backbone: { use: 'mlp', hidden: [5, 4] }, epochs: 2, batchSize: 8 };

/** The task as 2×3 one-channel images (toyTask's 6 features), so `augment` applies. */
function imageTask(): TransferTask {
  const task = toyTask(3);
  const shape: [number, number, number] = [2, 3, 1];
  return { ...task, source: { ...task.source, shape }, target: { ...task.target, shape }, targetLabeled: { ...task.targetLabeled!, shape } };
}

async function failureBeforePretraining(step: Strategy, trainerOptions: Record<string, unknown> = {}, task: TransferTask = toyTask(3)) {
  const phases: string[] = [];
  const before = tf.memory().numTensors;
  const failure = await compose(step, trainer({ ...network, pretrain: longPretrain, ...trainerOptions }))
    .fit(task, { seed: 1, trainOn: 'target', onProgress: (event) => phases.push(event.phase) })
    .catch((error: unknown) => error);
  expect(tf.memory().numTensors).toBe(before);
  expect(phases.filter((phase) => phase.startsWith('pretrain'))).toEqual([]);
  expect(failure).toBeInstanceOf(TlkitError);
  return failure as TlkitError;
}

describe('configuration errors of training steps come before pre-training', () => {
  it('fine-tune: a layer name the backbone does not have', async () => {
    const failure = await failureBeforePretraining(fineTune({ freeze: ['no_such_layer'] }));
    expect(failure.message).toMatch(/fine-tune freeze/);
    expect(failure.message).toMatch(/no_such_layer/);
  });

  it('fine-tune: unfreezing more top layers than the backbone has', async () => {
    const failure = await failureBeforePretraining(fineTune({ freeze: 'backbone', unfreeze: [{ epoch: 1, layers: 7 }] }));
    expect(failure.message).toMatch(/unfreeze\[0\]\.layers/);
  });

  it('lwf with the trainer augmenting every batch', async () => {
    const failure = await failureBeforePretraining(lwf({ lambda: 1 }), { augment: { translate: 1 } }, imageTask());
    expect(failure.details.argument).toBe('augment');
  });

  it('multi-task: a source label outside the task\'s label space', async () => {
    const failure = await failureBeforePretraining(multiTask({ tasks: [{ data: 'source', numClasses: 2 }] }));
    expect(failure.details.argument).toBe('tasks[0].numClasses');
  });

  it('a valid configuration still pre-trains and trains (the checks pass it)', async () => {
    const phases: string[] = [];
    const fitted = await compose(fineTune({ freeze: 'backbone', unfreeze: [{ epoch: 1, layers: 1 }], head: 'keep' }), lwf({ lambda: 1 }), trainer({ ...network, pretrain: { ...longPretrain, epochs: 2 } })).fit(
      toyTask(3),
      { seed: 1, trainOn: 'target', onProgress: (event) => phases.push(event.phase) },
    );
    expect(phases.filter((phase) => phase === 'pretrain epoch')).toHaveLength(2);
    expect(phases.filter((phase) => phase === 'epoch')).toHaveLength(2);
    fitted.dispose();
  });
});
