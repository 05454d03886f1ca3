import type * as tf from '@tensorflow/tfjs';
import { didYouMean, TlkitError } from '@tlkit/core';

/** One application of a layer in a tfjs graph (tfjs's `Node`, not exported by @tensorflow/tfjs). @internal */
export interface GraphNode {
  readonly outboundLayer: tf.layers.Layer;
  readonly inboundLayers: tf.layers.Layer[];
  readonly inputTensors: tf.SymbolicTensor[];
  readonly outputTensors: tf.SymbolicTensor[];
  readonly callArgs?: Record<string, unknown>;
}

/**
 * The applications of layers that make up `model`: the nodes on the way from its outputs back to
 * its inputs, as tfjs's Container finds them (a layer shared with other models has nodes outside
 * it). Walking from the outputs also covers a `tf.Sequential` not yet built. @internal
 */
export function modelNodes(model: tf.LayersModel): Set<GraphNode> {
  const nodes = new Set<GraphNode>();
  const pending = [...model.outputs];
  for (let tensor = pending.pop(); tensor; tensor = pending.pop()) {
    const node = producerOf(tensor);
    if (nodes.has(node)) continue;
    nodes.add(node);
    // An input layer's node lists its own output as its input.
    if (node.inboundLayers.length > 0) pending.push(...node.inputTensors);
  }
  return nodes;
}

/** The node that computed `tensor`. @internal */
export function producerOf(tensor: tf.SymbolicTensor): GraphNode {
  return (tensor.sourceLayer as unknown as { inboundNodes: GraphNode[] }).inboundNodes[tensor.nodeIndex];
}

/**
 * The output of the layer named `layerName` in `model`: the one application of that layer that
 * belongs to `model` — tfjs's `layer.output` fails as soon as the layer has been applied anywhere
 * else too (e.g. in a head made by `splitAtLayer`). Throws `INVALID_ARGUMENT` (argument
 * `layerName`) listing the known layers when the name is unknown, and when the layer is applied
 * more than once in `model` or has more than one output. @internal
 */
export function layerOutput(model: tf.LayersModel, layerName: string): { layer: tf.layers.Layer; output: tf.SymbolicTensor } {
  const layer = model.layers.find((candidate) => candidate.name === layerName);
  const known = model.layers.map((candidate) => candidate.name);
  if (!layer) {
    throw new TlkitError('INVALID_ARGUMENT', `model '${model.name}' has no layer named '${layerName}'.${didYouMean(layerName, known)} Known layers: ${known.join(', ')}.`, {
      argument: 'layerName',
      known,
    });
  }
  const nodes = modelNodes(model);
  const own = (layer as unknown as { inboundNodes: GraphNode[] }).inboundNodes.filter((node) => nodes.has(node));
  if (own.length !== 1) {
    throw new TlkitError('INVALID_ARGUMENT', `layer '${layerName}' is applied more than once in the graph, so its output is ambiguous; cut at a layer applied once.`, {
      argument: 'layerName',
    });
  }
  const outputs = own[0].outputTensors;
  if (outputs.length !== 1) {
    throw new TlkitError('INVALID_ARGUMENT', `layer '${layerName}' has ${outputs.length} outputs; cut at a single-output layer.`, { argument: 'layerName' });
  }
  return { layer, output: outputs[0] };
}

/**
 * Counts one more owner for each layer `derived` shares with `source`. tfjs disposes a layer's
 * weights when its reference count (one per symbolic application) reaches 0; a model derived from
 * another by graph surgery reuses the layers without applying them again, so without this the
 * first of the two models disposed would free the other's weights. With it, each model can be
 * disposed on its own and the shared weights go with the last one. @internal
 */
export function shareLayers(source: tf.LayersModel, derived: tf.LayersModel): void {
  const owned = new Set(source.layers);
  for (const layer of derived.layers) {
    const counted = layer as unknown as { _refCount: number | null };
    if (owned.has(layer) && typeof counted._refCount === 'number') counted._refCount++;
  }
}

/** A layer's reference count (see {@link shareLayers}); `null` before its first application. @internal */
export function refCountOf(layer: tf.layers.Layer): number | null {
  return (layer as unknown as { _refCount: number | null })._refCount;
}

/** Sets a layer's reference count (see {@link shareLayers}). @internal */
export function setRefCount(layer: tf.layers.Layer, count: number): void {
  (layer as unknown as { _refCount: number | null })._refCount = count;
}
