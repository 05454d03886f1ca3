import { isTlkitError, Matrix } from '@tlkit/core';
import { describe, expect, it } from 'vitest';
import { normalizeRowsBySum, normalizeRowsL2, preprocess, scaleValues, zscoreColumns } from './preprocess';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isTlkitError(error) ? error.code : 'not a TlkitError';
  }
  return undefined;
}

describe('row and column transforms (hand-worked cases)', () => {
  it('normalizeRowsBySum divides by the row sum and leaves a zero-sum row alone', () => {
    expect(normalizeRowsBySum(Matrix.fromRows([[1, 3], [0, 0], [2, 2]])).toRows()).toEqual([
      [0.25, 0.75],
      [0, 0],
      [0.5, 0.5],
    ]);
  });

  it('normalizeRowsL2 gives unit rows and leaves a zero row alone', () => {
    expect(normalizeRowsL2(Matrix.fromRows([[3, 4], [0, 0], [0, -2]])).toRows()).toEqual([
      [0.6, 0.8],
      [0, 0],
      [0, -1],
    ]);
  });

  it('zscoreColumns uses the population std and maps a constant column to 0', () => {
    // column 0: mean 2, population std sqrt(((1-2)^2 + (3-2)^2 + 0)/3) = sqrt(2/3)
    const Z = zscoreColumns(Matrix.fromRows([[1, 5], [3, 5], [2, 5]]));
    const std = Math.sqrt(2 / 3);
    expect(Z.column(0)[0]).toBeCloseTo(-1 / std, 15);
    expect(Z.column(0)[1]).toBeCloseTo(1 / std, 15);
    expect(Z.column(0)[2]).toBe(0);
    expect(Array.from(Z.column(1))).toEqual([0, 0, 0]);
  });

  it('scaleValues multiplies every value', () => {
    expect(scaleValues(Matrix.fromRows([[255, 0]]), 1 / 255).toRows()).toEqual([[1, 0]]);
  });
});

describe('preprocess', () => {
  const a = { dataset: 'office_caltech10_surf', name: 'a', X: Matrix.fromRows([[1, 3], [2, 2], [4, 0]]) };
  const b = { dataset: 'office_caltech10_surf', name: 'b', X: Matrix.fromRows([[0, 1], [1, 1]]) };

  it("'standard' on office = row/row-sum then per-domain column z-score; inputs untouched", () => {
    const before = a.X.data.slice();
    const [pa, pb] = preprocess('office_caltech10_surf', [a, b], 'standard');
    expect(pa.X.toRows()).toEqual(zscoreColumns(normalizeRowsBySum(a.X)).toRows());
    expect(pb.X.toRows()).toEqual(zscoreColumns(normalizeRowsBySum(b.X)).toRows());
    expect(pa.name).toBe('a');
    expect(a.X.data).toEqual(before);
    // each domain separately: every column of each output has mean 0
    for (const X of [pa.X, pb.X]) for (let j = 0; j < 2; j++) expect(X.column(j).reduce((s, v) => s + v, 0)).toBeCloseTo(0, 14);
  });

  it("'standard' on mnist_usps_jda is L2 rows, on mnist_usps is /255", () => {
    const digits = { X: Matrix.fromRows([[3, 4]]) };
    expect(preprocess('mnist_usps_jda', [digits], 'standard')[0].X.toRows()).toEqual([[0.6, 0.8]]);
    expect(preprocess('mnist_usps', [{ X: Matrix.fromRows([[255, 51]]) }], 'standard')[0].X.toRows()).toEqual([[1, 0.2]]);
  });

  it("'l2', 'zscore' and 'none' work for any dataset", () => {
    expect(preprocess('mine', [b], 'l2')[0].X.toRows()).toEqual(normalizeRowsL2(b.X).toRows());
    expect(preprocess('mine', [b], 'zscore')[0].X.toRows()).toEqual(zscoreColumns(b.X).toRows());
    expect(preprocess('mine', [b], 'none')[0].X).toBe(b.X);
  });

  it('rejects unknown modes, datasets without a standard, and mixed datasets', () => {
    expect(codeOf(() => preprocess('office_caltech10_surf', [a], 'minmax' as never))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => preprocess('mine', [b], 'standard'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => preprocess('mnist_usps_jda', [a], 'standard'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => preprocess('mine', [{ X: [[1]] as never }], 'l2'))).toBe('INVALID_ARGUMENT');
  });
});
