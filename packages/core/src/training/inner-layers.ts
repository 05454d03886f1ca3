import type * as tf from '@tensorflow/tfjs';

/** The layers of a model nested as a layer (a LayersModel or Sequential); undefined for a plain layer. @internal */
export function innerLayers(layer: tf.layers.Layer): tf.layers.Layer[] | undefined {
  return (layer as unknown as { layers?: tf.layers.Layer[] }).layers;
}
