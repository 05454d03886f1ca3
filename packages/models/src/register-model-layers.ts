import * as tf from '@tensorflow/tfjs';
import { SeededDropout } from './internal/seeded-dropout';

/** tlkit's custom layer classes, which a saved model can name in its topology. */
const modelLayerClasses = [SeededDropout] as const;

/**
 * Registers tlkit's custom layer classes (the seeded dropout of `lenet`, class name
 * `TlkitSeededDropout`) with tfjs's deserialiser, so that `tf.loadLayersModel` and
 * `tf.models.modelFromJSON` can rebuild a model that contains them.
 *
 * tlkit's own paths call it for you: building a `lenet` with `dropout` > 0, {@link cloneModel},
 * and `loadModel` / `fileSystemIO` in `@tlkit/models/node`. Call it yourself only before loading a
 * saved model with tfjs's own handlers (`indexeddb://`, `https://`, …), as importing
 * `@tlkit/models` registers nothing (the package has no import-time side effects).
 *
 * Idempotent: a class already registered is left as it is, so calling it again is harmless.
 * Takes no parameters and returns nothing.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { registerModelLayers } from '@tlkit/models';
 *
 * registerModelLayers();
 * const model = await tf.loadLayersModel('indexeddb://lenet-dropout');
 * ```
 */
export function registerModelLayers(): void {
  const registered = tf.serialization.SerializationMap.getMap().classNameMap;
  for (const layerClass of modelLayerClasses) {
    if (registered[layerClass.className]?.[0] !== layerClass) tf.serialization.registerClass(layerClass);
  }
}
