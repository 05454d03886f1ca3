/**
 * A pre-trained network the user brings (`trainer({ initialModel })`): its checks, and its copy
 * into the run (the source head made to output logits).
 */
import * as tf from '@tensorflow/tfjs';
import type { ProblemType } from '../data';
import { TlkitError } from '../errors';
import { innerLayers } from './inner-layers';

/**
 * A pre-trained network to start from, brought as tfjs models (from code, not from JSON configs):
 * `backbone` (inputs → rank-2 features, e.g. `cutAtLayer(model, 'flatten')` of `@tlkit/models`, or
 * both parts from its `splitAtLayer`) and
 * optionally the source task's `head` (features → class scores). Both are copied; the originals
 * are left as they are. The run works with logits: a head whose last layer ends in a softmax (a
 * Dense layer with `activation: 'softmax'`, or a final `Activation('softmax')` or `Softmax`
 * layer) is copied without that softmax (same weights, linear outputs), so LwF and multi-task
 * see logits; a classification head ending in another non-linear activation (sigmoid, relu,
 * tanh, ...) is rejected with `INVALID_CONFIG`, and so is a backbone that ends in a softmax (a
 * whole classifier instead of a feature extractor).
 */
export interface InitialModel {
  readonly backbone: tf.LayersModel;
  readonly head?: tf.LayersModel;
}

/** One layer (or nested model) in tfjs's JSON topology. */
interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
  name?: string;
}

/** Activation layers without an `activation` option, and the function each computes. */
const ACTIVATION_LAYERS: Readonly<Record<string, string>> = {
  Softmax: 'softmax',
  ReLU: 'relu',
  LeakyReLU: 'leakyReLU',
  PReLU: 'PReLU',
  ELU: 'elu',
  ThresholdedReLU: 'thresholdedReLU',
};

/**
 * Final activations whose outputs are logits as the loop uses them: linear, none, or a
 * log-softmax (logits minus a per-row constant, which every softmax and log-softmax of the loop
 * and its hooks ignore).
 */
const LOGIT_ACTIVATIONS = new Set(['linear', 'logSoftmax']);

/** The JSON of the layer that computes a model's first output, looking inside nested models. */
function outputLayerJson(model: LayerJson): LayerJson | undefined {
  const layers = model.config.layers as LayerJson[] | undefined;
  if (!Array.isArray(layers) || layers.length === 0) return undefined;
  let last: LayerJson | undefined;
  if (model.class_name === 'Sequential') {
    last = layers.at(-1);
  } else {
    const name = (model.config.output_layers as [string, number, number][] | undefined)?.[0]?.[0];
    last = layers.find((layer) => (layer.name ?? layer.config.name) === name);
  }
  return last && Array.isArray(last.config.layers) ? outputLayerJson(last) : last;
}

/** What a model's output layer applies last: its name, and the activation's name (undefined when it has none, e.g. Dropout). */
function finalActivationOf(topology: LayerJson): { layer: string; activation: string | undefined } | undefined {
  const layer = outputLayerJson(topology);
  if (!layer) return undefined;
  const named = ACTIVATION_LAYERS[layer.class_name];
  const activation = named ?? (typeof layer.config.activation === 'string' ? layer.config.activation : undefined);
  return { layer: String(layer.config.name ?? layer.name ?? layer.class_name), activation };
}

/** tfjs's JSON topology of a model (a fresh object: editing it leaves the model alone). */
function topologyOf(model: tf.LayersModel): LayerJson {
  return model.toJSON(null, false) as unknown as LayerJson;
}

/** The final activation of a model's first output (see {@link finalActivationOf}). @internal */
export function finalActivation(model: tf.LayersModel): { layer: string; activation: string | undefined } | undefined {
  return finalActivationOf(topologyOf(model));
}

/**
 * Rewrites a topology so that its output layer's softmax becomes linear: a Dense (or any layer
 * with an `activation` option) gets `activation: 'linear'`, a `Softmax` layer becomes a linear
 * `Activation` of the same name. The weights, their names and every other layer are unchanged,
 * so the copy computes the logits the softmax was applied to, exactly.
 */
function stripFinalSoftmax(topology: LayerJson): void {
  const layer = outputLayerJson(topology);
  if (!layer) return;
  if (layer.class_name === 'Softmax') {
    const { name, trainable, dtype } = layer.config;
    layer.class_name = 'Activation';
    layer.config = { name, trainable, ...(dtype !== undefined ? { dtype } : {}), activation: 'linear' };
  } else if (layer.config.activation === 'softmax') {
    layer.config.activation = 'linear';
  }
}

/**
 * A copy of a LayersModel (topology, weights and `trainable` flags), with fresh variables;
 * `editTopology` may change the copy's JSON topology first (layer configs, not weights). Weights
 * are matched by name, as tfjs does when it loads a saved model: `model.weights` lists trainable
 * weights first, so a frozen nested model puts its weights elsewhere in the list than in a fresh
 * copy, and matching by position would swap them. The `trainable` flags of models, the whole one
 * and nested ones, are not part of tfjs's JSON topology, so they are copied by walking both (a
 * base model frozen with `base.trainable = false` stays frozen). @internal
 */
export async function copyLayersModel(model: tf.LayersModel, editTopology?: (topology: LayerJson) => void): Promise<tf.LayersModel> {
  const topology = topologyOf(model);
  editTopology?.(topology);
  const copy = await tf.models.modelFromJSON({ modelTopology: topology as unknown as tf.io.ModelJSON['modelTopology'] });
  try {
    const values: tf.NamedTensorMap = {};
    for (const weight of model.weights) values[weight.originalName] = weight.read();
    // Strict: every weight of the copy must get a value of its own shape.
    copy.loadWeights(values, true);
    copyTrainableFlags(model, copy);
    // A model's setter changes its layers' weights' flags without changing the layers' own
    // (base.trainable = false, then one inner layer set trainable again): copy each weight's too.
    const copied = new Map(copy.weights.map((weight) => [weight.originalName, weight]));
    for (const weight of model.weights) copied.get(weight.originalName)!.trainable = weight.trainable;
  } catch (error) {
    copy.dispose();
    throw error;
  }
  return copy;
}

/** The layers' and models' own `trainable` flags, outer first. */
function copyTrainableFlags(from: tf.layers.Layer, to: tf.layers.Layer): void {
  to.trainable = from.trainable;
  const fromLayers = innerLayers(from);
  const toLayers = innerLayers(to);
  if (fromLayers && toLayers) fromLayers.forEach((layer, index) => copyTrainableFlags(layer, toLayers[index]));
}

const shapeText = (shape: readonly (number | null)[]) => `[${shape.join(', ')}]`;

/**
 * Checks a brought network against the task before anything is copied or trained:
 * `DIMENSION_MISMATCH` when the backbone does not take the task's samples, gives no single
 * rank-2 output, or the head does not take the backbone's features; `INVALID_CONFIG` when the
 * backbone ends in a softmax (a whole classifier) or a classification head ends in a non-linear
 * activation other than softmax. @internal
 */
export function checkInitialModel(
  initialModel: InitialModel,
  task: { readonly inputShape: readonly number[]; readonly imageShape?: readonly number[]; readonly problem: ProblemType },
): void {
  const { backbone, head } = initialModel;
  const expected = task.inputShape.join('x');
  const input = backbone.inputs.map((tensor) => tensor.shape.slice(1));
  if (backbone.inputs.length !== 1 || input[0].join('x') !== expected) {
    const given = input.map((shape) => `[${shape.join('x')}]`).join(', ');
    const rowLength = task.inputShape.reduce((a, b) => a * b, 1);
    const flatRows = task.imageShape !== undefined && input.length === 1 && input[0].length === 1 && input[0][0] === rowLength;
    throw new TlkitError(
      'DIMENSION_MISMATCH',
      flatRows
        ? `initialModel.backbone takes flat rows [${rowLength}], but the task's samples are images [${expected}]: give the task no shape (leave out the domains' shape, or meta.json "shape"), so the samples stay flat rows of ${rowLength} values, or give the model a Reshape/Flatten input that takes [${expected}].`
        : `initialModel.backbone takes ${given}; the task's samples are [${expected}]. Give a backbone with one input of the samples' shape (or bring the data to the model's input shape).`,
      { argument: 'initialModel.backbone', expected: [...task.inputShape], actual: input },
    );
  }
  const outputs = backbone.outputs.map((tensor) => tensor.shape);
  if (outputs.length !== 1 || outputs[0].length !== 2) {
    throw new TlkitError(
      'DIMENSION_MISMATCH',
      `initialModel.backbone gives ${outputs.map(shapeText).join(', ')}; the trainer needs one rank-2 feature output (batch × features): cut the model at a flatten or pooling layer (cutAtLayer of @tlkit/models).`,
      { argument: 'initialModel.backbone' },
    );
  }
  const backboneEnd = finalActivation(backbone);
  if (backboneEnd?.activation === 'softmax') {
    throw new TlkitError(
      'INVALID_CONFIG',
      `initialModel.backbone ends in a softmax (layer '${backboneEnd.layer}'): it gives class probabilities, not features. Cut it at a feature layer (cutAtLayer(model, '<layer below the classifier>') of @tlkit/models), or pass the classifier part as initialModel.head.`,
      { argument: 'initialModel.backbone', layer: backboneEnd.layer },
    );
  }
  if (!head) return;
  const featureDim = outputs[0][1];
  const headInput = head.inputs[0].shape;
  if (head.inputs.length !== 1 || headInput.length !== 2 || headInput[1] !== featureDim || head.outputs[0].shape.length !== 2) {
    throw new TlkitError(
      'DIMENSION_MISMATCH',
      `initialModel.head takes [${headInput.slice(1).join(', ')}]; the backbone gives ${featureDim} features. Give the head that sat on this backbone.`,
      { argument: 'initialModel.head' },
    );
  }
  const headEnd = finalActivation(head);
  const activation = headEnd?.activation;
  if (task.problem === 'classification' && headEnd && activation !== undefined && activation !== 'softmax' && !LOGIT_ACTIVATIONS.has(activation)) {
    throw new TlkitError(
      'INVALID_CONFIG',
      `initialModel.head ends in a '${activation}' activation (layer '${headEnd.layer}'), but the trainer needs the source head's class scores as logits (a linear output, or a softmax, which it removes): give a head whose last layer is linear or softmax.`,
      { argument: 'initialModel.head', layer: headEnd.layer, activation },
    );
  }
}

/**
 * Copies a brought network for a run (after {@link checkInitialModel}): the backbone as it is,
 * the head without a final softmax, so it outputs logits. The caller owns the copies. @internal
 */
export async function copyInitialModel(initialModel: InitialModel): Promise<{ backbone: tf.LayersModel; head?: tf.LayersModel }> {
  const backbone = await copyLayersModel(initialModel.backbone);
  if (!initialModel.head) return { backbone };
  try {
    return { backbone, head: await copyLayersModel(initialModel.head, stripFinalSoftmax) };
  } catch (error) {
    backbone.dispose();
    throw error;
  }
}
