import * as tf from '@tensorflow/tfjs';
import { definePlugin, TlkitError, type TrainingHooks, type TrainingProgress } from '@tlkit/core';
import * as z from 'zod';
import { layerNamesOf } from './internal/layers';

const lwfSchema = z
  .object({
    /** λ_o: weight of the old-task (distillation) loss. */
    lambda: z.number().min(0).default(1),
    /** T: the distillation temperature (T > 1 softens the recorded responses). */
    temperature: z.number().positive().default(2),
    /**
     * Warm-up epochs: the backbone and the old head stay frozen while the new head trains alone
     * (the paper's warm-up step), then everything trains jointly. Must be below the trainer's
     * `epochs` (`INVALID_CONFIG` before training otherwise: the joint phase would never run).
     */
    warmUpEpochs: z.number().int().min(0).default(0),
  })
  .strict();

/** Options of {@link lwf}. */
export type LwfOptions = z.input<typeof lwfSchema>;

const RESPONSE_CHUNK = 512;

/** LwF needs the old model, and responses recorded on the images the batches show. */
function checkOldModel(hasOldHead: boolean, augmented: boolean): void {
  if (!hasOldHead) {
    throw new TlkitError(
      'INVALID_CONFIG',
      'lwf needs the old model (backbone and old head): give the trainer a pretrain option (e.g. "pretrain": { "epochs": 5 }), or initialModel with a head, so the run starts from a network trained on the source task.',
      { argument: 'pretrain' },
    );
  }
  if (augmented) {
    throw new TlkitError(
      'INVALID_CONFIG',
      "lwf records the old model's responses on the training images once, before training, but the trainer's augment warps every batch, so the recorded responses would not belong to the images they are compared with; remove the trainer's augment (pretrain.augment is fine).",
      { argument: 'augment' },
    );
  }
}

/**
 * The old-task loss of Learning without Forgetting for one batch: the mean over samples of the
 * cross-entropy between the temperature-softened recorded responses y'_o and the current ones ŷ'_o,
 *
 *   L_old = −(1/b) Σᵢ Σⱼ y'_o(i, j) · log ŷ'_o(i, j),  y'_o(i, ·) = softmax(z_o(i, ·) / T),
 *
 * where z_o are the old model's logits recorded before training and ŷ'_o = softmax(ẑ_o / T) with
 * the current logits ẑ_o of the old head. (Li & Hoiem raise the probabilities to the power 1/T and
 * renormalise, which is the same as dividing the logits by T.) No T² factor: the paper's form.
 * @internal
 */
export function lwfDistillationLoss(recordedLogits: tf.Tensor2D, currentLogits: tf.Tensor2D, temperature: number): tf.Scalar {
  return tf.tidy(() => {
    const targets = tf.softmax(tf.div(recordedLogits, temperature));
    const logProbabilities = tf.logSoftmax(tf.div(currentLogits, temperature));
    return tf.div(tf.neg(tf.sum(tf.mul(targets, logProbabilities))), recordedLogits.shape[0]) as tf.Scalar;
  });
}

/**
 * Learning without Forgetting (LwF). Li & Hoiem, "Learning without Forgetting", ECCV 2016 /
 * IEEE TPAMI 40(12), 2017. Before training, the old model (the pre-trained backbone and the
 * source task's head, from the trainer's `pretrain`) records its responses on the new task's
 * training samples; the old head is kept as an extra head and trained jointly with the backbone
 * and the new head, with the loss
 *
 *   L_new(y_n, ŷ_n) + λ_o · L_old(y_o, ŷ_o),
 *
 * where L_old is the temperature-scaled cross-entropy (knowledge distillation, Hinton et al.
 * 2015) between the recorded responses y_o and the old head's current outputs ŷ_o, in the paper's
 * form: probabilities raised to 1/T and renormalised (T = 2), averaged over the batch, no T²
 * factor. The new task needs no old-task data. After fitting, the network predicts the old task
 * with its `'source'` head (`predictWithHead(fitted, X, 'source')`).
 *
 * Options (defaults): `lambda` (λ_o = 1), `temperature` (T = 2), `warmUpEpochs` (0: the paper's
 * warm-up — new head only, backbone and old head frozen — for that many epochs first; it must be
 * below the trainer's `epochs`).
 *
 * @example
 * ```ts
 * const fitted = await compose(lwf({ lambda: 1 }), trainer({ backbone: { use: 'lenet' }, pretrain: { epochs: 5 } }))
 *   .fit(task, { trainOn: 'target' });
 * predictWithHead(fitted, oldTaskX, 'source'); // the old task is still answered
 * ```
 *
 * @throws TlkitError `INVALID_CONFIG` when the run has no pre-trained old model, or before training
 * when `warmUpEpochs` is not below the trainer's `epochs`.
 */
export const lwfPlugin = definePlugin({
  name: 'lwf',
  kind: 'parameter',
  role: 'training',
  description: 'Learning without Forgetting: keeps the old head and distils the old model\'s recorded responses (T = 2).',
  needs: { problems: ['classification'], targetLabels: 'never', acceptsSampleWeights: false },
  configSchema: lwfSchema,
  reference: 'Li & Hoiem, Learning without Forgetting, ECCV 2016 / IEEE TPAMI 2017',
  create: (options) => ({
    doCreateHooks(): TrainingHooks {
      let oldHead: tf.LayersModel | null = null;
      let recorded = new Float32Array(0);
      let oldClasses = 0;
      let newHeadLayers = new Set<string>();
      return {
        name: 'lwf',
        check(context) {
          if (options.warmUpEpochs >= context.epochs) {
            throw new TlkitError(
              'INVALID_CONFIG',
              `lwf warmUpEpochs = ${options.warmUpEpochs}, but the trainer runs ${context.epochs} epoch${context.epochs === 1 ? '' : 's'}, so the joint phase (distillation, backbone and old head training) would never run; lower warmUpEpochs below ${context.epochs} or raise the trainer's epochs.`,
              { argument: 'warmUpEpochs', expected: `< ${context.epochs}`, actual: options.warmUpEpochs },
            );
          }
          checkOldModel(context.sourceHead !== undefined, context.augmented);
        },
        setup(context) {
          const pretrained = context.pretrained;
          checkOldModel(pretrained?.head !== undefined, context.augmented);
          if (!pretrained?.head) return;
          oldHead = pretrained.head;
          // Without a distillation term nothing trains the old head: it stays frozen.
          oldHead.trainable = options.lambda > 0;
          oldClasses = pretrained.numClasses;
          newHeadLayers = layerNamesOf(context.model.head);
          // Record the old model's responses (logits) on every training sample, before any step.
          const { X } = context.source;
          const rowLength = X.cols;
          recorded = new Float32Array(X.rows * oldClasses);
          for (let start = 0; start < X.rows; start += RESPONSE_CHUNK) {
            const end = Math.min(start + RESPONSE_CHUNK, X.rows);
            const logits = tf.tidy(() => {
              const x = tf.tensor(Float32Array.from(X.data.subarray(start * rowLength, end * rowLength)), [end - start, ...context.inputShape], 'float32');
              return oldHead!.apply(context.model.backbone.apply(x, { training: false }), { training: false }) as tf.Tensor2D;
            });
            recorded.set(logits.dataSync() as Float32Array, start * oldClasses);
            logits.dispose();
          }
        },
        learningRateMultiplier(_variable: tf.Variable, layerName: string, progress: TrainingProgress) {
          if (progress.epoch >= options.warmUpEpochs) return undefined;
          return newHeadLayers.has(layerName) ? undefined : 0;
        },
        loss(batch, outputs, progress) {
          if (progress.epoch < options.warmUpEpochs || options.lambda === 0) return undefined;
          const indices = batch.source.indices;
          const rows = new Float32Array(indices.length * oldClasses);
          for (let k = 0; k < indices.length; k++) {
            rows.set(recorded.subarray(indices[k] * oldClasses, (indices[k] + 1) * oldClasses), k * oldClasses);
          }
          const recordedLogits = tf.tensor2d(rows, [indices.length, oldClasses]);
          const current = oldHead!.apply(outputs.source.features, { training: true }) as tf.Tensor2D;
          // Tensors made here are freed by the loop's gradient scope.
          return tf.mul(lwfDistillationLoss(recordedLogits, current, options.temperature), options.lambda) as tf.Scalar;
        },
        dispose() {
          recorded = new Float32Array(0);
        },
      };
    },
  }),
});

/** Creates an {@link lwfPlugin} step. */
export function lwf(options?: LwfOptions) {
  return lwfPlugin.create(options);
}
