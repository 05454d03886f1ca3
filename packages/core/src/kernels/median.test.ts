import { describe, expect, it } from 'vitest';
import { isTlkitError } from '../errors';
import { Matrix } from '../matrix';
import { createRng } from '../rng';
import synthetic from '../../test/fixtures/synthetic_small.json';
import { pairwiseSquaredDistances, squaredDistanceBlocks } from './distances';
import { medianHeuristic, medianHeuristicFromSquaredDistances, selectInPlace } from './median';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return isTlkitError(error) ? error.code : `not a TlkitError: ${String(error)}`;
  }
  return undefined;
}

function randomMatrix(rows: number, cols: number, seed: number): Matrix {
  const rng = createRng(seed);
  return new Matrix(rows, cols, Float64Array.from({ length: rows * cols }, () => rng.normal()));
}

describe('selectInPlace', () => {
  it('returns the k-th smallest value, also with many ties', () => {
    const rng = createRng(4);
    for (let trial = 0; trial < 30; trial++) {
      const n = 1 + rng.int(60);
      const values = Float64Array.from({ length: n }, () => (trial % 2 ? rng.int(5) : rng.normal()));
      const sorted = values.slice().sort();
      const k = rng.int(n);
      const copy = values.slice();
      expect(selectInPlace(copy, k)).toBe(sorted[k]);
      for (let i = 0; i < k; i++) expect(copy[i]).toBeLessThanOrEqual(copy[k]);
      for (let i = k + 1; i < n; i++) expect(copy[i]).toBeGreaterThanOrEqual(copy[k]);
    }
  });
});

describe('medianHeuristic', () => {
  it('hand-worked: points 0, 1, 3 on a line → distances 1, 3, 2 → σ = 2, γ = 1/8', () => {
    expect(medianHeuristic([[0], [1], [3]])).toEqual({ sigma: 2, gamma: 1 / 8, rowsUsed: 3 });
  });

  it('hand-worked, even number of pairs: 0, 1 | 3, 7 → distances 1,2,3,4,6,7 → σ = 3.5', () => {
    const result = medianHeuristic([[0], [1]], [[3], [7]]);
    expect(result.sigma).toBe(3.5);
    expect(result.gamma).toBeCloseTo(1 / (2 * 3.5 * 3.5), 15);
  });

  it('matches the fixture (numpy median of pdist over the pooled rows)', () => {
    const { gamma, sigma } = medianHeuristic(synthetic.Xs, synthetic.Xt);
    const expected = synthetic.mmd2.median_heuristic_gamma;
    expect(Math.abs(gamma - expected) / expected).toBeLessThan(1e-12);
    expect(sigma).toBeCloseTo(Math.sqrt(4.5), 14);
  });

  it('from blocks, from one pooled matrix and from the rows: the same σ', () => {
    const xs = randomMatrix(30, 4, 1);
    const xt = randomMatrix(21, 4, 2);
    const pooled = Matrix.vstack([xs, xt]);
    const direct = medianHeuristic(xs, xt);
    expect(medianHeuristicFromSquaredDistances(squaredDistanceBlocks(xs, xt)).sigma).toBeCloseTo(direct.sigma, 13);
    expect(medianHeuristicFromSquaredDistances(pairwiseSquaredDistances(pooled, pooled)).sigma).toBeCloseTo(
      direct.sigma,
      13,
    );
    expect(medianHeuristic(pooled).sigma).toBeCloseTo(direct.sigma, 13);
    // Brute force: sort all pair distances.
    const distances: number[] = [];
    for (let i = 0; i < pooled.rows; i++)
      for (let j = i + 1; j < pooled.rows; j++)
        distances.push(Math.hypot(...Array.from(pooled.row(i), (value, k) => value - pooled.get(j, k))));
    distances.sort((a, b) => a - b);
    const m = distances.length;
    const median = m % 2 ? distances[(m - 1) / 2] : (distances[m / 2 - 1] + distances[m / 2]) / 2;
    expect(direct.sigma).toBeCloseTo(median, 13);
  });

  it('subsampling: seeded, deterministic, close to the exact value', () => {
    const x = randomMatrix(600, 5, 9);
    const exact = medianHeuristic(x);
    const approximate = medianHeuristic(x, undefined, { maxRows: 200, seed: 3 });
    expect(approximate.rowsUsed).toBe(200);
    expect(medianHeuristic(x, undefined, { maxRows: 200, seed: 3 })).toEqual(approximate);
    expect(Math.abs(approximate.sigma / exact.sigma - 1)).toBeLessThan(0.05);
    expect(medianHeuristic(x, undefined, { maxRows: 600 })).toEqual(exact);
  });

  it('typed errors', () => {
    expect(codeOf(() => medianHeuristic([[1, 2]]))).toBe('TOO_FEW_SAMPLES');
    expect(codeOf(() => medianHeuristic([[1], [1], [1], [1], [2]]))).toBe('NUMERICAL_ERROR');
    expect(codeOf(() => medianHeuristic([[1, 2]], [[1]]))).toBe('DIMENSION_MISMATCH');
    expect(codeOf(() => medianHeuristic([[1], [2]], undefined, { maxRows: 1 }))).toBe('INVALID_ARGUMENT');
  });
});
