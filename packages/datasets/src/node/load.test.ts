import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isTlkitError } from '@tlkit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { DATASET_CATALOGUE, SHIPPED_DATASET_NAMES } from '../catalogue';
import type { DatasetDomain } from '../types';
import { loadDatasetFromDirectory, loadDomain, loadShippedDataset, shippedDataDirectory } from './load';

async function codeOf(run: () => Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await run();
  } catch (error) {
    return { code: isTlkitError(error) ? error.code : undefined, message: (error as Error).message };
  }
  return { message: 'did not throw' };
}

function countClasses(y: Int32Array, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const label of y) counts[label]++;
  return counts;
}

/** The CSV text a domain's X would be written as (integers as integers), to re-derive the checksum. */
function integerCsv(domain: DatasetDomain): string {
  const lines: string[] = [];
  for (let i = 0; i < domain.X.rows; i++) lines.push(Array.from(domain.X.row(i)).join(','));
  return `${lines.join('\n')}\n`;
}

describe('the shipped data', () => {
  it('finds the package data/ folder from the module location', () => {
    const directory = shippedDataDirectory();
    expect(existsSync(join(directory, 'office_caltech10_surf', 'amazon', 'X.csv.gz'))).toBe(true);
    expect(existsSync(join(directory, '..', 'DATA-NOTICE.md'))).toBe(true);
  });

  // Class counts independently listed in the data README (office, mnist_usps_jda) — not read from meta.json.
  const publishedClassCounts: Record<string, number[]> = {
    'office_caltech10_surf/amazon': [92, 82, 94, 99, 100, 100, 99, 100, 94, 98],
    'office_caltech10_surf/caltech': [151, 110, 100, 138, 85, 128, 133, 94, 87, 97],
    'office_caltech10_surf/dslr': [12, 21, 12, 13, 10, 24, 22, 12, 8, 23],
    'office_caltech10_surf/webcam': [29, 21, 31, 27, 27, 30, 43, 30, 27, 30],
    'mnist_usps/mnist': [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
    'mnist_usps_jda/mnist': [196, 227, 207, 202, 196, 179, 191, 206, 195, 201],
    'mnist_usps_jda/usps': [352, 241, 165, 166, 166, 126, 139, 172, 129, 144],
  };

  for (const name of SHIPPED_DATASET_NAMES) {
    for (const entry of DATASET_CATALOGUE[name].domains) {
      it(`${name}/${entry.name}: n, d, shape, splits and class counts match the catalogue and meta.json`, async () => {
        const domain = await loadDomain(name, entry.name);
        expect([domain.X.rows, domain.X.cols]).toEqual([entry.n, entry.d]);
        expect([domain.meta.n, domain.meta.d]).toEqual([entry.n, entry.d]);
        expect(domain.y.length).toBe(entry.n);
        expect(domain.shape).toEqual(entry.shape);
        expect(domain.splits).toEqual(entry.splits);
        expect(domain.meta.classes).toEqual(DATASET_CATALOGUE[name].classes);
        const counts = countClasses(domain.y, 10);
        expect(counts).toEqual(domain.meta.class_counts);
        const published = publishedClassCounts[`${name}/${entry.name}`];
        if (published) expect(counts).toEqual(published);
        const [low, high] = domain.meta.value_range as [number, number];
        let min = Number.POSITIVE_INFINITY;
        let max = Number.NEGATIVE_INFINITY;
        for (const value of domain.X.data) {
          if (value < min) min = value;
          if (value > max) max = value;
        }
        expect([min, max]).toEqual([low, high]);
      });
    }
  }

  it('office domains: the SHA-256 of the parsed values written back as CSV equals meta.json (the parse is lossless)', async () => {
    const office = await loadShippedDataset('office_caltech10_surf', { verify: 'sha256' });
    for (const domain of Object.values(office.domains)) {
      const digest = createHash('sha256').update(integerCsv(domain)).digest('hex');
      expect(digest).toBe(domain.meta.sha256_X_csv_uncompressed);
    }
  });

  it("verify: 'sha256' passes on the small shipped sets", async () => {
    const digits = await loadShippedDataset('mnist_usps_jda', { verify: 'sha256' });
    expect(Object.keys(digits.domains).sort()).toEqual(['mnist', 'usps']);
  });

  it('accepts domain letters and rejects unknown datasets and domains with DATA_NOT_FOUND', async () => {
    expect((await loadDomain('office_caltech10_surf', 'D')).name).toBe('dslr');
    const unknownDataset = await codeOf(() => loadShippedDataset('office31'));
    expect(unknownDataset.code).toBe('DATA_NOT_FOUND');
    expect(unknownDataset.message).toContain('office_caltech10_surf');
    const unknownDomain = await codeOf(() => loadDomain('mnist_usps', 'svhn'));
    expect(unknownDomain.code).toBe('DATA_NOT_FOUND');
    expect(unknownDomain.message).toContain('usps');
    const wrongFolder = await codeOf(() => loadDomain('mnist_usps_jda', 'usps', { dataDirectory: '/nonexistent/tlkit' }));
    expect(wrongFolder.code).toBe('DATA_NOT_FOUND');
    expect(wrongFolder.message).toContain('/nonexistent/tlkit/mnist_usps_jda/usps');
  });
});

describe('loadDatasetFromDirectory', () => {
  const root = mkdtempSync(join(tmpdir(), 'tlkit-datasets-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const xText = '1,2,3\n4,5,6\n7,8,9\n10,11,12\n';
  const yText = '0\n1\n1\n0\n';
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');
  function writeDomain(dataset: string, domain: string, meta: object, options: { gzip?: boolean; x?: string } = {}) {
    const folder = join(root, dataset, domain);
    mkdirSync(folder, { recursive: true });
    const x = options.x ?? xText;
    if (options.gzip ?? true) writeFileSync(join(folder, 'X.csv.gz'), gzipSync(x));
    else writeFileSync(join(folder, 'X.csv'), x);
    writeFileSync(join(folder, 'y.csv'), yText);
    writeFileSync(join(folder, 'meta.json'), JSON.stringify(meta));
  }

  it('reads every domain subfolder (gzip or plain X.csv) with a minimal meta.json', async () => {
    writeDomain('clinics', 'north', { n: 4, d: 3 });
    writeDomain('clinics', 'south', { n: 4, d: 3, classes: ['no', 'yes'], splits: { test: [2, 4] } }, { gzip: false });
    mkdirSync(join(root, 'clinics', 'notes')); // no meta.json: not a domain
    const dataset = await loadDatasetFromDirectory(join(root, 'clinics'));
    expect(dataset.name).toBe('clinics');
    expect(Object.keys(dataset.domains)).toEqual(['north', 'south']);
    expect(dataset.domains.north.X.toRows()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
      [10, 11, 12],
    ]);
    expect(Array.from(dataset.domains.south.y)).toEqual([0, 1, 1, 0]);
    expect(dataset.domains.south.splits).toEqual({ test: [2, 4] });
  });

  it('checks n and d against meta.json, and SHA-256 on request', async () => {
    writeDomain('bad-n', 'a', { n: 5, d: 3 });
    const wrongN = await codeOf(() => loadDatasetFromDirectory(join(root, 'bad-n')));
    expect(wrongN.code).toBe('DIMENSION_MISMATCH');
    expect(wrongN.message).toContain(join(root, 'bad-n', 'a'));

    writeDomain('bad-d', 'a', { n: 4, d: 2 });
    expect((await codeOf(() => loadDatasetFromDirectory(join(root, 'bad-d')))).code).toBe('DIMENSION_MISMATCH');

    writeDomain('hashed', 'a', { n: 4, d: 3, sha256_X_csv_uncompressed: sha(xText), sha256_y_csv: sha(yText) });
    await expect(loadDatasetFromDirectory(join(root, 'hashed'), { verify: 'sha256' })).resolves.toBeDefined();
    writeDomain('tampered', 'a', { n: 4, d: 3, sha256_X_csv_uncompressed: sha(xText), sha256_y_csv: sha(yText) }, { x: xText.replace('12', '13') });
    await expect(loadDatasetFromDirectory(join(root, 'tampered'))).resolves.toBeDefined(); // counts only: passes
    const tampered = await codeOf(() => loadDatasetFromDirectory(join(root, 'tampered'), { verify: 'sha256' }));
    expect(tampered.code).toBe('INVALID_ARTIFACT');

    writeDomain('bad-counts', 'a', { n: 4, d: 3, class_counts: [3, 1] });
    expect((await codeOf(() => loadDatasetFromDirectory(join(root, 'bad-counts')))).code).toBe('INVALID_ARTIFACT');
    writeDomain('bad-shape', 'a', { n: 4, d: 3, shape: [2, 2, 1] });
    expect((await codeOf(() => loadDatasetFromDirectory(join(root, 'bad-shape')))).code).toBe('INVALID_ARTIFACT');
    writeDomain('bad-classes', 'a', { n: 4, d: 3, classes: ['only'] });
    expect((await codeOf(() => loadDatasetFromDirectory(join(root, 'bad-classes')))).code).toBe('LABEL_OUT_OF_RANGE');
  });

  it('names the missing path in DATA_NOT_FOUND', async () => {
    const missing = await codeOf(() => loadDatasetFromDirectory(join(root, 'nope')));
    expect(missing.code).toBe('DATA_NOT_FOUND');
    expect(missing.message).toContain(join(root, 'nope'));

    mkdirSync(join(root, 'empty'));
    expect((await codeOf(() => loadDatasetFromDirectory(join(root, 'empty')))).code).toBe('DATA_NOT_FOUND');

    writeDomain('partial', 'a', { n: 4, d: 3 });
    rmSync(join(root, 'partial', 'a', 'y.csv'));
    const noLabels = await codeOf(() => loadDatasetFromDirectory(join(root, 'partial')));
    expect(noLabels.code).toBe('DATA_NOT_FOUND');
    expect(noLabels.message).toContain(join(root, 'partial', 'a', 'y.csv'));

    const noDomain = await codeOf(() => loadDatasetFromDirectory(join(root, 'clinics'), { domains: ['east'] }));
    expect(noDomain.code).toBe('DATA_NOT_FOUND');
    expect(noDomain.message).toContain(join(root, 'clinics', 'east'));
  });

  it('reads a copy of a shipped dataset like the shipped loader does', async () => {
    const fromDirectory = await loadDatasetFromDirectory(join(shippedDataDirectory(), 'office_caltech10_surf'), {
      domains: ['dslr'],
    });
    const shipped = await loadDomain('office_caltech10_surf', 'dslr');
    const same = Buffer.from(fromDirectory.domains.dslr.X.data.buffer).equals(Buffer.from(shipped.X.data.buffer));
    expect(same).toBe(true);
    expect(readFileSync(join(shippedDataDirectory(), 'office_caltech10_surf', 'dslr', 'y.csv'), 'utf8').split('\n').length).toBe(158);
  });
});
