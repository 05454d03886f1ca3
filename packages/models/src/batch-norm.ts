import * as tf from '@tensorflow/tfjs';
import { didYouMean, TlkitError } from '@tlkit/core';

/** Options of {@link freezeBatchNorm} and {@link unfreezeBatchNorm}. */
export interface BatchNormSelection {
  /**
   * Names of the BatchNormalization layers to change, as an array even for one layer
   * (`['bn1']`); default: every one, nested models included.
   */
  readonly layers?: readonly string[];
}

type LayerCall = (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];

interface FrozenState {
  readonly trainable: boolean;
}

const frozen = new WeakMap<tf.layers.Layer, FrozenState>();

function batchNormLayers(model: tf.LayersModel): tf.layers.Layer[] {
  const found: tf.layers.Layer[] = [];
  const visit = (container: tf.LayersModel) => {
    for (const layer of container.layers) {
      if (layer instanceof tf.LayersModel) visit(layer);
      else if (layer.getClassName() === 'BatchNormalization') found.push(layer);
    }
  };
  visit(model);
  return found;
}

function select(model: tf.LayersModel, selection: BatchNormSelection): tf.layers.Layer[] {
  if (!(model instanceof tf.LayersModel)) {
    throw new TlkitError('INVALID_ARGUMENT', 'model must be a tfjs LayersModel.', { argument: 'model' });
  }
  if (selection.layers !== undefined && (!Array.isArray(selection.layers) || selection.layers.some((name) => typeof name !== 'string'))) {
    const given = typeof selection.layers === 'string' ? `the string ${JSON.stringify(selection.layers)}` : JSON.stringify(selection.layers);
    throw new TlkitError('INVALID_ARGUMENT', `options.layers must be an array of layer names, e.g. { layers: ['bn1'] } for one layer; got ${given}.`, {
      argument: 'options.layers',
    });
  }
  const all = batchNormLayers(model);
  if (selection.layers === undefined) return all;
  const byName = new Map(all.map((layer) => [layer.name, layer]));
  return selection.layers.map((name) => {
    const layer = byName.get(name);
    if (!layer) {
      throw new TlkitError(
        'INVALID_ARGUMENT',
        `options.layers names '${name}', which is not a BatchNormalization layer of model '${model.name}'.${didYouMean(name, [...byName.keys()])} Known: ${[...byName.keys()].join(', ') || '(none)'}.`,
        { argument: 'options.layers', known: [...byName.keys()] },
      );
    }
    return layer;
  });
}

/**
 * Freezes batch-normalisation layers for fine-tuning: they normalise with their moving statistics
 * even in training mode, stop updating them, and their γ, β leave the trainable weights. This is
 * what Keras does for a BN layer with `trainable = false` since TF 2 and what fine-tuning recipes
 * with small target batches need (Ioffe & Szegedy, ICML 2015, §3.1: inference uses the population
 * statistics). tfjs's own `layer.trainable = false` on a BN layer only stops γ, β: in training mode
 * it still normalises with the batch statistics and still updates the moving averages.
 *
 * The change lives in memory (a saved model stores plain BN layers). Returns the names of the
 * layers frozen. Undo with {@link unfreezeBatchNorm}.
 *
 * @param model any LayersModel (BN layers inside nested models are included).
 * @param options `layers`: an array of the names to freeze (default all).
 * @throws TlkitError `INVALID_ARGUMENT` when `layers` is not an array of strings, or naming the BN
 *   layers when a name is not one of them.
 *
 * @example
 * ```ts
 * freezeBatchNorm(resnet);                                   // every BN layer
 * freezeBatchNorm(resnet, { layers: ['backbone_bn1'] });     // only the stem's
 * ```
 */
export function freezeBatchNorm(model: tf.LayersModel, options: BatchNormSelection = {}): string[] {
  const layers = select(model, options);
  for (const layer of layers) {
    if (frozen.has(layer)) continue;
    frozen.set(layer, { trainable: layer.trainable });
    const inference: LayerCall = (inputs, kwargs) => (Object.getPrototypeOf(layer) as { call: LayerCall }).call.call(layer, inputs, { ...kwargs, training: false });
    Object.defineProperty(layer, 'call', { value: inference, configurable: true, writable: true });
    layer.trainable = false;
  }
  return layers.map((layer) => layer.name);
}

/**
 * Undoes {@link freezeBatchNorm}: the layers use batch statistics in training mode again, update
 * their moving averages, and get back the trainable flag they had. Returns the names of the layers
 * unfrozen (layers that were not frozen are left as they are).
 */
export function unfreezeBatchNorm(model: tf.LayersModel, options: BatchNormSelection = {}): string[] {
  const layers = select(model, options);
  const changed: string[] = [];
  for (const layer of layers) {
    const state = frozen.get(layer);
    if (!state) continue;
    delete (layer as unknown as { call?: LayerCall }).call;
    layer.trainable = state.trainable;
    frozen.delete(layer);
    changed.push(layer.name);
  }
  return changed;
}
