/**
 * Finds the file a plugin specifier names, the way `import` would: a package name is looked up in
 * the `node_modules` folders from a base directory upwards, and its package.json `exports` are read
 * with the ESM conditions `import`, `node` and `default` (then `main`, then `index.js`). A path
 * (`./x`, `../x`, `/x`) is taken relative to the base directory; a directory is a package folder.
 *
 * Node 20's `import.meta.resolve` takes no parent URL unflagged, and `createRequire().resolve`
 * uses the CommonJS `require` conditions (an ESM-only package is "not found", a dual package gives
 * its CommonJS build, with a second copy of @tlkit/core), hence this small resolver.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { TlkitError } from '@tlkit/core';

/** The package.json `exports` conditions the CLI matches, as Node's `import` does. */
export const IMPORT_CONDITIONS: ReadonlySet<string> = new Set(['import', 'node', 'default']);

type Exports = string | null | readonly Exports[] | { readonly [key: string]: Exports };

/** True for `./x`, `../x`, `.`, `..` and absolute paths. */
export function isPathSpecifier(specifier: string): boolean {
  return specifier === '.' || specifier === '..' || /^\.\.?[\\/]/.test(specifier) || isAbsolute(specifier);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Picks the target of one `exports` entry under the import conditions (null: none matches). */
function matchConditions(entry: Exports, replacement?: string): string | null {
  if (typeof entry === 'string') return replacement === undefined ? entry : entry.replaceAll('*', replacement);
  if (entry === null) return null;
  if (Array.isArray(entry)) {
    for (const item of entry) {
      const target = matchConditions(item, replacement);
      if (target !== null) return target;
    }
    return null;
  }
  for (const [condition, value] of Object.entries(entry as Record<string, Exports>)) {
    if (!IMPORT_CONDITIONS.has(condition)) continue;
    const target = matchConditions(value, replacement);
    if (target !== null) return target;
  }
  return null;
}

/** The `exports` target of a subpath (`.` or `./sub`), or null when the package does not export it. */
export function resolveExports(exports: Exports, subpath: string): string | null {
  const isSubpathMap =
    typeof exports === 'object' && exports !== null && !Array.isArray(exports) && Object.keys(exports).some((key) => key.startsWith('.'));
  if (!isSubpathMap) return subpath === '.' ? matchConditions(exports) : null;
  const map = exports as Record<string, Exports>;
  if (Object.hasOwn(map, subpath)) return matchConditions(map[subpath]);
  // Subpath patterns ("./*": "./dist/*.js"), as Node matches them: `*` stands for at least one
  // character; the longest prefix wins, then the longest key.
  let best: { key: string; rest: string } | undefined;
  for (const key of Object.keys(map)) {
    const star = key.indexOf('*');
    if (star === -1) continue;
    const prefix = key.slice(0, star);
    const suffix = key.slice(star + 1);
    if (subpath.startsWith(prefix) && subpath.endsWith(suffix) && subpath.length >= key.length) {
      const bestStar = best?.key.indexOf('*') ?? -1;
      if (!best || star > bestStar || (star === bestStar && key.length > best.key.length)) {
        best = { key, rest: subpath.slice(prefix.length, subpath.length - suffix.length) };
      }
    }
  }
  return best ? matchConditions(map[best.key], best.rest) : null;
}

/** The entry file of a package folder: `exports` (import conditions), else `main`, else index.js. */
function packageEntry(folder: string, subpath: string, specifier: string): string {
  const manifestPath = join(folder, 'package.json');
  let manifest: { exports?: Exports; main?: string } = {};
  if (existsSync(manifestPath)) {
    try {
      manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as typeof manifest;
    } catch (error) {
      throw new TlkitError('UNKNOWN_PLUGIN', `plugin '${specifier}': ${manifestPath} is not valid JSON (${(error as Error).message}).`, {
        name: specifier,
        path: manifestPath,
      });
    }
  }
  if (manifest.exports !== undefined) {
    const target = resolveExports(manifest.exports, subpath);
    if (target === null) {
      throw new TlkitError(
        'UNKNOWN_PLUGIN',
        `plugin '${specifier}': ${manifestPath} "exports" has no ${subpath === '.' ? 'main entry' : `'${subpath}' entry`} for the conditions ${[...IMPORT_CONDITIONS].join(', ')}; the package must export an ES module ("exports": {".": {"import": "./dist/index.js"}}).`,
        { name: specifier, path: manifestPath },
      );
    }
    const file = resolve(folder, target);
    if (!isFile(file)) {
      throw new TlkitError('UNKNOWN_PLUGIN', `plugin '${specifier}': ${manifestPath} "exports" points to ${file}, which does not exist; build the package first.`, {
        name: specifier,
        path: file,
      });
    }
    return file;
  }
  const candidates =
    subpath === '.'
      ? [manifest.main && resolve(folder, manifest.main), manifest.main && resolve(folder, `${manifest.main}.js`), join(folder, 'index.js')]
      : [resolve(folder, subpath), resolve(folder, `${subpath}.js`)];
  for (const candidate of candidates) if (candidate && isFile(candidate)) return candidate;
  throw new TlkitError(
    'UNKNOWN_PLUGIN',
    `plugin '${specifier}': ${folder} has no entry file (looked for ${candidates.filter(Boolean).join(', ')}); give its package.json "exports" or "main", or build the package first.`,
    { name: specifier, path: folder },
  );
}

/** Splits `@scope/name/sub` into `@scope/name` and `./sub`. */
function splitPackageName(specifier: string): { name: string; subpath: string } | null {
  const parts = specifier.split('/');
  const length = specifier.startsWith('@') ? 2 : 1;
  if (parts.length < length || parts.slice(0, length).some((part) => part === '')) return null;
  const name = parts.slice(0, length).join('/');
  const rest = parts.slice(length).join('/');
  return { name, subpath: rest ? `./${rest}` : '.' };
}

/**
 * The absolute file path of the plugin module `specifier` names, resolved with ESM conditions.
 *
 * @param specifier - a package name (`tlkit-plugin-x`, `@scope/x/sub`), or a path to a module file
 *   or to a package folder.
 * @param bases - the directories to resolve from, in order (a path uses the first); each one's
 *   `node_modules` and its parents' are searched for a package name.
 * @throws TlkitError `UNKNOWN_PLUGIN` naming the plugin and every place it looked.
 */
export function resolvePluginFile(specifier: string, bases: readonly string[]): string {
  const [base = process.cwd()] = bases;
  if (isPathSpecifier(specifier)) {
    const path = resolve(base, specifier);
    if (isDirectory(path)) return packageEntry(path, '.', specifier);
    if (isFile(path)) return path;
    throw new TlkitError('UNKNOWN_PLUGIN', `plugin '${specifier}': ${path} does not exist (the path is taken relative to ${base}).`, {
      name: specifier,
      path,
    });
  }
  const parsed = splitPackageName(specifier);
  if (!parsed) {
    throw new TlkitError('UNKNOWN_PLUGIN', `plugin '${specifier}' is neither a package name nor a path (./file.js, /abs/folder).`, { name: specifier });
  }
  const looked: string[] = [];
  for (const start of new Set(bases.map((entry) => resolve(entry)))) {
    let folder = start;
    for (;;) {
      if (!folder.endsWith(`${sep}node_modules`)) {
        const modules = join(folder, 'node_modules');
        if (!looked.includes(modules)) {
          looked.push(modules);
          const packageFolder = join(modules, parsed.name);
          if (isDirectory(packageFolder)) return packageEntry(packageFolder, parsed.subpath, specifier);
        }
      }
      const parent = dirname(folder);
      if (parent === folder) break;
      folder = parent;
    }
  }
  throw new TlkitError(
    'UNKNOWN_PLUGIN',
    `plugin package '${parsed.name}' is not installed; looked in ${looked.join(', ')}. Install it (npm i ${parsed.name}) next to your config or in the working directory, or pass a path to its folder or file.`,
    { name: specifier, looked },
  );
}
