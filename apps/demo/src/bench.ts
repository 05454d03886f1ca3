/**
 * `pnpm bench`: runs every bench section (each file of src/bench/ exporting a `bench*` function)
 * and prints their figures: readable lines on stderr, and with `--json` exactly one JSON object on
 * stdout, keyed by section (file) name.
 *
 *   pnpm bench                  all sections
 *   pnpm -s bench --json        one JSON object on stdout
 *   pnpm bench --only gemm,linalg --quick
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { BenchContext, BenchFigures, BenchSection } from './bench/types';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    json: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
const json = values.json ?? false;
if (json) console.log = (...items: unknown[]) => console.error(...items);

const folder = join(fileURLToPath(new URL('.', import.meta.url)), 'bench');
const wanted = values.only ? new Set(values.only.split(',').map((name) => name.trim())) : null;
const files = (await readdir(folder)).filter((name) => name.endsWith('.js') && name !== 'types.js').sort();
const context: BenchContext = { log: (line) => process.stderr.write(`${line}\n`), quick: values.quick ?? false };
const figures: Record<string, BenchFigures> = {};
for (const file of files) {
  const name = file.replace(/\.js$/, '');
  if (wanted && !wanted.has(name)) continue;
  const module = (await import(pathToFileURL(join(folder, file)).href)) as Record<string, unknown>;
  const sections = Object.entries(module).filter(([key, value]) => key.startsWith('bench') && typeof value === 'function');
  for (const [, section] of sections) {
    context.log(`\n== bench: ${name} ==`);
    const started = performance.now();
    figures[name] = { ...(figures[name] ?? {}), ...(await (section as BenchSection)(context)) };
    context.log(`(${name}: ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
}
if (json) process.stdout.write(`${JSON.stringify(figures)}\n`);
else context.log(`\nbench: ${Object.keys(figures).length} sections done`);
