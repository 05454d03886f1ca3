/**
 * Bundles the page entry as a web app's bundler would: esbuild, `platform: 'browser'`, ESM, every
 * import resolved through node_modules and the packages' `exports` (so `@tlkit/*` means their
 * built `dist/`), no externals.
 */
import { builtinModules } from 'node:module';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { build, type Plugin } from 'esbuild';

/** One import of a Node built-in module that the bundle met. */
export interface BuiltinImport {
  /** The import specifier, e.g. `'node:fs'` or `'worker_threads'`. */
  readonly specifier: string;
  /** The importing file, relative to the workspace root. */
  readonly importer: string;
  /** esbuild's import kind (`import-statement`, `dynamic-import`, `require-call`, …). */
  readonly kind: string;
}

/** The bundled page and what went into it. */
export interface PageBundle {
  /** The bundle's JavaScript (one ESM file). */
  readonly code: string;
  /** Every input file of the bundle, relative to the workspace root (esbuild's metafile). */
  readonly inputs: string[];
  /** Node built-in imports made by third-party packages, each mapped to `false` by their `browser` field (tfjs's). */
  readonly mappedAwayBuiltins: BuiltinImport[];
}

const builtinNames = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

function isBuiltin(specifier: string): boolean {
  return builtinNames.has(specifier) || builtinNames.has(specifier.split('/')[0]) || specifier.startsWith('node:');
}

/**
 * Whether the package that contains `importer` maps `specifier` to `false` in the `browser` field
 * of its package.json (the field bundlers honour for `platform: 'browser'`).
 */
function browserFieldDisables(importer: string, specifier: string): boolean {
  let folder = dirname(importer);
  for (;;) {
    const manifest = join(folder, 'package.json');
    if (existsSync(manifest)) {
      const browserField = (JSON.parse(readFileSync(manifest, 'utf8')) as { browser?: unknown }).browser;
      if (typeof browserField !== 'object' || browserField === null) return false;
      const mapping = browserField as Record<string, unknown>;
      return mapping[specifier] === false || mapping[specifier.replace(/^node:/, '')] === false;
    }
    const parent = dirname(folder);
    if (parent === folder) return false;
    folder = parent;
  }
}

/**
 * Bundles `entry` for the browser. Fails (rejects) when a tlkit package or the page itself imports
 * a Node built-in, statically or dynamically, and when any other package imports one that its
 * `browser` field does not map to `false` (esbuild cannot resolve it then, or bundles a shim).
 *
 * @param entry - absolute path of the page's entry module.
 * @param workspaceRoot - the monorepo root; files under `<root>/packages/` and `<root>/apps/` count
 *   as tlkit's own code (followed through pnpm's symlinks), everything else as third-party.
 * @throws Error naming every offending import, with its importer, when the rule above is broken.
 */
export async function bundlePage(entry: string, workspaceRoot: string): Promise<PageBundle> {
  const root = realpathSync(workspaceRoot);
  const ownCode = [`${root}${sep}packages${sep}`, `${root}${sep}apps${sep}`];
  const offending: BuiltinImport[] = [];
  const thirdParty: BuiltinImport[] = [];
  const guard: Plugin = {
    name: 'tlkit-node-builtin-guard',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /.*/ }, (resolveArguments) => {
        if (!isBuiltin(resolveArguments.path)) return undefined;
        const importer = realpathSync(resolveArguments.importer);
        const record = { specifier: resolveArguments.path, importer: relative(root, importer), kind: resolveArguments.kind };
        const isOwnCode = ownCode.some((prefix) => importer.startsWith(prefix)) && !importer.includes(`${sep}node_modules${sep}`);
        if (isOwnCode) {
          // Kept out of the bundle so the build completes and every offending import is listed below.
          offending.push(record);
          return { path: resolveArguments.path, external: true };
        }
        // Let esbuild resolve third-party imports: their `browser` field may map them to an empty module.
        thirdParty.push(record);
        return undefined;
      });
    },
  };
  const result = await build({
    entryPoints: [entry],
    absWorkingDir: root,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    metafile: true,
    sourcemap: false,
    logLevel: 'silent',
    plugins: [guard],
  });
  if (offending.length > 0) {
    const lines = offending.map((entryRecord) => `  ${entryRecord.importer} imports '${entryRecord.specifier}' (${entryRecord.kind})`);
    throw new Error(`the browser bundle pulls in Node built-ins from tlkit code:\n${lines.join('\n')}`);
  }
  const output = result.outputFiles[0];
  if (!output) throw new Error('esbuild produced no output file');
  const inputs = Object.keys(result.metafile.inputs);
  const bundledBuiltins = thirdParty.filter((record) => !browserFieldDisables(join(root, record.importer), record.specifier));
  if (bundledBuiltins.length > 0) {
    const lines = bundledBuiltins.map((record) => `  ${record.importer} imports '${record.specifier}' (${record.kind})`);
    throw new Error(`the browser bundle contains Node built-ins that no browser field maps away:\n${lines.join('\n')}`);
  }
  return { code: output.text, inputs, mappedAwayBuiltins: thirdParty };
}
