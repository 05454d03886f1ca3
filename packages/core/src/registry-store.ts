// The registry's one store (plugins and named components such as backbones), on globalThis. Kept
// apart from registry.ts, whose plugin lookup knows core's own plugins: the backbones use the
// component half without importing the plugins (no import cycle through the trainer).
import { TlkitError } from './errors';
import { didYouMean } from './suggest';
import type { Plugin } from './plugin';

const REGISTRY_KEY = Symbol.for('tlkit.registry.v1');

/** A named factory of something other than a strategy (backbones), kept beside the plugins. */
export interface NamedComponent {
  readonly name: string;
  readonly description: string;
}

interface RegistryStore {
  readonly plugins: Map<string, Plugin>;
  readonly components: Map<string, Map<string, NamedComponent>>;
}

/**
 * The one registry of this JavaScript realm. It lives on `globalThis` under a `Symbol.for` key,
 * so the ESM and CJS copies of `@tlkit/core` (or two versions) share it.
 */
export function store(): RegistryStore {
  const holder = globalThis as unknown as Record<symbol, RegistryStore | undefined>;
  let registry = holder[REGISTRY_KEY];
  if (!registry) {
    registry = { plugins: new Map(), components: new Map() };
    holder[REGISTRY_KEY] = registry;
  }
  return registry;
}

/** Registers a named component (e.g. a backbone) in the given namespace. @internal */
export function registerComponent<T extends NamedComponent>(namespace: string, component: T): void {
  let space = store().components.get(namespace);
  if (!space) {
    space = new Map();
    store().components.set(namespace, space);
  }
  space.set(component.name, component);
}

/** Looks a named component up, or throws `UNKNOWN_PLUGIN`. @internal */
export function getComponent<T extends NamedComponent>(namespace: string, name: string): T {
  const component = store().components.get(namespace)?.get(name);
  if (!component) {
    const known = [...(store().components.get(namespace)?.keys() ?? [])].sort();
    throw new TlkitError(
      'UNKNOWN_PLUGIN',
      `no ${namespace} named '${name}' is registered.${didYouMean(name, known)} Known: ${known.length ? known.join(', ') : '(none)'}.`,
      { name, known },
    );
  }
  return component as T;
}

/** Every component of a namespace. @internal */
export function listComponents<T extends NamedComponent>(namespace: string): T[] {
  return [...(store().components.get(namespace)?.values() ?? [])] as T[];
}

