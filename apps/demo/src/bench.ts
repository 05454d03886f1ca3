/**
 * `pnpm bench`: runs every bench section (each file of src/bench/ exporting a `bench*` function)
 * and prints their figures: readable lines on stderr, and with `--json` exactly one JSON object on
 * stdout, keyed by section (file) name.
 *
 *   pnpm bench                  all sections
 *   pnpm -s bench --json        one JSON object on stdout
 *   pnpm bench --only gemm,linalg --quick
 *
 * A bad argument (an unknown option or section name) is one line on stderr, exit 2, before any
 * section runs.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isTlkitError } from '@tlkit/core';
import { type BenchArguments, benchSectionNames, parseBenchArguments } from './bench-arguments';
import type { BenchContext, BenchFigures, BenchSection } from './bench/types';

const folder = join(fileURLToPath(new URL('.', import.meta.url)), 'bench');
const sections = benchSectionNames(await readdir(folder));
let options: BenchArguments | undefined;
try {
  options = parseBenchArguments(process.argv.slice(2), sections);
} catch (error) {
  if (!isTlkitError(error)) throw error;
  process.stderr.write(`bench: ${error.message}\n`);
  process.exitCode = 2;
}
if (options) await runSections(options);

async function runSections({ json, quick, only }: BenchArguments): Promise<void> {
  if (json) console.log = (...items: unknown[]) => console.error(...items);
  const context: BenchContext = { log: (line) => process.stderr.write(`${line}\n`), quick };
  const figures: Record<string, BenchFigures> = {};
  for (const name of sections) {
    if (only && !only.has(name)) continue;
    const module = (await import(pathToFileURL(join(folder, `${name}.js`)).href)) as Record<string, unknown>;
    const benches = Object.entries(module).filter(([key, value]) => key.startsWith('bench') && typeof value === 'function');
    for (const [, section] of benches) {
      context.log(`\n== bench: ${name} ==`);
      const started = performance.now();
      figures[name] = { ...(figures[name] ?? {}), ...(await (section as BenchSection)(context)) };
      context.log(`(${name}: ${((performance.now() - started) / 1000).toFixed(1)} s)`);
    }
  }
  if (json) process.stdout.write(`${JSON.stringify(figures)}\n`);
  else context.log(`\nbench: ${Object.keys(figures).length} sections done`);
}
