/**
 * A pre-trained network the user brings (`trainer({ initialModel })`): its checks, and its copy
 * into the run (the source head made to output logits).
 */
import * as tf from '@tensorflow/tfjs';
import type { ProblemType } from '../data';
import { TlkitError } from '../errors';
import { copyPart } from './network-parts';

/**
 * A pre-trained network to start from, brought as tfjs models (from code, not from JSON configs):
 * `backbone` (inputs → rank-2 features, e.g. `cutAtLayer(model, 'flatten')` of `@tlkit/models`, or
 * both parts from its `splitAtLayer`) and
 * optionally the source task's `head` (features → class scores). Both are copied; the originals
 * are left as they are. The run works with logits: a head that ends in a softmax (a Dense layer
 * with `activation: 'softmax'`, or an `Activation('softmax')` or `Softmax` layer, as its last
 * layer or followed only by layers that are the identity at inference: Dropout,
 * SpatialDropout1D, GaussianNoise, GaussianDropout, AlphaDropout, a linear Activation) is copied
 * without that softmax (same weights, linear outputs), so LwF and multi-task see logits. Rejected
 * with `INVALID_CONFIG`: a classification head whose output is a softmax's probabilities
 * reshaped (Reshape, Flatten, Permute after the softmax), since they are not logits and the
 * softmax cannot be removed from inside the model (a softmax whose probabilities a later layer
 * computes with, such as a gate or a Dense giving linear scores, is part of the head); a
 * classification head ending in another non-linear activation (sigmoid, relu, tanh, ...); a
 * backbone that ends in a softmax (a whole classifier instead of a feature extractor).
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

/**
 * Layer classes that compute the identity at inference, where the run reads the source head (the
 * copy's outputs, LwF's recorded answers): dropout and noise layers. An `Activation` layer with
 * a linear activation is one too (see {@link isIdentityAtInference}).
 */
const IDENTITY_AT_INFERENCE: ReadonlySet<string> = new Set(['Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout']);

/** The identity-at-inference layers as the messages list them. */
const IDENTITY_AT_INFERENCE_TEXT = 'Dropout, SpatialDropout1D, GaussianNoise, GaussianDropout, AlphaDropout, a linear Activation';

function isIdentityAtInference(layer: LayerJson): boolean {
  return IDENTITY_AT_INFERENCE.has(layer.class_name) || (layer.class_name === 'Activation' && (layer.config.activation ?? 'linear') === 'linear');
}

/** A nested model (Sequential or functional) inside a topology. */
const isModelJson = (layer: LayerJson) => Array.isArray(layer.config.layers);

/** A layer's name in messages. */
const nameOf = (layer: LayerJson) => String(layer.config.name ?? layer.name ?? layer.class_name);

/** A layer's key in its model's `layers` and in the `inbound_nodes` of the layers after it. */
const keyOf = (layer: LayerJson) => String(layer.name ?? layer.config.name);

/** Whether a layer applies a softmax (a `Softmax` layer, or an `activation: 'softmax'` option). */
const isSoftmax = (layer: LayerJson) => layer.class_name === 'Softmax' || layer.config.activation === 'softmax';

type NodeRef = [string, number, number, ...unknown[]];

/**
 * The layers that compute a model's first output, from the output back: nested models are
 * entered (their layers from their output back, then on before them); a functional model is
 * followed through each layer's single input. The walk ends at the model's input, or after a
 * layer with several inputs. Yields the topology's own objects (editing them edits the topology).
 */
function* layersFromOutput(model: LayerJson): Generator<LayerJson> {
  const layers = model.config.layers as LayerJson[] | undefined;
  if (!Array.isArray(layers)) return;
  if (model.class_name === 'Sequential') {
    for (let index = layers.length - 1; index >= 0; index--) {
      const layer = layers[index];
      if (layer.class_name === 'InputLayer') return;
      if (isModelJson(layer)) yield* layersFromOutput(layer);
      else yield layer;
    }
    return;
  }
  const byKey = new Map(layers.map((layer) => [keyOf(layer), layer]));
  let at = (model.config.output_layers as NodeRef[] | undefined)?.[0];
  while (at) {
    const layer = byKey.get(at[0]);
    if (!layer || layer.class_name === 'InputLayer') return;
    if (isModelJson(layer)) yield* layersFromOutput(layer);
    else yield layer;
    const node = (layer as { inbound_nodes?: NodeRef[][] }).inbound_nodes?.[at[1]];
    if (!node || node.length !== 1) return;
    at = node[0];
  }
}

/** Layer classes that only rearrange their input's values (the output is the same numbers). */
const SHAPE_ONLY: ReadonlySet<string> = new Set(['Reshape', 'Flatten', 'Permute', 'RepeatVector']);

/**
 * A softmax whose probabilities reach the model's first output only through layers that rearrange
 * or pass them on (Reshape, Flatten, Permute, RepeatVector, and the identity-at-inference layers),
 * behind at least one rearranging layer: the output then is probabilities, and the softmax could
 * not be removed without removing it from the middle of the model. Undefined otherwise: a softmax
 * at the end is removed, and one whose probabilities a layer computes with (a Dense, a Multiply
 * gate) leaves an output that is that layer's, such as linear class scores.
 */
function reshapedSoftmax(model: LayerJson): { softmax: LayerJson; end: LayerJson } | undefined {
  let end: LayerJson | undefined;
  for (const layer of layersFromOutput(model)) {
    if (isIdentityAtInference(layer)) continue;
    if (end === undefined) {
      end = layer;
      if (!SHAPE_ONLY.has(layer.class_name)) return undefined;
      continue;
    }
    if (isSoftmax(layer)) return { softmax: layer, end };
    if (!SHAPE_ONLY.has(layer.class_name)) return undefined;
  }
  return undefined;
}

/**
 * The layer whose result a model's first output is at inference: walking back from the output
 * past layers that compute the identity there (Dropout, noise layers, a linear Activation), the
 * first other layer; undefined when the walk reaches the input.
 */
function outputEnd(topology: LayerJson): LayerJson | undefined {
  for (const layer of layersFromOutput(topology)) if (!isIdentityAtInference(layer)) return layer;
  return undefined;
}

/**
 * What a model's output applies last at inference (see {@link outputEnd}): that layer's name, and
 * its activation's name (undefined when it has none, e.g. Flatten or Reshape).
 */
function finalActivationOf(topology: LayerJson): { layer: string; activation: string | undefined } | undefined {
  const layer = outputEnd(topology);
  if (!layer) return undefined;
  const named = ACTIVATION_LAYERS[layer.class_name];
  const activation = named ?? (typeof layer.config.activation === 'string' ? layer.config.activation : undefined);
  return { layer: nameOf(layer), activation };
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
 * Rewrites a topology so that the softmax its output ends in at inference (see {@link outputEnd}:
 * the last layer, or the last before dropout and noise layers and linear Activations) becomes
 * linear: a Dense (or any layer with an `activation` option) gets `activation: 'linear'`, a
 * `Softmax` layer becomes a linear `Activation` of the same name. The weights, their names and
 * every other layer are unchanged, so the copy computes the logits the softmax was applied to,
 * exactly (followed by the same dropout and noise in training).
 */
function stripFinalSoftmax(topology: LayerJson): void {
  const layer = outputEnd(topology);
  if (!layer || !isSoftmax(layer)) return;
  if (layer.class_name === 'Softmax') {
    const { name, trainable, dtype } = layer.config;
    layer.class_name = 'Activation';
    layer.config = { name, trainable, ...(dtype !== undefined ? { dtype } : {}), activation: 'linear' };
  } else {
    layer.config.activation = 'linear';
  }
}

const shapeText = (shape: readonly (number | null)[]) => `[${shape.join(', ')}]`;

/**
 * Checks a brought network against the task before anything is copied or trained:
 * `DIMENSION_MISMATCH` when the backbone does not take the task's samples, gives no single
 * rank-2 output, or the head does not take the backbone's features; `INVALID_CONFIG` when the
 * backbone ends in a softmax (a whole classifier), a classification head feeds a softmax's
 * probabilities to layers other than identity-at-inference ones, or ends in a non-linear
 * activation other than softmax. "Ends in" looks past the identity-at-inference layers at the
 * output. @internal
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
  if (task.problem === 'classification') {
    // Probabilities that only change shape before the output are still probabilities; the
    // softmax sits inside the model and cannot be removed.
    const reshaped = reshapedSoftmax(topologyOf(head));
    if (reshaped) {
      const fed = nameOf(reshaped.softmax);
      throw new TlkitError(
        'INVALID_CONFIG',
        `initialModel.head applies a softmax in layer '${fed}' and its output is those probabilities reshaped (layer '${nameOf(reshaped.end)}', ${reshaped.end.class_name}), but the trainer needs the source head's class scores as logits, and removes a softmax only when nothing but layers that do nothing at inference (${IDENTITY_AT_INFERENCE_TEXT}) follow it: give a head whose softmax comes last (such layers may follow it), or one that ends in linear class scores.`,
        { argument: 'initialModel.head', layer: fed },
      );
    }
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
  const backbone = await copyPart(initialModel.backbone, 'initialModel.backbone');
  if (!initialModel.head) return { backbone };
  try {
    const editTopology = (topology: Record<string, unknown>) => stripFinalSoftmax(topology as unknown as LayerJson);
    return { backbone, head: await copyPart(initialModel.head, 'initialModel.head', { editTopology }) };
  } catch (error) {
    backbone.dispose();
    throw error;
  }
}
