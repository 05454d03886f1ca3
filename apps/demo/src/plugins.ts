/**
 * Finds and registers plugins: the repo's own packages, and any package a user names with
 * `--plugin` or a config's `"plugins"`. A module's exports are scanned for plugins (made with
 * `definePlugin`), arrays of plugins, and backbones (made with `defineBackbone`).
 */
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isBackbone, isPlugin, isTlkitError, registerBackbone, registerPlugin, TlkitError } from '@tlkit/core';
import { isPathSpecifier, resolvePluginFile } from './resolve-plugin';

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

/** The CLI's own folder: the last place a package name is looked up (the repo's @tlkit packages). */
const cliFolder = dirname(fileURLToPath(import.meta.url));

/**
 * Imports a plugin package by name or path with ESM resolution (see resolve-plugin.ts): a path is
 * relative to `base`; a name is looked up from `base`, then the working directory, then the CLI.
 */
async function importFrom(specifier: string, base: string): Promise<Record<string, unknown>> {
  const bases = isPathSpecifier(specifier) ? [base] : [base, process.cwd(), cliFolder];
  const file = resolvePluginFile(specifier, bases);
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
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

/**
 * Imports and registers user-named plugin packages; a package with no plugins is an error.
 *
 * @param specifiers - package names, or paths to a module file or a package folder.
 * @param base - the folder paths and names are resolved from: the working directory for
 *   `--plugin`, the config file's folder for a config's `"plugins"`.
 * @throws TlkitError `UNKNOWN_PLUGIN` naming the plugin and where it looked.
 */
export async function registerExtraPlugins(specifiers: readonly string[], base: string = process.cwd()): Promise<void> {
  for (const specifier of specifiers) {
    let module: Record<string, unknown>;
    try {
      module = await importFrom(specifier, base);
    } catch (error) {
      if (isTlkitError(error)) throw error;
      throw new TlkitError(
        'UNKNOWN_PLUGIN',
        `could not import plugin '${specifier}' (${(error as Error).message.split('\n')[0]}).`,
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
