/**
 * Finds and registers plugins: the repo's own packages, and any package a user names with
 * `--plugin` or a config's `"plugins"`. A module's exports are scanned for plugins (made with
 * `definePlugin`), arrays of plugins, and backbones (made with `defineBackbone`).
 */
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isBackbone, isPlugin, registerBackbone, registerPlugin, TlkitError } from '@tlkit/core';

/** The repo's packages that may hold plugins; those not installed are skipped. */
export const BUILT_IN_PACKAGES = [
  '@tlkit/core',
  '@tlkit/models',
  '@tlkit/instance',
  '@tlkit/feature',
  '@tlkit/parameter',
  '@tlkit/relational',
  '@tlkit/adversarial',
] as const;

function isMissing(error: unknown, specifier: string): boolean {
  const code = (error as { code?: string }).code;
  const message = String((error as Error).message ?? '');
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message.includes(specifier);
}

/** Registers every plugin and backbone a module exports; returns how many. */
export function registerModuleExports(module: Record<string, unknown>): number {
  let count = 0;
  const visit = (value: unknown) => {
    if (isPlugin(value)) {
      registerPlugin(value);
      count++;
    } else if (isBackbone(value)) {
      registerBackbone(value);
      count++;
    } else if (Array.isArray(value)) {
      for (const item of value) if (isPlugin(item) || isBackbone(item)) visit(item);
    }
  };
  for (const value of Object.values(module)) visit(value);
  return count;
}

/** Imports a package by name or path, resolving from the working directory first. */
async function importFrom(specifier: string): Promise<Record<string, unknown>> {
  if (specifier.startsWith('.') || isAbsolute(specifier)) {
    return (await import(pathToFileURL(resolve(specifier)).href)) as Record<string, unknown>;
  }
  try {
    const fromCwd = createRequire(join(process.cwd(), 'package.json')).resolve(specifier);
    return (await import(pathToFileURL(fromCwd).href)) as Record<string, unknown>;
  } catch {
    return (await import(specifier)) as Record<string, unknown>;
  }
}

/** Registers the built-in packages that are installed. Returns the package names found. */
export async function registerBuiltInPlugins(): Promise<string[]> {
  const found: string[] = [];
  for (const name of BUILT_IN_PACKAGES) {
    try {
      registerModuleExports((await import(name)) as Record<string, unknown>);
      found.push(name);
    } catch (error) {
      if (!isMissing(error, name)) throw error;
    }
  }
  return found;
}

/** Imports and registers user-named plugin packages; a package with no plugins is an error. */
export async function registerExtraPlugins(specifiers: readonly string[]): Promise<void> {
  for (const specifier of specifiers) {
    let module: Record<string, unknown>;
    try {
      module = await importFrom(specifier);
    } catch (error) {
      throw new TlkitError(
        'UNKNOWN_PLUGIN',
        `could not import plugin package '${specifier}' (${(error as Error).message.split('\n')[0]}); install it next to your config (npm i ${specifier}) or pass a path.`,
        { name: specifier },
      );
    }
    if (registerModuleExports(module) === 0) {
      throw new TlkitError(
        'UNKNOWN_PLUGIN',
        `package '${specifier}' exports no tlkit plugin; export the objects made with definePlugin() (or defineBackbone()).`,
        { name: specifier },
      );
    }
  }
}
