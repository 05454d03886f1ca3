import * as tf from '@tensorflow/tfjs';
import { definePlugin, TlkitError, type TrainingHooks, type TrainingProgress } from '@tlkit/core';
import * as z from 'zod';
import { layerNamesOf, matchLayers, patchBatchNorm, topLayers, type WeightedLayer, weightedLayers } from './internal/layers';

const layerSelection = z.union([z.literal('backbone'), z.literal('none'), z.array(z.string().min(1)).min(1)]);

const unfreezeSchema = z
  .object({
    /** 0-based epoch from which the layers train; below the trainer's `epochs` (`INVALID_CONFIG` before training otherwise). */
    epoch: z.number().int().min(0),
    /** The top `k` backbone layers with weights, `'all'`, or layer names (a trailing `*` matches a prefix). */
    layers: z.union([z.number().int().positive(), z.literal('all'), z.array(z.string().min(1)).min(1)]),
  })
  .strict();

const learningRatesSchema = z
  .object({
    /** Factor on the learning rate of every backbone layer. */
    backbone: z.number().min(0).default(1),
    /** Factor on the learning rate of the task head. */
    head: z.number().min(0).default(1),
    /**
     * Discriminative factor per layer below the top (ULMFiT): the backbone layer `k` places below
     * the top one trains with `backbone · layerDecay^k`. 1 = the same rate everywhere. Layers are
     * the backbone's layers with weights (batch normalisation included) in topological order.
     */
    layerDecay: z.number().gt(0).max(1).default(1),
    /** Factors for named layers (a trailing `*` matches a prefix), multiplied in. */
    layers: z.record(z.string().min(1), z.number().min(0)).default({}),
  })
  .strict();

const fineTuneSchema = z
  .object({
    /** Layers frozen at the start: `'backbone'` (all of it), `'none'`, or layer names / `prefix*`. */
    freeze: layerSelection.default('none'),
    /** When which layers start to train (gradual unfreezing). */
    unfreeze: z.array(unfreezeSchema).default([]),
    /** Per-group learning-rate factors (discriminative learning rates). */
    learningRates: learningRatesSchema.default({ backbone: 1, head: 1, layerDecay: 1, layers: {} }),
    /** Run every batch-normalisation layer in inference mode (statistics fixed; γ, β still learn). */
    freezeBatchNorm: z.boolean().default(false),
    /** `'new'`: the task head starts fresh; `'keep'`: it starts from the pre-trained source head (same classes). */
    head: z.enum(['new', 'keep']).default('new'),
  })
  .strict();

/** Options of {@link fineTune}. */
export type FineTuneOptions = z.input<typeof fineTuneSchema>;
type ParsedFineTune = z.output<typeof fineTuneSchema>;

const featureExtractorSchema = z
  .object({
    /** Factor on the head's learning rate. */
    headLearningRate: z.number().gt(0).default(1),
  })
  .strict();

/** Options of {@link featureExtractor}. */
export type FeatureExtractorOptions = z.input<typeof featureExtractorSchema>;

const neverTargetLabels = { problems: ['classification', 'regression'] as const, targetLabels: 'never' as const, acceptsSampleWeights: false };

/** Which backbone layers start frozen, when which unfreeze, and each layer's learning-rate factor. */
function layerPlan(options: ParsedFineTune, backbone: tf.LayersModel) {
  const layers = weightedLayers(backbone);
  let frozenAtStart: Set<string>;
  if (options.freeze === 'backbone') frozenAtStart = new Set(layers.map((entry) => entry.name));
  else if (options.freeze === 'none') frozenAtStart = new Set();
  else frozenAtStart = matchLayers(options.freeze, layers, 'fine-tune freeze');
  const schedule = options.unfreeze.map((entry, index) => ({
    epoch: entry.epoch,
    names:
      entry.layers === 'all'
        ? new Set(layers.map((layer) => layer.name))
        : typeof entry.layers === 'number'
          ? topLayers(entry.layers, layers, `fine-tune unfreeze[${index}].layers`)
          : matchLayers(entry.layers, layers, `fine-tune unfreeze[${index}].layers`),
  }));
  const layerFactor = new Map<string, number>();
  const { backbone: backboneFactor, layerDecay } = options.learningRates;
  layers.forEach((entry, index) => layerFactor.set(entry.name, backboneFactor * layerDecay ** (layers.length - 1 - index)));
  for (const [pattern, factor] of Object.entries(options.learningRates.layers)) {
    for (const layerName of matchLayers([pattern], layers, 'fine-tune learningRates.layers')) {
      layerFactor.set(layerName, (layerFactor.get(layerName) ?? 1) * factor);
    }
  }
  return { layers, frozenAtStart, schedule, layerFactor };
}

/** `head: 'keep'` needs a pre-trained source head with as many outputs as the task head. */
function checkKeptHead(sourceOutputs: number | undefined, taskOutputs: number): void {
  if (sourceOutputs === undefined) {
    throw new TlkitError(
      'INVALID_CONFIG',
      "fine-tune head 'keep' starts the task head from the pre-trained source head, but the run has none; give the trainer a pretrain option (e.g. \"pretrain\": { \"epochs\": 5 }), or initialModel with a head (your own model's classifier), or use head 'new'.",
      { argument: 'head' },
    );
  }
  if (sourceOutputs !== taskOutputs) {
    throw new TlkitError(
      'INVALID_CONFIG',
      `fine-tune head 'keep' needs the source head's shape; the source task has ${sourceOutputs} outputs and this task ${taskOutputs}. Use head 'new'.`,
      { argument: 'head' },
    );
  }
}

/**
 * Every `unfreeze` entry must start inside the run: the loop runs epochs `0..epochs-1`, so an
 * entry at `epochs` or later would never unfreeze its layers.
 */
function checkUnfreezeInBudget(options: ParsedFineTune, epochs: number): void {
  options.unfreeze.forEach((entry, index) => {
    if (entry.epoch >= epochs) {
      throw new TlkitError(
        'INVALID_CONFIG',
        `fine-tune unfreeze[${index}].epoch = ${entry.epoch}, but the trainer runs ${epochs} epoch${epochs === 1 ? '' : 's'} (0..${epochs - 1}), so these layers would never unfreeze; lower the epoch below ${epochs} or raise the trainer's epochs.`,
        { argument: `unfreeze[${index}].epoch`, expected: `< ${epochs}`, actual: entry.epoch },
      );
    }
  });
}

/**
 * The hooks of a fine-tuning schedule: frozen layers by epoch (learning-rate factor 0 leaves a
 * weight out of the gradient and the update), discriminative factors, BN layers in inference mode
 * while frozen (or always with `freezeBatchNorm`), and optionally the pre-trained head kept.
 */
function fineTuneHooks(options: ParsedFineTune, name: string): TrainingHooks {
  let layers: WeightedLayer[] = [];
  let headLayers = new Set<string>();
  let frozenAtStart = new Set<string>();
  let schedule: { epoch: number; names: Set<string> }[] = [];
  let layerFactor = new Map<string, number>();
  const restorers: (() => void)[] = [];

  const isFrozen = (layerName: string, epoch: number): boolean => {
    if (!frozenAtStart.has(layerName)) return false;
    return !schedule.some((entry) => entry.epoch <= epoch && entry.names.has(layerName));
  };

  return {
    name,
    check(context) {
      checkUnfreezeInBudget(options, context.epochs);
      layerPlan(options, context.backbone);
      if (options.head === 'keep') checkKeptHead(context.sourceHead?.outputs, context.problem === 'classification' ? context.numClasses : 1);
    },
    setup(context) {
      ({ layers, frozenAtStart, schedule, layerFactor } = layerPlan(options, context.model.backbone));
      headLayers = layerNamesOf(context.model.head);
      if (options.head === 'keep') {
        const pretrained = context.pretrained;
        checkKeptHead(pretrained?.head ? pretrained.numClasses : undefined, context.problem === 'classification' ? context.numClasses : 1);
        const from = pretrained!.head!.weights; // checkKeptHead threw if there is no source head
        const to = context.model.head.weights;
        if (from.length !== to.length || from.some((weight, index) => weight.shape.join('x') !== to[index].shape.join('x'))) {
          throw new TlkitError(
            'INVALID_CONFIG',
            `fine-tune head 'keep' needs a source head of the task head's shape; the source head has weights ${from.map((weight) => `[${weight.shape.join(', ')}]`).join(', ')}, the task head ${to.map((weight) => `[${weight.shape.join(', ')}]`).join(', ')}. Use head 'new'.`,
            { argument: 'head' },
          );
        }
        to.forEach((weight, index) => {
          tf.tidy(() => {
            weight.write(from[index].read().clone());
          });
        });
      }
      // A BN layer frozen by the schedule (factor 0) runs in inference mode by core's loop rule;
      // freezeBatchNorm keeps every BN layer's statistics fixed while γ and β still learn.
      if (options.freezeBatchNorm) for (const entry of layers) if (entry.batchNorm) restorers.push(patchBatchNorm(entry.layer));
    },
    learningRateMultiplier(_variable: tf.Variable, layerName: string, progress: TrainingProgress) {
      if (headLayers.has(layerName)) return options.learningRates.head;
      const factor = layerFactor.get(layerName);
      if (factor === undefined) return undefined;
      return isFrozen(layerName, progress.epoch) ? 0 : factor;
    },
    dispose() {
      for (const restore of restorers.splice(0)) restore();
    },
  };
}

/**
 * Fine-tuning as data: which backbone layers are frozen, from which epoch which of them (the top
 * `k`, or named ones) unfreeze, per-group learning-rate factors (discriminative learning rates,
 * as in ULMFiT: Howard & Ruder, "Universal Language Model Fine-tuning for Text Classification",
 * ACL 2018, with gradual unfreezing from the top), and batch-normalisation statistics frozen.
 * The procedure practitioners follow (Yosinski et al., "How transferable are features in deep
 * neural networks?", NeurIPS 2014): start from a network trained on the source (the trainer's
 * `pretrain`), freeze it, train a new head, then unfreeze layers from the top and fine-tune them.
 *
 * A frozen weight gets a learning-rate factor of 0: it stays byte-identical, no gradient is taken
 * for it and its optimiser moments do not move. A frozen batch-normalisation layer runs in
 * inference mode (moving statistics used, not updated), as in Keras.
 *
 * Options (defaults): `freeze` ('none'; 'backbone', or layer names / `prefix*`), `unfreeze` ([];
 * entries `{ epoch, layers: k | 'all' | names }`, each `epoch` in `0..epochs-1` of the trainer's
 * run), `learningRates` ({ backbone: 1, head: 1,
 * layerDecay: 1, layers: {} }), `freezeBatchNorm` (false), `head` ('new'; 'keep' starts the task
 * head from the pre-trained source head).
 *
 * @example
 * ```ts
 * const pipeline = compose(
 *   fineTune({ freeze: 'backbone', unfreeze: [{ epoch: 5, layers: 2 }], learningRates: { layerDecay: 0.5 } }),
 *   trainer({ backbone: { use: 'lenet' }, epochs: 20, pretrain: { epochs: 5 } }),
 * );
 * const fitted = await pipeline.fit(task, { seed: 0, trainOn: 'target' });
 * ```
 *
 * @throws TlkitError `INVALID_CONFIG` for layer names the backbone lacks, `head: 'keep'` without a
 * pre-trained head of the task's shape, and, before training, an `unfreeze` epoch at or beyond the
 * trainer's `epochs` (those layers would never unfreeze).
 */
export const fineTunePlugin = definePlugin({
  name: 'fine-tune',
  kind: 'parameter',
  role: 'training',
  description: 'Fine-tuning schedule: frozen layers, gradual unfreezing by epoch, discriminative learning rates, frozen BN statistics.',
  needs: neverTargetLabels,
  configSchema: fineTuneSchema,
  reference: 'Yosinski et al., How transferable are features in deep neural networks?, NeurIPS 2014; Howard & Ruder, ULMFiT, ACL 2018',
  create: (options) => ({
    doCreateHooks: () => fineTuneHooks(options, 'fine-tune'),
  }),
});

/** Creates a {@link fineTunePlugin} step. */
export function fineTune(options?: FineTuneOptions) {
  return fineTunePlugin.create(options);
}

/**
 * The frozen feature extractor: the (pre-trained) backbone stays as it is — weights and
 * batch-normalisation statistics — and only the new task head trains. The same as
 * `fineTune({ freeze: 'backbone' })`; the baseline of Donahue et al., "DeCAF: A Deep
 * Convolutional Activation Feature for Generic Visual Recognition", ICML 2014. Training is fast:
 * no gradient flows through the backbone.
 *
 * Options (defaults): `headLearningRate` (1: a factor on the trainer's learning rate).
 *
 * @example
 * ```ts
 * const fitted = await compose(featureExtractor(), trainer({ backbone: { use: 'lenet' }, pretrain: { epochs: 5 } }))
 *   .fit(task, { trainOn: 'target' });
 * ```
 */
export const featureExtractorPlugin = definePlugin({
  name: 'feature-extractor',
  kind: 'parameter',
  role: 'training',
  description: 'Frozen (pre-trained) backbone, new task head trained on top (DeCAF).',
  needs: neverTargetLabels,
  configSchema: featureExtractorSchema,
  reference: 'Donahue et al., DeCAF, ICML 2014',
  create: (options) => ({
    doCreateHooks: () =>
      fineTuneHooks(
        {
          freeze: 'backbone',
          unfreeze: [],
          learningRates: { backbone: 1, head: options.headLearningRate, layerDecay: 1, layers: {} },
          freezeBatchNorm: false,
          head: 'new',
        },
        'feature-extractor',
      ),
  }),
});

/** Creates a {@link featureExtractorPlugin} step. */
export function featureExtractor(options?: FeatureExtractorOptions) {
  return featureExtractorPlugin.create(options);
}
