import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { isTlkitError } from '@tlkit/core';
import { describe, expect, it } from 'vitest';
import { fetchDataset, fetchDomain, gunzipBytes } from './fetch';
import { loadDomain } from './node/load';

const dataDirectory = fileURLToPath(new URL('../data/', import.meta.url));
const BASE = 'https://cdn.test/tlkit/data';

/** A fetch that serves the package's data/ folder under BASE (optionally as if the server had decompressed X). */
function fakeFetch(options: { decompressed?: boolean; replace?: Record<string, string> } = {}) {
  const requested: string[] = [];
  const fetcher = async (url: string) => {
    requested.push(url);
    const relative = url.slice(BASE.length + 1);
    if (options.replace?.[relative] !== undefined) return new Response(options.replace[relative]);
    const path = dataDirectory + relative;
    if (!url.startsWith(`${BASE}/`) || !existsSync(path)) return new Response('not found', { status: 404 });
    const bytes = readFileSync(path);
    return new Response(options.decompressed && path.endsWith('.gz') ? gunzipSync(bytes) : bytes);
  };
  return { fetcher, requested };
}

async function errorOf(run: () => Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await run();
  } catch (error) {
    return { code: isTlkitError(error) ? error.code : undefined, message: (error as Error).message };
  }
  return { message: 'did not throw' };
}

describe('fetchDomain (browser loader, run here with a fake fetch)', () => {
  it('gives exactly what the disk loader gives, gunzipping with DecompressionStream', async () => {
    const { fetcher, requested } = fakeFetch();
    const fetched = await fetchDomain('office_caltech10_surf', 'W', { baseUrl: `${BASE}/`, fetch: fetcher, verify: 'sha256' });
    const fromDisk = await loadDomain('office_caltech10_surf', 'webcam');
    expect(fetched.name).toBe('webcam');
    expect(Buffer.from(fetched.X.data.buffer).equals(Buffer.from(fromDisk.X.data.buffer))).toBe(true);
    expect(fetched.y).toEqual(fromDisk.y);
    expect(fetched.meta).toEqual(fromDisk.meta);
    expect(requested.sort()).toEqual([
      `${BASE}/office_caltech10_surf/webcam/X.csv.gz`,
      `${BASE}/office_caltech10_surf/webcam/meta.json`,
      `${BASE}/office_caltech10_surf/webcam/y.csv`,
    ]);
  });

  it('accepts an X.csv.gz the server already decompressed (Content-Encoding: gzip)', async () => {
    const { fetcher } = fakeFetch({ decompressed: true });
    const fetched = await fetchDomain('mnist_usps_jda', 'usps', { baseUrl: BASE, fetch: fetcher, verify: 'sha256' });
    expect([fetched.X.rows, fetched.X.cols]).toEqual([1800, 256]);
  });

  it('fetchDataset loads every domain of a shipped dataset', async () => {
    const { fetcher } = fakeFetch();
    const dataset = await fetchDataset('office_caltech10_surf', { baseUrl: BASE, fetch: fetcher });
    expect(Object.keys(dataset.domains).sort()).toEqual(['amazon', 'caltech', 'dslr', 'webcam']);
    expect(dataset.domains.caltech.X.rows).toBe(1123);
  });

  it('reports a missing file with DATA_NOT_FOUND naming the URL, and a damaged one with INVALID_ARTIFACT', async () => {
    const { fetcher } = fakeFetch();
    const missing = await errorOf(() => fetchDomain('office_caltech10_surf', 'amazon', { baseUrl: `${BASE}/wrong`, fetch: fetcher }));
    expect(missing.code).toBe('DATA_NOT_FOUND');
    expect(missing.message).toContain(`${BASE}/wrong/office_caltech10_surf/amazon/`);
    expect(missing.message).toContain('HTTP 404');

    const labels = readFileSync(`${dataDirectory}office_caltech10_surf/dslr/y.csv`, 'utf8');
    const swapped = `1\n${labels.slice(2)}`; // first label 0 → 1: counts change
    const damaged = fakeFetch({ replace: { 'office_caltech10_surf/dslr/y.csv': swapped } });
    const counted = await errorOf(() => fetchDomain('office_caltech10_surf', 'dslr', { baseUrl: BASE, fetch: damaged.fetcher }));
    expect(counted.code).toBe('INVALID_ARTIFACT');
  });

  it('validates its arguments', async () => {
    expect((await errorOf(() => fetchDomain('office_caltech10_surf', 'dslr', {} as never))).code).toBe('INVALID_ARGUMENT');
    expect((await errorOf(() => fetchDataset('mine', { baseUrl: BASE }))).code).toBe('INVALID_ARGUMENT');
    expect((await errorOf(() => fetchDomain('office_caltech10_surf', 'x', { baseUrl: BASE }))).code).toBe('DATA_NOT_FOUND');
  });
});

describe('gunzipBytes', () => {
  it('inflates gzip and passes other bytes through', async () => {
    const compressed = readFileSync(`${dataDirectory}office_caltech10_surf/dslr/X.csv.gz`);
    const inflated = await gunzipBytes(compressed);
    expect(Buffer.from(inflated).equals(gunzipSync(compressed))).toBe(true);
    const plain = new TextEncoder().encode('1,2\n');
    expect(await gunzipBytes(plain)).toBe(plain);
  });

  it('gzip cut short is INVALID_ARTIFACT, not the platform\'s stream error (determinism review finding 12)', async () => {
    const compressed = readFileSync(`${dataDirectory}office_caltech10_surf/dslr/X.csv.gz`);
    const failure = await gunzipBytes(new Uint8Array(compressed.subarray(0, compressed.length >> 1))).catch((error: unknown) => error);
    expect((failure as { code?: string }).code).toBe('INVALID_ARTIFACT');
    expect((failure as Error).message).toMatch(/start like gzip but do not decompress .* cut short or damaged/);
  });
});
