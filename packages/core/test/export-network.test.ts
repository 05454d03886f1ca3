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
import { CLASSES, IMAGE, fitOwnModel, imageTask, ownBackbone } from './own-model';
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

/** A layer whose weight tfjs names without its layer's name (created in the constructor, outside build): `unscoped_scale`. */
class UnscopedScale extends tf.layers.Layer {
  static readonly className = 'TlkitTestUnscopedScale';
  private readonly scale: tf.LayerVariable;
  constructor(config: { name: string; trainable?: boolean }) {
    super(config);
    this.scale = this.addWeight('unscoped_scale', [1], 'float32', tf.initializers.ones());
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.mul(Array.isArray(inputs) ? inputs[0] : inputs, this.scale.read()));
  }
}
tf.serialization.registerClass(UnscopedScale);

/**
 * What tfjs needs to load a saved model: no two weights share a name. And the names are the
 * layers': every weight of a layer (at any depth) is named `<that layer's name>/...`.
 */
function expectLoadableWeightNames(model: tf.LayersModel): void {
  const names = model.weights.map((weight) => weight.originalName);
  expect(new Set(names).size).toBe(names.length);
  const visit = (layer: tf.layers.Layer) => {
    const inner = (layer as unknown as { layers?: tf.layers.Layer[] }).layers;
    if (inner) inner.forEach(visit);
    else for (const weight of layer.weights) expect(weight.originalName.startsWith(`${layer.name}/`), `${weight.originalName} of ${layer.name}`).toBe(true);
  };
  model.layers.forEach(visit);
}

/** `model.save` and `tf.loadLayersModel` (what saveModel / loadModel of @tlkit/models/node do), through model.json text as a file holds it. */
async function saveAndLoad(model: tf.LayersModel): Promise<tf.LayersModel> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const json = JSON.parse(JSON.stringify({ modelTopology: saved!.modelTopology, weightSpecs: saved!.weightSpecs }));
  return tf.loadLayersModel(tf.io.fromMemory({ ...json, weightData: saved!.weightData }));
}

/** Class probabilities from the fitted pipeline's own network (backbone, then the head), through a float64 softmax. */
function referenceProbabilities(fitted: Awaited<ReturnType<typeof fitOwnModel>>['fitted'], X: number[][], head: 'task' | 'source'): number[] {
  const network = (fitted.fittedEstimator as unknown as { model: { backbone: tf.LayersModel; head: tf.LayersModel; extraHeads: Map<string, tf.LayersModel> } }).model;
  const headModel = head === 'task' ? network.head : network.extraHeads.get(head)!;
  const logits = tf.tidy(() => headModel.apply(network.backbone.apply(tf.tensor4d(X.flat(), [X.length, ...IMAGE]))) as tf.Tensor);
  const values = Array.from(logits.dataSync());
  logits.dispose();
  return softmaxRows(values, CLASSES);
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

  it('dispose() while an export is in flight: the export finishes with the same model, then the pipeline frees its weights (determinism review finding 6)', async () => {
    const before = tf.memory().numTensors;
    const { fitted, X } = await fitOwnModel({ head: true });
    const expected = Array.from(fitted.predictProba(X).data);
    const exporting = exportNetwork(fitted);
    fitted.dispose(); // before the export's awaits are done
    const model = await exporting;
    expect(modelOutputs(model, X)).toEqual(expected);
    expect(() => fitted.predictProba(X)).toThrow(/disposed/);
    model.dispose();
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

  it("a backbone layer named like the task head's dense (diff review s17 finding 5): the head's layer gets a free name, its weights follow, and the model saves and loads with equal predictions", async () => {
    const before = tf.memory().numTensors;
    const backbone = ownBackbone(1, { fc: 'head_dense' });
    const task = imageTask(3);
    const X = task.target.X as number[][];
    const fitted = await compose(trainer({ initialModel: { backbone }, epochs: 1, batchSize: 16 })).fit(task, { seed: 1 });
    backbone.dispose();
    const model = await exportNetwork(fitted);
    expect(model.layers.map((layer) => layer.name)).toEqual(['my_input', 'my_conv', 'my_bn', 'my_relu', 'my_flat', 'my_drop', 'head_dense', 'head', 'probabilities']);
    expect((model.getLayer('head') as tf.LayersModel).layers.map((layer) => layer.name)).toEqual(['head_input', 'head_dense_1']);
    expectLoadableWeightNames(model);
    expect(model.weights.map((weight) => weight.originalName).filter((name) => name.startsWith('head_dense'))).toEqual([
      'head_dense/kernel',
      'head_dense/bias',
      'head_dense_1/kernel',
      'head_dense_1/bias',
    ]);

    // Independent reference: the pipeline's own network, through a float64 softmax.
    const reference = referenceProbabilities(fitted, X, 'task');
    const expected = Array.from(fitted.predictProba(X).data);
    expect(modelOutputs(model, X)).toEqual(expected);
    const loaded = await saveAndLoad(model);
    model.dispose();
    fitted.dispose();
    expect(loaded.weights.map((weight) => weight.originalName)).toEqual(expect.arrayContaining(['head_dense/kernel', 'head_dense_1/kernel']));
    const probabilities = modelOutputs(loaded, X);
    expect(probabilities).toEqual(expected);
    probabilities.forEach((value, index) => expect(Math.abs(value - reference[index])).toBeLessThan(1e-6));
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("a backbone and a head from two separate model files, both with tfjs's automatic names (one nested in the backbone): 'source' exports, saves and loads with equal predictions", async () => {
    const before = tf.memory().numTensors;
    // What two models saved by separate processes hold: the same automatic names in each.
    const input = tf.input({ shape: IMAGE, name: 'input1' });
    const base = tf.sequential({
      name: 'sequential1',
      layers: [
        tf.layers.flatten({ inputShape: IMAGE, name: 'flatten_Flatten1' }),
        tf.layers.dense({ units: 10, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 11 }), name: 'dense_Dense1' }),
      ],
    });
    const features = tf.layers
      .dense({ units: 8, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 12 }), name: 'dense_Dense2' })
      .apply(base.apply(input)) as tf.SymbolicTensor;
    const backbone = tf.model({ inputs: input, outputs: features, name: 'model1' });
    const headInput = tf.input({ shape: [8], name: 'input1' });
    const hidden = tf.layers.dense({ units: 6, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 13 }), name: 'dense_Dense1' }).apply(headInput);
    const logits = tf.layers.dense({ units: CLASSES, kernelInitializer: tf.initializers.glorotUniform({ seed: 14 }), name: 'dense_Dense2' }).apply(hidden) as tf.SymbolicTensor;
    const head = tf.model({ inputs: headInput, outputs: logits, name: 'model1' });
    const task = imageTask(3);
    const X = task.target.X as number[][];
    const fitted = await compose(trainer({ initialModel: { backbone, head }, epochs: 1, batchSize: 16 })).fit(task, { seed: 1 });
    backbone.dispose();
    head.dispose();

    const model = await exportNetwork(fitted, { head: 'source' });
    expectLoadableWeightNames(model);
    const exportedHead = model.layers.at(-2) as tf.LayersModel;
    expect(exportedHead.layers.map((layer) => layer.name)).toEqual(['input1_1', 'dense_Dense1_1', 'dense_Dense2_1']);
    const reference = referenceProbabilities(fitted, X, 'source');
    const expected = modelOutputs(model, X);
    expected.forEach((value, index) => expect(Math.abs(value - reference[index])).toBeLessThan(1e-6));
    const loaded = await saveAndLoad(model);
    model.dispose();
    expect(modelOutputs(loaded, X)).toEqual(expected);
    loaded.dispose();
    fitted.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("weights whose names do not follow their layers' (created outside build), the same in backbone and head: INVALID_ARGUMENT naming the weight, nothing leaked", async () => {
    const task = imageTask(3);
    const input = tf.input({ shape: IMAGE, name: 'my_input' });
    const flat = tf.layers.flatten({ name: 'my_flat' }).apply(input);
    const features = new UnscopedScale({ name: 'my_scale' }).apply(tf.layers.dense({ units: 8, name: 'my_fc' }).apply(flat)) as tf.SymbolicTensor;
    const backbone = tf.model({ inputs: input, outputs: features });
    const headInput = tf.input({ shape: [8], name: 'my_head_input' });
    const logits = tf.layers.dense({ units: CLASSES, name: 'my_out' }).apply(new UnscopedScale({ name: 'my_head_scale' }).apply(headInput)) as tf.SymbolicTensor;
    const head = tf.model({ inputs: headInput, outputs: logits });
    expect(backbone.weights.map((weight) => weight.originalName)).toContain('unscoped_scale');
    expect(head.weights.map((weight) => weight.originalName)).toContain('unscoped_scale');
    const fitted = await compose(trainer({ initialModel: { backbone, head }, epochs: 1, batchSize: 16 })).fit(task, { seed: 1 });
    backbone.dispose();
    head.dispose();
    const before = tf.memory().numTensors;
    const failure = await exportNetwork(fitted, { head: 'source' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TlkitError);
    expect((failure as TlkitError).code).toBe('INVALID_ARGUMENT');
    expect((failure as TlkitError).details).toEqual({ argument: 'fitted', weight: 'unscoped_scale' });
    expect((failure as TlkitError).message).toMatch(/backbone and its 'source' head both have a weight named 'unscoped_scale'.*Give those weights distinct names/);
    expect(tf.memory().numTensors).toBe(before);
    // The task head (built by the trainer) has no such weight: it exports, saves and loads.
    const model = await exportNetwork(fitted);
    const X = task.target.X as number[][];
    const loaded = await saveAndLoad(model);
    expect(modelOutputs(loaded, X)).toEqual(modelOutputs(model, X));
    loaded.dispose();
    model.dispose();
    fitted.dispose();
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
