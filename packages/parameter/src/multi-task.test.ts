import * as tf from '@tensorflow/tfjs';
import { compose, Matrix, networkHeads, predictWithHead, trainer, type TrainingProgress } from '@tlkit/core';
import { describeStrategyConformance } from '@tlkit/core/testing';
import { describe, expect, it } from 'vitest';
import { accuracy, blobs, fakeSetupContext, recorder, recording, toyTask } from './internal/testing';
import { multiTask, multiTaskPlugin } from './multi-task';

const progress: TrainingProgress = { epoch: 0, epochs: 1, step: 0, stepsPerEpoch: 1, progress: 0 };

describe('multiTask', () => {
  it('adds one head and one batch stream per task, and its loss is Σ w_t · CE_t as by hand', () => {
    const before = tf.memory().numTensors;
    const input = tf.input({ shape: [2] });
    const backbone = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.randomNormal({ seed: 1 }), name: 'bb_dense' }).apply(input) as tf.SymbolicTensor });
    const headInput = tf.input({ shape: [3] });
    const head = tf.model({ inputs: headInput, outputs: tf.layers.dense({ units: 2, name: 'head_dense' }).apply(headInput) as tf.SymbolicTensor });
    const added: { name: string; rows: number }[] = [];
    const source = { X: new Matrix(3, 2, Float64Array.from([1, 0, 0, 1, 1, 1])), y: Int32Array.from([0, 4, 2]) };
    const context = fakeSetupContext({ backbone, head, X: source.X, y: Int32Array.from([0, 1, 0]), labeledSource: source, added });
    const hooks = multiTaskPlugin.create({ tasks: [{ data: 'source', weight: 0.4, numClasses: 5 }] }).doCreateHooks({ seed: 9 } as never);
    hooks.setup!(context);
    expect(added).toEqual([{ name: 'source', rows: 3 }]);
    const sourceHead = context.model.extraHeads.get('source')!;
    expect(sourceHead.outputs[0].shape).toEqual([null, 5]); // its own label space
    const rows = [
      [1, 1],
      [0, 1],
    ];
    const labels = [2, 4];
    const value = tf.tidy(() => {
      const x = tf.tensor2d(rows);
      const features = backbone.apply(x) as tf.Tensor2D;
      const batch = {
        source: { x, y: tf.tensor1d([0, 0], 'int32'), weights: tf.ones([2]) as tf.Tensor1D, indices: Int32Array.from([0, 1]) },
        extra: { source: { x, y: tf.tensor1d(labels, 'int32'), indices: Int32Array.from([2, 1]) } },
      };
      const outputs = { source: { features, logits: head.apply(features) as tf.Tensor2D }, extra: { source: { features } } };
      return hooks.loss!(batch, outputs, progress)!.dataSync()[0];
    });
    // By hand: logits = (x·W_b + b_b)·W_h + b_h, CE = logsumexp − logit of the label, mean, × 0.4.
    const [kernelB, biasB] = backbone.weights.map((weight) => Array.from(weight.read().dataSync()));
    const [kernelH, biasH] = sourceHead.weights.map((weight) => Array.from(weight.read().dataSync()));
    let total = 0;
    rows.forEach((row, i) => {
      const features = [0, 1, 2].map((j) => biasB[j] + row[0] * kernelB[j] + row[1] * kernelB[3 + j]);
      const logits = [0, 1, 2, 3, 4].map((c) => biasH[c] + features.reduce((sum, f, k) => sum + f * kernelH[k * 5 + c], 0));
      const max = Math.max(...logits);
      const logSum = max + Math.log(logits.reduce((sum, l) => sum + Math.exp(l - max), 0));
      total += logSum - logits[labels[i]];
    });
    expect(value).toBeCloseTo((0.4 * total) / 2, 5);
    for (const model of [backbone, head, sourceHead]) model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('trains a source task with a different label space alongside the run\'s task; both heads predict', async () => {
    // Source task: 6 blob classes; the run's task (labelled target): 3 classes.
    const source = blobs(120, 3, { classes: 6, dim: 6 });
    const target = blobs(60, 4, { shift: 1 });
    const labeled = blobs(15, 5, { shift: 1 });
    const task = { source, target: { X: target.X }, targetLabeled: labeled, problem: 'classification' as const, numClasses: 6 };
    const fitted = await compose(multiTask({ tasks: [{ data: 'source', weight: 1 }] }), trainer({ backbone: { use: 'mlp', hidden: [16] }, epochs: 30, batchSize: 8, optimizer: { learningRate: 0.02 } })).fit(task, {
      seed: 1,
      trainOn: 'target',
    });
    expect(networkHeads(fitted)).toEqual(['task', 'source']);
    // 6 classes: chance is 1/6; the source head learned its task from the shared backbone.
    expect(accuracy(predictWithHead(fitted, source.X, 'source'), source.y)).toBeGreaterThan(0.8);
    expect(accuracy(fitted.predict(target.X), target.y)).toBeGreaterThan(0.6);
    fitted.dispose();
  });
});

/** Mean softmax cross-entropy of `dense(relu(x·W₀ + b₀))` against `labels`, in float64, from recorded float32 weights. */
function handCrossEntropy(rows: number[][], labels: number[], backbone: Float32Array[], head: Float32Array[]): number {
  const [kernelB, biasB] = backbone;
  const [kernelH, biasH] = head;
  const hidden = biasB.length;
  const classes = biasH.length;
  let total = 0;
  rows.forEach((row, i) => {
    const features = Array.from({ length: hidden }, (_, j) => Math.max(0, biasB[j] + row.reduce((sum, value, k) => sum + value * kernelB[k * hidden + j], 0)));
    const logits = Array.from({ length: classes }, (_, c) => biasH[c] + features.reduce((sum, f, k) => sum + f * kernelH[k * classes + c], 0));
    const max = Math.max(...logits);
    total += max + Math.log(logits.reduce((sum, logit) => sum + Math.exp(logit - max), 0)) - logits[labels[i]];
  });
  return total / rows.length;
}

describe('multiTask with label spaces of different sizes, end to end', () => {
  it("a 3-class source task next to the run's 5-class task: a 3-wide and a 5-wide head, each task scored against its own", async () => {
    // The run's task (labelled target): 5 classes, 25 rows, so one batch of 25 is one epoch.
    // The extra task (source): 3 classes, 24 rows, so its batch (min(25, 24) rows) is the whole set every step.
    const source = blobs(24, 11, { classes: 3, dim: 6 });
    const labeled = blobs(25, 12, { classes: 5, dim: 6, shift: 1 });
    const targetTest = blobs(100, 13, { classes: 5, dim: 6, shift: 1 });
    const sourceTest = blobs(90, 14, { classes: 3, dim: 6 });
    // numClasses is left to inference: max label + 1 over the labelled parts = 5.
    const task = { source, target: { X: targetTest.X }, targetLabeled: labeled, problem: 'classification' as const };
    const before = tf.memory().numTensors;
    const fitted = await compose(
      multiTask({ tasks: [{ data: 'source', weight: 0.5, numClasses: 3 }] }),
      recorder('multi-task-label-spaces'),
      trainer({ backbone: { use: 'mlp', hidden: [8] }, epochs: 40, batchSize: 32, optimizer: { learningRate: 0.03 } }),
    ).fit(task, { seed: 2, trainOn: 'target' });
    const { snapshots, losses } = recording('multi-task-label-spaces');
    const start = snapshots[0];
    // Head widths: the run's head has 5 outputs, the source task's head 3 (kernel 8 x C, bias C).
    expect(networkHeads(fitted)).toEqual(['task', 'source']);
    expect(start.get('head_dense')!.map((values) => values.length)).toEqual([8 * 5, 5]);
    expect(start.get('source_dense')!.map((values) => values.length)).toEqual([8 * 3, 3]);
    expect(fitted.predictProba(targetTest.X).cols).toBe(5);
    // Epoch 0 is one step, its loss terms computed from the starting weights: the run's term is the
    // 5-class cross-entropy of the target labels on the task head, multi-task's is 0.5 × the 3-class
    // cross-entropy of the source labels on the source head.
    const backbone = start.get('backbone_dense0')!;
    const taskByHand = handCrossEntropy(labeled.X, labeled.y, backbone, start.get('head_dense')!);
    const sourceByHand = handCrossEntropy(source.X, source.y, backbone, start.get('source_dense')!);
    expect(losses[0].task).toBeCloseTo(taskByHand, 4);
    expect(losses[0]['multi-task']).toBeCloseTo(0.5 * sourceByHand, 4);
    expect(losses[0].total).toBeCloseTo(taskByHand + 0.5 * sourceByHand, 4);
    // After training each head answers its own task, in its own class range (chance: 1/3 and 1/5).
    const sourcePredictions = predictWithHead(fitted, sourceTest.X, 'source');
    const targetPredictions = fitted.predict(targetTest.X);
    expect(Math.max(...sourcePredictions)).toBe(2);
    expect(Math.min(...sourcePredictions)).toBe(0);
    expect(Math.max(...targetPredictions)).toBe(4);
    expect(accuracy(sourcePredictions, sourceTest.y)).toBeGreaterThan(0.75);
    expect(accuracy(targetPredictions, targetTest.y)).toBeGreaterThan(0.6);
    fitted.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describeStrategyConformance({ plugin: multiTaskPlugin, options: { tasks: [{ data: 'source', weight: 0.5 }, { data: 'targetLabeled', weight: 0.5 }] }, problems: ['classification'] });
