import { createRng, Matrix } from '@tlkit/core';
import { describe, expect, it } from 'vitest';
import { kktViolation } from '../../test/helpers';
import { type BoxSumQp, projectBoxSum, solveBoxSumQp } from './box-sum-qp';
import { featureProduct, type LowRankBoxSumQp, scaledProjectBoxSum, solveLowRankBoxSumQp, transposeProduct } from './low-rank-box-sum-qp';

/** H x = Φ(Φᵀx) + d∘x by plain loops (independent of the solver's blocked products). */
function denseMultiply(problem: LowRankBoxSumQp, x: Float64Array): Float64Array {
  const { features, diagonal } = problem;
  const n = features.rows;
  const m = features.cols;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = diagonal[i] * x[i];
    for (let j = 0; j < n; j++) {
      let kernel = 0;
      for (let k = 0; k < m; k++) kernel += features.data[i * m + k] * features.data[j * m + k];
      sum += kernel * x[j];
    }
    out[i] = sum;
  }
  return out;
}

function randomLowRank(n: number, m: number, seed: number, diagonalScale: number, upper: number, lower: number, high: number): LowRankBoxSumQp {
  const rng = createRng(seed);
  const features = new Matrix(n, m, Float64Array.from({ length: n * m }, () => rng.normal()));
  const diagonal = Float64Array.from({ length: n }, () => diagonalScale * rng.float());
  const linear = Float64Array.from({ length: n }, () => 5 + 20 * rng.float());
  return { features, diagonal, linear, upper, sumLower: lower, sumUpper: high };
}

describe('transposeProduct / featureProduct', () => {
  it('equal the plain sums Φᵀx and Φu (row counts not divisible by 4)', () => {
    const rng = createRng(3);
    const n = 11;
    const m = 5;
    const features = new Matrix(n, m, Float64Array.from({ length: n * m }, () => rng.normal()));
    const x = Float64Array.from({ length: n }, () => rng.normal());
    const u = Float64Array.from({ length: m }, () => rng.normal());
    const transposed = new Float64Array(m);
    const product = new Float64Array(n);
    transposeProduct(features, x, transposed);
    featureProduct(features, u, product);
    for (let k = 0; k < m; k++) {
      let expected = 0;
      for (let i = 0; i < n; i++) expected += features.data[i * m + k] * x[i];
      expect(transposed[k]).toBeCloseTo(expected, 12);
    }
    for (let i = 0; i < n; i++) {
      let expected = 0;
      for (let k = 0; k < m; k++) expected += features.data[i * m + k] * u[k];
      expect(product[i]).toBeCloseTo(expected, 12);
    }
  });
});

describe('scaledProjectBoxSum', () => {
  it('matches a hand-worked case: a = (4, 2), h = (2, 1), Σz ≤ 2 → τ = 4/3, z = (4/3, 2/3)', () => {
    // zᵢ = (aᵢ − τ)/hᵢ: Σz = 2 − τ/2 + 2 − τ = 2 → τ = 4/3.
    const z = new Float64Array(2);
    const tau = scaledProjectBoxSum(Float64Array.from([4, 2]), Float64Array.from([2, 1]), 10, 0, 2, z);
    expect(tau).toBeCloseTo(4 / 3, 12);
    expect(z[0]).toBeCloseTo(4 / 3, 12);
    expect(z[1]).toBeCloseTo(2 / 3, 12);
  });

  it('with h = 1 is the Euclidean projection projectBoxSum', () => {
    const rng = createRng(9);
    for (const [upper, lower, high] of [
      [2, 20, 25],
      [5, 0, 3],
      [1000, 0, 1000],
    ] as const) {
      const v = Float64Array.from({ length: 30 }, () => 3 * rng.normal());
      const ones = new Float64Array(30).fill(1);
      const expected = new Float64Array(30);
      const actual = new Float64Array(30);
      projectBoxSum(v, upper, lower, high, expected);
      scaledProjectBoxSum(v, ones, upper, lower, high, actual);
      for (let i = 0; i < 30; i++) expect(actual[i]).toBeCloseTo(expected[i], 10);
    }
  });
});

describe('solveLowRankBoxSumQp', () => {
  it('reaches the KKT conditions and the objective of solveBoxSumQp on the dense operator, every constraint type active', () => {
    for (const [seed, diagonalScale, upper, lower, high] of [
      [1, 1e-6, 1000, 0, 1000],
      [2, 0.5, 1.2, 35, 45],
      [3, 1e-4, 1000, 50, 55],
      [4, 1e-3, 3, 10, 12],
    ] as const) {
      const problem = randomLowRank(60, 6, seed, diagonalScale, upper, lower, high);
      const solution = solveLowRankBoxSumQp(problem, { tolerance: 1e-9 });
      expect(solution.converged).toBe(true);
      let sum = 0;
      for (const value of solution.x) {
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThanOrEqual(upper);
        sum += value;
      }
      expect(sum).toBeGreaterThanOrEqual(lower - 1e-9);
      expect(sum).toBeLessThanOrEqual(high + 1e-9);
      const product = denseMultiply(problem, solution.x);
      const gradient = product.map((value, i) => value - problem.linear[i]);
      const objective = solution.x.reduce((total, value, i) => total + 0.5 * value * product[i] - problem.linear[i] * value, 0);
      expect(solution.objective).toBeCloseTo(objective, 6);
      expect(kktViolation(solution.x, gradient, upper, lower, high)).toBeLessThan(1e-4);
      const reference = solveBoxSumQp(
        { size: 60, multiply: (x, out) => out.set(denseMultiply(problem, x)), linear: problem.linear, upper, sumLower: lower, sumUpper: high } satisfies BoxSumQp,
        { tolerance: 1e-11, maxIterations: 200000 },
      );
      expect(Math.abs(solution.objective - reference.objective)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(reference.objective)));
    }
  });

  it('rejects a diagonal of the wrong length', () => {
    const problem = randomLowRank(10, 3, 5, 0.1, 10, 0, 20);
    expect(() => solveLowRankBoxSumQp({ ...problem, diagonal: new Float64Array(9) })).toThrow(/diagonal/);
  });
});

describe('solveBoxSumQp initial point', () => {
  it('started at the solution stops at once; a wrong-length start is rejected', () => {
    const problem = randomLowRank(40, 4, 6, 0.2, 1000, 0, 1000);
    const qp: BoxSumQp = { size: 40, multiply: (x, out) => out.set(denseMultiply(problem, x)), linear: problem.linear, upper: 1000, sumLower: 0, sumUpper: 1000 };
    const first = solveBoxSumQp(qp, { tolerance: 1e-9, maxIterations: 100000 });
    const again = solveBoxSumQp(qp, { tolerance: 1e-9, initial: first.x, lipschitz: first.lipschitz });
    expect(again.converged).toBe(true);
    expect(again.iterations).toBe(1);
    expect(() => solveBoxSumQp(qp, { initial: new Float64Array(3) })).toThrow(/initial/);
  });
});
