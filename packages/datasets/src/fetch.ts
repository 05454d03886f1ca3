import { TlkitError } from '@tlkit/core';
import { assembleDomain, checkSha256, isGzip, toHex, type VerifyLevel } from './assemble';
import { DATASET_CATALOGUE, getCatalogueDomain, isShippedDatasetName } from './catalogue';
import type { DatasetDomain, LoadedDataset } from './types';

/** Options of {@link fetchDomain} and {@link fetchDataset}. */
export interface FetchDatasetOptions {
  /**
   * URL of the folder that holds `<dataset>/<domain>/{X.csv.gz, y.csv, meta.json}`: a copy of
   * the package's `data/` folder on your server, or a CDN path to it, e.g.
   * `https://cdn.jsdelivr.net/npm/@tlkit/datasets@<version>/data`. Relative URLs work in a page.
   */
  readonly baseUrl: string | URL;
  /**
   * `'counts'` (default): check `n`, `d`, labels and class counts against meta.json.
   * `'sha256'`: also hash the decompressed `X.csv` and `y.csv` with `crypto.subtle` (needs a
   * secure context: https or localhost) and compare with meta.json.
   */
  readonly verify?: VerifyLevel;
  /** The `fetch` to use. Default `globalThis.fetch`. */
  readonly fetch?: (input: string, init?: RequestInit) => Promise<Response>;
  /** Passed to every request, e.g. to abort a slow download. */
  readonly signal?: AbortSignal;
}

function joinUrl(base: string | URL, ...parts: string[]): string {
  const text = String(base);
  const trimmed = text.endsWith('/') ? text.slice(0, -1) : text;
  return [trimmed, ...parts.map((part) => encodeURIComponent(part))].join('/');
}

async function fetchBytes(url: string, options: FetchDatasetOptions): Promise<Uint8Array> {
  const fetcher = options.fetch ?? globalThis.fetch;
  if (typeof fetcher !== 'function') {
    throw new TlkitError('INVALID_ARGUMENT', 'no fetch is available here; pass options.fetch.', { argument: 'options.fetch' });
  }
  let response: Response;
  try {
    response = await fetcher(url, options.signal ? { signal: options.signal } : undefined);
  } catch (error) {
    throw new TlkitError('DATA_NOT_FOUND', `could not fetch ${url}: ${(error as Error).message}. Check options.baseUrl.`, {
      path: url,
    });
  }
  if (!response.ok) {
    throw new TlkitError(
      'DATA_NOT_FOUND',
      `fetching ${url} gave HTTP ${response.status}. Check options.baseUrl: it must point at a folder holding <dataset>/<domain>/X.csv.gz, y.csv and meta.json (a copy of the package's data/ folder).`,
      { path: url, status: response.status },
    );
  }
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * Decompresses gzip bytes with the platform's `DecompressionStream` (browsers, Deno, Node ≥ 18).
 * Bytes that are not gzip are returned as they are: a server that sends `X.csv.gz` with
 * `Content-Encoding: gzip` has the browser decompress it already.
 *
 * @param bytes - gzip data (or already plain data).
 * @throws TlkitError `INVALID_ARGUMENT` when the platform has no `DecompressionStream`,
 *   `INVALID_ARTIFACT` for gzip data that is cut short or damaged.
 * @example
 * ```ts
 * const response = await fetch('/data/my-set/a/X.csv.gz');
 * const X = parseCsvMatrix(await gunzipBytes(new Uint8Array(await response.arrayBuffer())));
 * ```
 */
export async function gunzipBytes(bytes: Uint8Array): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  if (typeof DecompressionStream !== 'function') {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      'this platform has no DecompressionStream to gunzip X.csv.gz; serve the file decompressed, or load from disk with @tlkit/datasets/node.',
      { argument: 'bytes' },
    );
  }
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
  try {
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (error) {
    throw new TlkitError('INVALID_ARTIFACT', `the bytes start like gzip but do not decompress (${(error as Error).message}); the file is cut short or damaged.`, {
      argument: 'bytes',
    });
  }
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    throw new TlkitError('INVALID_ARGUMENT', "crypto.subtle is not available (not a secure context); load with verify: 'counts'.", {
      argument: 'options.verify',
    });
  }
  return toHex(new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)));
}

/**
 * Fetches one domain over HTTP (browser, or any runtime with `fetch`): `meta.json`, `y.csv` and
 * `X.csv.gz` (gunzipped with `DecompressionStream`), then checks it against meta.json.
 *
 * @param dataset - the dataset folder name, e.g. `'office_caltech10_surf'`.
 * @param domain - the domain folder name, e.g. `'amazon'` (for a shipped dataset its letter, e.g. `'A'`, works too).
 * @param options - `baseUrl` (required), `verify` (default `'counts'`), `fetch`, `signal`.
 * @throws TlkitError `DATA_NOT_FOUND` (a request failed; the message names the URL),
 * `INVALID_ARTIFACT` (bad meta.json, checksum or class counts), `DIMENSION_MISMATCH` (X or y
 * disagree with meta.json's `n`/`d`), and the parse errors of {@link parseCsvMatrix}.
 * @example
 * ```ts
 * const amazon = await fetchDomain('office_caltech10_surf', 'amazon', { baseUrl: '/tlkit-data' });
 * ```
 */
export async function fetchDomain(dataset: string, domain: string, options: FetchDatasetOptions): Promise<DatasetDomain> {
  if (!options || (typeof options.baseUrl !== 'string' && !(options.baseUrl instanceof URL))) {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      'options.baseUrl is required: the URL of a copy of the @tlkit/datasets data/ folder.',
      { argument: 'options.baseUrl' },
    );
  }
  const verify = options.verify ?? 'counts';
  if (verify !== 'counts' && verify !== 'sha256') {
    throw new TlkitError('INVALID_ARGUMENT', `options.verify must be 'counts' or 'sha256', got ${JSON.stringify(verify)}.`, {
      argument: 'options.verify',
    });
  }
  const domainName = isShippedDatasetName(dataset) ? getCatalogueDomain(dataset, domain).name : domain;
  const location = joinUrl(options.baseUrl, dataset, domainName);
  const [metaBytes, yBytes, compressed] = await Promise.all([
    fetchBytes(`${location}/meta.json`, options),
    fetchBytes(`${location}/y.csv`, options),
    fetchBytes(`${location}/X.csv.gz`, options),
  ]);
  const xBytes = await gunzipBytes(compressed);
  const metaText = new TextDecoder().decode(metaBytes);
  const loaded = assembleDomain({ dataset, domain: domainName, location, metaText, xBytes, yBytes });
  if (verify === 'sha256') {
    checkSha256(await sha256Hex(xBytes), loaded.meta.sha256_X_csv_uncompressed, `${location}/X.csv.gz`);
    checkSha256(await sha256Hex(yBytes), loaded.meta.sha256_y_csv, `${location}/y.csv`);
  }
  return loaded;
}

/**
 * Fetches every domain of a dataset (see {@link fetchDomain}).
 *
 * @param dataset - a shipped dataset name, or the folder name of your own dataset.
 * @param options - as {@link fetchDomain}, plus `domains`: which domains to fetch (required for
 *   a dataset that is not shipped, since HTTP cannot list a folder; default: all the shipped
 *   dataset's domains).
 * @example
 * ```ts
 * const digits = await fetchDataset('mnist_usps_jda', { baseUrl: 'https://example.org/tlkit-data' });
 * digits.domains.usps.X.rows; // 1800
 * ```
 */
export async function fetchDataset(
  dataset: string,
  options: FetchDatasetOptions & { readonly domains?: readonly string[] },
): Promise<LoadedDataset> {
  let names: readonly string[];
  if (options?.domains !== undefined) {
    names = options.domains;
  } else if (isShippedDatasetName(dataset)) {
    names = DATASET_CATALOGUE[dataset].domains.map((entry) => entry.name);
  } else {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `dataset ${JSON.stringify(dataset)} is not shipped with @tlkit/datasets, so its domains are unknown; pass options.domains (e.g. ['source', 'target']).`,
      { argument: 'options.domains' },
    );
  }
  const domains = await Promise.all(names.map((name) => fetchDomain(dataset, name, options)));
  return { name: dataset, domains: Object.fromEntries(domains.map((domain) => [domain.name, domain])) };
}
