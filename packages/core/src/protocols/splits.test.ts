import { describe, expect, it } from 'vitest';
import { isTlkitError } from '../errors';
import { holdOutSplit, kFoldSplits, leaveOneOutSplits, type Split } from './splits';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return isTlkitError(error) ? error.code : `not a TlkitError: ${String(error)}`;
  }
  return undefined;
}

function expectPartition(split: Split, n: number): void {
  const seen = new Uint8Array(n);
  for (const i of [...split.train, ...split.test]) seen[i]++;
  expect(Array.from(seen).every((count) => count === 1)).toBe(true);
  expect(Array.from(split.train)).toEqual([...split.train].sort((a, b) => a - b));
  expect(Array.from(split.test)).toEqual([...split.test].sort((a, b) => a - b));
}

function countLabels(labels: readonly number[], indices: Int32Array): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const i of indices) counts[labels[i]] = (counts[labels[i]] ?? 0) + 1;
  return counts;
}

describe('holdOutSplit', () => {
  it('puts round(testFraction * n) samples in test and partitions 0..n-1', () => {
    const split = holdOutSplit(10, { testFraction: 0.3, seed: 1 });
    expect(split.test.length).toBe(3);
    expect(split.train.length).toBe(7);
    expectPartition(split, 10);
    expect(holdOutSplit(10, { seed: 1 }).test.length).toBe(3); // round(2.5) = 3 with the 0.25 default
  });

  it('takes seeds in 0..2^32-1 only, naming options.seed (review D6: -1 used to alias 2^32-1)', () => {
    expect(() => holdOutSplit(50, { seed: -1 })).toThrow(/INVALID_ARGUMENT.*options\.seed: expected an integer in 0\.\.4294967295, got -1/);
    expect(() => kFoldSplits(50, { k: 5, seed: 2 ** 32 })).toThrow(/options\.seed/);
    expect(holdOutSplit(50, { seed: 2 ** 32 - 1 }).test.length).toBe(13);
  });

  it('is deterministic for a seed and changes with it', () => {
    expect(holdOutSplit(50, { seed: 4 })).toEqual(holdOutSplit(50, { seed: 4 }));
    expect(Array.from(holdOutSplit(50, { seed: 4 }).test)).not.toEqual(Array.from(holdOutSplit(50, { seed: 5 }).test));
  });

  it('stratified: exact class shares when they are whole, largest remainder otherwise', () => {
    const labels = [...Array(60).fill(0), ...Array(30).fill(1), ...Array(10).fill(2)];
    const split = holdOutSplit(100, { testFraction: 0.2, seed: 3, stratify: labels });
    expectPartition(split, 100);
    expect(countLabels(labels, split.test)).toEqual({ 0: 12, 1: 6, 2: 2 });
    // 7 and 5 samples, test of 6: quotas 3.5 and 2.5, the tied leftover goes to the first class.
    const uneven = [...Array(7).fill(4), ...Array(5).fill(9)];
    const unevenSplit = holdOutSplit(12, { testFraction: 0.5, seed: 0, stratify: uneven });
    expect(countLabels(uneven, unevenSplit.test)).toEqual({ 4: 4, 9: 2 });
  });

  it('typed errors', () => {
    expect(codeOf(() => holdOutSplit(1))).toBe('TOO_FEW_SAMPLES');
    expect(codeOf(() => holdOutSplit(2.5))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => holdOutSplit(10, { testFraction: 1 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => holdOutSplit(10, { seed: 0.5 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => holdOutSplit(3, { stratify: [0, 1] }))).toBe('DIMENSION_MISMATCH');
    expect(codeOf(() => holdOutSplit(2, { stratify: [0, Number.NaN] }))).toBe('NON_FINITE_INPUT');
  });
});

describe('kFoldSplits', () => {
  it('test folds partition 0..n-1, train is the complement, sizes differ by at most one', () => {
    const splits = kFoldSplits(23, { k: 5, seed: 2 });
    expect(splits.map((split) => split.test.length)).toEqual([5, 5, 5, 4, 4]);
    const seen = new Uint8Array(23);
    for (const split of splits) {
      expectPartition(split, 23);
      for (const i of split.test) seen[i]++;
    }
    expect(Array.from(seen).every((count) => count === 1)).toBe(true);
  });

  it('stratified folds keep class ratios: floor or ceil of n_c / k per class and fold', () => {
    const labels = [...Array(10).fill(0), ...Array(7).fill(1), ...Array(3).fill(2)];
    // Interleave the classes so that index order says nothing about the label.
    const shuffledLabels = labels.map((_, i) => labels[(i * 7) % 20]);
    const splits = kFoldSplits(20, { k: 3, seed: 9, stratify: shuffledLabels });
    const seen = new Uint8Array(20);
    for (const split of splits) {
      expectPartition(split, 20);
      for (const i of split.test) seen[i]++;
      const counts = countLabels(shuffledLabels, split.test);
      expect([3, 4]).toContain(counts[0]);
      expect([2, 3]).toContain(counts[1]);
      expect(counts[2]).toBe(1);
    }
    expect(Array.from(seen).every((count) => count === 1)).toBe(true);
    expect(splits.map((split) => split.test.length).sort()).toEqual([6, 7, 7]);
  });

  it('a balanced two-class set gives folds with exactly the class ratio', () => {
    const labels = Array.from({ length: 40 }, (_, i) => i % 2);
    for (const split of kFoldSplits(40, { k: 4, seed: 0, stratify: labels })) {
      expect(countLabels(labels, split.test)).toEqual({ 0: 5, 1: 5 });
      expect(countLabels(labels, split.train)).toEqual({ 0: 15, 1: 15 });
    }
  });

  it('is deterministic per seed', () => {
    expect(kFoldSplits(30, { k: 3, seed: 7 })).toEqual(kFoldSplits(30, { k: 3, seed: 7 }));
    expect(kFoldSplits(30, { k: 3, seed: 7 })).not.toEqual(kFoldSplits(30, { k: 3, seed: 8 }));
  });

  it('typed errors', () => {
    expect(codeOf(() => kFoldSplits(3, { k: 4 }))).toBe('TOO_FEW_SAMPLES');
    expect(codeOf(() => kFoldSplits(10, { k: 1 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => kFoldSplits(10, { k: 2.5 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => kFoldSplits(4, { k: 2, stratify: [0, 1, 0] }))).toBe('DIMENSION_MISMATCH');
  });
});

describe('leaveOneOutSplits', () => {
  it('gives n splits, split i tests on i alone', () => {
    const splits = leaveOneOutSplits(4);
    expect(splits).toHaveLength(4);
    expect(Array.from(splits[2].test)).toEqual([2]);
    expect(Array.from(splits[2].train)).toEqual([0, 1, 3]);
    splits.forEach((split) => expectPartition(split, 4));
    expect(codeOf(() => leaveOneOutSplits(1))).toBe('TOO_FEW_SAMPLES');
  });
});
