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

/** The names a part uses: its layers' at every depth (nested models' layers too, not the part's own name), and its weights'. */
export interface PartNames {
  readonly layers: ReadonlySet<string>;
  readonly weights: ReadonlySet<string>;
}

/** The layer and weight names of a part (see {@link PartNames}). */
export function partNames(part: tf.LayersModel): PartNames {
  const layers = new Set<string>();
  const visit = (layer: tf.layers.Layer) => {
    layers.add(layer.name);
    innerLayers(layer)?.forEach(visit);
  };
  part.layers.forEach(visit);
  return { layers, weights: new Set(part.weights.map((weight) => weight.originalName)) };
}

/** One entry of a model topology's `config.layers` (functional models name it; Sequential ones only in `config`). */
interface TopologyLayer {
  name?: string;
  class_name?: string;
  config?: { name?: string; layers?: unknown; input_layers?: unknown; output_layers?: unknown; [key: string]: unknown };
  inbound_nodes?: unknown;
}

/** The layers a topology node lists when it is a model (functional or Sequential), else undefined. */
function topologyLayers(node: TopologyLayer): TopologyLayer[] | undefined {
  return Array.isArray(node.config?.layers) ? (node.config.layers as TopologyLayer[]) : undefined;
}

function topologyLayerName(layer: TopologyLayer): string | undefined {
  return layer.name ?? layer.config?.name;
}

/** Every layer name of a topology, nested models' layers included, in order (the model's own name not). */
function topologyLayerNames(topology: TopologyLayer): string[] {
  const names: string[] = [];
  const visit = (node: TopologyLayer) => {
    for (const layer of topologyLayers(node) ?? []) {
      const name = topologyLayerName(layer);
      if (name !== undefined) names.push(name);
      visit(layer);
    }
  };
  visit(topology);
  return names;
}

/**
 * Renames layers of a topology in place, at every depth: a layer's name and its config's name,
 * and the references to it (inbound nodes `[name, node, tensor, kwargs]`, input and output layers).
 */
function renameTopologyLayers(node: TopologyLayer, renames: ReadonlyMap<string, string>): void {
  const layers = topologyLayers(node);
  if (!layers || !node.config) return;
  const renamed = (name: unknown) => (typeof name === 'string' ? (renames.get(name) ?? name) : name);
  const renameReferences = (value: unknown): void => {
    if (!Array.isArray(value)) return;
    if (typeof value[0] === 'string') value[0] = renamed(value[0]);
    else value.forEach(renameReferences);
  };
  for (const layer of layers) {
    if (layer.name !== undefined) layer.name = renamed(layer.name) as string;
    if (layer.config?.name !== undefined) layer.config.name = renamed(layer.config.name) as string;
    renameReferences(layer.inbound_nodes);
    renameTopologyLayers(layer, renames);
  }
  renameReferences(node.config.input_layers);
  renameReferences(node.config.output_layers);
}

/** The layer a weight belongs to by tfjs's naming: `<layer>/<weight>` (a wrapper's: `<layer>/<inner>/<weight>`). */
function weightOwner(weight: string): string {
  return weight.split('/')[0];
}

/**
 * Renames the part's layers that use a name in `avoid` (`name` → `name_1`, `name_2`, ...: the
 * first name free in both parts whose weight names are free too), at every depth. A layer clashes
 * when its name is one of `avoid.layers`, or one of its weights' names is one of `avoid.weights`.
 * Weight names follow: tfjs names a layer's weights `<layer>/...` when it builds them.
 */
function withoutClashes(saved: SavedPart, avoid: PartNames): { saved: SavedPart; rename: (weight: string) => string } {
  const topology = saved.topology as unknown as TopologyLayer;
  const names = topologyLayerNames(topology);
  const clashing = new Set(names.filter((name) => avoid.layers.has(name)));
  for (const weight of saved.weights) if (avoid.weights.has(weight) && names.includes(weightOwner(weight))) clashing.add(weightOwner(weight));
  if (clashing.size === 0) return { saved, rename: (weight) => weight };

  const taken = new Set([...avoid.layers, ...names, ...(topology.config?.name !== undefined ? [topology.config.name] : [])]);
  const renames = new Map<string, string>();
  const renameWeight = (weight: string) => {
    const owner = weightOwner(weight);
    const to = renames.get(owner);
    return to === undefined ? weight : to + weight.slice(owner.length);
  };
  for (const name of names) {
    if (!clashing.has(name) || renames.has(name)) continue;
    const own = saved.weights.filter((weight) => weightOwner(weight) === name);
    let candidate = name;
    for (let suffix = 1; ; suffix++) {
      candidate = `${name}_${suffix}`;
      if (!taken.has(candidate) && own.every((weight) => !avoid.weights.has(candidate + weight.slice(name.length)))) break;
    }
    renames.set(name, candidate);
    taken.add(candidate);
  }
  const renamedTopology = JSON.parse(JSON.stringify(topology)) as TopologyLayer;
  renameTopologyLayers(renamedTopology, renames);
  return {
    saved: { ...saved, topology: renamedTopology as unknown as JsonValue, weights: saved.weights.map(renameWeight) },
    rename: renameWeight,
  };
}

/** Options of {@link copyPart}. */
export interface CopyPartOptions {
  /**
   * Names the copy must not use (another part's, to sit in one model with it): its layers that
   * have one of these names, or weights of one of these names, get free names instead.
   */
  readonly avoid?: PartNames;
  /** Changes the copy's JSON topology before it is built (layer configs, not weights or names). */
  readonly editTopology?: (topology: Record<string, unknown>) => void;
}

/**
 * An independent copy of a part: same topology, weight values and trainable flags (models' and
 * weights' own, nested ones included), fresh variables (disposing either leaves the other
 * intact). Weights are matched by name, as tfjs does when it loads a saved model. With
 * `options.avoid`, layers whose layer or weight names clash with those are renamed in the copy,
 * their weights with them; `options.editTopology` may change layer configs first.
 */
export async function copyPart(part: tf.LayersModel, label: string, options: CopyPartOptions = {}): Promise<tf.LayersModel> {
  const described = describePart(part, label);
  const { saved, rename } = options.avoid ? withoutClashes(described, options.avoid) : { saved: described, rename: (weight: string) => weight };
  options.editTopology?.(saved.topology as unknown as Record<string, unknown>);
  const values: tf.NamedTensorMap = {};
  for (const weight of part.weights) values[rename(weight.originalName)] = weight.read();
  return rebuild(saved, values, label);
}
