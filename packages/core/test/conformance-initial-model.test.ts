/**
 * The conformance suite on the trainer started from the user's own network (`initialModel`): it
 * saves and loads the pipeline (byom review finding 4), so the network's topology must travel in
 * the saved state.
 */
import * as tf from '@tensorflow/tfjs';
import { trainerPlugin } from '../src/index';
import { describeStrategyConformance } from '../src/testing/index';

/** A user's dense backbone on the harness's 6 features: 6 → 8 (relu) → BN → dropout → 5. */
function ownDenseBackbone(): tf.LayersModel {
  const input = tf.input({ shape: [6], name: 'own_input' });
  let x = tf.layers.dense({ units: 8, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }), name: 'own_fc1' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'own_bn' }).apply(x) as tf.SymbolicTensor;
  // Seeded: tfjs's dropout draws from Math.random otherwise, and the suite checks reruns are identical.
  x = tf.layers.dropout({ rate: 0.2, seed: 4, name: 'own_drop' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 5, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }), name: 'own_fc2' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x, name: 'own_backbone' });
}

/** A source head 5 → 3 (the harness has three classes). */
function ownHead(): tf.LayersModel {
  const input = tf.input({ shape: [5], name: 'own_head_input' });
  return tf.model({ inputs: input, outputs: tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }), name: 'own_out' }).apply(input) as tf.SymbolicTensor });
}

// Built once for the whole file; the trainer copies them on every fit and never changes them.
describeStrategyConformance({
  plugin: trainerPlugin,
  options: { initialModel: { backbone: ownDenseBackbone() }, epochs: 2, batchSize: 16 },
  invalidOptions: [{ options: { initialModel: { backbone: 'my-model' } }, field: 'initialModel' }],
});
describeStrategyConformance({
  plugin: trainerPlugin,
  options: { initialModel: { backbone: ownDenseBackbone(), head: ownHead() }, epochs: 2, batchSize: 16 },
  problems: ['classification'],
});
