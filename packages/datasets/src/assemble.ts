import { TlkitError } from '@tlkit/core';
import { parseCsvLabels, parseCsvMatrix } from './csv';
import type { DatasetDomain, DomainMeta, RowRange } from './types';

/** How much checking a loader does. */
export type VerifyLevel = 'counts' | 'sha256';

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

/**
 * Parses and checks a domain's `meta.json`: `n` and `d` positive integers; `shape` (if not
 * null) `[h, w, c]` with `h·w·c = d`; `splits` half-open ranges inside `[0, n]`;
 * `class_counts` (if present) summing to `n`. @internal
 */
export function parseDomainMeta(text: string, where: string): DomainMeta {
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch (error) {
    throw new TlkitError('INVALID_ARTIFACT', `${where}: not valid JSON (${(error as Error).message}).`, { path: where });
  }
  const fail = (problem: string): never => {
    throw new TlkitError('INVALID_ARTIFACT', `${where}: ${problem}`, { path: where });
  };
  if (!meta || typeof meta !== 'object' || Array.isArray(meta)) fail('must hold a JSON object with at least "n" and "d".');
  const record = meta as Record<string, unknown>;
  if (!isPositiveInteger(record.n)) fail(`"n" (number of samples) must be a positive integer, got ${JSON.stringify(record.n)}.`);
  if (!isPositiveInteger(record.d)) fail(`"d" (features per sample) must be a positive integer, got ${JSON.stringify(record.d)}.`);
  const n = record.n as number;
  const d = record.d as number;
  const shape = record.shape;
  if (shape !== undefined && shape !== null) {
    if (!Array.isArray(shape) || shape.length !== 3 || !shape.every(isPositiveInteger)) {
      fail(`"shape" must be null or [height, width, channels], got ${JSON.stringify(shape)}.`);
    }
    const [h, w, c] = shape as number[];
    if (h * w * c !== d) fail(`"shape" ${JSON.stringify(shape)} has ${h * w * c} values per image but "d" is ${d}.`);
  }
  if (record.splits !== undefined) {
    const splits = record.splits;
    if (!splits || typeof splits !== 'object' || Array.isArray(splits)) fail('"splits" must map split names to [start, end) row ranges.');
    for (const [name, range] of Object.entries(splits as Record<string, unknown>)) {
      const valid =
        Array.isArray(range) &&
        range.length === 2 &&
        Number.isInteger(range[0]) &&
        Number.isInteger(range[1]) &&
        range[0] >= 0 &&
        range[0] <= range[1] &&
        range[1] <= n;
      if (!valid) fail(`split "${name}" must be [start, end) with 0 ≤ start ≤ end ≤ n = ${n}, got ${JSON.stringify(range)}.`);
    }
  }
  if (record.classes !== undefined && (!Array.isArray(record.classes) || record.classes.length === 0)) {
    fail('"classes" must be a non-empty array of class names.');
  }
  if (record.class_counts !== undefined) {
    const counts = record.class_counts;
    if (!Array.isArray(counts) || !counts.every((count) => Number.isInteger(count) && count >= 0)) {
      fail('"class_counts" must be an array of non-negative integers.');
    }
    const total = (counts as number[]).reduce((sum, count) => sum + count, 0);
    if (total !== n) fail(`"class_counts" sum to ${total}, not n = ${n}.`);
  }
  return record as unknown as DomainMeta;
}

/** True when `bytes` start with the gzip magic number. @internal */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Lower-case hex of a digest. @internal */
export function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/** Throws `INVALID_ARTIFACT` unless `actual` equals `expected` (both hex). @internal */
export function checkSha256(actual: string, expected: string | undefined, where: string): void {
  if (expected === undefined) {
    throw new TlkitError(
      'INVALID_ARTIFACT',
      `${where}: SHA-256 verification was requested but meta.json has no checksum for this file; add it or load without verify: 'sha256'.`,
      { path: where },
    );
  }
  if (actual !== expected.toLowerCase()) {
    throw new TlkitError(
      'INVALID_ARTIFACT',
      `${where}: SHA-256 is ${actual}, meta.json says ${expected}; the file is damaged or was changed. Restore it, or fix meta.json if the change is intended.`,
      { path: where, expected, actual },
    );
  }
}

/** The raw pieces of one domain, as read from disk or fetched. @internal */
export interface DomainFiles {
  readonly dataset: string;
  readonly domain: string;
  /** Where the domain lives (a folder path or URL), for messages. */
  readonly location: string;
  readonly metaText: string;
  /** The decompressed bytes of `X.csv`. */
  readonly xBytes: Uint8Array;
  readonly yBytes: Uint8Array;
}

/**
 * Parses and cross-checks one domain: `X` must be `n × d` as meta.json says, `y` must have `n`
 * labels, each below `classes.length` (when `classes` is given), and per-class counts must
 * match `class_counts` (when given). Checksums are the caller's job. @internal
 */
export function assembleDomain(files: DomainFiles): DatasetDomain {
  const { dataset, domain, location } = files;
  const meta = parseDomainMeta(files.metaText, `${location}/meta.json`);
  const X = parseCsvMatrix(files.xBytes, {
    expectedRows: meta.n,
    expectedColumns: meta.d,
    argument: `${location}/X.csv (meta.json: n = ${meta.n}, d = ${meta.d})`,
  });
  const y = parseCsvLabels(files.yBytes, { expectedRows: meta.n, argument: `${location}/y.csv (meta.json: n = ${meta.n})` });
  const numClasses = meta.classes?.length ?? meta.class_counts?.length;
  if (numClasses !== undefined) {
    const counts = new Array<number>(numClasses).fill(0);
    for (let i = 0; i < y.length; i++) {
      if (y[i] >= numClasses) {
        throw new TlkitError(
          'LABEL_OUT_OF_RANGE',
          `${location}/y.csv: line ${i} is ${y[i]} but meta.json lists ${numClasses} classes (ids 0..${numClasses - 1}).`,
          { path: `${location}/y.csv`, index: i },
        );
      }
      counts[y[i]]++;
    }
    if (meta.class_counts && meta.class_counts.some((count, label) => count !== counts[label])) {
      throw new TlkitError(
        'INVALID_ARTIFACT',
        `${location}/y.csv: class counts ${JSON.stringify(counts)} differ from meta.json class_counts ${JSON.stringify(meta.class_counts)}.`,
        { path: `${location}/y.csv` },
      );
    }
  }
  const shape = meta.shape ? ([meta.shape[0], meta.shape[1], meta.shape[2]] as const) : undefined;
  const splits = meta.splits as Readonly<Record<string, RowRange>> | undefined;
  return {
    dataset,
    name: domain,
    X,
    y,
    meta,
    ...(shape ? { shape } : {}),
    ...(splits ? { splits } : {}),
  };
}
