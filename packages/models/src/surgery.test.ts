import * as tf from '@tensorflow/tfjs';
import { createRng, TlkitError } from '@tlkit/core';
import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { cloneModel, cutAtLayer, lenetBackbone, listLayers, withNewHead } from './index';
import { errorOf, expectInvalidArgument } from '../test/errors';

/** LeNet on 16×16×1 + a dense-10 softmax classifier named 'head', as one functional model. */
function classifier(seed = 1): tf.LayersModel {
  const backbone = lenetBackbone.build(lenetBackbone.configSchema.parse({}), { inputShape: [16, 16, 1], seed, namePrefix: '' });
  const head = tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed }), name: 'head' });
  return tf.model({ inputs: backbone.inputs, outputs: head.apply(backbone.outputs[0]) as tf.SymbolicTensor, name: 'lenet_classifier' });
}

const image = (count: number, seed: number) => {
  const rng = createRng(seed);
  return tf.tensor4d(Float32Array.from({ length: count * 256 }, () => rng.float()), [count, 16, 16, 1]);
};

const bytes = (tensor: tf.Tensor) => Buffer.from(tensor.dataSync().buffer);

/** The error `call` throws (fails the test when it throws nothing). */
/** Checks that `call` throws a TlkitError INVALID_ARGUMENT whose message and details name `argument`. */
function expectNamedInvalidArgument(call: () => unknown, argument: string, message: RegExp): void {
  expect(expectInvalidArgument(call, argument, message).message).toContain(argument);
}

describe('listLayers', () => {
  it('lists names, classes, output shapes and hand-computed parameter counts', () => {
    const model = classifier();
    expect(listLayers(model)).toEqual([
      { name: 'input', className: 'InputLayer', shape: '16×16×1', outputShape: [null, 16, 16, 1], params: 0, trainable: false },
      // conv 5·5·1·6 + 6
      { name: 'conv1', className: 'Conv2D', shape: '16×16×6', outputShape: [null, 16, 16, 6], params: 156, trainable: true },
      { name: 'pool1', className: 'MaxPooling2D', shape: '8×8×6', outputShape: [null, 8, 8, 6], params: 0, trainable: true },
      // conv 5·5·6·16 + 16
      { name: 'conv2', className: 'Conv2D', shape: '4×4×16', outputShape: [null, 4, 4, 16], params: 2416, trainable: true },
      { name: 'pool2', className: 'MaxPooling2D', shape: '2×2×16', outputShape: [null, 2, 2, 16], params: 0, trainable: true },
      { name: 'flatten', className: 'Flatten', shape: '64', outputShape: [null, 64], params: 0, trainable: true },
      // dense (64 + 1)·120, (120 + 1)·84, (84 + 1)·10
      { name: 'dense1', className: 'Dense', shape: '120', outputShape: [null, 120], params: 7800, trainable: true },
      { name: 'dense2', className: 'Dense', shape: '84', outputShape: [null, 84], params: 10164, trainable: true },
      { name: 'head', className: 'Dense', shape: '10', outputShape: [null, 10], params: 850, trainable: true },
    ]);
    model.getLayer('conv1').trainable = false;
    expect(listLayers(model)[1].trainable).toBe(false);
    model.dispose();
  });

  it('console.table(listLayers(model)), as documented, shows every output size (the channel count too) in the shape column', () => {
    const model = classifier();
    let printed = '';
    const stdout = new Writable({
      write(chunk, _encoding, done) {
        printed += String(chunk);
        done();
      },
    });
    new Console({ stdout }).table(listLayers(model));
    const lines = printed.split('\n');
    // Columns in field order: the readable shape next to the class.
    expect(lines[1].split('│').map((cell) => cell.trim())).toEqual(['', '(index)', 'name', 'className', 'shape', 'outputShape', 'params', 'trainable', '']);
    const conv1 = lines.find((line) => line.includes("'conv1'"))!;
    expect(conv1).toContain("'16×16×6'");
    // The array column alone hides the channels: Node prints at most 3 items of an array in a table cell.
    expect(conv1).toContain('... 1 more item');
    model.dispose();
  });

  it('writes ? for sizes known at run time, scalar for one number per sample, and each shape of a multi-output layer', () => {
    const before = tf.memory().numTensors;
    const pixels = tf.input({ shape: [null, null, 3], name: 'pixels' });
    const conv = tf.layers.conv2d({ filters: 4, kernelSize: 3, name: 'conv' }).apply(pixels) as tf.SymbolicTensor;
    const averaged = tf.layers.globalAveragePooling2d({ name: 'mean' }).apply(conv) as tf.SymbolicTensor;
    const inner = tf.input({ shape: [4] });
    const pair = tf.model({
      inputs: inner,
      outputs: [tf.layers.dense({ units: 3 }).apply(inner) as tf.SymbolicTensor, tf.layers.dense({ units: 2 }).apply(inner) as tf.SymbolicTensor],
      name: 'pair',
    });
    const outputs = pair.apply(averaged) as tf.SymbolicTensor[];
    const model = tf.model({ inputs: pixels, outputs, name: 'open' });
    expect(listLayers(model).map((layer) => [layer.name, layer.shape])).toEqual([
      ['pixels', '?×?×3'],
      ['conv', '?×?×4'],
      ['mean', '4'],
      ['pair', '3, 2'],
    ]);
    const scalar = tf.input({ shape: [], name: 'scalar' });
    expect(listLayers(tf.model({ inputs: scalar, outputs: scalar }))[0].shape).toBe('scalar');
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('withNewHead', () => {
  it('replaces the classifier: hand-computed parameter count, shared body, inherited activation, seeded kernel', () => {
    const before = tf.memory().numTensors;
    const model = classifier();
    const replaced = withNewHead(model, 20, { seed: 4 });
    // 21,386 − 850 (old head) + (84 + 1)·20.
    expect(model.countParams()).toBe(21_386);
    expect(replaced.countParams()).toBe(21_386 - 850 + 1_700);
    expect(replaced.outputs[0].shape).toEqual([null, 20]);
    expect(replaced.layers.at(-1)!.name).toBe('classifier');
    expect(replaced.layers.at(-1)!.getConfig()['activation']).toBe('softmax');
    // The body is the same layer objects (shared weights).
    for (const name of ['conv1', 'conv2', 'dense1', 'dense2']) expect(replaced.getLayer(name)).toBe(model.getLayer(name));
    // Softmax rows sum to 1; the new classifier sees the old features.
    const x = image(3, 1);
    const probabilities = replaced.predict(x) as tf.Tensor2D;
    for (const sum of tf.tidy(() => Array.from(tf.sum(probabilities, 1).dataSync()))) expect(sum).toBeCloseTo(1, 5);
    const [kernel, bias] = replaced.getLayer('classifier').getWeights();
    const features = cutAtLayer(model, 'dense2');
    const expected = tf.tidy(() => tf.softmax(tf.add(tf.matMul(features.predict(x) as tf.Tensor2D, kernel as tf.Tensor2D), bias)));
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(expected, probabilities))).dataSync()[0])).toBeLessThan(1e-6);
    // Glorot-uniform bound √(6/(84+20)), zero bias, reproducible from the seed.
    const limit = Math.sqrt(6 / (84 + 20));
    expect(Math.max(...Array.from(kernel.dataSync()).map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Array.from(bias.dataSync()).every((value) => value === 0)).toBe(true);
    const again = withNewHead(model, 20, { seed: 4, name: 'again' });
    const other = withNewHead(model, 20, { seed: 5, name: 'other' });
    expect(bytes(again.getLayer('again').getWeights()[0]).equals(bytes(kernel))).toBe(true);
    expect(bytes(other.getLayer('other').getWeights()[0]).equals(bytes(kernel))).toBe(false);
    tf.dispose([x, probabilities, expected]);
    // Reference-counted sharing: each model disposes on its own; the weights go with the last one.
    model.dispose();
    const single = image(1, 2);
    const stillWorks = replaced.predict(single) as tf.Tensor;
    expect(stillWorks.shape).toEqual([1, 20]);
    tf.dispose([single, stillWorks]);
    for (const derived of [replaced, features, again, other]) derived.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('can switch the activation, and trains only what the caller leaves trainable', () => {
    const model = classifier();
    const logits = withNewHead(model, 3, { activation: 'linear' });
    expect(logits.layers.at(-1)!.getConfig()['activation']).toBe('linear');
    // Freeze the body: the only trainable weights are the new classifier's kernel and bias.
    for (const layer of logits.layers.slice(0, -1)) layer.trainable = false;
    expect(logits.trainableWeights.map((weight) => weight.originalName)).toEqual(['classifier/kernel', 'classifier/bias']);
    logits.dispose();
    model.dispose();
  });

  it("inherits only a classifier's activation: a feature layer's (relu, tanh, elu) or a sigmoid for several classes needs an explicit one", () => {
    const model = classifier();
    // The review's case: the model cut after its relu feature layer 'dense2', given a new head.
    const features = cutAtLayer(model, 'dense2');
    const tensors = tf.memory().numTensors;
    const layers = features.layers.length;
    const error = errorOf(() => withNewHead(features, 10));
    expect(error).toBeInstanceOf(TlkitError);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'options.activation', layer: 'dense2', activation: 'relu' } });
    expect((error as Error).message).toMatch(/'dense2' \(Dense, 84 units\), has activation 'relu', which is no classifier's activation; with 'inherit' \(the default\) the new 10-class classifier would be a relu layer too\./);
    expect((error as Error).message).toMatch(/Pass options\.activation explicitly: 'softmax' for probabilities or 'linear' for logits/);
    expect((error as Error).message).toContain("cut the model there (cutAtLayer(model, 'dense2'))");
    // Explicit 'inherit' is the default, so it is rejected too; nothing was built.
    expectNamedInvalidArgument(() => withNewHead(features, 10, { activation: 'inherit' }), 'options.activation', /activation 'relu'/);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(features.layers).toHaveLength(layers);
    // Asked for explicitly, the replacement goes ahead.
    const replaced = withNewHead(features, 10, { activation: 'softmax' });
    expect(replaced.layers.at(-1)!.getConfig()['activation']).toBe('softmax');
    expect(replaced.layers.map((layer) => layer.name)).not.toContain('dense2');
    replaced.dispose();
    features.dispose();
    model.dispose();
    const ending = (activation: 'tanh' | 'elu' | 'sigmoid' | 'linear', units: number) => {
      const input = tf.input({ shape: [4] });
      return tf.model({ inputs: input, outputs: tf.layers.dense({ units, activation, name: 'last' }).apply(input) as tf.SymbolicTensor });
    };
    for (const activation of ['tanh', 'elu'] as const) {
      const other = ending(activation, 8);
      expectNamedInvalidArgument(() => withNewHead(other, 3), 'options.activation', new RegExp(`has activation '${activation}'`));
      other.dispose();
    }
    // A binary sigmoid classifier: inherited for one class, rejected for several.
    const binary = ending('sigmoid', 1);
    const stillBinary = withNewHead(binary, 1, { name: 'binary' });
    expect(stillBinary.getLayer('binary').getConfig()['activation']).toBe('sigmoid');
    expectNamedInvalidArgument(() => withNewHead(binary, 5), 'options.activation', /has activation 'sigmoid' \(independent yes\/no outputs\); .*the new 5-class classifier would give sigmoid outputs, which do not sum to 1/);
    const fiveWay = withNewHead(binary, 5, { activation: 'softmax', name: 'five' });
    expect(fiveWay.getLayer('five').getConfig()['activation']).toBe('softmax');
    // Logits stay logits.
    const logits = ending('linear', 6);
    const moreLogits = withNewHead(logits, 9);
    expect(moreLogits.layers.at(-1)!.getConfig()['activation']).toBe('linear');
    for (const made of [stillBinary, fiveWay, binary, moreLogits, logits]) made.dispose();
  });

  it('rejects a non-Dense last layer, bad numClasses and a taken name', () => {
    const model = classifier();
    const body = cutAtLayer(model, 'pool2');
    expect(() => withNewHead(body, 10)).toThrow(/last layer .* is 'pool2' \(MaxPooling2D\), not a Dense classifier.*cutAtLayer/);
    expect(() => withNewHead(model, 0)).toThrow(/numClasses must be a positive integer/);
    expect(() => withNewHead(model, 2.5)).toThrow(/numClasses must be a positive integer/);
    expect(() => withNewHead(model, 5, { name: 'conv1' })).toThrow(/already has a layer named 'conv1'/);
    expect(() => withNewHead({} as tf.LayersModel, 5)).toThrow(/must be a tfjs LayersModel/);
    body.dispose();
    model.dispose();
  });

  it('rejects an unknown activation and a seed outside core\'s seed contract (integers 0..2^32-1), before building anything', () => {
    const model = classifier();
    const tensors = tf.memory().numTensors;
    const layers = model.layers.length;
    expectNamedInvalidArgument(() => withNewHead(model, 5, { activation: 'bogus' as 'linear' }), 'options.activation', /one of 'inherit', 'linear', 'softmax'; got "bogus"/);
    // NaN used to act as seed 0 (deriveSeed takes seed >>> 0); fractions, strings, negative and
    // larger-than-32-bit integers are no seeds either (-3 used to alias 2^32 - 3).
    for (const seed of [Number.NaN, 1.5, Number.POSITIVE_INFINITY, '3' as unknown as number, -3, 2 ** 32]) {
      expectNamedInvalidArgument(() => withNewHead(model, 5, { seed }), 'options.seed', /expected an integer in 0\.\.4294967295/);
    }
    expect(tf.memory().numTensors).toBe(tensors);
    expect(model.layers).toHaveLength(layers);
    // The accepted values still work: an explicit softmax, and the largest seed.
    const softmax = withNewHead(model, 5, { activation: 'softmax', seed: 2 ** 32 - 1, name: 'explicit' });
    expect(softmax.getLayer('explicit').getConfig()['activation']).toBe('softmax');
    softmax.dispose();
    model.dispose();
  });
});

describe('cutAtLayer', () => {
  it('returns the layer output as-is, flattened or globally averaged (hand-computed shapes and values)', () => {
    const before = tf.memory().numTensors;
    const model = classifier();
    const asIs = cutAtLayer(model, 'pool2');
    const flat = cutAtLayer(model, 'pool2', { output: 'flatten' });
    const averaged = cutAtLayer(model, 'pool2', { output: 'global-average' });
    expect(asIs.outputs[0].shape).toEqual([null, 2, 2, 16]);
    expect(flat.outputs[0].shape).toEqual([null, 64]);
    expect(averaged.outputs[0].shape).toEqual([null, 16]);
    // conv1 + conv2 weights only: 156 + 2416.
    expect(asIs.countParams()).toBe(2_572);
    const x = image(2, 3);
    const [pooled, flattened, means] = [asIs, flat, averaged].map((cut) => cut.predict(x) as tf.Tensor);
    const values = pooled.dataSync();
    // Flatten is row-major over (h, w, c); the global average is the mean of the 4 positions per channel.
    expect(Array.from(flattened.dataSync())).toEqual(Array.from(values));
    const handMeans = Array.from({ length: 2 * 16 }, (_, index) => {
      const [sample, channel] = [Math.floor(index / 16), index % 16];
      let sum = 0;
      for (let position = 0; position < 4; position++) sum += values[sample * 64 + position * 16 + channel];
      return sum / 4;
    });
    Array.from(means.dataSync()).forEach((value, index) => expect(value).toBeCloseTo(handMeans[index], 5));
    tf.dispose([x, pooled, flattened, means]);
    for (const derived of [asIs, flat, averaged, model]) derived.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names the known layers when the name is wrong, and checks the output mode', () => {
    const model = classifier();
    expect(() => cutAtLayer(model, 'dense3')).toThrow(
      "no layer named 'dense3'. Did you mean 'dense1' or 'dense2'? Known layers: input, conv1, pool1, conv2, pool2, flatten, dense1, dense2, head.",
    );
    expect(() => cutAtLayer(model, 'dense1', { output: 'global-average' })).toThrow(/needs a b × h × w × c output/);
    // An unknown mode used to act as 'as-is'.
    const tensors = tf.memory().numTensors;
    expectNamedInvalidArgument(() => cutAtLayer(model, 'pool2', { output: 'bogus' as 'flatten' }), 'options.output', /one of 'as-is', 'flatten', 'global-average'; got "bogus"/);
    expect(tf.memory().numTensors).toBe(tensors);
    model.dispose();
  });
});

describe('cloneModel', () => {
  it('copies architecture and every weight byte for byte; the copy is independent', async () => {
    const before = tf.memory().numTensors;
    const model = classifier();
    const copy = await cloneModel(model);
    expect(listLayers(copy)).toEqual(listLayers(model));
    const original = model.getWeights().map(bytes);
    copy.getWeights().forEach((weight, index) => expect(bytes(weight).equals(original[index])).toBe(true));
    expect(copy.getLayer('conv1')).not.toBe(model.getLayer('conv1'));
    // Changing the copy leaves the original untouched.
    const zeros = copy.getWeights().map((weight) => tf.zerosLike(weight));
    copy.setWeights(zeros);
    tf.dispose(zeros);
    model.getWeights().forEach((weight, index) => expect(bytes(weight).equals(original[index])).toBe(true));
    copy.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
