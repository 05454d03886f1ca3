/**
 * Fingerprints of a training run, stored with its checkpoints: a checkpoint is resumed only by
 * the run that wrote it (same options, data, starting weights and epochs).
 */
import * as tf from '@tensorflow/tfjs';
import type { Matrix } from '../matrix';
import type { StoredArray } from '../state';

/** What determines a run, in four parts that are compared one by one on resume. @internal */
export interface RunFingerprint {
  /** Hash of the resolved options (batch size, optimizer, early stopping, augmentation, backbone config, seed) and of the training steps with their options. */
  readonly options: string;
  /** Hash of the training data (features and labels as float32, sample weights, target rows, problem, classes, image shape). */
  readonly data: string;
  /** Hash of the weights and architecture (layer names included) the run starts from; for a backbone built from the options (`'built:…'`), the hash of its architecture, after the pre-trained weights' hash when there are any. */
  readonly startingWeights: string;
  readonly epochs: number;
}

/** The part names used in messages. */
export const FINGERPRINT_PARTS: Record<keyof RunFingerprint, string> = {
  options: 'options',
  data: 'data',
  startingWeights: 'starting weights',
  epochs: 'epochs',
};

const CHUNK = 1 << 16;

/**
 * A 64-bit hash (two independent 32-bit MurmurHash3-style lanes) over 32-bit words, text and
 * numbers. Not cryptographic: it tells runs apart, it does not resist forgery. @internal
 */
export class Hasher {
  private a = 0x9747b28c;
  private b = 0x5bd1e995;
  private words = 0;

  /** Adds 32-bit words. */
  words32(values: Uint32Array): this {
    let a = this.a;
    let b = this.b;
    for (let i = 0; i < values.length; i++) {
      let k = Math.imul(values[i], 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      a ^= k;
      a = (a << 13) | (a >>> 19);
      a = (Math.imul(a, 5) + 0xe6546b64) | 0;
      let m = Math.imul(values[i] ^ 0x85ebca6b, 0x2c1b3c6d);
      m = (m << 17) | (m >>> 15);
      b = Math.imul(b ^ m, 0x297a2d39);
      b = (b << 11) | (b >>> 21);
      b = (b + 0x3c6ef372) | 0;
    }
    this.a = a;
    this.b = b;
    this.words += values.length;
    return this;
  }

  /** Adds numbers as float32, the precision the network sees (in chunks: no full float32 copy). */
  float32(values: ArrayLike<number>): this {
    this.number(values.length);
    const buffer = new Float32Array(Math.min(CHUNK, values.length));
    for (let start = 0; start < values.length; start += CHUNK) {
      const end = Math.min(start + CHUNK, values.length);
      for (let i = start; i < end; i++) buffer[i - start] = values[i];
      this.words32(new Uint32Array(buffer.buffer, 0, end - start));
    }
    return this;
  }

  /** Adds a string (its length first, so concatenations do not collide). */
  text(value: string): this {
    this.number(value.length);
    return this.words32(Uint32Array.from(value, (character) => character.codePointAt(0) ?? 0));
  }

  /** Adds one number exactly (as float64). */
  number(value: number): this {
    return this.words32(new Uint32Array(Float64Array.of(value).buffer));
  }

  /** The hash so far, as 16 hex digits. */
  digest(): string {
    const mix = (input: number) => {
      let h = (input ^ this.words) >>> 0;
      h ^= h >>> 16;
      h = Math.imul(h, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
      return (h >>> 0).toString(16).padStart(8, '0');
    };
    return mix(this.a) + mix(this.b);
  }
}

/**
 * JSON text of a value with object keys sorted, so equal options give equal text whatever the
 * order they were written in. Numbers keep their exact value (NaN and ±Infinity included);
 * `undefined` properties are left out; functions count by their source; a tfjs model counts by
 * its architecture (with its layer names) and weights. @internal
 */
export function stableText(value: unknown, seen: WeakSet<object> = new WeakSet()): string {
  if (value === undefined) return 'undefined';
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return `function:${value.toString()}`;
  if (typeof value !== 'object') return String(value);
  if (value instanceof tf.LayersModel) return `model:${new Hasher().text(modelText(value)).digest()}`;
  if (seen.has(value)) return '"[cycle]"';
  seen.add(value);
  try {
    if (ArrayBuffer.isView(value)) return `[${Array.from(value as unknown as ArrayLike<number>, (entry) => stableText(entry, seen)).join(',')}]`;
    if (Array.isArray(value)) return `[${value.map((entry) => stableText(entry, seen)).join(',')}]`;
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${stableText(entry, seen)}`).join(',')}}`;
  } finally {
    seen.delete(value);
  }
}

/**
 * A model's architecture (tfjs's JSON topology, layer names included) and weights as text. The
 * layer names are part of the run: `fineTune`'s `freeze`, `unfreeze` and `learningRates.layers`
 * choose layers by name, so two models that differ only in their layer names can train
 * differently. The model's own name is left out: nothing chooses by it, and tfjs numbers unnamed
 * models (`sequential_1`, `sequential_2`) by how many were made before. It does the same for
 * unnamed layers (`dense_Dense3`), so the same model built again in the same process gets other
 * layer names and another fingerprint: a refusal, never a wrong resume.
 */
function modelText(model: tf.LayersModel): string {
  const topology = model.toJSON(null, false) as unknown as Record<string, unknown>;
  const { name: _modelName, ...config } = (topology.config ?? {}) as Record<string, unknown>;
  const hasher = new Hasher().text(stableText({ class_name: topology.class_name, config }));
  for (const weight of model.weights) {
    hasher.text(weight.shape.join('x')).text(String(weight.trainable));
    hasher.float32(weight.read().dataSync() as Float32Array);
  }
  return hasher.digest();
}

/**
 * Hash of a tfjs model's architecture alone: its layer classes, settings and connections, not its
 * weights and not its names (each layer is named by its position), so a network built again with
 * tfjs's automatic names (`input1`, `input2`, …) hashes the same. @internal
 */
export function fingerprintArchitecture(model: tf.LayersModel): string {
  const topology = model.toJSON(null, false) as unknown as Record<string, unknown>;
  return new Hasher().text(stableText({ class_name: topology.class_name, config: positionalTopology(topology.config) })).digest();
}

type Json = Record<string, unknown>;

/** A Functional/Sequential topology with every layer name replaced by `#index`; nested models too. */
function positionalTopology(config: unknown): unknown {
  if (typeof config !== 'object' || config === null || !Array.isArray((config as Json).layers)) return config;
  const { name: _modelName, layers, input_layers, output_layers, ...rest } = config as Json;
  const entries = layers as Json[];
  const position = new Map<unknown, string>();
  entries.forEach((layer, index) => {
    position.set(layer.name ?? (layer.config as Json | undefined)?.name, `#${index}`);
  });
  const rename = (name: unknown) => position.get(name) ?? name;
  const endpoints = (list: unknown) => (Array.isArray(list) ? list.map((entry) => (Array.isArray(entry) ? [rename(entry[0]), ...entry.slice(1)] : entry)) : list);
  return {
    ...rest,
    layers: entries.map((layer, index) => {
      const { name: _layerName, config: layerConfig, inbound_nodes, ...layerRest } = layer;
      const { name: _configName, ...settings } = (layerConfig ?? {}) as Json;
      return {
        ...layerRest,
        name: `#${index}`,
        config: Array.isArray(settings.layers) ? positionalTopology(settings) : withoutInnerNames(settings),
        ...(Array.isArray(inbound_nodes) ? { inbound_nodes: inbound_nodes.map((node) => endpoints(node)) } : {}),
      };
    }),
    ...(input_layers !== undefined ? { input_layers: endpoints(input_layers) } : {}),
    ...(output_layers !== undefined ? { output_layers: endpoints(output_layers) } : {}),
  };
}

/**
 * A layer's settings with the names of the layers it wraps removed, at any depth: a wrapper
 * (`timeDistributed`, `bidirectional`: `layer`, `forward_layer`, `backward_layer`) or an RNN
 * (`cell`, `cells`) holds inner layer configs `{ class_name, config }` whose names tfjs numbers
 * per process.
 */
function withoutInnerNames(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutInnerNames);
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Json;
  const isLayerConfig = typeof record.class_name === 'string' && typeof record.config === 'object' && record.config !== null;
  const entries = Object.entries(record).map(([key, entry]) => {
    if (isLayerConfig && key === 'config') {
      const { name: _innerName, ...settings } = entry as Json;
      return [key, Array.isArray(settings.layers) ? positionalTopology(settings) : withoutInnerNames(settings)];
    }
    return [key, withoutInnerNames(entry)];
  });
  return Object.fromEntries(entries);
}

/** Hash of the weights and architecture of tfjs models (the parts a run starts from). @internal */
export function fingerprintModels(models: readonly tf.LayersModel[]): string {
  const hasher = new Hasher();
  for (const model of models) hasher.text(modelText(model));
  return hasher.digest();
}

/** Hash of saved weight arrays (e.g. pre-trained weights), by key. @internal */
export function fingerprintArrays(arrays: Readonly<Record<string, StoredArray>>, extra: string): string {
  const hasher = new Hasher().text(extra);
  for (const key of Object.keys(arrays).sort()) {
    const array = arrays[key];
    hasher.text(key).text(array.shape.join('x')).float32(array.data);
  }
  return hasher.digest();
}

type Rows = { readonly X: Matrix; readonly y?: ArrayLike<number>; readonly weights?: ArrayLike<number> };

/** Hash of one set of rows: its size, features, labels and sample weights, as float32 (what the network sees). @internal */
export function fingerprintRows(set: Rows): string {
  return new Hasher()
    .number(set.X.rows)
    .number(set.X.cols)
    .float32(set.X.data)
    .text('y')
    .float32(set.y ?? [])
    .text('weights')
    .float32(set.weights ?? [])
    .digest();
}

/** Hash of the data sets a run learns from (`undefined` entries count as absent), with the task's facts. @internal */
export function fingerprintData(facts: unknown, sets: Readonly<Record<string, Rows | undefined>>): string {
  const hasher = new Hasher().text(stableText(facts));
  // The same rows under two names (the labelled source is often the training set) are read once;
  // the hash depends on the values only.
  const digests: [Rows, string][] = [];
  for (const name of Object.keys(sets).sort()) {
    const set = sets[name];
    hasher.text(name);
    if (!set) {
      hasher.text('absent');
      continue;
    }
    let digest = digests.find(([earlier]) => earlier.X === set.X && earlier.y === set.y && earlier.weights === set.weights)?.[1];
    if (digest === undefined) {
      digest = fingerprintRows(set);
      digests.push([set, digest]);
    }
    hasher.text(digest);
  }
  return hasher.digest();
}

/** The parts in which a checkpoint's fingerprint and the run's differ, in a fixed order. @internal */
export function fingerprintDifferences(stored: RunFingerprint, current: RunFingerprint): (keyof RunFingerprint)[] {
  return (Object.keys(FINGERPRINT_PARTS) as (keyof RunFingerprint)[]).filter((part) => stored[part] !== current[part]);
}
