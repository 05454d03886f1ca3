/**
 * @tlkit/core's CommonJS build, as a `require()` user gets it: the main entry and the `/node` and
 * `/testing` subpaths must share one copy of core (one `Matrix`, one `TlkitError`), or a pipeline
 * loaded with `loadPipelineFromDirectory` rejects every `Matrix` made through `@tlkit/core` or
 * `@tlkit/datasets` (reviews/pack-install.md, finding 1). ESM is checked alongside.
 *
 * It reads core's built `dist/` (not the sources the other tests use). The test lives here, in a
 * package that depends on core, because turbo runs a package's tests after its dependencies'
 * builds (`test.dependsOn: ["^build"]`), not after its own build.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const packageRoot = fileURLToPath(new URL('../', import.meta.url));
const coreDist = fileURLToPath(new URL('../../core/dist/', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'tlkit-core-dist-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function requireBuilt(): void {
  for (const entry of ['index.cjs', 'node/index.cjs', 'testing/index.cjs', 'index.js', 'node/index.js']) {
    const file = join(coreDist, entry);
    if (!existsSync(file)) throw new Error(`${file} is missing: run \`pnpm build\` first (\`pnpm test\` builds before testing).`);
  }
}

/** Runs `source` with node from inside this package, so `@tlkit/core` resolves through its exports map. */
async function runScript(name: string, source: string): Promise<Record<string, unknown>> {
  const folder = join(packageRoot, 'test-results', 'core-dist');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, name), source);
  const { stdout } = await run(process.execPath, [name], {
    cwd: folder,
    env: { ...process.env, TLKIT_BACKEND: 'cpu', PIPELINE_DIR: join(scratch, name) },
    timeout: 110_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
}

// The same checks for both module systems; `load` is `require` or `await import`.
const checks = (load: (specifier: string) => string) => `
const core = ${load('@tlkit/core')};
const coreNode = ${load('@tlkit/core/node')};
const result = {};
(async () => {
  await core.setupBackend({ backend: 'cpu', log: false });
  let error;
  try { await coreNode.loadPipelineFromDirectory(process.env.PIPELINE_DIR + '-missing'); } catch (e) { error = e; }
  result.nodeErrorIsCoreTlkitError = error instanceof core.TlkitError;
  const task = { source: { X: [[0, 0], [4, 4]], y: [0, 1] }, target: { X: [[1, 1], [5, 5]] }, problem: 'classification' };
  await coreNode.savePipeline(await core.compose(core.knn({ k: 1 })).fit(task), process.env.PIPELINE_DIR);
  const back = await coreNode.loadPipelineFromDirectory(process.env.PIPELINE_DIR);
  result.loadedIsCoreFittedPipeline = back instanceof core.FittedPipeline;
  result.predictRows = Array.from(back.predict([[1, 1], [5, 5]]));
  try { result.predictMatrix = Array.from(back.predict(core.Matrix.fromRows([[1, 1], [5, 5]]))); }
  catch (e) { result.predictMatrix = String(e && e.message); }
  console.log(JSON.stringify(result));
})().catch((e) => { console.log(JSON.stringify({ failed: String(e && e.stack) })); });
`;

const expected = {
  nodeErrorIsCoreTlkitError: true,
  loadedIsCoreFittedPipeline: true,
  predictRows: [0, 1],
  predictMatrix: [0, 1],
};

describe("@tlkit/core's built entries share one copy of core", () => {
  it('CommonJS: a pipeline saved and loaded through require("@tlkit/core/node") accepts core\'s Matrix', { timeout: 120_000 }, async () => {
    requireBuilt();
    expect(await runScript('identity.cjs', checks((specifier) => `require('${specifier}')`))).toEqual(expected);
  });

  it('ESM: the same through import', { timeout: 120_000 }, async () => {
    requireBuilt();
    // Top-level await: an .mjs file is a module.
    expect(await runScript('identity.mjs', checks((specifier) => `await import('${specifier}')`))).toEqual(expected);
  });

  it('every class of core is defined in one built file per module system (so /node and /testing reuse the main copy)', () => {
    requireBuilt();
    const files = (extension: string) =>
      readdirSync(coreDist, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith(extension));
    for (const extension of ['.cjs', '.js']) {
      for (const name of ['Matrix', 'TlkitError', 'FittedPipeline']) {
        const defining = files(extension).filter((file) => new RegExp(`\\b(?:class ${name}|${name} = \\(?(?:_class\\d* = )?class)\\b`).test(readFileSync(join(coreDist, file), 'utf8')));
        expect(defining, `files of core's dist/ (${extension}) that define class ${name}`).toHaveLength(1);
      }
    }
  });
});
