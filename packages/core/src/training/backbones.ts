import * as tf from '@tensorflow/tfjs';
import * as z from 'zod';
import { TlkitError } from '../errors';
import { didYouMean } from '../suggest';
import { fingerprintArchitecture, stableText } from './fingerprint';
import { parseConfig } from '../plugin';
import { getComponent, listComponents, registerComponent } from '../registry-store';
import { deriveSeed } from '../rng';

const BACKBONE_NAMESPACE = 'backbone';

const BACKBONE_BRAND = Symbol.for('tlkit.backbone.v1');

/** What a backbone builder receives. */
export interface BackboneBuildContext {
  /** Shape of one input sample: `[d]` for feature vectors, `[h, w, c]` for images. */
  readonly inputShape: readonly number[];
  /** Seed for every initialiser and dropout layer of the backbone. */
  readonly seed: number;
  /** Prefix for layer names, so two models in one process get distinct, stable names. */
  readonly namePrefix: string;
}

/** A named feature extractor the trainer can build from a JSON config. */
export interface BackboneDefinition<Schema extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly description: string;
  readonly configSchema: Schema;
  /** Builds the network: input → features (a rank-2 output `b x featureDim`). */
  build(options: z.output<Schema>, context: BackboneBuildContext): tf.LayersModel;
}

/**
 * Defines a backbone. Register it with {@link registerBackbone} so configs can name it
 * (`{ "use": "mlp", "hidden": [256, 128] }`).
 */
export function defineBackbone<Schema extends z.ZodType>(definition: BackboneDefinition<Schema>): BackboneDefinition<Schema> {
  return Object.assign(Object.create(null) as object, definition, { [BACKBONE_BRAND]: true }) as BackboneDefinition<Schema>;
}

/** True when `value` was made by {@link defineBackbone} (any copy of core). */
export function isBackbone(value: unknown): value is BackboneDefinition {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BACKBONE_BRAND] === true;
}

/** Registers backbones by name (idempotent for the same object). */
export function registerBackbone(definition: BackboneDefinition | readonly BackboneDefinition[]): void {
  const list = Array.isArray(definition) ? definition : [definition as BackboneDefinition];
  for (const entry of list) registerComponent(BACKBONE_NAMESPACE, entry);
}

/** All registered backbones. */
export function listBackbones(): BackboneDefinition[] {
  return listComponents<BackboneDefinition>(BACKBONE_NAMESPACE);
}

/** A backbone written as JSON: `{ use: NAME, ...options }`. */
export interface BackboneConfig {
  readonly use: string;
  readonly [option: string]: unknown;
}

/**
 * The definition a backbone config names and its options parsed (defaults filled in), or throws
 * `UNKNOWN_PLUGIN` / `INVALID_CONFIG`. @internal
 */
export function resolveBackbone(config: BackboneConfig): { definition: BackboneDefinition; options: Record<string, unknown> } {
  const { use, ...options } = config;
  let definition: BackboneDefinition;
  if (use === mlpBackbone.name) {
    definition = mlpBackbone as unknown as BackboneDefinition;
  } else {
    try {
      definition = getComponent<BackboneDefinition>(BACKBONE_NAMESPACE, use);
    } catch {
      const known = ['mlp', ...listBackbones().map((backbone) => backbone.name)].sort();
      throw new TlkitError(
        'UNKNOWN_PLUGIN',
        `no backbone named '${use}' is registered.${didYouMean(use, known)} Known: ${known.join(', ')}. Register yours with registerBackbone(defineBackbone({...})) (backbones of @tlkit/models: registerBackbone(modelBackbones)).`,
        { name: use, known },
      );
    }
  }
  return { definition, options: parseConfig(definition.configSchema, options, `backbone '${use}'`) as Record<string, unknown> };
}

/** Builds the backbone a config names. @internal */
export function buildBackbone(config: BackboneConfig, context: BackboneBuildContext): tf.LayersModel {
  const { use } = config;
  const { definition, options: parsed } = resolveBackbone(config);
  const model = definition.build(parsed, context);
  const output = model.outputs[0].shape;
  if (model.outputs.length !== 1 || output.length !== 2) {
    throw new TlkitError(
      'INVALID_CONFIG',
      `backbone '${use}' must output one rank-2 tensor (batch x features); it outputs ${model.outputs.map((o) => `[${o.shape.join(', ')}]`).join(', ')}. Add a flatten or pooling layer at its end.`,
    );
  }
  return model;
}

/**
 * A backbone config as canonical text: its name and its options with their defaults filled in,
 * keys sorted, so `{ use: 'mlp' }` and `{ use: 'mlp', hidden: [128] }` give the same text (the
 * checkpoint fingerprint and the pre-training cache key use it). @internal
 */
export function backboneConfigText(config: BackboneConfig): string {
  return stableText({ use: config.use, ...resolveBackbone(config).options });
}

/** Architecture hashes already computed, per definition object (a re-registered definition misses). */
const architectureHashes = new WeakMap<BackboneDefinition, Map<string, string>>();

/**
 * Hash of the architecture a backbone config builds for `inputShape`: its layers, their settings
 * and connections, as tfjs serialises them (a change inside a custom layer's `call` with the same
 * class and settings does not show). The pre-training cache key holds it. Builds the network once
 * per definition, options and input shape, and frees it. @internal
 */
export function backboneArchitecture(config: BackboneConfig, inputShape: readonly number[]): string {
  const { definition, options } = resolveBackbone(config);
  const key = `${stableText(options)}|${inputShape.join('x')}`;
  let known = architectureHashes.get(definition);
  const cached = known?.get(key);
  if (cached) return cached;
  const model = buildBackbone(config, { inputShape, seed: 0, namePrefix: 'backbone_' });
  try {
    const hash = fingerprintArchitecture(model);
    if (!known) architectureHashes.set(definition, (known = new Map()));
    known.set(key, hash);
    return hash;
  } finally {
    model.dispose();
  }
}

/** Seeded Glorot-uniform initialiser for a layer (tfjs initialisers draw from Math.random otherwise). @internal */
export function seededGlorot(seed: number, label: string | number): ReturnType<typeof tf.initializers.glorotUniform> {
  return tf.initializers.glorotUniform({ seed: deriveSeed(seed, label) });
}

const mlpSchema = z
  .object({
    /** Widths of the hidden layers. */
    hidden: z.array(z.number().int().positive()).min(1).default([128]),
    /** Activation between layers. */
    activation: z.enum(['relu', 'tanh', 'elu', 'sigmoid']).default('relu'),
  })
  .strict();

/**
 * The multilayer perceptron backbone: dense layers with a non-linearity, e.g. `hidden: [256, 128]`
 * gives input → 256 → 128 features. Image inputs are flattened first. Seeded Glorot-uniform
 * weights, zero biases.
 */
export const mlpBackbone = defineBackbone({
  name: 'mlp',
  description: 'Multilayer perceptron: dense layers with a non-linearity (images are flattened first).',
  configSchema: mlpSchema,
  build(options, context) {
    const input = tf.input({ shape: [...context.inputShape], name: `${context.namePrefix}input` });
    let current: tf.SymbolicTensor = input;
    if (context.inputShape.length > 1) {
      current = tf.layers.flatten({ name: `${context.namePrefix}flatten` }).apply(current) as tf.SymbolicTensor;
    }
    options.hidden.forEach((units, index) => {
      current = tf.layers
        .dense({
          units,
          activation: options.activation,
          kernelInitializer: seededGlorot(context.seed, `dense${index}`),
          biasInitializer: 'zeros',
          name: `${context.namePrefix}dense${index}`,
        })
        .apply(current) as tf.SymbolicTensor;
    });
    return tf.model({ inputs: input, outputs: current, name: `${context.namePrefix}mlp` });
  },
});

/** A zod schema for a backbone option: `{ use: NAME, ...options }`. */
export const backboneOptionSchema = z.looseObject({ use: z.string().min(1) });
