import { createRng, Matrix, rbfKernel } from '@tlkit/core';
import { describe, expect, it } from 'vitest';
import { type BoxSumQp, largestEigenvalue, projectBoxSum, solveBoxSumQp } from './box-sum-qp';
import { kktViolation } from '../../test/helpers';
import { symmetricMultiply } from './kernel-blocks';

function randomVector(n: number, seed: number, scale = 3, shift = 0): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length: n }, () => shift + scale * rng.normal());
}

function isFeasible(x: Float64Array, upper: number, lower: number, high: number, slack = 1e-9): boolean {
  let sum = 0;
  for (const value of x) {
    if (value < -slack || value > upper + slack) return false;
    sum += value;
  }
  return sum >= lower - slack * x.length && sum <= high + slack * x.length;
}

describe('projectBoxSum', () => {
  it('returns a feasible point satisfying the projection inequality (v − p)ᵀ(z − p) ≤ 0 for feasible z', () => {
    for (let trial = 0; trial < 20; trial++) {
      const n = 30;
      const v = randomVector(n, trial, 2, trial % 3 === 0 ? 2 : 0);
      const upper = 1 + (trial % 4);
      const lower = trial % 2 === 0 ? 20 : 2;
      const high = lower + 5;
      const p = new Float64Array(n);
      projectBoxSum(v, upper, lower, high, p);
      expect(isFeasible(p, upper, lower, high)).toBe(true);
      // Random feasible points: projections of random vectors are feasible.
      for (let k = 0; k < 20; k++) {
        const z = new Float64Array(n);
        projectBoxSum(randomVector(n, 1000 + 31 * trial + k, 4), upper, lower, high, z);
        let inner = 0;
        for (let i = 0; i < n; i++) inner += (v[i] - p[i]) * (z[i] - p[i]);
        expect(inner).toBeLessThanOrEqual(1e-9);
      }
    }
  });

  it('matches a hand-worked case', () => {
    // v = (3, 1, −1), box [0, 2], Σ ≤ 2: p = clip(v − τ) with Σ = 2 → τ = 1 gives (2, 0, 0).
    const p = new Float64Array(3);
    const tau = projectBoxSum(Float64Array.from([3, 1, -1]), 2, 0, 2, p);
    expect(Array.from(p)).toEqual([2, 0, 0]);
    expect(tau).toBeCloseTo(1, 12);
    // Σ ≥ 4 with v = (1, 1, 1), box [0, 2]: τ = −1/3 gives (4/3, 4/3, 4/3).
    projectBoxSum(Float64Array.from([1, 1, 1]), 2, 4, 6, p);
    for (const value of p) expect(value).toBeCloseTo(4 / 3, 12);
  });
});

describe('solveBoxSumQp', () => {
  const identity = (n: number) => (x: Float64Array, out: Float64Array) => out.set(x);

  it('solves H = I with the sum constraint active in closed form: x = q − τ·1, τ = (Σq − s)/n', () => {
    const n = 10;
    const q = Float64Array.from({ length: n }, (_, i) => 3 + 0.2 * i); // Σq = 39
    const problem: BoxSumQp = { size: n, multiply: identity(n), linear: q, upper: 10, sumLower: 0, sumUpper: 20 };
    const solution = solveBoxSumQp(problem, { tolerance: 1e-12 });
    const tau = (39 - 20) / n;
    expect(solution.converged).toBe(true);
    for (let i = 0; i < n; i++) expect(solution.x[i]).toBeCloseTo(q[i] - tau, 10);
  });

  it('solves a diagonal H with only the box active in closed form: xᵢ = clip(qᵢ/hᵢ, 0, B)', () => {
    const n = 12;
    const h = Float64Array.from({ length: n }, (_, i) => 0.5 + i / 4);
    const q = randomVector(n, 5, 2, 1);
    const problem: BoxSumQp = {
      size: n,
      multiply: (x, out) => {
        for (let i = 0; i < n; i++) out[i] = h[i] * x[i];
      },
      linear: q,
      upper: 1.5,
      sumLower: 0,
      sumUpper: 1000,
    };
    const solution = solveBoxSumQp(problem, { tolerance: 1e-12 });
    for (let i = 0; i < n; i++) expect(solution.x[i]).toBeCloseTo(Math.min(1.5, Math.max(0, q[i] / h[i])), 10);
    expect(solution.residual).toBeLessThan(1e-9);
  });

  it('meets the KKT conditions on random RBF-kernel problems, with every constraint type active', () => {
    const rng = createRng(11);
    for (const [upper, lower, high] of [
      [1000, 0, 1000],
      [1.2, 35, 45],
      [1000, 50, 55],
      [3, 10, 12],
    ] as const) {
      const n = 60;
      const X = new Matrix(n, 4, Float64Array.from({ length: n * 4 }, () => rng.normal()));
      const K = rbfKernel(X, X, 0.3);
      const q = Float64Array.from({ length: n }, () => 20 * rng.float());
      const problem: BoxSumQp = { size: n, multiply: (x, out) => symmetricMultiply(K, x, out), linear: q, upper, sumLower: lower, sumUpper: high };
      const solution = solveBoxSumQp(problem, { tolerance: 1e-10 });
      expect(solution.converged).toBe(true);
      expect(isFeasible(solution.x, upper, lower, high)).toBe(true);
      const gradient = new Float64Array(n);
      symmetricMultiply(K, solution.x, gradient);
      for (let i = 0; i < n; i++) gradient[i] -= q[i];
      expect(kktViolation(solution.x, gradient, upper, lower, high)).toBeLessThan(1e-6);
      // The objective is no worse than at a few random feasible points.
      const objective = (x: Float64Array) => {
        const product = new Float64Array(n);
        symmetricMultiply(K, x, product);
        return x.reduce((total, value, i) => total + 0.5 * value * product[i] - q[i] * value, 0);
      };
      expect(solution.objective).toBeCloseTo(objective(solution.x), 8);
      for (let k = 0; k < 10; k++) {
        const z = new Float64Array(n);
        projectBoxSum(randomVector(n, 70 + k, 2, 1), upper, lower, high, z);
        expect(solution.objective).toBeLessThanOrEqual(objective(z) + 1e-9);
      }
    }
  });

  it('estimates the largest eigenvalue of a PSD operator', () => {
    // H = I + 2·11ᵀ has eigenvalues 1 + 2n (along 1) and 1.
    const n = 8;
    const value = largestEigenvalue({
      size: n,
      multiply: (x, out) => {
        const sum = x.reduce((total, entry) => total + entry, 0);
        for (let i = 0; i < n; i++) out[i] = x[i] + 2 * sum;
      },
    });
    expect(value).toBeCloseTo(1 + 2 * n, 6);
  });
});

