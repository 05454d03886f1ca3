/**
 * One part of a trained network (a backbone or a head, each a tfjs LayersModel) as JSON plus
 * weight arrays, and back: how a network the user brought (`trainer({ initialModel })`) is saved,
 * since no registry name can rebuild it. Also makes independent copies (`exportNetwork`).
 */
import * as tf from '@tensorflow/tfjs';
import { TlkitError } from '../errors';
import type { JsonValue, StoredArray } from '../state';
import { innerLayers } from './inner-layers';

/**
 * The own `trainable` flags of a layer and, for a nested model, of its layers:
 * `[flag, ...layers' trees]` for a model, `flag` for a plain layer. tfjs's JSON topology keeps
 * plain layers' flags but not models' (`base.trainable = false` on a nested base model).
 */
export type TrainableTree = boolean | [boolean, ...TrainableTree[]];

/** A network part's saved form (beside its weight arrays `<prefix>/<i>`). @internal */
export interface SavedPart {
  /** tfjs's JSON topology of the part (`model.toJSON(null, false)`). */
  readonly topology: JsonValue;
  /** The model's and its layers' own trainable flags. */
  readonly trainable: TrainableTree;
  /** Each weight's name (tfjs's `originalName`), in `model.weights` order: array `<prefix>/<i>` holds weight i. */
  readonly weights: readonly string[];
  /** Each weight's own trainable flag, in the same order. */
  readonly weightTrainable: readonly boolean[];
}

function trainableTree(layer: tf.layers.Layer): TrainableTree {
  const nested = innerLayers(layer);
  return nested ? [layer.trainable, ...nested.map(trainableTree)] : layer.trainable;
}

/** Sets the flags of {@link trainableTree}, outer first (a model's setter changes its layers' weights). */
function applyTrainableTree(layer: tf.layers.Layer, tree: TrainableTree): void {
  const nested = innerLayers(layer);
  if (Array.isArray(tree)) {
    layer.trainable = tree[0];
    if (nested) nested.forEach((inner, index) => tree[index + 1] !== undefined && applyTrainableTree(inner, tree[index + 1]));
  } else {
    layer.trainable = tree;
  }
}

/**
 * The saved form of one part, without its weight values (those go into the state's arrays, in
 * `model.weights` order). `label` names the part in errors.
 * @throws TlkitError `INVALID_ARTIFACT` when two weights share a name (tfjs could not reload them either).
 */
export function describePart(part: tf.LayersModel, label: string): SavedPart {
  const weights = part.weights.map((weight) => weight.originalName);
  const repeated = weights.find((name, index) => weights.indexOf(name) !== index);
  if (repeated !== undefined) {
    throw new TlkitError(
      'INVALID_ARTIFACT',
      `the ${label} has two weights named '${repeated}', so its weights cannot be saved by name (tfjs's model.save has the same limit); give its layers distinct names.`,
      { part: label },
    );
  }
  return {
    topology: part.toJSON(null, false) as unknown as JsonValue,
    trainable: trainableTree(part),
    weights,
    weightTrainable: part.weights.map((weight) => weight.trainable),
  };
}

/** A tfjs "Unknown layer: X" (or initializer, constraint, ...) as a typed error naming the class and the fix. */
function unregisteredClassError(error: unknown, label: string): TlkitError | undefined {
  const match = /Unknown (\w+): ([^\s.]+)/.exec(error instanceof Error ? error.message : String(error));
  if (!match) return undefined;
  const [, kind, className] = match;
  return new TlkitError(
    'UNKNOWN_PLUGIN',
    `the saved ${label} uses the ${kind} class '${className}', which is not registered with tfjs in this process. Register it before loading: tf.serialization.registerClass(${className}), or call the register function of the package that defines it (tlkit's own layers, e.g. TlkitSeededDropout: registerModelLayers() from @tlkit/models).`,
    { className, part: label },
  );
}

/** Rebuilds a part from its topology and flags, with the given weight values (by name; not disposed here). */
async function rebuild(saved: SavedPart, values: tf.NamedTensorMap, label: string): Promise<tf.LayersModel> {
  let model: tf.LayersModel;
  try {
    model = await tf.models.modelFromJSON({ modelTopology: saved.topology as unknown as tf.io.ModelJSON['modelTopology'] });
  } catch (error) {
    throw unregisteredClassError(error, label) ?? error;
  }
  try {
    // Strict: every weight of the rebuilt part gets the value saved under its name, of its shape.
    model.loadWeights(values, true);
    applyTrainableTree(model, saved.trainable);
    const byName = new Map(model.weights.map((weight) => [weight.originalName, weight]));
    saved.weights.forEach((name, index) => {
      const weight = byName.get(name);
      if (weight && saved.weightTrainable[index] !== undefined) weight.trainable = saved.weightTrainable[index];
    });
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

/**
 * Rebuilds a part saved with {@link describePart} and its arrays `<prefix>/<i>`.
 * @throws TlkitError `UNKNOWN_PLUGIN` when a layer class of the topology is not registered with
 * tfjs (the message names it and how to register it); `INVALID_ARTIFACT` when an array is missing
 * or holds the wrong number of values. tfjs's own errors (a weight of another shape) pass through.
 */
export async function restorePart(
  saved: SavedPart,
  arrays: Readonly<Record<string, StoredArray>>,
  prefix: string,
  label: string,
): Promise<tf.LayersModel> {
  if (!Array.isArray(saved?.weights) || saved.topology === null || typeof saved.topology !== 'object') {
    throw new TlkitError('INVALID_ARTIFACT', `the saved ${label} has no topology or weight list; the artifact is damaged: save the pipeline again.`);
  }
  const values: tf.NamedTensorMap = {};
  try {
    saved.weights.forEach((name, index) => {
      const key = `${prefix}/${index}`;
      const stored = arrays[key];
      const size = stored ? stored.shape.reduce((a, b) => a * b, 1) : 0;
      if (!stored || stored.data.length !== size) {
        throw new TlkitError(
          'INVALID_ARTIFACT',
          `saved weights '${key}' (${name}) ${stored ? `hold ${stored.data.length} values but their shape [${stored.shape.join(', ')}] needs ${size}` : 'are missing'}; the artifact is damaged: save the pipeline again.`,
        );
      }
      values[name] = tf.tensor(Float32Array.from(stored.data), [...stored.shape], 'float32');
    });
    return await rebuild(saved, values, label);
  } finally {
    tf.dispose(Object.values(values));
  }
}

/**
 * An independent copy of a part: same topology, weight values and trainable flags, fresh
 * variables (disposing either leaves the other intact).
 */
export async function copyPart(part: tf.LayersModel, label: string): Promise<tf.LayersModel> {
  const values: tf.NamedTensorMap = {};
  for (const weight of part.weights) values[weight.originalName] = weight.read();
  return rebuild(describePart(part, label), values, label);
}
