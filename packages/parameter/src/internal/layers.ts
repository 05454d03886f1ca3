import type * as tf from '@tensorflow/tfjs';
import { didYouMean, TlkitError } from '@tlkit/core';

/** A layer of a model that holds weights, with the model path it sits in. @internal */
export interface WeightedLayer {
  readonly name: string;
  readonly layer: tf.layers.Layer;
  /** True for batch-normalisation layers. */
  readonly batchNorm: boolean;
}

function isModel(layer: tf.layers.Layer): layer is tf.LayersModel {
  return Array.isArray((layer as unknown as { layers?: unknown }).layers);
}

/**
 * The layers of `model` that hold weights, in the model's (topological) order, nested models
 * flattened: the bottom layer first, the top layer last. @internal
 */
export function weightedLayers(model: tf.LayersModel): WeightedLayer[] {
  const out: WeightedLayer[] = [];
  const visit = (layer: tf.layers.Layer) => {
    if (isModel(layer)) {
      for (const inner of layer.layers) visit(inner);
      return;
    }
    if (layer.weights.length === 0) return;
    out.push({ name: layer.name, layer, batchNorm: layer.getClassName() === 'BatchNormalization' });
  };
  for (const layer of model.layers) visit(layer);
  return out;
}

/**
 * Resolves layer patterns against the backbone's weighted layers: an exact layer name, or a
 * prefix ending in `*` (`backbone_block4*`). Every pattern must match at least one layer.
 * @internal
 */
export function matchLayers(patterns: readonly string[], layers: readonly WeightedLayer[], option: string): Set<string> {
  const names = new Set<string>();
  for (const pattern of patterns) {
    const prefix = pattern.endsWith('*') ? pattern.slice(0, -1) : null;
    const matched = layers.filter((entry) => (prefix !== null ? entry.name.startsWith(prefix) : entry.name === pattern));
    if (matched.length === 0) {
      throw new TlkitError(
        'INVALID_CONFIG',
        `${option}: no backbone layer with weights is named '${pattern}'.${prefix === null ? didYouMean(pattern, layers.map((entry) => entry.name)) : ''} The backbone's layers with weights, bottom to top: ${layers.map((entry) => entry.name).join(', ')} (use a name, or a prefix ending in '*').`,
        { argument: option, known: layers.map((entry) => entry.name) },
      );
    }
    for (const entry of matched) names.add(entry.name);
  }
  return names;
}

/** The top `count` weighted layers' names. @internal */
export function topLayers(count: number, layers: readonly WeightedLayer[], option: string): Set<string> {
  if (count > layers.length) {
    throw new TlkitError(
      'INVALID_CONFIG',
      `${option}: ${count} top layers asked for, but the backbone has ${layers.length} layers with weights (${layers.map((entry) => entry.name).join(', ')}).`,
      { argument: option },
    );
  }
  return new Set(layers.slice(layers.length - count).map((entry) => entry.name));
}

/** The names of every layer with weights in `model` (for telling the task head's layers apart). @internal */
export function layerNamesOf(model: tf.LayersModel): Set<string> {
  return new Set(weightedLayers(model).map((entry) => entry.name));
}

/**
 * Runs a batch-normalisation layer in inference mode (moving statistics used, not updated), also
 * in training-mode passes. Returns a function that undoes the patch. @internal
 */
export function patchBatchNorm(layer: tf.layers.Layer): () => void {
  const target = layer as unknown as { call: (inputs: unknown, kwargs: Record<string, unknown>) => unknown };
  const original = target.call;
  target.call = function patched(this: unknown, inputs: unknown, kwargs: Record<string, unknown>) {
    return original.call(layer, inputs, { ...(kwargs ?? {}), training: false });
  };
  return () => {
    target.call = original;
  };
}
