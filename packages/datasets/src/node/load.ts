import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { TlkitError } from '@tlkit/core';
import { assembleDomain, checkSha256, isGzip, type VerifyLevel } from '../assemble';
import { DATASET_CATALOGUE, getCatalogueDomain, getDatasetInfo } from '../catalogue';
import type { DatasetDomain, LoadedDataset } from '../types';

const gunzipAsync = promisify(gunzip);

/** Options of the disk loaders. */
export interface LoadOptions {
  /**
   * `'counts'` (default): check `n`, `d`, labels and class counts against meta.json — free.
   * `'sha256'`: also hash the decompressed `X.csv` and `y.csv` and compare with meta.json;
   * costs one SHA-256 pass over the text: about 0.06 s for the 18 MB of the 10000 × 784 MNIST
   * domain on a 2-core machine (whose load takes about 0.43 s), a few ms for the Office domains.
   */
  readonly verify?: VerifyLevel;
}

/** Options of {@link loadShippedDataset} and {@link loadDomain}. */
export interface ShippedLoadOptions extends LoadOptions {
  /** The folder holding the shipped data. Default: the package's own `data/` folder (found from this module's location). */
  readonly dataDirectory?: string;
}

let cachedDataDirectory: string | undefined;

function moduleDirectory(): string {
  // ESM and the TypeScript source: import.meta.url; the CommonJS build gets it shimmed by tsup.
  return dirname(fileURLToPath(import.meta.url));
}

function isOwnPackageRoot(directory: string): boolean {
  const manifest = join(directory, 'package.json');
  if (!existsSync(manifest) || !existsSync(join(directory, 'data'))) return false;
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === '@tlkit/datasets';
  } catch {
    return false;
  }
}

/**
 * The absolute path of the package's shipped `data/` folder. Found by walking up from this
 * module's file to the `@tlkit/datasets` package root, so it works from `dist/node/index.js`
 * (ESM), `dist/node/index.cjs` (CommonJS) and `src/node/load.ts` (tests under vitest).
 *
 * @throws TlkitError `DATA_NOT_FOUND` naming the folder the search started from (e.g. when a
 *   bundler moved this module away from the package; pass `dataDirectory` then).
 * @example
 * ```ts
 * shippedDataDirectory(); // '/app/node_modules/@tlkit/datasets/data'
 * ```
 */
export function shippedDataDirectory(): string {
  if (cachedDataDirectory) return cachedDataDirectory;
  const start = moduleDirectory();
  let directory = start;
  for (let depth = 0; depth < 6; depth++) {
    if (isOwnPackageRoot(directory)) {
      cachedDataDirectory = join(directory, 'data');
      return cachedDataDirectory;
    }
    const parent = dirname(directory);
    if (parent === directory) break;
    directory = parent;
  }
  throw new TlkitError(
    'DATA_NOT_FOUND',
    `cannot find the @tlkit/datasets data/ folder above ${start} (was the module bundled away from its package?). Pass { dataDirectory } pointing at a copy of node_modules/@tlkit/datasets/data.`,
    { path: start },
  );
}

async function readRequired(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TlkitError(
      'DATA_NOT_FOUND',
      `${what}: cannot read ${path} (${code ?? (error as Error).message}). A domain folder holds X.csv.gz (or X.csv), y.csv and meta.json.`,
      { path },
    );
  }
}

async function readDomainFolder(
  dataset: string,
  domain: string,
  folder: string,
  options: LoadOptions,
): Promise<DatasetDomain> {
  const verify = options.verify ?? 'counts';
  if (verify !== 'counts' && verify !== 'sha256') {
    throw new TlkitError('INVALID_ARGUMENT', `options.verify must be 'counts' or 'sha256', got ${JSON.stringify(verify)}.`, {
      argument: 'options.verify',
    });
  }
  const what = `${dataset}/${domain}`;
  const gzPath = join(folder, 'X.csv.gz');
  const xPath = existsSync(gzPath) || !existsSync(join(folder, 'X.csv')) ? gzPath : join(folder, 'X.csv');
  const [metaBytes, yBytes, xRaw] = await Promise.all([
    readRequired(join(folder, 'meta.json'), what),
    readRequired(join(folder, 'y.csv'), what),
    readRequired(xPath, what),
  ]);
  let xBytes: Uint8Array = xRaw;
  if (isGzip(xRaw)) {
    try {
      xBytes = await gunzipAsync(xRaw);
    } catch (error) {
      throw new TlkitError('INVALID_ARTIFACT', `${xPath}: not a valid gzip file (${(error as Error).message}).`, { path: xPath });
    }
  }
  const loaded = assembleDomain({
    dataset,
    domain,
    location: folder,
    metaText: metaBytes.toString('utf8'),
    xBytes,
    yBytes,
  });
  if (verify === 'sha256') {
    checkSha256(createHash('sha256').update(xBytes).digest('hex'), loaded.meta.sha256_X_csv_uncompressed, xPath);
    checkSha256(createHash('sha256').update(yBytes).digest('hex'), loaded.meta.sha256_y_csv, join(folder, 'y.csv'));
  }
  return loaded;
}

/**
 * Loads one domain of a shipped dataset from the package's `data/` folder and checks it
 * against its meta.json (n, d, labels, class counts; SHA-256 on request).
 *
 * @param name - a shipped dataset: `'office_caltech10_surf'`, `'mnist_usps'` or `'mnist_usps_jda'`.
 * @param domain - a domain name (`'amazon'`) or its letter (`'A'`).
 * @param options - `verify` (default `'counts'`), `dataDirectory`.
 * @throws TlkitError `DATA_NOT_FOUND` (unknown dataset or domain, or a missing file: the
 *   message names the path), `INVALID_ARTIFACT`, `DIMENSION_MISMATCH`.
 * @example
 * ```ts
 * import { loadDomain } from '@tlkit/datasets/node';
 * const mnist = await loadDomain('mnist_usps', 'mnist');
 * mnist.X.rows; // 10000
 * ```
 */
export async function loadDomain(name: string, domain: string, options: ShippedLoadOptions = {}): Promise<DatasetDomain> {
  const entry = getCatalogueDomain(name, domain);
  const root = options.dataDirectory !== undefined ? resolve(options.dataDirectory) : shippedDataDirectory();
  return readDomainFolder(name, entry.name, join(root, name, entry.name), options);
}

/**
 * Loads every domain (or the listed ones) of a shipped dataset.
 *
 * @param name - a shipped dataset name.
 * @param options - `domains` (default all), `verify` (default `'counts'`), `dataDirectory`.
 * @example
 * ```ts
 * import { loadShippedDataset } from '@tlkit/datasets/node';
 * import { makeTransferTask } from '@tlkit/datasets';
 * const office = await loadShippedDataset('office_caltech10_surf', { domains: ['caltech', 'amazon'] });
 * const task = makeTransferTask(office, 'caltech', 'amazon');
 * ```
 */
export async function loadShippedDataset(
  name: string,
  options: ShippedLoadOptions & { readonly domains?: readonly string[] } = {},
): Promise<LoadedDataset> {
  const info = getDatasetInfo(name);
  const wanted = options.domains ?? DATASET_CATALOGUE[info.name].domains.map((entry) => entry.name);
  const domains = await Promise.all(wanted.map((domain) => loadDomain(name, domain, options)));
  return { name, domains: Object.fromEntries(domains.map((domain) => [domain.name, domain])) };
}

/**
 * Loads a dataset of your own from a folder of domain subfolders in the shipped format
 * (`DIR/<domain>/{X.csv.gz | X.csv, y.csv, meta.json}`; see the package README). This is what
 * the CLI's `"dataset": { "path": DIR }` reads. `meta.json` needs at least `n` and `d`; `classes`,
 * `shape`, `splits`, `class_counts` and the SHA-256 fields are checked when present.
 *
 * @param directory - the dataset folder; its name becomes the dataset's name (unless `name` is given).
 * @param options - `domains` (default: every subfolder holding a meta.json, sorted), `verify`
 *   (default `'counts'`), `name`.
 * @throws TlkitError `DATA_NOT_FOUND` naming the path when the folder, a domain or a file is
 *   missing; `INVALID_ARTIFACT` for a bad meta.json or checksum; `DIMENSION_MISMATCH` when X/y
 *   disagree with meta.json.
 * @example
 * ```ts
 * import { loadDatasetFromDirectory } from '@tlkit/datasets/node';
 * const mine = await loadDatasetFromDirectory('./my-data'); // my-data/{clinic_a,clinic_b}/...
 * ```
 */
export async function loadDatasetFromDirectory(
  directory: string,
  options: LoadOptions & { readonly domains?: readonly string[]; readonly name?: string } = {},
): Promise<LoadedDataset> {
  if (typeof directory !== 'string' || directory === '') {
    throw new TlkitError('INVALID_ARGUMENT', 'directory must be a folder path.', { argument: 'directory' });
  }
  const root = resolve(directory);
  let isDirectory = false;
  try {
    isDirectory = (await stat(root)).isDirectory();
  } catch {
    isDirectory = false;
  }
  if (!isDirectory) {
    throw new TlkitError('DATA_NOT_FOUND', `dataset folder ${root} does not exist or is not a folder.`, { path: root });
  }
  const name = options.name ?? basename(root);
  let domainNames: readonly string[];
  if (options.domains !== undefined) {
    domainNames = options.domains;
    for (const domain of domainNames) {
      if (!existsSync(join(root, domain, 'meta.json'))) {
        throw new TlkitError('DATA_NOT_FOUND', `domain ${domain}: ${join(root, domain, 'meta.json')} does not exist.`, {
          path: join(root, domain),
        });
      }
    }
  } else {
    const entries = await readdir(root, { withFileTypes: true });
    domainNames = entries
      .filter((entry) => entry.isDirectory() && existsSync(join(root, entry.name, 'meta.json')))
      .map((entry) => entry.name)
      .sort();
    if (domainNames.length === 0) {
      throw new TlkitError(
        'DATA_NOT_FOUND',
        `${root} has no domain subfolders (a domain is a subfolder holding meta.json, y.csv and X.csv.gz or X.csv).`,
        { path: root },
      );
    }
  }
  const domains = await Promise.all(domainNames.map((domain) => readDomainFolder(name, domain, join(root, domain), options)));
  return { name, domains: Object.fromEntries(domains.map((domain) => [domain.name, domain])) };
}
