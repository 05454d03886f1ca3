/**
 * A source head ending in a softmax, brought as the trainer's initialModel.head (review byom
 * finding 2): core copies it without the softmax, so LwF and multi-task see its logits, exactly as
 * with a linear head of the same weights.
 */
import * as tf from '@tensorflow/tfjs';
import { compose, predictWithHead, trainer } from '@tlkit/core';
import { describe, expect, it } from 'vitest';
import { toyTask } from './internal/testing';
import { lwf } from './lwf';
import { multiTask } from './multi-task';

type HeadEnd = 'linear' | 'dense-softmax' | 'activation-softmax';

const FEATURES = 4;
const CLASSES = 3;
const backboneKernel = Array.from({ length: 6 * FEATURES }, (_, i) => 0.4 * Math.cos(2 * i + 1));
const backboneBias = [0.1, -0.1, 0.2, 0];
const headKernel = Array.from({ length: FEATURES * CLASSES }, (_, i) => Math.sin(3 * i + 1));
const headBias = [0.3, -0.2, 0.1];

/**
 * Layers after the class scores that are the identity at inference (review s17 finding 6): a
 * seeded Dropout (the same mask at every training step, so runs compare exactly) and a linear
 * Activation.
 */
type Tail = 'none' | 'dropout linear';

/** The user's network: 6 → 4 relu features, and a 4 → 3 head ending as `end` says (then `tail`), fixed weights. */
function ownModel(end: HeadEnd, tail: Tail = 'none') {
  const input = tf.input({ shape: [6] });
  const featureLayer = tf.layers.dense({ units: FEATURES, activation: 'relu', name: 'own_features' });
  const backbone = tf.model({ inputs: input, outputs: featureLayer.apply(input) as tf.SymbolicTensor });
  const headInput = tf.input({ shape: [FEATURES] });
  const classLayer = tf.layers.dense({ units: CLASSES, activation: end === 'dense-softmax' ? 'softmax' : 'linear', name: 'own_classes' });
  let output = classLayer.apply(headInput) as tf.SymbolicTensor;
  if (end === 'activation-softmax') output = tf.layers.activation({ activation: 'softmax', name: 'own_softmax' }).apply(output) as tf.SymbolicTensor;
  if (tail === 'dropout linear') {
    output = tf.layers.dropout({ rate: 0.4, seed: 3, name: 'own_dropout' }).apply(output) as tf.SymbolicTensor;
    output = tf.layers.activation({ activation: 'linear', name: 'own_linear' }).apply(output) as tf.SymbolicTensor;
  }
  const head = tf.model({ inputs: headInput, outputs: output });
  tf.tidy(() => {
    featureLayer.setWeights([tf.tensor2d(backboneKernel, [6, FEATURES]), tf.tensor1d(backboneBias)]);
    classLayer.setWeights([tf.tensor2d(headKernel, [FEATURES, CLASSES]), tf.tensor1d(headBias)]);
  });
  return { backbone, head };
}

/** The source head's logits on `X`, computed in float64 from the fixed weights. */
function logitsByHand(X: readonly (readonly number[])[]): number[][] {
  return X.map((row) => {
    const features = Array.from({ length: FEATURES }, (_, j) =>
      Math.max(0, backboneBias[j] + row.reduce((sum, x, k) => sum + x * backboneKernel[k * FEATURES + j], 0)),
    );
    return Array.from({ length: CLASSES }, (_, c) => headBias[c] + features.reduce((sum, f, k) => sum + f * headKernel[k * CLASSES + c], 0));
  });
}

const logSoftmax = (values: number[]) => {
  const max = Math.max(...values);
  const logSum = max + Math.log(values.reduce((sum, value) => sum + Math.exp(value - max), 0));
  return values.map((value) => value - logSum);
};

/** Fits LwF (on the labelled target) or multi-task (on the source) + a trainer starting from the user's network (one step per epoch), returning the epochs' loss terms and the source head's predictions. */
async function run(end: HeadEnd, step: 'lwf' | 'multi-task', tail: Tail = 'none') {
  const { backbone, head } = ownModel(end, tail);
  const topology = JSON.stringify(head.toJSON(null, false));
  const task = toyTask(1);
  const before = tf.memory().numTensors;
  const epochs: Record<string, number>[] = [];
  const fitted = await compose(
    step === 'lwf' ? lwf({ lambda: 1, temperature: 2 }) : multiTask({ tasks: [{ data: 'source', weight: 1 }] }),
    trainer({ epochs: 2, batchSize: 512, optimizer: { learningRate: 0.05 }, initialModel: { backbone, head } }),
  ).fit(task, { seed: 1, trainOn: step === 'lwf' ? 'target' : 'source', onProgress: (event) => void (event.phase === 'epoch' && event.metrics && epochs.push({ ...event.metrics })) });
  const source = predictWithHead(fitted, task.targetTest.X, 'source');
  const probabilities = Array.from(fitted.predictProba(task.targetTest.X).data);
  fitted.dispose();
  const leaked = tf.memory().numTensors - before;
  const unchanged = JSON.stringify(head.toJSON(null, false)) === topology && Array.from(head.getLayer('own_classes').getWeights()[0].dataSync()).every((value, index) => value === Math.fround(headKernel[index]));
  backbone.dispose();
  head.dispose();
  return { epochs, source, probabilities, leaked, unchanged, task };
}

describe('a softmax source head (initialModel.head) is used through its logits', () => {
  it.each(['dense-softmax', 'activation-softmax'] as const)(
    'LwF with a %s head: the distillation term is the one of its linear twin and of the logits by hand',
    async (end) => {
      const [softmaxRun, linearRun] = [await run(end, 'lwf'), await run('linear', 'lwf')];
      // Epoch 1 is one step on the initial weights, where the recorded and current logits z agree:
      // L_old = mean over the training rows of −Σ_j q_j log q_j, q = softmax(z / T), T = 2.
      const rows = softmaxRun.task.targetLabeled!.X as number[][];
      const expected =
        logitsByHand(rows)
          .map((logits) => logSoftmax(logits.map((value) => value / 2)))
          .reduce((sum, logQ) => sum - logQ.reduce((inner, value) => inner + Math.exp(value) * value, 0), 0) / rows.length;
      expect(linearRun.epochs[0].lwf).toBeCloseTo(expected, 5);
      expect(softmaxRun.epochs).toEqual(linearRun.epochs);
      expect(softmaxRun.source).toEqual(linearRun.source);
      expect(softmaxRun.probabilities).toEqual(linearRun.probabilities);
      expect([softmaxRun.leaked, linearRun.leaked]).toEqual([0, 0]);
      expect(softmaxRun.unchanged).toBe(true);
    },
  );

  it.each(['dense-softmax', 'activation-softmax'] as const)(
    'LwF with a %s head followed by a seeded Dropout and a linear Activation (identity at inference): the distillation term is the one of its linear twin with the same tail',
    async (end) => {
      const [softmaxRun, linearRun] = [await run(end, 'lwf', 'dropout linear'), await run('linear', 'lwf', 'dropout linear')];
      // The recorded answers are taken at inference, where the tail is the identity; in training
      // the current answers go through the dropout, so the term is compared with the twin's, epoch
      // for epoch (core's loop tests check the copy's logits against a float64 computation).
      expect(softmaxRun.epochs).toEqual(linearRun.epochs);
      expect(softmaxRun.epochs[0].lwf).toBeGreaterThan(0);
      expect(softmaxRun.source).toEqual(linearRun.source);
      expect(softmaxRun.probabilities).toEqual(linearRun.probabilities);
      expect([softmaxRun.leaked, linearRun.leaked]).toEqual([0, 0]);
      expect(softmaxRun.unchanged).toBe(true);
    },
  );

  it.each(['dense-softmax', 'activation-softmax'] as const)(
    "multi-task with a %s head: the source task's cross-entropy is its linear twin's and the logits' by hand",
    async (end) => {
      const [softmaxRun, linearRun] = [await run(end, 'multi-task'), await run('linear', 'multi-task')];
      // Trained on the source (90 rows, one batch), so the source task's batch is the whole labelled
      // source too: epoch 1 is one step on the initial weights, mean −log softmax(z)_y over it.
      const { X, y } = softmaxRun.task.source as { X: number[][]; y: number[] };
      const expected = logitsByHand(X).reduce((sum, logits, i) => sum - logSoftmax(logits)[y[i]], 0) / X.length;
      expect(linearRun.epochs[0]['multi-task']).toBeCloseTo(expected, 5);
      expect(softmaxRun.epochs).toEqual(linearRun.epochs);
      expect(softmaxRun.source).toEqual(linearRun.source);
      expect(softmaxRun.probabilities).toEqual(linearRun.probabilities);
      expect([softmaxRun.leaked, linearRun.leaked]).toEqual([0, 0]);
      expect(softmaxRun.unchanged).toBe(true);
    },
  );
});
