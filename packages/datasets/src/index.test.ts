import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as browserApi from './index';
import { DATASET_CATALOGUE, getCatalogueDomain, getDatasetInfo, SHIPPED_DATASET_NAMES } from './catalogue';

const sourceDirectory = fileURLToPath(new URL('.', import.meta.url));
const dataDirectory = fileURLToPath(new URL('../data/', import.meta.url));

/** The module names of a file's import / re-export statements (not of examples in comments). */
function importedNames(text: string): string[] {
  return [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom '([^']+)';/gms)].map((match) => match[1]);
}

/** Every module the main entry reaches through relative imports. */
function reachableModules(entry: string): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    const text = readFileSync(path, 'utf8');
    seen.set(path, text);
    for (const name of importedNames(text)) if (name.startsWith('.')) visit(join(path, '..', `${name}.ts`));
  };
  visit(entry);
  return seen;
}

describe('the browser entry', () => {
  it('imports no Node built-ins, directly or through its own modules', () => {
    const modules = reachableModules(join(sourceDirectory, 'index.ts'));
    expect(modules.size).toBeGreaterThan(10);
    for (const [path, text] of modules) {
      expect(path).not.toContain(`${join(sourceDirectory, 'node')}`);
      const external = importedNames(text).filter((name) => !name.startsWith('.'));
      for (const name of external) expect({ path, name, allowed: name.startsWith('@tlkit/core') }).toEqual({ path, name, allowed: true });
    }
  });

  it('exports the loaders, transforms and generators by name', () => {
    for (const name of ['fetchDataset', 'parseCsvMatrix', 'preprocess', 'selectSplit', 'resizeImages', 'cropImages', 'sampleLabeledPerClass', 'covariateShift', 'priorShift', 'conditionalShift', 'subspaceShift', 'domainIndicatorToy', 'makeTransferTask']) {
      expect(typeof (browserApi as Record<string, unknown>)[name]).toBe('function');
    }
  });
});

describe('the catalogue', () => {
  it('agrees with the meta.json files on disk and lists every shipped folder', () => {
    const folders = readdirSync(dataDirectory, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
    expect(folders.sort()).toEqual([...SHIPPED_DATASET_NAMES].sort());
    for (const name of SHIPPED_DATASET_NAMES) {
      const info = DATASET_CATALOGUE[name];
      const onDisk = readdirSync(join(dataDirectory, name)).sort();
      expect(info.domains.map((domain) => domain.name).sort()).toEqual(onDisk);
      for (const domain of info.domains) {
        const meta = JSON.parse(readFileSync(join(dataDirectory, name, domain.name, 'meta.json'), 'utf8'));
        expect({ n: meta.n, d: meta.d, shape: meta.shape ?? undefined, splits: meta.splits, classes: meta.classes }).toEqual({
          n: domain.n,
          d: domain.d,
          shape: domain.shape,
          splits: domain.splits,
          classes: info.classes,
        });
      }
      for (const task of info.standardTasks) {
        expect(info.domains.some((domain) => domain.name === task.source)).toBe(true);
        expect(info.domains.some((domain) => domain.name === task.target)).toBe(true);
      }
    }
    expect(DATASET_CATALOGUE.office_caltech10_surf.standardTasks).toHaveLength(12);
    expect(() => getDatasetInfo('office31')).toThrow(/office_caltech10_surf, mnist_usps, mnist_usps_jda/);
  });

  it('suggests the near shipped name for a misspelt dataset, domain or letter case', () => {
    expect(() => getDatasetInfo('mnist_usp')).toThrow(/not shipped with @tlkit\/datasets\. Did you mean 'mnist_usps'\? The shipped datasets are/);
    expect(() => getDatasetInfo('office31')).not.toThrow(/Did you mean/);
    expect(() => getCatalogueDomain('office_caltech10_surf', 'amazn')).toThrow(/has no domain "amazn"\. Did you mean 'amazon'\? Its domains are amazon \(A\)/);
    expect(() => getCatalogueDomain('mnist_usps', 'USPS')).toThrow(/Did you mean 'usps'\?/);
    expect(getCatalogueDomain('office_caltech10_surf', 'W').name).toBe('webcam');
  });
});
