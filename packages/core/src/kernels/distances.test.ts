import { describe, expect, it } from 'vitest';
import { isTlkitError } from '../errors';
import { Matrix } from '../matrix';
import { createRng } from '../rng';
import { pairwiseSquaredDistances, squaredDistanceBlocks } from './distances';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return isTlkitError(error) ? error.code : `not a TlkitError: ${String(error)}`;
  }
  return undefined;
}

function randomMatrix(rows: number, cols: number, seed: number, offset = 0): Matrix {
  const rng = createRng(seed);
  return new Matrix(rows, cols, Float64Array.from({ length: rows * cols }, () => offset + rng.normal()));
}

/** The definition, one difference at a time. */
function naiveSquaredDistances(a: Matrix, b: Matrix): Matrix {
  const out = new Matrix(a.rows, b.rows);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < b.rows; j++) {
      let sum = 0;
      for (let k = 0; k < a.cols; k++) sum += (a.get(i, k) - b.get(j, k)) ** 2;
      out.set(i, j, sum);
    }
  }
  return out;
}

function maxRelativeError(actual: Matrix, expected: Matrix): number {
  let worst = 0;
  let scale = 0;
  for (const value of expected.data) scale = Math.max(scale, Math.abs(value));
  for (let index = 0; index < expected.data.length; index++) {
    worst = Math.max(worst, Math.abs(actual.data[index] - expected.data[index]) / scale);
  }
  return worst;
}

describe('pairwiseSquaredDistances', () => {
  it('hand-worked: a 3-4-5 triangle', () => {
    expect(pairwiseSquaredDistances([[0, 0], [3, 4]], [[0, 0], [3, 0]]).toRows()).toEqual([
      [0, 9],
      [25, 16],
    ]);
  });

  it('matches the definition on random data, also far from the origin', () => {
    for (const offset of [0, 1e4]) {
      const a = randomMatrix(37, 13, 1, offset);
      const b = randomMatrix(29, 13, 2, offset);
      expect(maxRelativeError(pairwiseSquaredDistances(a, b), naiveSquaredDistances(a, b))).toBeLessThan(1e-12);
      expect(maxRelativeError(pairwiseSquaredDistances(a, a), naiveSquaredDistances(a, a))).toBeLessThan(1e-12);
    }
  });

  it('same object twice: exactly symmetric, zero diagonal, never negative', () => {
    const base = randomMatrix(20, 5, 3);
    const rows = [...base.toRows(), base.toRows()[4], base.toRows()[4]]; // duplicate rows
    const x = Matrix.fromRows(rows);
    const distances = pairwiseSquaredDistances(x, x);
    for (let i = 0; i < x.rows; i++) {
      expect(distances.get(i, i)).toBe(0);
      for (let j = 0; j < x.rows; j++) {
        expect(distances.get(i, j)).toBe(distances.get(j, i));
        expect(distances.get(i, j)).toBeGreaterThanOrEqual(0);
      }
    }
    expect(distances.get(20, 21)).toBe(0);
    expect(distances.get(4, 20)).toBe(0);
  });

  it('blocks equal the blocks of the pooled matrix', () => {
    const xs = randomMatrix(11, 4, 5);
    const xt = randomMatrix(7, 4, 6, 2);
    const blocks = squaredDistanceBlocks(xs, xt);
    const pooled = naiveSquaredDistances(Matrix.vstack([xs, xt]), Matrix.vstack([xs, xt]));
    const sub = (rows: number[], cols: number[]) =>
      Matrix.fromRows(rows.map((i) => cols.map((j) => pooled.get(i, j))));
    const sourceRows = [...Array(11).keys()];
    const targetRows = [...Array(7).keys()].map((i) => i + 11);
    expect(maxRelativeError(blocks.sourceSource, sub(sourceRows, sourceRows))).toBeLessThan(1e-13);
    expect(maxRelativeError(blocks.targetTarget, sub(targetRows, targetRows))).toBeLessThan(1e-13);
    expect(maxRelativeError(blocks.sourceTarget, sub(sourceRows, targetRows))).toBeLessThan(1e-13);
  });

  it('typed errors', () => {
    expect(codeOf(() => pairwiseSquaredDistances([[1, 2]], [[1, 2, 3]]))).toBe('DIMENSION_MISMATCH');
    expect(codeOf(() => pairwiseSquaredDistances([], [[1]]))).toBe('EMPTY_DOMAIN');
    expect(codeOf(() => pairwiseSquaredDistances([[1, Number.NaN]], [[1, 2]]))).toBe('NON_FINITE_INPUT');
    expect(codeOf(() => squaredDistanceBlocks([[1, 2]], [[1, 2, 3]]))).toBe('DIMENSION_MISMATCH');
  });
});
