import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { lenetBackbone, listLayers, resnet18Backbone, withNewHead } from '../index';
import { fileSystemIO, loadModel, saveModel } from './index';

const root = mkdtempSync(join(tmpdir(), 'tlkit-models-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const bytes = (tensor: tf.Tensor) => Buffer.from(tensor.dataSync().buffer, tensor.dataSync().byteOffset, tensor.dataSync().byteLength);

/** A small ResNet-18 + softmax head, with non-trivial BN moving statistics. */
function resnetClassifier(): tf.LayersModel {
  const backbone = resnet18Backbone.build(resnet18Backbone.configSchema.parse({ width: 2, stem: 'cifar' }), { inputShape: [8, 8, 1], seed: 3, namePrefix: '' });
  const head = tf.layers.dense({ units: 4, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }), name: 'head' });
  const model = tf.model({ inputs: backbone.inputs, outputs: head.apply(backbone.outputs[0]) as tf.SymbolicTensor });
  const x = tf.randomNormal([4, 8, 8, 1], 0.5, 1, 'float32', 7);
  tf.dispose(model.apply(x, { training: true }) as tf.Tensor);
  x.dispose();
  return model;
}

describe('fileSystemIO / saveModel / loadModel', () => {
  it('round-trips a ResNet classifier: byte-identical weights (BN statistics included), same architecture and outputs', async () => {
    const model = resnetClassifier();
    const directory = join(root, 'resnet');
    const result = await saveModel(model, directory);
    expect(readdirSync(directory).sort()).toEqual(['model.json', 'weights.bin']);
    // float32 weights: 4 bytes per parameter, trainable or not.
    expect(readFileSync(join(directory, 'weights.bin')).byteLength).toBe(4 * model.countParams());
    expect(result.modelArtifactsInfo.weightDataBytes).toBe(4 * model.countParams());
    const before = tf.memory().numTensors;
    const loaded = await loadModel(directory);
    expect(listLayers(loaded)).toEqual(listLayers(model));
    expect(loaded.toJSON(null, false)).toEqual(model.toJSON(null, false));
    const original = model.getWeights();
    const restored = loaded.getWeights();
    expect(restored.map((weight) => weight.shape)).toEqual(original.map((weight) => weight.shape));
    restored.forEach((weight, index) => expect(bytes(weight).equals(bytes(original[index]))).toBe(true));
    // BN moving statistics moved away from their initial 0 / 1, and came back identical.
    expect(Array.from(loaded.getLayer('bn1').getWeights()[2].dataSync()).some((value) => value !== 0)).toBe(true);
    const x = tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 9);
    const [a, b] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    expect(bytes(b).equals(bytes(a))).toBe(true);
    tf.dispose([x, a, b]);
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('writes weights.bin as the little-endian float32 concatenation of the manifest, in order', async () => {
    const backbone = lenetBackbone.build(lenetBackbone.configSchema.parse({ dropout: 0.2 }), { inputShape: [16, 16, 1], seed: 1, namePrefix: '' });
    const model = withNewHead(
      tf.model({ inputs: backbone.inputs, outputs: tf.layers.dense({ units: 10, name: 'head' }).apply(backbone.outputs[0]) as tf.SymbolicTensor }),
      3,
      { seed: 2 },
    );
    const directory = join(root, 'lenet');
    await saveModel(model, directory);
    const manifest = JSON.parse(readFileSync(join(directory, 'model.json'), 'utf8')) as tf.io.ModelJSON;
    expect(manifest.format).toBe('layers-model');
    expect(manifest.weightsManifest).toHaveLength(1);
    expect(manifest.weightsManifest[0].paths).toEqual(['./weights.bin']);
    const file = readFileSync(join(directory, 'weights.bin'));
    const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
    const byName = new Map(model.weights.map((weight) => [weight.originalName, weight.read()]));
    let offset = 0;
    for (const spec of manifest.weightsManifest[0].weights) {
      expect(spec.dtype).toBe('float32');
      const values = byName.get(spec.name)!.dataSync();
      for (let index = 0; index < values.length; index++, offset += 4) expect(view.getFloat32(offset, true)).toBe(values[index]);
    }
    expect(offset).toBe(file.byteLength);
    // tfjs's own loader reads it through our handler; the seeded dropout layer deserialises.
    const loaded = await tf.loadLayersModel(fileSystemIO(join(directory, 'model.json')));
    expect(loaded.getLayer('dropout1').getClassName()).toBe('TlkitSeededDropout');
    expect(loaded.outputs[0].shape).toEqual([null, 3]);
    loaded.dispose();
    model.dispose();
  });

  it('loads a sharded model (two weight files) as written by tensorflowjs_converter', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [4], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }), name: 'a' })] });
    const directory = join(root, 'sharded');
    await saveModel(model, directory);
    const json = JSON.parse(readFileSync(join(directory, 'model.json'), 'utf8')) as tf.io.ModelJSON;
    const all = readFileSync(join(directory, 'weights.bin'));
    // Split the 48-byte kernel + 12-byte bias file into two shards at byte 20.
    writeFileSync(join(directory, 'group1-shard1of2.bin'), all.subarray(0, 20));
    writeFileSync(join(directory, 'group1-shard2of2.bin'), all.subarray(20));
    json.weightsManifest[0].paths = ['group1-shard1of2.bin', 'group1-shard2of2.bin'];
    writeFileSync(join(directory, 'model.json'), JSON.stringify(json));
    const loaded = await loadModel(directory);
    loaded.getWeights().forEach((weight, index) => expect(bytes(weight).equals(bytes(model.getWeights()[index]))).toBe(true));
    loaded.dispose();
    model.dispose();
  });

  it('gives clear errors: missing directory, missing model.json, truncated weights, escaping paths, bad JSON', async () => {
    await expect(loadModel(join(root, 'nothing-here'))).rejects.toThrow(/\[DATA_NOT_FOUND\] no model directory at .*nothing-here: expected model.json and weights.bin/);
    const empty = join(root, 'empty');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(empty);
    await expect(loadModel(empty)).rejects.toThrow(/\[DATA_NOT_FOUND\] no model.json in/);

    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) })] });
    const broken = join(root, 'broken');
    await saveModel(model, broken);
    const weights = readFileSync(join(broken, 'weights.bin'));
    writeFileSync(join(broken, 'weights.bin'), weights.subarray(0, 12));
    await expect(loadModel(broken)).rejects.toThrow(/\[INVALID_ARTIFACT\] the weights of .* have 12 bytes; its manifest describes 32/);
    const json = JSON.parse(readFileSync(join(broken, 'model.json'), 'utf8')) as tf.io.ModelJSON;
    json.weightsManifest[0].paths = ['../resnet/weights.bin'];
    writeFileSync(join(broken, 'model.json'), JSON.stringify(json));
    await expect(loadModel(broken)).rejects.toThrow(/\[INVALID_ARTIFACT\] weights path '..\/resnet\/weights.bin' .* leaves the model directory/);
    writeFileSync(join(broken, 'model.json'), '{ not json');
    await expect(loadModel(broken)).rejects.toThrow(/\[INVALID_ARTIFACT\] .* is not valid JSON/);
    await expect(saveModel({} as tf.LayersModel, broken)).rejects.toThrow(/model must be a tfjs LayersModel/);
    model.dispose();
  });

  it('keeps Node built-ins out of the main entry (browser-safe)', () => {
    const source = new URL('../', import.meta.url);
    const files = (directory: URL): string[] =>
      readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? (entry.name === 'node' ? [] : files(new URL(`${entry.name}/`, directory))) : entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [new URL(entry.name, directory).pathname] : [],
      );
    const found = files(source);
    expect(found.length).toBeGreaterThan(3);
    for (const file of found) expect(readFileSync(file, 'utf8')).not.toMatch(/from '(node:|fs|path|os)/);
  });

  it('draws nothing from Math.random while building, training with dropout, replacing a head, saving and loading', async () => {
    const random = Math.random;
    let calls = 0;
    Math.random = () => {
      calls++;
      return random();
    };
    try {
      const model = resnetClassifier();
      await saveModel(model, join(root, 'no-random'));
      const loaded = await loadModel(join(root, 'no-random'));
      loaded.dispose();
      model.dispose();
      // LeNet with dropout: build, a training call (mask draw), a new head.
      const lenet = lenetBackbone.build(lenetBackbone.configSchema.parse({ dropout: 0.3 }), { inputShape: [16, 16, 1], seed: 2, namePrefix: '' });
      const x = tf.ones([2, 16, 16, 1]);
      tf.dispose(lenet.apply(x, { training: true }) as tf.Tensor);
      const withHead = withNewHead(tf.model({ inputs: lenet.inputs, outputs: tf.layers.dense({ units: 4, kernelInitializer: 'zeros' }).apply(lenet.outputs[0]) as tf.SymbolicTensor }), 3);
      withHead.dispose();
      lenet.dispose();
      x.dispose();
    } finally {
      Math.random = random;
    }
    expect(calls).toBe(0);
  });
});
