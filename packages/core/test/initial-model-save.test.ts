/**
 * Saving and loading a pipeline fitted from the user's own network (`trainer({ initialModel })`,
 * byom review finding 4): the saved state carries the network's topology, so loading rebuilds it
 * without a registry name and predicts bit for bit as before.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { TlkitError } from '../src/errors';
import { loadPipelineFromDirectory, savePipeline } from '../src/node/pipeline-files';
import { compose, type FittedPipeline, loadPipeline, type PipelineManifest } from '../src/pipeline';
import { definePlugin } from '../src/plugin';
import { strategyToConfig } from '../src/registry';
import { unpackArtifacts } from '../src/artifacts';
import { networkHeads, predictWithHead, trainer } from '../src/training/trainer';
import { fitOwnModel, imageTask, ownBackbone } from './own-model';

const root = mkdtempSync(join(tmpdir(), 'tlkit-byom-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Everything a fitted pipeline predicts on `X`, as plain arrays (probabilities as float64 bits). */
function outputs(fitted: FittedPipeline, X: number[][]) {
  const classification = fitted.problem === 'classification';
  return {
    predict: Array.from(fitted.predict(X)),
    proba: classification ? Array.from(fitted.predictProba(X).data) : [],
    source: networkHeads(fitted).includes('source') ? Array.from(predictWithHead(fitted, X, 'source')) : [],
  };
}

/** Every weight of every part of the pipeline's network, by part, as float32 values. */
function networkWeights(fitted: FittedPipeline): number[][] {
  const model = (fitted.fittedEstimator as unknown as { model: { backbone: tf.LayersModel; head: tf.LayersModel; extraHeads: Map<string, tf.LayersModel> } }).model;
  const parts = [model.backbone, model.head, ...[...model.extraHeads.values()]];
  return parts.flatMap((part) => part.weights.map((weight) => Array.from(weight.read().dataSync())));
}

describe('saving a pipeline fitted from initialModel (byom finding 4)', () => {
  it.each([
    ['with a head', true],
    ['without a head', false],
  ])('%s: saveBytes → loadPipeline predicts, gives probabilities and source-head predictions bit for bit; no leaks', async (_name, withHead) => {
    const before = tf.memory().numTensors;
    const { fitted, X } = await fitOwnModel({ head: withHead });
    const expected = outputs(fitted, X);
    const weights = networkWeights(fitted);
    expect(networkHeads(fitted)).toEqual(withHead ? ['task', 'source'] : ['task']);
    const bytes = await fitted.saveBytes();
    fitted.dispose();
    expect(tf.memory().numTensors).toBe(before);

    // The options hold a JSON marker where the tfjs models were; the network is in the state.
    const { manifest } = unpackArtifacts<PipelineManifest>(bytes);
    expect(manifest.steps[0].config.initialModel).toEqual({ $tlkit: 'initial-model', head: withHead });
    const state = manifest.steps[0].state?.json as { backbone: unknown; parts: Record<string, { topology: { class_name: string } }> };
    expect(state.backbone).toBeNull();
    expect(Object.keys(state.parts).sort()).toEqual(withHead ? ['backbone', 'head', 'heads/source'] : ['backbone', 'head']);
    expect(JSON.stringify(state.parts.backbone.topology)).toMatch(/"my_conv".*"my_bn".*"my_drop".*"my_fc"/);

    const restored = await loadPipeline(bytes);
    try {
      expect(networkWeights(restored)).toEqual(weights);
      expect(outputs(restored, X)).toEqual(expected);
      expect(networkHeads(restored)).toEqual(withHead ? ['task', 'source'] : ['task']);
      // Predicting on the restored pipeline allocates nothing that outlives the call.
      const during = tf.memory().numTensors;
      outputs(restored, X);
      expect(tf.memory().numTensors).toBe(during);
    } finally {
      restored.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('regression: saveBytes → loadPipeline predicts the same values', async () => {
    const before = tf.memory().numTensors;
    const { fitted, X } = await fitOwnModel({ head: false, problem: 'regression' });
    const expected = Array.from(fitted.predict(X));
    const bytes = await fitted.saveBytes();
    fitted.dispose();
    const restored = await loadPipeline(bytes);
    expect(Array.from(restored.predict(X))).toEqual(expected);
    restored.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('savePipeline to a folder → loadPipelineFromDirectory gives the same outputs; a loaded pipeline saves again', async () => {
    const before = tf.memory().numTensors;
    const { fitted, X } = await fitOwnModel({ head: true });
    const expected = outputs(fitted, X);
    const directory = join(root, 'own-model');
    await savePipeline(fitted, directory);
    fitted.dispose();
    const manifest = JSON.parse(readFileSync(join(directory, 'pipeline.json'), 'utf8')) as PipelineManifest;
    expect(manifest.steps[0].config).toMatchObject({ use: 'trainer', initialModel: { $tlkit: 'initial-model', head: true } });

    const restored = await loadPipelineFromDirectory(directory);
    expect(outputs(restored, X)).toEqual(expected);
    // The loaded pipeline (marker in its options, network in its state) saves and loads again.
    const again = await loadPipeline(await restored.saveBytes());
    expect(outputs(again, X)).toEqual(expected);
    restored.dispose();
    again.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('trainable flags survive: a frozen nested base model stays frozen after save → load, its weights unchanged', async () => {
    const before = tf.memory().numTensors;
    const base = ownBackbone(7);
    base.trainable = false;
    const input = tf.input({ shape: [6, 6, 1], name: 'outer_input' });
    const features = tf.layers.dense({ units: 5, name: 'outer_fc', kernelInitializer: tf.initializers.glorotUniform({ seed: 9 }) }).apply(base.apply(input) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const backbone = tf.model({ inputs: input, outputs: features, name: 'outer' });
    const baseBefore = base.weights.map((weight) => Array.from(weight.read().dataSync()));
    const task = imageTask(3);
    const fitted = await compose(trainer({ initialModel: { backbone }, epochs: 2, batchSize: 16 })).fit(task, { seed: 2 });
    backbone.dispose();
    const X = task.target.X as number[][];
    const expected = outputs(fitted, X);
    const restored = await loadPipeline(await fitted.saveBytes());
    fitted.dispose();
    const restoredBackbone = (restored.fittedEstimator as unknown as { model: { backbone: tf.LayersModel } }).model.backbone;
    const restoredBase = restoredBackbone.getLayer('my_backbone') as tf.LayersModel;
    expect(restoredBase.trainable).toBe(false);
    expect(restoredBackbone.getLayer('outer_fc').trainable).toBe(true);
    // The frozen base kept its pre-trained weights through training, save and load.
    expect(restoredBase.weights.map((weight) => Array.from(weight.read().dataSync()))).toEqual(baseBefore);
    expect(outputs(restored, X)).toEqual(expected);
    restored.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("a loaded trainer's marker cannot be fitted again: INVALID_CONFIG naming initialModel and the fix", async () => {
    const { fitted } = await fitOwnModel({ head: false });
    const bytes = await fitted.saveBytes();
    fitted.dispose();
    const before = tf.memory().numTensors;
    const restored = await loadPipeline(bytes);
    const failure = await compose(...restored.steps)
      .fit(imageTask(4), { seed: 1 })
      .catch((error: unknown) => error);
    restored.dispose();
    expect(failure).toBeInstanceOf(TlkitError);
    expect((failure as TlkitError).code).toBe('INVALID_CONFIG');
    expect((failure as TlkitError).details.argument).toBe('initialModel');
    expect((failure as TlkitError).message).toMatch(/initialModel: \{ backbone, head\? \}/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a layer class not registered with tfjs at load time: UNKNOWN_PLUGIN naming the class and how to register it, nothing leaked', async () => {
    class TestScale extends tf.layers.Layer {
      static readonly className = 'TlkitTestScale';
      override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
        return tf.mul(Array.isArray(inputs) ? inputs[0] : inputs, 2);
      }
    }
    tf.serialization.registerClass(TestScale);
    const input = tf.input({ shape: [6, 6, 1] });
    const scaled = new TestScale({ name: 'my_scale' }).apply(input) as tf.SymbolicTensor;
    const flat = tf.layers.flatten().apply(scaled) as tf.SymbolicTensor;
    const backbone = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 4, name: 'my_dense' }).apply(flat) as tf.SymbolicTensor });
    const fitted = await compose(trainer({ initialModel: { backbone }, epochs: 1, batchSize: 16 })).fit(imageTask(3), { seed: 1 });
    backbone.dispose();
    const X = imageTask(3).target.X as number[][];
    const expected = Array.from(fitted.predictProba(X).data);
    const bytes = await fitted.saveBytes();
    fitted.dispose();

    // A fresh process that never registered the class.
    const classes = tf.serialization.SerializationMap.getMap().classNameMap;
    const registration = classes[TestScale.className];
    delete classes[TestScale.className];
    const before = tf.memory().numTensors;
    try {
      const failure = await loadPipeline(bytes).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(TlkitError);
      expect((failure as TlkitError).code).toBe('UNKNOWN_PLUGIN');
      expect((failure as TlkitError).message).toMatch(/the layer class 'TlkitTestScale', which is not registered with tfjs/);
      expect((failure as TlkitError).message).toMatch(/tf\.serialization\.registerClass\(TlkitTestScale\)/);
      expect((failure as TlkitError).message).toMatch(/registerModelLayers\(\) from @tlkit\/models/);
      expect((failure as TlkitError).details.className).toBe('TlkitTestScale');
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      classes[TestScale.className] = registration;
    }
    // Registered again: it loads and predicts as before.
    const restored = await loadPipeline(bytes);
    expect(Array.from(restored.predictProba(X).data)).toEqual(expected);
    restored.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a damaged saved network (a weight array missing) gives INVALID_ARTIFACT and frees what was rebuilt', async () => {
    const { fitted } = await fitOwnModel({ head: true });
    const saved = await fitted.save();
    fitted.dispose();
    const state = saved.manifest.steps[0].state!;
    const arrays = { ...state.arrays };
    delete arrays['heads/source/1'];
    const damaged = {
      manifest: { ...saved.manifest, steps: [{ ...saved.manifest.steps[0], state: { ...state, arrays } }] },
      data: saved.data,
    };
    const before = tf.memory().numTensors;
    const failure = await loadPipeline(damaged).catch((error: unknown) => error);
    expect((failure as TlkitError).code).toBe('INVALID_ARTIFACT');
    expect((failure as TlkitError).message).toMatch(/saved weights 'heads\/source\/1' \(my_\w+\/\w+\) are missing; the artifact is damaged/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("the registry's non-JSON guard still protects every other option", () => {
    const plugin = definePlugin({
      name: 'test-non-json-option',
      kind: 'base',
      role: 'estimator',
      description: 'test: an option that holds a Map',
      needs: { problems: ['classification'], targetLabels: 'never', acceptsSampleWeights: false },
      configSchema: z.object({ table: z.custom<Map<string, number>>((value) => value instanceof Map) }).strict(),
      create: () => ({
        async doFit() {
          throw new Error('not fitted in this test');
        },
        async doRestore() {
          throw new Error('not restored in this test');
        },
      }),
    });
    expect(() => strategyToConfig(plugin.create({ table: new Map() }))).toThrow(/option test-non-json-option\.table holds a non-JSON object/);
    // The trainer's initialModel is the one option with a JSON stand-in.
    const backbone = ownBackbone();
    expect(strategyToConfig(trainer({ initialModel: { backbone } })).initialModel).toEqual({ $tlkit: 'initial-model', head: false });
    backbone.dispose();
  });
});
