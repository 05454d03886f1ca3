import { describe, expect, it } from 'vitest';
import { isTlkitError } from '../errors';
import { Matrix } from '../matrix';
import { createRng } from '../rng';
import { coralDistance } from './coral-distance';

function randomMatrix(rows: number, cols: number, seed: number): Matrix {
  const rng = createRng(seed);
  return new Matrix(rows, cols, Float64Array.from({ length: rows * cols }, () => rng.normal() * (1 + (seed % 3))));
}

/** Unbiased covariance entry by entry. */
function naiveCovariance(x: number[][]): number[][] {
  const n = x.length;
  const d = x[0].length;
  const mean = Array.from({ length: d }, (_, j) => x.reduce((sum, row) => sum + row[j], 0) / n);
  return Array.from({ length: d }, (_, a) =>
    Array.from({ length: d }, (_, b) => x.reduce((sum, row) => sum + (row[a] - mean[a]) * (row[b] - mean[b]), 0) / (n - 1)),
  );
}

describe('coralDistance', () => {
  it('hand-worked: covariances diag(4/3) and diag(1/3) → ‖I‖²_F / (4·2²) = 1/8', () => {
    expect(coralDistance([[0, 0], [2, 0], [0, 2], [2, 2]], [[0, 0], [1, 0], [0, 1], [1, 1]])).toBeCloseTo(1 / 8, 15);
  });

  it('matches the definition on random data; 0 for one sample, unchanged by shifts, symmetric', () => {
    const xs = randomMatrix(40, 6, 1);
    const xt = randomMatrix(30, 6, 2);
    const cs = naiveCovariance(xs.toRows());
    const ct = naiveCovariance(xt.toRows());
    let sum = 0;
    for (let a = 0; a < 6; a++) for (let b = 0; b < 6; b++) sum += (cs[a][b] - ct[a][b]) ** 2;
    const expected = sum / (4 * 36);
    expect(Math.abs(coralDistance(xs, xt) - expected) / expected).toBeLessThan(1e-12);
    expect(coralDistance(xs, xs)).toBe(0);
    const shifted = xt.map((value, _i, j) => value + 10 * j);
    expect(Math.abs(coralDistance(xs, shifted) - expected) / expected).toBeLessThan(1e-10);
    expect(coralDistance(xt, xs)).toBeCloseTo(coralDistance(xs, xt), 14);
  });

  it('typed errors', () => {
    const code = (action: () => unknown) => {
      try {
        action();
      } catch (error) {
        return isTlkitError(error) ? error.code : 'other';
      }
      return undefined;
    };
    expect(code(() => coralDistance([[1, 2]], [[1, 2], [3, 4]]))).toBe('TOO_FEW_SAMPLES');
    expect(code(() => coralDistance([[1, 2], [3, 4]], [[1], [2]]))).toBe('DIMENSION_MISMATCH');
    expect(code(() => coralDistance([[1, Number.POSITIVE_INFINITY], [3, 4]], [[1, 2], [2, 2]]))).toBe('NON_FINITE_INPUT');
  });
});
