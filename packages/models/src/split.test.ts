import * as tf from '@tensorflow/tfjs';
import { compose, createRng, Matrix, predictWithHead, trainer } from '@tlkit/core';
import { describe, expect, it } from 'vitest';
import { cloneModel, cutAtLayer, listLayers, splitAtLayer } from './index';
import { expectInvalidArgument } from '../test/errors';
import { onWasmBackend } from '../test/wasm-backend';

/**
 * A user's own digit classifier, as in the bring-your-own-model review: 16×16×1 → conv my_conv1 →
 * pool → conv my_conv2 → pool → my_flat (64) → dense my_fc (64, relu) → dropout → dense my_digits
 * (10, softmax). Seeded initialisers, non-zero biases (so the hand computation checks them).
 */
function myModel(seed = 1): tf.LayersModel {
  const kernel = (offset: number) => tf.initializers.glorotUniform({ seed: seed * 10 + offset });
  const bias = (offset: number) => tf.initializers.randomUniform({ minval: -0.2, maxval: 0.2, seed: seed * 10 + offset + 5 });
  const pixels = tf.input({ shape: [16, 16, 1], name: 'pixels' });
  const layers: tf.layers.Layer[] = [
    tf.layers.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', kernelInitializer: kernel(1), biasInitializer: bias(1), name: 'my_conv1' }),
    tf.layers.maxPooling2d({ poolSize: 2, name: 'my_pool1' }),
    tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu', kernelInitializer: kernel(2), biasInitializer: bias(2), name: 'my_conv2' }),
    tf.layers.maxPooling2d({ poolSize: 2, name: 'my_pool2' }),
    tf.layers.flatten({ name: 'my_flat' }),
    tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: kernel(3), biasInitializer: bias(3), name: 'my_fc' }),
    tf.layers.dropout({ rate: 0.5, name: 'my_drop' }),
    tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: kernel(4), biasInitializer: bias(4), name: 'my_digits' }),
  ];
  const output = layers.reduce((tensor, layer) => layer.apply(tensor) as tf.SymbolicTensor, pixels);
  return tf.model({ inputs: pixels, outputs: output, name: 'mine' });
}

const image = (count: number, seed: number) => {
  const rng = createRng(seed);
  return tf.tensor4d(Float32Array.from({ length: count * 256 }, () => rng.float()), [count, 16, 16, 1]);
};

/** max |a − b| over all entries. */
function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let index = 0; index < a.length; index++) worst = Math.max(worst, Math.abs(a[index] - b[index]));
  return worst;
}

/** `rows × inputs` · Dense(kernel, bias), in float64 plain loops (independent of tfjs's layers). */
function dense(x: ArrayLike<number>, rows: number, layer: tf.layers.Layer): Float64Array {
  const [kernel, bias] = layer.getWeights();
  const [inputs, units] = kernel.shape;
  const [w, b] = [kernel.dataSync(), bias.dataSync()];
  const out = new Float64Array(rows * units);
  for (let row = 0; row < rows; row++) {
    for (let unit = 0; unit < units; unit++) {
      let sum = b[unit];
      for (let index = 0; index < inputs; index++) sum += x[row * inputs + index] * w[index * units + unit];
      out[row * units + unit] = sum;
    }
  }
  return out;
}

const relu = (values: Float64Array) => values.map((value) => Math.max(0, value));

function softmaxRows(values: Float64Array, columns: number): Float64Array {
  const out = new Float64Array(values.length);
  for (let row = 0; row < values.length / columns; row++) {
    const slice = values.subarray(row * columns, (row + 1) * columns);
    const top = Math.max(...slice);
    const exps = Array.from(slice, (value) => Math.exp(value - top));
    const total = exps.reduce((sum, value) => sum + value, 0);
    exps.forEach((value, column) => (out[row * columns + column] = value / total));
  }
  return out;
}

/** Runs `backbone` then `head` on `x` and the whole `model` on `x`: [composed, whole] values. */
function composedAndWhole(model: tf.LayersModel, backbone: tf.LayersModel, head: tf.LayersModel, x: tf.Tensor): [Float32Array, Float32Array] {
  return tf.tidy(() => [(head.predict(backbone.predict(x) as tf.Tensor) as tf.Tensor).dataSync() as Float32Array, (model.predict(x) as tf.Tensor).dataSync() as Float32Array]);
}

/** The error `call` throws (fails the test when it throws nothing). */

/** Every layer's inbound-node count and reference count: what a failed split must leave as it was. */
const graphState = (model: tf.LayersModel) =>
  model.layers.map((layer) => [layer.name, (layer as unknown as { inboundNodes: unknown[] }).inboundNodes.length, (layer as unknown as { _refCount: number | null })._refCount]);

describe('splitAtLayer', () => {
  it('backbone then head computes the model (float32, to 1e-6); the multi-layer head matches a float64 hand computation', () => {
    const before = tf.memory().numTensors;
    const model = myModel();
    const { backbone, head } = splitAtLayer(model, 'my_flat');
    // Building the two models creates no tensors (the layers and weights are the model's own).
    expect(tf.memory().numTensors).toBe(before + model.weights.length);
    expect(backbone.outputs[0].shape).toEqual([null, 64]);
    expect(head.inputs[0].shape).toEqual([null, 64]);
    expect(head.outputs[0].shape).toEqual([null, 10]);
    expect(head.layers.map((layer) => layer.name)).toEqual(['mine_head_my_flat_input', 'my_fc', 'my_drop', 'my_digits']);
    expect(backbone.layers.map((layer) => layer.name)).toEqual(['pixels', 'my_conv1', 'my_pool1', 'my_conv2', 'my_pool2', 'my_flat']);
    expect([backbone.name, head.name]).toEqual(['mine_cut_my_flat', 'mine_head_my_flat']);
    // Shared, not copied: the head's Dense layers are the model's. (64 + 1)·64 + (64 + 1)·10.
    expect(head.getLayer('my_fc')).toBe(model.getLayer('my_fc'));
    expect(head.countParams()).toBe(4_160 + 650);
    // conv (5·5·1 + 1)·6 + (5·5·6 + 1)·16.
    expect(backbone.countParams()).toBe(156 + 2_416);
    const x = image(5, 2);
    const [composed, whole] = composedAndWhole(model, backbone, head, x);
    expect(maxDifference(composed, whole)).toBeLessThanOrEqual(1e-6);
    // Independent: softmax(relu(f·W1 + b1)·W2 + b2) in float64 from the backbone's features (dropout: identity at inference).
    const features = tf.tidy(() => (backbone.predict(x) as tf.Tensor).dataSync());
    const hand = softmaxRows(dense(relu(dense(features, 5, model.getLayer('my_fc'))), 5, model.getLayer('my_digits')), 10);
    expect(maxDifference(composed, hand)).toBeLessThanOrEqual(1e-6);
    x.dispose();
    for (const part of [model, backbone, head]) part.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('splits at any layer every path goes through, sequential models included', () => {
    const model = myModel(3);
    const x = image(4, 5);
    for (const layerName of ['my_conv1', 'my_pool2', 'my_fc', 'my_drop']) {
      const { backbone, head } = splitAtLayer(model, layerName);
      expect(backbone.outputs[0].shape).toEqual(model.getLayer(layerName).outputShape);
      const [composed, whole] = composedAndWhole(model, backbone, head, x);
      expect(maxDifference(composed, whole)).toBeLessThanOrEqual(1e-6);
      backbone.dispose();
      head.dispose();
    }
    const sequential = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [6], units: 5, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }), name: 'a' }),
        tf.layers.dense({ units: 4, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }), name: 'b' }),
        tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }), name: 'c' }),
      ],
    });
    const { backbone, head } = splitAtLayer(sequential, 'a');
    expect(head.layers.slice(1).map((layer) => layer.name)).toEqual(['b', 'c']);
    const rows = tf.randomUniform([3, 6], -1, 1, 'float32', 7);
    const [composed, whole] = composedAndWhole(sequential, backbone, head, rows);
    expect(maxDifference(composed, whole)).toBeLessThanOrEqual(1e-6);
    for (const disposable of [rows, x]) disposable.dispose();
    for (const part of [backbone, head, sequential, model]) part.dispose();
  });

  it("output 'flatten' gives a rank-2 backbone and a head that reshapes back (row-major), still computing the model", () => {
    const before = tf.memory().numTensors;
    const model = myModel(2);
    const { backbone, head } = splitAtLayer(model, 'my_pool2', { output: 'flatten', backboneName: 'body', headName: 'top' });
    expect([backbone.name, head.name]).toEqual(['body', 'top']);
    expect(backbone.outputs[0].shape).toEqual([null, 2 * 2 * 16]);
    expect(head.inputs[0].shape).toEqual([null, 64]);
    expect(head.layers.map((layer) => layer.getClassName())).toEqual(['InputLayer', 'Reshape', 'Flatten', 'Dense', 'Dropout', 'Dense']);
    const x = image(3, 4);
    // The flattened features are the pooled output in (h, w, c) order, as cutAtLayer's 'as-is' gives it.
    const asIs = cutAtLayer(model, 'my_pool2');
    const [flat, pooled] = tf.tidy(() => [(backbone.predict(x) as tf.Tensor).dataSync(), (asIs.predict(x) as tf.Tensor).dataSync()]);
    expect(Array.from(flat)).toEqual(Array.from(pooled));
    const [composed, whole] = composedAndWhole(model, backbone, head, x);
    expect(maxDifference(composed, whole)).toBeLessThanOrEqual(1e-6);
    // A rank-2 output is left as it is, and the head needs no Reshape.
    const dense = splitAtLayer(model, 'my_fc', { output: 'flatten' });
    expect(dense.head.layers.map((layer) => layer.getClassName())).toEqual(['InputLayer', 'Dropout', 'Dense']);
    x.dispose();
    for (const part of [head, model, asIs, backbone, dense.backbone, dense.head]) part.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('keeps branches that rejoin after the cut, and several outputs', () => {
    const init = (seed: number) => ({ kernelInitializer: tf.initializers.glorotUniform({ seed }), biasInitializer: tf.initializers.randomUniform({ minval: -0.3, maxval: 0.3, seed: seed + 50 }) });
    const input = tf.input({ shape: [5], name: 'in' });
    const cut = tf.layers.dense({ units: 4, activation: 'relu', ...init(1), name: 'cut' }).apply(input) as tf.SymbolicTensor;
    const left = tf.layers.dense({ units: 4, activation: 'tanh', ...init(2), name: 'left' }).apply(cut) as tf.SymbolicTensor;
    const joined = tf.layers.add({ name: 'join' }).apply([left, cut]) as tf.SymbolicTensor;
    const first = tf.layers.dense({ units: 3, activation: 'softmax', ...init(3), name: 'first' }).apply(joined) as tf.SymbolicTensor;
    const second = tf.layers.dense({ units: 2, ...init(4), name: 'second' }).apply(cut) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: [first, second], name: 'branches' });
    const { backbone, head } = splitAtLayer(model, 'cut');
    expect(head.outputs.map((output) => output.shape)).toEqual([
      [null, 3],
      [null, 2],
    ]);
    const x = tf.randomUniform([4, 5], -1, 1, 'float32', 3);
    const features = backbone.predict(x) as tf.Tensor;
    const split = head.predict(features) as tf.Tensor[];
    const whole = model.predict(x) as tf.Tensor[];
    split.forEach((output, index) => expect(maxDifference(output.dataSync(), whole[index].dataSync())).toBeLessThanOrEqual(1e-6));
    // Hand: first = softmax((tanh(f·Wl + bl) + f)·W1 + b1), second = f·W2 + b2.
    const f = features.dataSync();
    const skip = Float64Array.from(dense(f, 4, model.getLayer('left')), (value, index) => Math.tanh(value) + f[index]);
    expect(maxDifference(split[0].dataSync(), softmaxRows(dense(skip, 4, model.getLayer('first')), 3))).toBeLessThanOrEqual(1e-6);
    expect(maxDifference(split[1].dataSync(), dense(f, 4, model.getLayer('second')))).toBeLessThanOrEqual(1e-6);
    tf.dispose([x, features, ...split, ...whole]);
    for (const part of [model, backbone, head]) part.dispose();
  });

  it('rejects a skip connection across the cut, naming the layer that reads from before it, before changing anything', () => {
    const input = tf.input({ shape: [5], name: 'in' });
    const early = tf.layers.dense({ units: 4, activation: 'relu', name: 'early' }).apply(input) as tf.SymbolicTensor;
    const middle = tf.layers.dense({ units: 4, activation: 'relu', name: 'middle' }).apply(early) as tf.SymbolicTensor;
    const late = tf.layers.dense({ units: 4, activation: 'relu', name: 'late' }).apply(middle) as tf.SymbolicTensor;
    const joined = tf.layers.add({ name: 'skip_add' }).apply([late, early]) as tf.SymbolicTensor;
    const output = tf.layers.dense({ units: 3, activation: 'softmax', name: 'out' }).apply(joined) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output, name: 'residual' });
    const tensors = tf.memory().numTensors;
    const state = graphState(model);
    const error = expectInvalidArgument(() => splitAtLayer(model, 'middle'), 'layerName', /layer 'skip_add' reads the output of 'early', which comes before the cut at 'middle'/);
    expect(error.details).toMatchObject({ layer: 'skip_add', reads: 'early' });
    expect(graphState(model)).toEqual(state);
    expect(tf.memory().numTensors).toBe(tensors);
    // Where every path goes through, the split works: at 'early' (before the branch) and at 'skip_add' (after it).
    for (const layerName of ['early', 'skip_add']) {
      const { backbone, head } = splitAtLayer(model, layerName);
      const x = tf.randomUniform([2, 5], -1, 1, 'float32', 1);
      const [composed, whole] = composedAndWhole(model, backbone, head, x);
      expect(maxDifference(composed, whole)).toBeLessThanOrEqual(1e-6);
      x.dispose();
      backbone.dispose();
      head.dispose();
    }
    model.dispose();
  });

  it('names the layers when the name is wrong, and rejects the input, the output layer and unknown options', () => {
    const model = myModel();
    const tensors = tf.memory().numTensors;
    const state = graphState(model);
    const unknown = expectInvalidArgument(
      () => splitAtLayer(model, 'my_fc2'),
      'layerName',
      /^\[INVALID_ARGUMENT\] model 'mine' has no layer named 'my_fc2'\. Did you mean 'my_fc'\? Known layers: pixels, my_conv1, my_pool1, my_conv2, my_pool2, my_flat, my_fc, my_drop, my_digits\.$/,
    );
    expect(unknown.details).toMatchObject({ known: listLayers(model).map((layer) => layer.name) });
    // A name that is not a string gets the same typed error (not a TypeError from the suggestions).
    expectInvalidArgument(() => splitAtLayer(model, 3 as never), 'layerName', /has no layer named '3'\. Known layers:/);
    expectInvalidArgument(() => splitAtLayer(model, 'my_digits'), 'layerName', /'my_digits' gives the model's output, so nothing would be left for the head; split before it.*'my_drop'/);
    expectInvalidArgument(() => splitAtLayer(model, 'pixels'), 'layerName', /'pixels' is the model's input/);
    expectInvalidArgument(() => splitAtLayer(model, 'my_pool2', { output: 'global-average' as 'flatten' }), 'options.output', /'global-average' does not split a model/);
    expectInvalidArgument(() => splitAtLayer(model, 'my_pool2', { output: 'bogus' as 'flatten' }), 'options.output', /one of 'as-is', 'flatten'; got "bogus"/);
    expectInvalidArgument(() => splitAtLayer({} as tf.LayersModel, 'my_fc'), 'model', /must be a tfjs LayersModel/);
    expect(graphState(model)).toEqual(state);
    expect(tf.memory().numTensors).toBe(tensors);
    model.dispose();
  });

  it('shares reference-counted weights: any disposal order frees everything, and the parts outlive the model', async () => {
    const before = tf.memory().numTensors;
    const model = myModel();
    const x = image(2, 6);
    const expected = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
    const { backbone, head } = splitAtLayer(model, 'my_fc');
    // The model's layers are applied again in the head; the model itself still predicts, copies
    // and cuts as before (cutAtLayer at a layer the head also uses).
    const copy = await cloneModel(model);
    const cut = cutAtLayer(model, 'my_drop');
    expect(cut.outputs[0].shape).toEqual([null, 64]);
    expect(maxDifference(tf.tidy(() => (copy.predict(x) as tf.Tensor).dataSync()), expected)).toBe(0);
    model.dispose();
    expect(maxDifference(composedAndWhole(copy, backbone, head, x)[0], expected)).toBeLessThanOrEqual(1e-6);
    head.dispose();
    const features = backbone.predict(x) as tf.Tensor;
    expect(features.shape).toEqual([2, 64]);
    features.dispose();
    for (const part of [cut, backbone, copy]) part.dispose();
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
    // Parts first, model last.
    const again = myModel();
    const parts = splitAtLayer(again, 'my_flat', { output: 'flatten' });
    parts.backbone.dispose();
    parts.head.dispose();
    expect(tf.memory().numTensors).toBe(before + again.weights.length);
    again.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('splitAtLayer in core trainer', () => {
  onWasmBackend();

  /** Two classes on 16×16 images: bright top half vs bright bottom half, plus noise. */
  function twoHalves(count: number) {
    const rng = createRng(9);
    const X = new Matrix(count, 256);
    const y = Array.from({ length: count }, (_, index) => index % 2);
    for (let row = 0; row < count; row++) {
      for (let pixel = 0; pixel < 256; pixel++) X.data[row * 256 + pixel] = 0.3 * rng.float() + ((y[row] === 0) === pixel < 128 ? 0.7 : 0);
    }
    return { X, y, task: { source: { X, y, shape: [16, 16, 1] as const }, target: { X, shape: [16, 16, 1] as const }, problem: 'classification' as const } };
  }

  it("trainer({ initialModel: splitAtLayer(model, 'my_flat') }) fits, keeps the model's head as the source head, leaves the model untouched and leaks nothing", async () => {
    const before = tf.memory().numTensors;
    const model = myModel();
    const weights = model.getWeights().map((weight) => Buffer.from(weight.dataSync().buffer));
    const { X, y, task } = twoHalves(64);
    const initialModel = splitAtLayer(model, 'my_flat');
    // The source head is the model's own classifier: with a negligible step its labels are the model's.
    const still = await compose(trainer({ initialModel, epochs: 1, batchSize: 16, optimizer: { type: 'sgd', learningRate: 1e-12 } })).fit(task, { seed: 1 });
    const images = tf.tensor4d(Float32Array.from(X.data), [64, 16, 16, 1]);
    const modelLabels = tf.tidy(() => Array.from(tf.argMax(model.predict(images) as tf.Tensor, 1).dataSync()));
    images.dispose();
    expect(Array.from(predictWithHead(still, X, 'source'))).toEqual(modelLabels);
    still.dispose();
    // A short fit on the new two-class task: the task loss falls and the labels are learnt.
    const fitted = await compose(trainer({ initialModel, epochs: 6, batchSize: 16, optimizer: { learningRate: 0.01 } })).fit(task, { seed: 2 });
    const history = fitted.reports.at(-1)!.info!.history as unknown as { losses: { task: number } }[];
    const losses = history.map((epoch) => epoch.losses.task);
    expect(losses.at(-1)!).toBeLessThan(0.5 * losses[0]);
    const predicted = Array.from(fitted.predict(X));
    expect(predicted.filter((label, index) => label === y[index]).length / 64).toBeGreaterThanOrEqual(0.95);
    fitted.dispose();
    model.getWeights().forEach((weight, index) => expect(Buffer.from(weight.dataSync().buffer).equals(weights[index])).toBe(true));
    for (const part of [initialModel.backbone, initialModel.head, model]) part.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
