import * as tf from '@tensorflow/tfjs';
import { assertSeed, deriveSeed, TlkitError } from '@tlkit/core';
import { layerOutput, shareLayers } from './internal/graph';
import { requireLayersModel, requireOneOf } from './internal/validate';
import { registerModelLayers } from './register-model-layers';

/** Activations {@link withNewHead} accepts in `options.activation`. */
const HEAD_ACTIVATIONS = ['inherit', 'linear', 'softmax'] as const;

/** Output modes {@link cutAtLayer} accepts in `options.output`. */
const CUT_OUTPUTS = ['as-is', 'flatten', 'global-average'] as const;

/** Options of {@link withNewHead}. */
export interface NewHeadOptions {
  /** Seed of the new classifier's Glorot-uniform kernel, an integer (default 0). */
  readonly seed?: number;
  /** Name of the new classifier layer (default `'classifier'`). */
  readonly name?: string;
  /**
   * Activation of the new classifier: `'inherit'` (default) keeps the old classifier's when it is
   * a classifier's — `'linear'` logits stay logits, `'softmax'` stays softmax, a one-unit
   * `'sigmoid'` stays sigmoid for `numClasses` 1 — and throws `INVALID_ARGUMENT` for any other
   * (relu, tanh, …, sigmoid with several classes); or set `'linear'` / `'softmax'`.
   */
  readonly activation?: 'inherit' | 'linear' | 'softmax';
}

/** Options of {@link cutAtLayer}. */
export interface CutOptions {
  /**
   * What the extractor outputs: `'as-is'` (default) the layer's output; `'flatten'` a rank-2
   * `batch × features` tensor; `'global-average'` the spatial mean of a `b × h × w × c` output
   * (rank 2, `c` features). Core's trainer needs a rank-2 backbone output.
   */
  readonly output?: 'as-is' | 'flatten' | 'global-average';
  /** Name of the returned model (default `'<model name>_cut_<layer name>'`). */
  readonly name?: string;
}

/** One row of {@link listLayers}. */
export interface LayerSummary {
  readonly name: string;
  /** tfjs class, e.g. `'Conv2D'`, `'Dense'`, `'BatchNormalization'`. */
  readonly className: string;
  /**
   * The output shape per sample, readable in `console.table`: `'16×16×8'` (height × width ×
   * channels; the batch dimension left out, `?` for a size only known at run time, `'scalar'` for
   * one number per sample, shapes joined by `', '` for multi-output layers).
   */
  readonly shape: string;
  /** Output shape with `null` for the batch dimension (a list of shapes for multi-output layers). */
  readonly outputShape: (number | null)[] | (number | null)[][];
  /** Number of weights, trainable and not (BN moving statistics count), as `layer.countParams()`. */
  readonly params: number;
  readonly trainable: boolean;
}

/**
 * Replaces a classifier's final Dense layer with a new one for `numClasses` classes — the first
 * step of fine-tuning a pre-trained network on a new label space (Yosinski et al., "How transferable
 * are features in deep neural networks?", NeurIPS 2014). The new layer takes the same input as the
 * old one; its kernel is Glorot-uniform with seed `deriveSeed(seed, 'head')`, its bias zero, its
 * activation the old one's unless `activation` says otherwise. Only a classifier's activation is
 * inherited (softmax, linear, and sigmoid for one class): a last layer with relu, tanh, … is a
 * feature layer, not a classifier, and gets an error asking for `activation` (or for a cut).
 *
 * **Weights are shared, not copied**: every layer but the classifier is the same object in the
 * returned model and in `model`, so training one changes the other (what LwF wants: one backbone,
 * the old head and the new one). To keep the original intact, copy it first and keep the copy:
 * `const copy = await cloneModel(model); const mine = withNewHead(copy, 20)`. The shared layers
 * are reference-counted: dispose each model when done with it (`mine` and `copy`), in any order;
 * the shared weights are freed with the last one. (`withNewHead(await cloneModel(model), 20)`
 * leaves no handle on the copy, whose weights then stay allocated.)
 *
 * @param model a LayersModel with one output produced by a Dense layer.
 * @param numClasses units of the new classifier (a positive integer).
 * @param options `seed` (an integer, default 0), `name` ('classifier'), `activation` ('inherit',
 *   or 'linear' / 'softmax').
 * @throws TlkitError `INVALID_ARGUMENT` when the last layer is not Dense (cut the model with
 *   {@link cutAtLayer} and add your own head), when `numClasses` is not a positive integer, when
 *   `seed` is not an integer, when `activation` is not one of the three above, when it is
 *   `'inherit'` and the old activation is no classifier's (see `NewHeadOptions.activation`), or
 *   when `name` is taken by another layer.
 *
 * @example
 * ```ts
 * const pretrained = await loadModel('models/lenet-mnist');
 * const copy = await cloneModel(pretrained);
 * const model = withNewHead(copy, 20, { seed: 1 });
 * // A binary sigmoid classifier → 5 classes: say which activation the new one gets.
 * const fiveWay = withNewHead(binary, 5, { activation: 'softmax' }); // shares binary's layers
 * // ... later: model.dispose(); copy.dispose(); fiveWay.dispose(); binary.dispose();
 * ```
 */
export function withNewHead(model: tf.LayersModel, numClasses: number, options: NewHeadOptions = {}): tf.LayersModel {
  requireLayersModel(model);
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new TlkitError('INVALID_ARGUMENT', `numClasses must be a positive integer; got ${numClasses}.`, { argument: 'numClasses' });
  }
  if (options.seed !== undefined) assertSeed(options.seed, 'options.seed');
  requireOneOf(options.activation, HEAD_ACTIVATIONS, 'options.activation');
  const output = model.outputs[0];
  const classifier = output.sourceLayer;
  if (classifier.getClassName() !== 'Dense' || output.inputs.length !== 1) {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `the last layer of model '${model.name}' is '${classifier.name}' (${classifier.getClassName()}), not a Dense classifier. Cut the model before its head with cutAtLayer(model, '<layer name>') and add your own head (layers: ${model.layers.map((layer) => layer.name).join(', ')}).`,
      { argument: 'model', layer: classifier.name },
    );
  }
  const name = options.name ?? 'classifier';
  if (model.layers.some((layer) => layer.name === name && layer !== classifier)) {
    throw new TlkitError('INVALID_ARGUMENT', `model '${model.name}' already has a layer named '${name}'; pass another options.name.`, { argument: 'options.name' });
  }
  const oldConfig = classifier.getConfig();
  const activation =
    options.activation === undefined || options.activation === 'inherit' ? inheritedActivation(model, classifier, numClasses) : options.activation;
  const head = tf.layers.dense({
    units: numClasses,
    activation,
    useBias: oldConfig['useBias'] !== false,
    kernelInitializer: tf.initializers.glorotUniform({ seed: deriveSeed(options.seed ?? 0, 'head') }),
    biasInitializer: 'zeros',
    name,
  });
  const logits = head.apply(output.inputs[0]) as tf.SymbolicTensor;
  const derived = tf.model({ inputs: model.inputs, outputs: logits, name: model.name });
  shareLayers(model, derived);
  return derived;
}

/**
 * The old classifier's activation for `activation: 'inherit'`: `'softmax'` and `'linear'` as they
 * are, `'sigmoid'` for one class. Anything else (relu, tanh, …, or sigmoid for several classes)
 * means the last Dense layer is no classifier of this kind — typically a feature layer left at the
 * top by a cut — so this throws `INVALID_ARGUMENT` asking for an explicit activation.
 */
function inheritedActivation(model: tf.LayersModel, classifier: tf.layers.Layer, numClasses: number): 'linear' | 'softmax' | 'sigmoid' {
  const old = String(classifier.getConfig()['activation'] ?? 'linear');
  if (old === 'linear' || old === 'softmax' || (old === 'sigmoid' && numClasses === 1)) return old;
  const units = classifier.getConfig()['units'];
  const why =
    old === 'sigmoid'
      ? ` (independent yes/no outputs); with 'inherit' (the default) the new ${numClasses}-class classifier would give sigmoid outputs, which do not sum to 1`
      : `, which is no classifier's activation; with 'inherit' (the default) the new ${numClasses}-class classifier would be a ${old} layer too`;
  throw new TlkitError(
    'INVALID_ARGUMENT',
    `the last layer of model '${model.name}', '${classifier.name}' (Dense, ${String(units)} units), has activation '${old}'${why}. Pass options.activation explicitly: 'softmax' for probabilities or 'linear' for logits. If '${classifier.name}' is a feature layer rather than the old classifier, you probably want to keep it: cut the model there (cutAtLayer(model, '${classifier.name}')) and put the new classifier on top, e.g. trainer({ initialModel: { backbone } }) of @tlkit/core adds one.`,
    { argument: 'options.activation', layer: classifier.name, activation: old },
  );
}

/**
 * Cuts `model` after the layer `layerName`: the returned LayersModel maps the model's inputs to
 * that layer's output (optionally flattened or globally average-pooled), as a feature extractor
 * for transfer (shallow layers for low-level tasks, deeper ones for high-level tasks; Yosinski et
 * al., NeurIPS 2014). Layers and weights are shared with `model` and reference-counted, as in
 * {@link withNewHead}: dispose both models, in any order.
 *
 * @param model any single-input LayersModel.
 * @param layerName a name from {@link listLayers}.
 * @param options `output` ('as-is' | 'flatten' | 'global-average'), `name`.
 * @throws TlkitError `INVALID_ARGUMENT` naming the known layers when `layerName` is not one of
 *   them, when `output` is not one of the three modes, or when `'global-average'` meets an output
 *   that is not `b × h × w × c`.
 *
 * @example
 * ```ts
 * const features = cutAtLayer(resnet, 'stage3_block2_out', { output: 'global-average' });
 * ```
 */
export function cutAtLayer(model: tf.LayersModel, layerName: string, options: CutOptions = {}): tf.LayersModel {
  requireLayersModel(model);
  requireOneOf(options.output, CUT_OUTPUTS, 'options.output');
  const { output } = layerOutput(model, layerName);
  return extractorAt(model, layerName, output, options);
}

/**
 * The model `model.inputs` → `output` (the output of layer `layerName` in `model`), flattened or
 * globally averaged as `options.output` says, sharing `model`'s layers (reference-counted). The
 * body of {@link cutAtLayer}, which checks the arguments. @internal
 */
export function extractorAt(model: tf.LayersModel, layerName: string, output: tf.SymbolicTensor, options: CutOptions): tf.LayersModel {
  const mode = options.output ?? 'as-is';
  const suffix = `${model.name}_cut_${layerName}`;
  if (mode === 'flatten' && output.shape.length > 2) {
    if (output.shape.slice(1).some((dimension) => dimension === null)) {
      throw new TlkitError(
        'INVALID_ARGUMENT',
        `options.output 'flatten' needs a fully known output shape; layer '${layerName}' outputs [${output.shape.join(', ')}] (null sizes are only known at run time). Give the model a fixed input shape, or use 'global-average'.`,
        { argument: 'options.output' },
      );
    }
    output = tf.layers.flatten({ name: `${suffix}_flatten` }).apply(output) as tf.SymbolicTensor;
  } else if (mode === 'global-average') {
    if (output.shape.length !== 4) {
      throw new TlkitError(
        'INVALID_ARGUMENT',
        `options.output 'global-average' needs a b × h × w × c output; layer '${layerName}' outputs [${output.shape.join(', ')}]. Use 'flatten' or 'as-is'.`,
        { argument: 'options.output' },
      );
    }
    output = tf.layers.globalAveragePooling2d({ name: `${suffix}_avgpool` }).apply(output) as tf.SymbolicTensor;
  }
  const derived = tf.model({ inputs: model.inputs, outputs: output, name: options.name ?? suffix });
  shareLayers(model, derived);
  return derived;
}

/**
 * The layers of `model` in topological order, with class, output shape (as `outputShape`, tfjs's
 * array with `null` for the batch, and as the string `shape`, e.g. `'16×16×8'`), weight count and
 * trainable flag — the table to pick the layers to reuse, freeze or cut at.
 *
 * @param model any LayersModel.
 * @throws TlkitError `INVALID_ARGUMENT` when `model` is not a LayersModel.
 *
 * @example
 * ```ts
 * console.table(listLayers(model)); // name, className, shape ('16×16×6'), outputShape, params, trainable
 * ```
 */
export function listLayers(model: tf.LayersModel): LayerSummary[] {
  if (!(model instanceof tf.LayersModel)) {
    throw new TlkitError('INVALID_ARGUMENT', 'model must be a tfjs LayersModel.', { argument: 'model' });
  }
  return model.layers.map((layer) => ({
    name: layer.name,
    className: layer.getClassName(),
    shape: shapeText(layer.outputShape as (number | null)[] | (number | null)[][]),
    outputShape: layer.outputShape as (number | null)[] | (number | null)[][],
    params: layer.countParams(),
    trainable: layer.trainable,
  }));
}

/** `[null, 16, 16, 8]` → `'16×16×8'`; a list of shapes → their texts joined by `', '`. */
function shapeText(shape: (number | null)[] | (number | null)[][]): string {
  if (shape.some((dimension) => Array.isArray(dimension))) return (shape as (number | null)[][]).map(shapeText).join(', ');
  const perSample = (shape as (number | null)[]).slice(1);
  return perSample.length === 0 ? 'scalar' : perSample.map((dimension) => (dimension === null ? '?' : String(dimension))).join('×');
}

/**
 * A deep copy of `model`: the same architecture (layer names, configs, trainable flags) and a copy
 * of every weight, trainable or not (BN moving statistics included). Use it before
 * {@link withNewHead} or {@link cutAtLayer} to keep the original's weights untouched. It rebuilds
 * the architecture through tfjs's deserialiser, registering tlkit's layer classes first
 * ({@link registerModelLayers}), so a dropout LeNet clones with no set-up.
 *
 * @example
 * ```ts
 * const copy = await cloneModel(pretrained);
 * ```
 */
export async function cloneModel(model: tf.LayersModel): Promise<tf.LayersModel> {
  if (!(model instanceof tf.LayersModel)) {
    throw new TlkitError('INVALID_ARGUMENT', 'model must be a tfjs LayersModel.', { argument: 'model' });
  }
  registerModelLayers();
  const topology = model.toJSON(null, false) as unknown as tf.io.ModelJSON['modelTopology'];
  const copy = await tf.models.modelFromJSON({ modelTopology: topology });
  const weights = model.getWeights();
  copy.setWeights(weights);
  return copy;
}
