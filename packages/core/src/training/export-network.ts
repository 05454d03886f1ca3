/**
 * `exportNetwork`: the trained network of a deep pipeline as a standalone tfjs model the caller
 * owns (to save with `saveModel`, serve, or fine-tune further outside tlkit).
 */
import * as tf from '@tensorflow/tfjs';
import { TlkitError } from '../errors';
import type { FittedPipeline } from '../pipeline';
import { finalActivation } from './initial-model';
import { copyPart, partNames } from './network-parts';
import { fittedNetworkOf } from './trainer';

/** Options of {@link exportNetwork}. */
export interface ExportNetworkOptions {
  /**
   * The head on top of the backbone: `'task'` (default; the head `predict` and `predictProba`
   * use) or an extra head by name, e.g. `'source'` (the pre-trained source head of a run with
   * `pretrain` or `initialModel.head`). `networkHeads(fitted)` lists them.
   */
  readonly head?: string;
  /**
   * Export even though the pipeline applies mapping steps before the network (default `false`):
   * the model then takes the mappings' output, `fitted.transform(X)`, not raw features, since a
   * tfjs model cannot hold those steps.
   */
  readonly afterMappings?: boolean;
}

const OPTION_NAMES = ['head', 'afterMappings'];

/** Checks the options before anything is copied. */
function checkOptions(options: unknown): { head: string; afterMappings: boolean } {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TlkitError('INVALID_ARGUMENT', `exportNetwork options must be an object such as { head: 'task' } (or left out), got ${options === null ? 'null' : typeof options}.`, {
      argument: 'options',
    });
  }
  const unknown = Object.keys(options).filter((key) => !OPTION_NAMES.includes(key));
  if (unknown.length > 0) {
    throw new TlkitError('INVALID_ARGUMENT', `exportNetwork has no option ${unknown.map((key) => `'${key}'`).join(', ')}; its options are ${OPTION_NAMES.join(', ')}.`, {
      argument: `options.${unknown[0]}`,
    });
  }
  const { head = 'task', afterMappings = false } = options as ExportNetworkOptions;
  if (typeof head !== 'string') {
    throw new TlkitError('INVALID_ARGUMENT', `options.head must be a head's name ('task', 'source', ...; see networkHeads), got ${typeof head}.`, { argument: 'options.head' });
  }
  if (typeof afterMappings !== 'boolean') {
    throw new TlkitError('INVALID_ARGUMENT', `options.afterMappings must be true or false, got ${typeof afterMappings}.`, { argument: 'options.afterMappings' });
  }
  return { head, afterMappings };
}

/** `base`, or `base_1`, `base_2`, ... : the first name not in `taken`. */
function freeName(base: string, taken: ReadonlySet<string>): string {
  let name = base;
  for (let suffix = 1; taken.has(name); suffix++) name = `${base}_${suffix}`;
  return name;
}

/**
 * The trained network of a deep pipeline (`trainer` or `mlp`) as a standalone `tf.LayersModel`:
 * the backbone's layers followed by the chosen head (nested as one layer, under its own name) and,
 * for classification, a softmax layer `probabilities`, so `model.predict` gives class
 * probabilities equal to `fitted.predictProba` to float32 precision; regression networks output
 * the raw predicted values (`n x 1`). A head that already ends in a softmax gets none added.
 *
 * The model is a copy that shares nothing with the pipeline: the caller owns it and disposes it
 * (`model.dispose()`); disposing either it or the pipeline leaves the other working. It takes
 * inputs of the network's shape: `[n, d]` rows, or `[n, h, w, c]` images when the task had an
 * image shape. Save it with `saveModel` of `@tlkit/models/node` (or `model.save`); models whose
 * layers include tlkit's own classes (a LeNet with dropout) load after `registerModelLayers()`.
 *
 * Names are unique, since tfjs loads a saved model's weights by name: the head's layers (at any
 * depth) whose names the backbone also uses, or whose weights' names it uses, are renamed in the
 * copy to the first free `name_1`, `name_2`, ..., and their weights follow (`head_dense_1/kernel`);
 * the nested head and `probabilities` get a free name the same way. The pipeline keeps its names.
 *
 * @param fitted - A fitted pipeline whose estimator is a trained network.
 * @param options - `head` (default `'task'`): which head to put on the backbone; `afterMappings`
 * (default `false`): allow pipelines with mapping steps (the model then takes their output).
 * @returns A new `tf.LayersModel`, owned by the caller.
 * @throws TlkitError `INVALID_ARGUMENT` when the pipeline's estimator is not a network, for an
 * unknown head (the message lists the network's heads), for a pipeline with mapping steps
 * without `afterMappings`, for bad options, or when backbone and head share a weight name that
 * renaming layers cannot change (a custom layer naming its weights without its layer's name);
 * `NOT_FITTED` when the pipeline was disposed.
 * @example
 * ```ts
 * import { exportNetwork } from '@tlkit/core';
 * import { saveModel } from '@tlkit/models/node';
 *
 * const fitted = await compose(fineTune(), trainer({ initialModel: { backbone, head } })).fit(task);
 * const model = await exportNetwork(fitted); // backbone + task head + softmax
 * await saveModel(model, 'models/fine-tuned');
 * model.dispose();
 * const oldTask = await exportNetwork(fitted, { head: 'source' }); // the source head instead
 * ```
 */
export async function exportNetwork(fitted: FittedPipeline, options: ExportNetworkOptions = {}): Promise<tf.LayersModel> {
  const { head: headName, afterMappings } = checkOptions(options);
  const network = fittedNetworkOf(fitted, 'exportNetwork');
  const mappings = fitted.steps.filter((step) => step.role === 'mapping').map((step) => step.name);
  if (mappings.length > 0 && !afterMappings) {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `this pipeline applies mapping steps (${mappings.join(', ')}) before the network, and a tfjs model cannot hold them: the exported network would take their output (fitted.transform(X)), not your raw features. Pass { afterMappings: true } to export it anyway.`,
      { argument: 'options.afterMappings' },
    );
  }
  const parts = network.forExport(headName);
  // `fitted.dispose()` while this awaits would free the weights being copied: they stay until the end.
  const release = network.hold();
  let backbone: tf.LayersModel;
  try {
    backbone = await copyPart(parts.backbone, 'network backbone');
  } catch (error) {
    release();
    throw error;
  }
  let head: tf.LayersModel | undefined;
  try {
    // tfjs loads a saved model's weights by name, so the head's must differ from the backbone's:
    // head layers named like backbone layers (or weights) are renamed in the copy, weights too.
    const backboneNames = partNames(backbone);
    head = await copyPart(parts.head, `network's '${headName}' head`, { avoid: backboneNames });
    const headNames = partNames(head);
    const repeated = [...headNames.weights].find((name) => backboneNames.weights.has(name));
    if (repeated !== undefined) {
      throw new TlkitError(
        'INVALID_ARGUMENT',
        `the network's backbone and its '${headName}' head both have a weight named '${repeated}', a name that does not start with its layer's name, so renaming layers cannot tell them apart and the exported model could be saved but not loaded (tfjs loads weights by name). Give those weights distinct names in your initialModel's layers (a layer that creates its weights in build() gets '<layer name>/<weight>'), fit again, and export.`,
        { argument: 'fitted', weight: repeated },
      );
    }
    const taken = new Set([...backboneNames.layers, ...headNames.layers]);
    // The head becomes one layer of the model, under its own name, which must be unique there.
    if (taken.has(head.name)) (head as { name: string }).name = freeName(head.name, taken);
    taken.add(head.name);
    let output = head.apply(backbone.outputs[0]) as tf.SymbolicTensor;
    if (parts.problem === 'classification' && finalActivation(head)?.activation !== 'softmax') {
      output = tf.layers.activation({ activation: 'softmax', name: freeName('probabilities', taken) }).apply(output) as tf.SymbolicTensor;
    }
    // The model takes over the copies (tfjs counts references: disposing it frees them).
    return tf.model({ inputs: backbone.inputs, outputs: output, name: 'tlkit_network' });
  } catch (error) {
    head?.dispose();
    backbone.dispose();
    throw error;
  } finally {
    release();
  }
}
