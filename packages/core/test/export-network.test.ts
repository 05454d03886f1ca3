/**
 * `exportNetwork` (byom review finding 4): the fitted network as a standalone tf.LayersModel that
 * shares nothing with the pipeline, giving `predictProba`'s probabilities.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { TlkitError } from '../src/errors';
import { compose, loadPipeline } from '../src/pipeline';
import { logisticRegression } from '../src/estimators/logistic-regression';
import { exportNetwork } from '../src/training/export-network';
import { networkHeads, predictWithHead, trainer } from '../src/training/trainer';
import { CLASSES, IMAGE, fitOwnModel, imageTask } from './own-model';
import { spyMappingPlugin } from './spy-plugins';

/** The exported model's outputs for `X` (flattened 6×6 rows reshaped to images), as float32 values. */
function modelOutputs(model: tf.LayersModel, X: number[][]): number[] {
  const result = tf.tidy(() => model.predict(tf.tensor4d(X.flat(), [X.length, ...IMAGE])) as tf.Tensor);
  const values = Array.from(result.dataSync());
  result.dispose();
  return values;
}

/** Softmax of each row, in float64: the independent reference for the exported probabilities. */
function softmaxRows(logits: number[], width: number): number[] {
  const out: number[] = [];
  for (let start = 0; start < logits.length; start += width) {
    const row = logits.slice(start, start + width);
    const top = Math.max(...row);
    const exps = row.map((value) => Math.exp(value - top));
    const sum = exps.reduce((a, b) => a + b, 0);
    out.push(...exps.map((value) => value / sum));
  }
  return out;
}

describe('exportNetwork', () => {
  it("classification: backbone + task head + softmax; predict equals predictProba to float32 precision and the network's own logits' softmax", async () => {
    const before = tf.memory().numTensors;
    const { fitted, X } = await fitOwnModel({ head: true });
    const model = await exportNetwork(fitted);
    expect(model).toBeInstanceOf(tf.LayersModel);
    expect(model.inputs[0].shape).toEqual([null, ...IMAGE]);
    expect(model.outputs[0].shape).toEqual([null, CLASSES]);
    expect(model.layers.map((layer) => layer.name)).toEqual(['my_input', 'my_conv', 'my_bn', 'my_relu', 'my_flat', 'my_drop', 'my_fc', 'head', 'probabilities']);
    const probabilities = modelOutputs(model, X);
    // predictProba computes the same float32 softmax: equal values.
    expect(probabilities).toEqual(Array.from(fitted.predictProba(X).data));
    // Independent reference: the fitted network's own logits, through a float64 softmax.
    const network = (fitted.fittedEstimator as unknown as { model: { backbone: tf.LayersModel; head: tf.LayersModel } }).model;
    const logits = tf.tidy(() => network.head.apply(network.backbone.apply(tf.tensor4d(X.flat(), [X.length, ...IMAGE]))) as tf.Tensor);
    const reference = softmaxRows(Array.from(logits.dataSync()), CLASSES);
    logits.dispose();
    probabilities.forEach((value, index) => expect(Math.abs(value - reference[index])).toBeLessThan(1e-6));
    model.dispose();
    fitted.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the copy shares nothing: disposing the pipeline first, or the model first, leaves the other predicting the same', async () => {
    const before = tf.memory().numTensors;
    const { fitted, X } = await fitOwnModel({ head: true });
    const expected = Array.from(fitted.predictProba(X).data);
    const first = await exportNetwork(fitted);
    const second = await exportNetwork(fitted);
    first.dispose();
    expect(Array.from(fitted.predictProba(X).data)).toEqual(expected);
    fitted.dispose();
    expect(modelOutputs(second, X)).toEqual(expected);
    second.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("head 'source': the initial head's probabilities, whose argmax is predictWithHead(…, 'source')", async () => {
    const before = tf.memory().numTensors;
    const { fitted, X } = await fitOwnModel({ head: true });
    expect(networkHeads(fitted)).toEqual(['task', 'source']);
    const model = await exportNetwork(fitted, { head: 'source' });
    const probabilities = modelOutputs(model, X);
    const argmax = X.map((_, row) => {
      const values = probabilities.slice(row * CLASSES, (row + 1) * CLASSES);
      return values.indexOf(Math.max(...values));
    });
    expect(argmax).toEqual(Array.from(predictWithHead(fitted, X, 'source')));
    for (let row = 0; row < X.length; row++) {
      expect(probabilities.slice(row * CLASSES, (row + 1) * CLASSES).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    }
    model.dispose();
    fitted.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a head that already ends in a softmax gets no second one', async () => {
    const before = tf.memory().numTensors;
    const { fitted, X } = await fitOwnModel({ head: true });
    const saved = await fitted.save();
    const expected = await exportNetwork(fitted, { head: 'source' });
    const probabilities = modelOutputs(expected, X);
    expected.dispose();
    fitted.dispose();
    // The same network with the source head's last Dense layer computing the softmax itself.
    const text = JSON.stringify(saved.manifest);
    const softmaxHead = text.replace(/("name":"my_out","class_name":"Dense","config":\{"units":3,"activation":)"linear"/, '$1"softmax"');
    expect(softmaxHead).not.toBe(text);
    const restored = await loadPipeline({ manifest: JSON.parse(softmaxHead), data: saved.data });
    const model = await exportNetwork(restored, { head: 'source' });
    expect(model.layers.map((layer) => layer.name).at(-1)).toBe('my_head');
    const once = modelOutputs(model, X);
    once.forEach((value, index) => expect(Math.abs(value - probabilities[index])).toBeLessThan(1e-6));
    model.dispose();
    restored.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('regression: raw predicted values (n x 1), equal to predict', async () => {
    const before = tf.memory().numTensors;
    const { fitted, X } = await fitOwnModel({ head: false, problem: 'regression' });
    const model = await exportNetwork(fitted);
    expect(model.outputs[0].shape).toEqual([null, 1]);
    expect(model.layers.at(-1)?.name).toBe('head');
    expect(modelOutputs(model, X)).toEqual(Array.from(fitted.predict(X)).map(Math.fround));
    model.dispose();
    fitted.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a loaded pipeline (a registered backbone) exports too; layer names that clash with the head get a free name', async () => {
    const before = tf.memory().numTensors;
    const task = imageTask(3);
    const fitted = await compose(trainer({ backbone: { use: 'mlp', hidden: [5] }, epochs: 1, batchSize: 16 })).fit(task, { seed: 1 });
    const restored = await loadPipeline(await fitted.saveBytes());
    fitted.dispose();
    const X = task.target.X as number[][];
    const model = await exportNetwork(restored);
    expect(modelOutputs(model, X)).toEqual(Array.from(restored.predictProba(X).data));
    model.dispose();
    restored.dispose();

    // A backbone with layers named 'head' and 'probabilities', as the exported model's own would be.
    const input = tf.input({ shape: IMAGE, name: 'in' });
    const flat = tf.layers.flatten({ name: 'head' }).apply(input) as tf.SymbolicTensor;
    const backbone = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 4, name: 'probabilities' }).apply(flat) as tf.SymbolicTensor });
    const clashing = await compose(trainer({ initialModel: { backbone }, epochs: 1, batchSize: 16 })).fit(task, { seed: 1 });
    backbone.dispose();
    const exported = await exportNetwork(clashing);
    expect(exported.layers.map((layer) => layer.name)).toEqual(['in', 'head', 'probabilities', 'head_1', 'probabilities_1']);
    expect(modelOutputs(exported, X)).toEqual(Array.from(clashing.predictProba(X).data));
    exported.dispose();
    clashing.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('typed errors before any copy: not a network, an unknown head (listing the heads), mapping steps, bad options', async () => {
    const task = imageTask(3);
    const { fitted } = await fitOwnModel({ head: true });
    const linear = await compose(logisticRegression()).fit(task, { seed: 1 });
    const mapped = await compose(spyMappingPlugin.create({ label: 'export-test' }), trainer({ backbone: { use: 'mlp', hidden: [4] }, epochs: 1 })).fit(task, { seed: 1 });
    const before = tf.memory().numTensors;
    const failure = async (run: () => Promise<unknown>) => {
      const error = await run().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(TlkitError);
      return error as TlkitError;
    };

    const notNetwork = await failure(() => exportNetwork(linear));
    expect(notNetwork.code).toBe('INVALID_ARGUMENT');
    expect(notNetwork.details.argument).toBe('fitted');
    expect(notNetwork.message).toMatch(/exportNetwork needs a pipeline whose estimator is a trained network \(trainer or mlp\); this one's is 'logreg'/);

    const unknownHead = await failure(() => exportNetwork(fitted, { head: 'old' }));
    expect(unknownHead.code).toBe('INVALID_ARGUMENT');
    expect(unknownHead.details.argument).toBe('head');
    expect(unknownHead.message).toMatch(/no head 'old'; its heads are task, source/);

    const mappings = await failure(() => exportNetwork(mapped));
    expect(mappings.details.argument).toBe('options.afterMappings');
    expect(mappings.message).toMatch(/mapping steps \(spy-mapping\) before the network/);
    const afterMappings = await exportNetwork(mapped, { afterMappings: true });
    expect(afterMappings.inputs[0].shape).toEqual([null, 36]);
    afterMappings.dispose();

    expect((await failure(() => exportNetwork(fitted, { heads: 'task' } as never))).message).toMatch(/no option 'heads'; its options are head, afterMappings/);
    expect((await failure(() => exportNetwork(fitted, { head: 1 } as never))).details.argument).toBe('options.head');
    expect((await failure(() => exportNetwork(fitted, 'task' as never))).details.argument).toBe('options');
    expect(tf.memory().numTensors).toBe(before);

    fitted.dispose();
    linear.dispose();
    mapped.dispose();
    const disposed = await failure(() => exportNetwork(fitted));
    expect(disposed.code).toBe('NOT_FITTED');
  });
});
