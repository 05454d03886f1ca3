import { describe, expect, it } from 'vitest';
import { Matrix } from '../matrix';
import { compose } from '../pipeline';
import { createRng } from '../rng';
import { fitRidge, ridge, ridgePlugin } from './ridge';
import { fitSaveRestore } from './test-data/pipeline';

function randomRegression(seed: number, n: number, d: number) {
  const rng = createRng(seed);
  const X = new Matrix(n, d);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let target = 0.5;
    for (let j = 0; j < d; j++) {
      X.data[i * d + j] = rng.normal() + j;
      target += (j + 1) * 0.3 * X.data[i * d + j];
    }
    y[i] = target + 0.1 * rng.normal();
  }
  return { X, y };
}

describe('fitRidge', () => {
  it('fits a line exactly with alpha = 0 (hand case y = 2x + 1)', () => {
    const model = fitRidge(Matrix.fromRows([[0], [1], [2], [3]]), [1, 3, 5, 7], { alpha: 0 });
    expect(model.coefficients[0]).toBeCloseTo(2, 14);
    expect(model.intercept).toBeCloseTo(1, 14);
    expect(Array.from(model.predict(Matrix.fromRows([[10]])))[0]).toBeCloseTo(21, 12);
  });

  it('shrinks by the closed form Σxy / (Σx² + α) on centred data (hand case)', () => {
    // x = [−1, 1], y = [−1, 1] are centred: β = 2 / (2 + α), b = 0.
    for (const alpha of [0.5, 1, 4]) {
      const model = fitRidge(Matrix.fromRows([[-1], [1]]), [-1, 1], { alpha });
      expect(model.coefficients[0]).toBeCloseTo(2 / (2 + alpha), 14);
      expect(model.intercept).toBeCloseTo(0, 14);
    }
    // Shifted copies: x + 10, y + 3 → same β, intercept 3 − 10β (the intercept is not penalised).
    const model = fitRidge(Matrix.fromRows([[9], [11]]), [2, 4], { alpha: 1 });
    expect(model.coefficients[0]).toBeCloseTo(2 / 3, 13);
    expect(model.intercept).toBeCloseTo(3 - 10 * (2 / 3), 12);
  });

  it('satisfies the weighted normal equations, in the primal and the dual', () => {
    for (const [n, d] of [
      [40, 5],
      [8, 20],
    ]) {
      const { X, y } = randomRegression(n + d, n, d);
      const weights = Float64Array.from({ length: n }, (_, i) => 0.25 + (i % 3));
      const alpha = 0.7;
      const model = fitRidge(X, y, { alpha, weights });
      expect(model.solver).toBe(n < d ? 'dual' : 'primal');
      // Residuals r = y − Xβ − b: ∂/∂b gives Σ wᵢ rᵢ = 0, ∂/∂β gives Xᵀ W r = α β.
      const residual = Float64Array.from(y, (value, i) => {
        let fit = model.intercept;
        for (let j = 0; j < d; j++) fit += X.get(i, j) * model.coefficients[j];
        return value - fit;
      });
      let balance = 0;
      for (let i = 0; i < n; i++) balance += weights[i] * residual[i];
      expect(Math.abs(balance)).toBeLessThan(1e-9);
      for (let j = 0; j < d; j++) {
        let correlation = 0;
        for (let i = 0; i < n; i++) correlation += weights[i] * X.get(i, j) * residual[i];
        expect(correlation).toBeCloseTo(alpha * model.coefficients[j], 9);
      }
      // The other system gives the same solution.
      const other = fitRidge(X, y, { alpha, weights, solver: n < d ? 'primal' : 'dual' });
      for (let j = 0; j < d; j++) expect(other.coefficients[j]).toBeCloseTo(model.coefficients[j], 9);
      expect(other.intercept).toBeCloseTo(model.intercept, 9);
    }
  });

  it('treats weight 0 as dropping the sample and weight 2 as duplicating it', () => {
    const { X, y } = randomRegression(3, 25, 4);
    const weights = new Float64Array(25).fill(1);
    weights[2] = 0;
    weights[9] = 2;
    const weighted = fitRidge(X, y, { weights });
    const rows = [...Array.from({ length: 25 }, (_, i) => i).filter((i) => i !== 2), 9];
    const explicit = fitRidge(X.selectRows(rows), Float64Array.from(rows, (i) => y[i]));
    for (let j = 0; j < 4; j++) expect(weighted.coefficients[j]).toBeCloseTo(explicit.coefficients[j], 11);
    expect(weighted.intercept).toBeCloseTo(explicit.intercept, 11);
    expect(Math.abs(fitRidge(X, y).coefficients[0] - weighted.coefficients[0])).toBeGreaterThan(1e-6);
  });

  it('rejects bad input', () => {
    const X = Matrix.fromRows([[0], [1]]);
    expect(() => fitRidge(X, [1, 2], { alpha: -1 })).toThrow(/INVALID_CONFIG.*alpha/);
    expect(() => fitRidge(X, [1, Number.NaN])).toThrow(/NON_FINITE_INPUT/);
    expect(() => fitRidge(X, [1])).toThrow(/DIMENSION_MISMATCH/);
    // Two samples, three features, alpha 0: the centred system is singular.
    expect(() => fitRidge(Matrix.fromRows([[0, 1, 2], [1, 0, 3]]), [1, 2], { alpha: 0 })).toThrow(/NUMERICAL_ERROR.*alpha/);
  });
});

describe("the 'ridge' plugin", () => {
  it('declares regression only, so the orchestrator rejects a classification task', async () => {
    expect(ridgePlugin.needs.problems).toEqual(['regression']);
    expect(() => ridge({ alpha: -2 })).toThrow(/INVALID_CONFIG.*alpha/);
    const task = { source: { X: [[0], [1]], y: [0, 1] }, target: { X: [[1]] }, problem: 'classification' as const };
    await expect(compose(ridge()).fit(task)).rejects.toThrow(/UNSUPPORTED_PROBLEM/);
  });

  it('restores from its saved state with byte-identical predictions', async () => {
    const { X, y } = randomRegression(4, 30, 3);
    const query = randomRegression(5, 10, 3).X;
    const task = { source: { X, y }, target: { X: query }, problem: 'regression' as const };
    const { fitted, restored } = await fitSaveRestore(ridgePlugin, ridge({ alpha: 0.3 }), task);
    expect(restored.predict(query)).toEqual(fitted.predict(query));
    expect(fitted.predict(query)).toEqual(fitRidge(X, y, { alpha: 0.3 }).predict(query));
  });
});
