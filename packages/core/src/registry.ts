import * as z from 'zod';
import { corePlugins } from './builtin-plugins';
import { TlkitError } from './errors';
import { didYouMean } from './suggest';
import { store } from './registry-store';
import { isPlugin, type Plugin } from './plugin';
import { savedConfigOf } from './saved-config';
import { isStrategy, type Strategy, type StrategyRole } from './strategy';

/**
 * Registers plugins so configs, the CLI and `loadPipeline` can find them by name.
 * Registering the same plugin object twice is a no-op; a different plugin under a taken name
 * fails unless `{ replace: true }`.
 */
export function registerPlugin(plugin: Plugin | readonly Plugin[], options: { replace?: boolean } = {}): void {
  const plugins = Array.isArray(plugin) ? plugin : [plugin as Plugin];
  for (const entry of plugins) {
    if (!isPlugin(entry)) {
      throw new TlkitError('INVALID_ARGUMENT', 'registerPlugin: expected a plugin made by definePlugin().');
    }
    const existing = lookupPlugin(entry.name);
    if (existing && existing !== entry && !options.replace) {
      if (existing.kind === entry.kind && existing.role === entry.role && existing.description === entry.description) {
        continue; // the same plugin from another copy of its package (ESM + CJS)
      }
      throw new TlkitError(
        'INVALID_CONFIG',
        `registerPlugin: a different plugin is already registered as '${entry.name}'; pass { replace: true } to override it.`,
      );
    }
    store().plugins.set(entry.name, entry);
  }
}

/** A registered plugin, else one of core's own (which need no registration). */
function lookupPlugin(name: string): Plugin | undefined {
  return store().plugins.get(name) ?? corePlugins().find((plugin) => plugin.name === name);
}

/** Every known plugin by name: core's own, overridden by registered ones of the same name. */
function knownPlugins(): Map<string, Plugin> {
  const known = new Map<string, Plugin>(corePlugins().map((plugin) => [plugin.name, plugin]));
  for (const [name, plugin] of store().plugins) known.set(name, plugin);
  return known;
}

/** Removes a registered plugin by name (tests, hot reload); core's own plugins stay known. */
export function unregisterPlugin(name: string): void {
  store().plugins.delete(name);
}

/**
 * The plugin registered as `name` (core's own — `knn`, `logreg`, `ridge`, `svm`, `svc`, `trainer`,
 * `mlp` — are always known), or throws `UNKNOWN_PLUGIN` listing the known names.
 */
export function getPlugin(name: string): Plugin {
  const plugin = lookupPlugin(name);
  if (!plugin) {
    const known = [...knownPlugins().keys()].sort();
    throw new TlkitError(
      'UNKNOWN_PLUGIN',
      `no plugin named '${name}' is registered.${didYouMean(name, known)} Known: ${known.length ? known.join(', ') : '(none)'}. Install and register its package: in code registerPlugin(...) with the package's plugin list (tlkit's: featurePlugins from @tlkit/feature, instancePlugins from @tlkit/instance, parameterPlugins from @tlkit/parameter); in the CLI --plugin PACKAGE or "plugins": [...] in the config.`,
      { name, known },
    );
  }
  return plugin;
}

/** True when a plugin is known under `name` (registered, or one of core's own). */
export function hasPlugin(name: string): boolean {
  return lookupPlugin(name) !== undefined;
}

/** All known plugins (core's own and the registered ones), sorted by kind, then role, then name. */
export function listPlugins(): Plugin[] {
  return [...knownPlugins().values()].sort(
    (a, b) => a.kind.localeCompare(b.kind) || a.role.localeCompare(b.role) || a.name.localeCompare(b.name),
  );
}

/** A step written as JSON: `{ "use": "tca", "dim": 30 }`. */
export interface StepConfig {
  readonly use: string;
  readonly [option: string]: unknown;
}

/**
 * A zod schema for an option that holds a nested step, written either as a strategy object
 * (TypeScript API) or as a `{ "use": NAME, ...options }` config (JSON).
 */
export const stepOptionSchema = z.union([
  z.custom<Strategy>((value) => isStrategy(value), { message: 'expected a strategy' }),
  z.looseObject({ use: z.string().min(1) }),
]);

/** A nested step option: a strategy or a `{ use, ...options }` config. */
export type StepOption = Strategy | StepConfig;

/**
 * Turns a step config (`{ use: 'knn', k: 1 }`) or a strategy into a strategy, looking the name
 * up in the registry; with `role`, checks the step has that role.
 */
export function resolveStep(value: StepOption, role?: StrategyRole, argument = 'step'): Strategy {
  let strategy: Strategy;
  if (isStrategy(value)) {
    strategy = value;
  } else if (value && typeof value === 'object' && typeof (value as StepConfig).use === 'string') {
    const { use, ...options } = value as StepConfig;
    strategy = getPlugin(use).create(options);
  } else {
    throw new TlkitError(
      'INVALID_CONFIG',
      `${argument}: expected a strategy or { "use": NAME, ...options }, got ${JSON.stringify(value)}.`,
      { argument },
    );
  }
  if (role && strategy.role !== role) {
    throw new TlkitError(
      'INVALID_CONFIG',
      `${argument}: '${strategy.name}' is a ${strategy.role} step; a ${role} step is needed here.`,
      { argument },
    );
  }
  return strategy;
}

/** The JSON config of a strategy: `{ use: name, ...config }`. */
export function strategyToConfig(strategy: Strategy): StepConfig {
  return { use: strategy.name, ...toJsonConfig(strategy.config, strategy.name) };
}

function toJsonConfig(config: Readonly<Record<string, unknown>>, where: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) out[key] = toJsonValue(value, `${where}.${key}`);
  return out;
}

function toJsonValue(value: unknown, where: string): unknown {
  if (value === undefined) return undefined;
  if (typeof value === 'object' && value !== null) {
    const saved = savedConfigOf(value);
    if (saved !== undefined) return saved;
  }
  if (value === null || typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') {
    return value;
  }
  if (Array.isArray(value)) return value.map((item, index) => toJsonValue(item, `${where}[${index}]`));
  if (isStrategy(value)) return strategyToConfig(value);
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return toJsonConfig(value as Record<string, unknown>, where);
  }
  throw new TlkitError(
    'INVALID_ARTIFACT',
    `option ${where} holds a ${typeof value === 'function' ? 'function' : 'non-JSON object'}, which cannot be saved; configure it by name (e.g. { use: 'mlp', ... }) to make the pipeline saveable.`,
    { option: where },
  );
}
