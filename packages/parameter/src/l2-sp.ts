import * as tf from '@tensorflow/tfjs';
import { definePlugin, type TrainingHooks } from '@tlkit/core';
import * as z from 'zod';

const l2SpSchema = z
  .object({
    /** α: weight of the pull towards the starting point on the reused (backbone) weights. */
    alpha: z.number().min(0).default(0.1),
    /** β: weight of plain L2 decay on the new task head. */
    beta: z.number().min(0).default(0.01),
    /**
     * Which weights the penalty covers: `'all'` (kernels, biases, batch-normalisation scales and
     * offsets) or `'kernels'` (convolution and dense kernels only, the default of the authors' code).
     */
    parameters: z.enum(['all', 'kernels']).default('all'),
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
 * where w_S are the reused parameters and w_S⁰ their pre-trained values (the trainer's `pretrain`
 * or `initialModel`; without them, the backbone's initial weights), and w_S̄ the new task head's
 * weights. The reused parameters are every trainable weight of the backbone, and the task head
 * too when it starts from the pre-trained source head (`fineTune({ head: 'keep' })`): it is then
 * pulled towards the source head, not decayed towards 0. Frozen weights contribute nothing (they
 * stay at w_S⁰).
 *
 * Options (defaults): `alpha` (0.1), `beta` (0.01), `parameters` (`'all'`: kernels, biases and
 * batch-normalisation scales and offsets, as Transfer-Learning-Library's `SPRegularization`;
 * `'kernels'`: convolution and dense kernels only, the default of the authors' code). The paper
 * tunes α and β on validation data; these defaults are common starting values.
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
      let anchored: Anchor[] = [];
      let headWeights: tf.Variable[] = [];
      // The source head's weights as they were at setup (LwF may train the source head itself).
      let sourceHeadStart: tf.Tensor[] | undefined;
      // Whether the task head started from the source head: decided at the first step (after every
      // step's setup, so after fineTune's 'keep' copy), kept in the checkpoint for a resumed run.
      let headReused: boolean | undefined;
      let headAnchors: Anchor[] = [];
      const owned: tf.Tensor[] = [];
      const covered = (name: string) => options.parameters === 'all' || isKernel(name);

      const decideHead = (reused: boolean) => {
        headReused = reused;
        headAnchors = reused ? headWeights.map((variable, index) => ({ variable, start: sourceHeadStart![index] })) : [];
      };

      return {
        name: 'l2-sp',
        setup(context) {
          const snapshots = context.pretrained?.backboneWeights;
          const byName = new Map(snapshots?.map((snapshot) => [snapshot.name, snapshot.value]) ?? []);
          anchored = context.model.backbone.trainableWeights
            .filter((weight) => covered(weight.name))
            .map((weight) => {
              const variable = weight.read() as tf.Variable;
              let start = byName.get(weight.name);
              if (!start) {
                start = tf.keep(variable.clone());
                owned.push(start);
              }
              return { variable, start };
            });
          const head = context.model.head.trainableWeights.filter((weight) => covered(weight.name));
          headWeights = head.map((weight) => weight.read() as tf.Variable);
          const source = context.pretrained?.head?.weights.filter((weight) => covered(weight.name));
          if (source && source.length === head.length && source.every((weight, index) => sameShape(weight.shape, head[index].shape))) {
            sourceHeadStart = source.map((weight) => tf.keep(weight.read().clone()));
            owned.push(...sourceHeadStart);
          }
        },
        loss() {
          if (headReused === undefined) decideHead(sourceHeadStart !== undefined && headWeights.every((variable, index) => equalValues(variable, sourceHeadStart![index])));
          return tf.tidy(() => {
            const terms: tf.Scalar[] = [];
            if (options.alpha > 0) {
              for (const { variable, start } of [...anchored, ...headAnchors]) terms.push(tf.sum(tf.square(tf.sub(variable, start))));
            }
            const pull = terms.length > 0 ? tf.mul(tf.addN(terms), options.alpha / 2) : tf.scalar(0);
            const decay =
              options.beta > 0 && !headReused && headWeights.length > 0
                ? tf.mul(tf.addN(headWeights.map((variable) => tf.sum(tf.square(variable)))), options.beta / 2)
                : tf.scalar(0);
            return tf.add(pull, decay) as tf.Scalar;
          });
        },
        getState() {
          return headReused === undefined ? {} : { json: { headReused } };
        },
        setState(state) {
          const saved = (state.json as { headReused?: unknown } | undefined)?.headReused;
          if (typeof saved === 'boolean') decideHead(saved && sourceHeadStart !== undefined);
        },
        dispose() {
          tf.dispose(owned.splice(0));
        },
      };
    },
  }),
});

interface Anchor {
  readonly variable: tf.Variable;
  readonly start: tf.Tensor;
}

/** True for a convolution or dense kernel (tfjs names them `…/kernel`, `…/depthwise_kernel`, `…/pointwise_kernel`). */
function isKernel(weightName: string): boolean {
  return /kernel(_\d+)?$/.test(weightName);
}

function sameShape(a: readonly (number | null)[], b: readonly (number | null)[]): boolean {
  return a.length === b.length && a.every((size, index) => size === b[index]);
}

/** True when two tensors of one shape hold the same values (the kept head is a byte copy). */
function equalValues(a: tf.Tensor, b: tf.Tensor): boolean {
  if (!sameShape(a.shape, b.shape)) return false;
  const [left, right] = [a.dataSync(), b.dataSync()];
  for (let i = 0; i < left.length; i++) if (left[i] !== right[i]) return false;
  return true;
}

/** Creates an {@link l2SpPlugin} step. */
export function l2Sp(options?: L2SpOptions) {
  return l2SpPlugin.create(options);
}
