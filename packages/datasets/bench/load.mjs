// Load-time figures for the shipped data (run after `pnpm build`):
//   node packages/datasets/bench/load.mjs [repetitions]
// Prints the median over repetitions of: reading + gunzip, parsing, the whole loadDomain, and
// loadDomain with verify: 'sha256', for every shipped domain.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DATASET_CATALOGUE, parseCsvMatrix } from '../dist/index.js';
import { loadDomain, shippedDataDirectory } from '../dist/node/index.js';

const repetitions = Number(process.argv[2] ?? 5);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const time = async (run) => {
  const start = performance.now();
  await run();
  return performance.now() - start;
};

const rows = [];
for (const [name, info] of Object.entries(DATASET_CATALOGUE)) {
  for (const domain of info.domains) {
    const file = join(shippedDataDirectory(), name, domain.name, 'X.csv.gz');
    const timings = { gunzip: [], parse: [], load: [], loadSha256: [] };
    let text;
    for (let r = 0; r < repetitions; r++) {
      timings.gunzip.push(await time(() => { text = gunzipSync(readFileSync(file)); }));
      timings.parse.push(await time(() => parseCsvMatrix(text)));
      timings.load.push(await time(() => loadDomain(name, domain.name)));
      timings.loadSha256.push(await time(() => loadDomain(name, domain.name, { verify: 'sha256' })));
    }
    rows.push({
      domain: `${name}/${domain.name}`,
      'n×d': `${domain.n}×${domain.d}`,
      'text MB': (text.length / 1e6).toFixed(1),
      'read+gunzip ms': median(timings.gunzip).toFixed(0),
      'parse ms': median(timings.parse).toFixed(0),
      'loadDomain ms': median(timings.load).toFixed(0),
      "verify 'sha256' ms": median(timings.loadSha256).toFixed(0),
    });
  }
}
console.table(rows);
