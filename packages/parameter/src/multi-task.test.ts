import * as tf from '@tensorflow/tfjs';
import { compose, Matrix, networkHeads, predictWithHead, trainer, type TrainingProgress } from '@tlkit/core';
import { describeStrategyConformance } from '@tlkit/core/testing';
import { describe, expect, it } from 'vitest';
import { accuracy, blobs, fakeSetupContext, toyTask } from './internal/testing';
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

describeStrategyConformance({ plugin: multiTaskPlugin, options: { tasks: [{ data: 'source', weight: 0.5 }, { data: 'targetLabeled', weight: 0.5 }] }, problems: ['classification'] });
