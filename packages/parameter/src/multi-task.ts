import * as tf from '@tensorflow/tfjs';
import { definePlugin, type Matrix, TlkitError, type TrainingHooks } from '@tlkit/core';
import * as z from 'zod';

const taskSchema = z
  .object({
    /** Which labelled set is this task: the source domain or the labelled target samples. */
    data: z.enum(['source', 'targetLabeled']),
    /** Weight of this task's loss in the sum. */
    weight: z.number().min(0).default(1),
    /** Classes of this task's label space (default: the source head's, else the run's). */
    numClasses: z.number().int().min(2).optional(),
  })
  .strict();

const multiTaskSchema = z
  .object({
    /**
     * The extra tasks, each with its own head on the shared backbone. The run's own task (what it
     * trains on, `trainOn`) is always there with weight 1 and the main head.
     */
    tasks: z
      .array(taskSchema)
      .min(1)
      .default([{ data: 'source', weight: 1 }])
      .refine((tasks) => new Set(tasks.map((task) => task.data)).size === tasks.length, {
        message: 'each labelled set may be one task only (data must differ between tasks)',
      }),
  })
  .strict();

/** Options of {@link multiTask}. */
export type MultiTaskOptions = z.input<typeof multiTaskSchema>;

type LabeledSet = { readonly X: Matrix; readonly y: Int32Array | Float64Array };

/**
 * A task's labelled set and the size of its label space (its own `numClasses`, else the source
 * head's for the source task, else the run's), with every label checked to be in it.
 */
function taskSet(
  task: z.output<typeof taskSchema>,
  index: number,
  sets: { readonly labeledSource?: LabeledSet; readonly targetLabeled?: LabeledSet; readonly numClasses: number },
  sourceHeadOutputs: number | undefined,
): { set: LabeledSet; classes: number } {
  const set = task.data === 'source' ? sets.labeledSource : sets.targetLabeled;
  if (!set) {
    throw new TlkitError(
      task.data === 'source' ? 'INVALID_ARGUMENT' : 'MISSING_TARGET_LABELS',
      task.data === 'source'
        ? 'multi-task: the run gives no labelled source set to the training loop; use the trainer.'
        : 'multi-task tasks[].data "targetLabeled" needs labelled target samples: pass task.targetLabeled (the CLI: "targetLabeled": { "perClass": N }).',
      { argument: `tasks[${index}].data` },
    );
  }
  const classes = task.numClasses ?? (task.data === 'source' && sourceHeadOutputs !== undefined ? sourceHeadOutputs : sets.numClasses);
  const labels = set.y;
  for (let i = 0; i < labels.length; i++) {
    if (!Number.isInteger(labels[i]) || labels[i] < 0 || labels[i] >= classes) {
      throw new TlkitError(
        'INVALID_ARGUMENT',
        `multi-task tasks[${index}] (${task.data}) has label ${labels[i]} at row ${i}, outside 0..${classes - 1}; set tasks[${index}].numClasses to the size of its label space.`,
        { argument: `tasks[${index}].numClasses` },
      );
    }
  }
  return { set, classes };
}

/** Mean softmax cross-entropy of `logits` against int32 labels. @internal */
export function meanCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, numClasses: number): tf.Scalar {
  return tf.tidy(() => {
    const oneHot = tf.oneHot(labels.toInt(), numClasses).toFloat();
    return tf.div(tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)))), logits.shape[0]) as tf.Scalar;
  });
}

function buildTaskHead(featureDim: number, classes: number, seed: number, name: string): tf.LayersModel {
  const input = tf.input({ shape: [featureDim], name: `${name}_input` });
  const output = tf.layers
    .dense({ units: classes, kernelInitializer: tf.initializers.glorotUniform({ seed }), biasInitializer: 'zeros', name: `${name}_dense` })
    .apply(input) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name });
}

/**
 * Multi-task learning with hard parameter sharing: one backbone, one head per task, the weighted
 * sum of the tasks' losses. Caruana, "Multitask Learning", Machine Learning 28, 1997. Here the
 * run's own task (what the trainer trains on, e.g. the labelled target samples with
 * `trainOn: 'target'`) keeps the main head with weight 1, and each extra task — the labelled
 * source domain and/or the labelled target samples — gets its own head (the pre-trained source
 * head when the trainer pre-trained and the classes agree) and a batch of its own data in every
 * step:
 *
 *   L = L_run + Σ_t w_t · CE_t(head_t(backbone(x_t)), y_t).
 *
 * An extra task's label space may be smaller than the run's (`numClasses` per extra task); the
 * run's own head is as wide as the task's `numClasses`. Extra heads are named `'source'` and
 * `'target'`; the fitted network predicts with them through `predictWithHead`.
 *
 * Options (defaults): `tasks` ([{ data: 'source', weight: 1 }]; entries `{ data: 'source' |
 * 'targetLabeled', weight = 1, numClasses? }`).
 *
 * @example
 * ```ts
 * const fitted = await compose(multiTask({ tasks: [{ data: 'source', weight: 0.5 }] }), trainer({ backbone: { use: 'lenet' } }))
 *   .fit(task, { trainOn: 'target' });
 * ```
 */
export const multiTaskPlugin = definePlugin({
  name: 'multi-task',
  kind: 'parameter',
  role: 'training',
  description: 'Multi-task learning: shared backbone, one head per task (source, labelled target), weighted sum of the losses.',
  needs: { problems: ['classification'], targetLabels: 'optional', acceptsSampleWeights: false },
  configSchema: multiTaskSchema,
  reference: 'Caruana, Multitask Learning, Machine Learning 28(1), 1997',
  create: (options) => ({
    doCreateHooks(context): TrainingHooks {
      const heads: { name: string; head: tf.LayersModel; classes: number; weight: number }[] = [];
      const hookSeed = context.seed;
      return {
        name: 'multi-task',
        check(context) {
          options.tasks.forEach((task, index) => taskSet(task, index, context, context.sourceHead?.outputs));
        },
        setup(setup) {
          options.tasks.forEach((task, index) => {
            const { set, classes } = taskSet(task, index, setup, setup.pretrained?.head ? setup.pretrained.numClasses : undefined);
            const sourceHead = task.data === 'source' ? setup.pretrained?.head : undefined;
            const reuse = sourceHead !== undefined && classes === setup.pretrained!.numClasses;
            let head: tf.LayersModel;
            let name = task.data === 'source' ? 'source' : 'target';
            if (reuse) {
              head = sourceHead;
              name = setup.pretrained!.headName;
            } else {
              if (setup.model.extraHeads.has(name)) name = `multi-task-${name}`;
              head = buildTaskHead(setup.featureDim, classes, hookSeed + index + 1, name);
              setup.model.extraHeads.set(name, head);
            }
            head.trainable = task.weight > 0;
            setup.addLabeledBatches(name, set);
            heads.push({ name, head, classes, weight: task.weight });
          });
        },
        loss(batch, outputs) {
          const terms: tf.Scalar[] = [];
          for (const entry of heads) {
            if (entry.weight === 0) continue;
            const features = outputs.extra?.[entry.name]?.features;
            const labels = batch.extra?.[entry.name]?.y;
            if (!features || !labels) continue;
            const logits = entry.head.apply(features, { training: true }) as tf.Tensor2D;
            terms.push(tf.mul(meanCrossEntropy(logits, labels, entry.classes), entry.weight) as tf.Scalar);
          }
          return terms.length > 0 ? (tf.addN(terms) as tf.Scalar) : undefined;
        },
      };
    },
  }),
});

/** Creates a {@link multiTaskPlugin} step. */
export function multiTask(options?: MultiTaskOptions) {
  return multiTaskPlugin.create(options);
}
