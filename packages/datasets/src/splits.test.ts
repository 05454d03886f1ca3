import { isTlkitError, Matrix } from '@tlkit/core';
import { describe, expect, it } from 'vitest';
import { loadDomain } from './node/load';
import { selectDomainRows, selectSplit } from './splits';
import type { DatasetDomain } from './types';

const toy: DatasetDomain = {
  dataset: 'toy',
  name: 'a',
  X: Matrix.fromRows([[0], [1], [2], [3], [4]]),
  y: Int32Array.from([0, 1, 0, 1, 1]),
  meta: { n: 5, d: 1, splits: { train: [0, 3], test: [3, 5] } },
  splits: { train: [0, 3], test: [3, 5] },
};

describe('selectSplit', () => {
  it('returns the rows of the named range', () => {
    const test = selectSplit(toy, 'test');
    expect(test.X.toRows()).toEqual([[3], [4]]);
    expect(Array.from(test.y)).toEqual([1, 1]);
    expect(test.split).toEqual({ name: 'test', range: [3, 5] });
    expect(test.splits).toBeUndefined();
  });

  it('USPS test split: rows [7291, 9298) with the published test class counts', async () => {
    const usps = await loadDomain('mnist_usps', 'usps');
    const test = selectSplit(usps, 'test');
    expect(test.X.rows).toBe(2007);
    expect(test.X.row(0)).toEqual(usps.X.row(7291));
    const counts = new Array<number>(10).fill(0);
    for (const label of test.y) counts[label]++;
    // USPS test-set class counts listed in the data README
    expect(counts).toEqual([359, 264, 198, 166, 200, 160, 170, 147, 166, 177]);
    expect(selectSplit(usps, 'train').X.rows).toBe(7291);
  });

  it('names the available splits when the split does not exist', () => {
    try {
      selectSplit(toy, 'validation');
      expect.unreachable();
    } catch (error) {
      expect(isTlkitError(error, 'INVALID_ARGUMENT')).toBe(true);
      expect((error as Error).message).toContain('train [0, 3), test [3, 5)');
      expect((error as Error).message).not.toContain('Did you mean');
    }
    expect(() => selectSplit(toy, 'tset')).toThrow(/has no split "tset"\. Did you mean 'test'\? Its splits are train/);
    const { splits: _none, ...noSplits } = toy;
    expect(() => selectSplit(noSplits, 'test')).toThrow(/no named splits/);
  });
});

describe('selectDomainRows', () => {
  it('picks rows in the given order and drops the split table', () => {
    const picked = selectDomainRows(toy, [4, 0]);
    expect(picked.X.toRows()).toEqual([[4], [0]]);
    expect(Array.from(picked.y)).toEqual([1, 0]);
    expect(picked.splits).toBeUndefined();
    expect(() => selectDomainRows(toy, [5])).toThrow(/not a row index/);
  });
});
