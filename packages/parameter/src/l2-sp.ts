import * as tf from '@tensorflow/tfjs';
import { definePlugin, type TrainingHooks } from '@tlkit/core';
import { z } from 'zod';

const l2SpSchema = z
  .object({
    /** α: weight of the pull towards the starting point on the reused (backbone) weights. */
    alpha: z.number().min(0).default(0.1),
    /** β: weight of plain L2 decay on the new task head. */
    beta: z.number().min(0).default(0.01),
  })
  .strict();

/** Options of {@link l2Sp}. */
export type L2SpOptions = z.input<typeof l2SpSchema>;

/**
 * L2-SP: weight decay towards the starting point. Li, Grandvalet & Davoine, "Explicit Inductive
 * Bias for Transfer Learning with Convolutional Networks", ICML 2018. The penalty added to the
 * (batch-mean) task loss is
 *
 *   Ω(w) = α/2 · ‖w_S − w_S⁰‖² + β/2 · ‖w_S̄‖²,
 *
 * where w_S are the reused parameters (every trainable weight of the backbone: kernels, biases,
 * batch-normalisation scales and offsets) and w_S⁰ their pre-trained values (the trainer's
 * `pretrain`; without it, the backbone's initial weights), and w_S̄ the new task head's weights
 * (kernel and bias). Frozen weights contribute nothing (they stay at w_S⁰).
 *
 * Options (defaults): `alpha` (0.1), `beta` (0.01). The paper tunes α and β on validation data;
 * these defaults are common starting values.
 *
 * @example
 * ```ts
 * const fitted = await compose(l2Sp({ alpha: 0.1, beta: 0.01 }), trainer({ backbone: { use: 'lenet' }, pretrain: { epochs: 5 } }))
 *   .fit(task, { trainOn: 'target' });
 * ```
 */
export const l2SpPlugin = definePlugin({
  name: 'l2-sp',
  kind: 'parameter',
  role: 'training',
  description: 'L2-SP: L2 penalty towards the pre-trained weights on the reused layers, plain L2 on the new head.',
  needs: { problems: ['classification', 'regression'], targetLabels: 'never', acceptsSampleWeights: false },
  configSchema: l2SpSchema,
  reference: 'Li, Grandvalet & Davoine, Explicit Inductive Bias for Transfer Learning with Convolutional Networks, ICML 2018',
  create: (options) => ({
    doCreateHooks(): TrainingHooks {
      let anchored: { variable: tf.Variable; start: tf.Tensor }[] = [];
      let headWeights: tf.Variable[] = [];
      const owned: tf.Tensor[] = [];
      return {
        name: 'l2-sp',
        setup(context) {
          const snapshots = context.pretrained?.backboneWeights;
          const byName = new Map(snapshots?.map((snapshot) => [snapshot.name, snapshot.value]) ?? []);
          anchored = context.model.backbone.trainableWeights.map((weight) => {
            const variable = weight.read() as tf.Variable;
            let start = byName.get(weight.name);
            if (!start) {
              start = tf.keep(variable.clone());
              owned.push(start);
            }
            return { variable, start };
          });
          headWeights = context.model.head.trainableWeights.map((weight) => weight.read() as tf.Variable);
        },
        loss() {
          return tf.tidy(() => {
            const terms: tf.Scalar[] = [];
            if (options.alpha > 0) {
              for (const { variable, start } of anchored) terms.push(tf.sum(tf.square(tf.sub(variable, start))));
            }
            const pull = terms.length > 0 ? tf.mul(tf.addN(terms), options.alpha / 2) : tf.scalar(0);
            const decay =
              options.beta > 0 && headWeights.length > 0
                ? tf.mul(tf.addN(headWeights.map((variable) => tf.sum(tf.square(variable)))), options.beta / 2)
                : tf.scalar(0);
            return tf.add(pull, decay) as tf.Scalar;
          });
        },
        dispose() {
          tf.dispose(owned.splice(0));
        },
      };
    },
  }),
});

/** Creates an {@link l2SpPlugin} step. */
export function l2Sp(options?: L2SpOptions) {
  return l2SpPlugin.create(options);
}
