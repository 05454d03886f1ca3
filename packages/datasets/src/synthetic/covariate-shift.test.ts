import { isTlkitError, type Matrix } from '@tlkit/core';
import { describe, expect, it } from 'vitest';
import { covariateShift } from './covariate-shift';

/** Mean and standard error of the mean. */
function meanAndError(values: ArrayLike<number>): { mean: number; error: number } {
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i] - mean) ** 2;
  return { mean, error: Math.sqrt(squares / (n - 1) / n) };
}

function gaussianPdf(x: number, mean: number, std: number): number {
  return Math.exp(-((x - mean) ** 2) / (2 * std * std)) / (std * Math.sqrt(2 * Math.PI));
}

const column = (X: Matrix, j: number) => X.column(j);

describe('covariateShift', () => {
  it('truth.sourceWeights are p_t(x)/p_s(x), computed here from the Gaussian densities', () => {
    const task = covariateShift({ dim: 3, sourceMean: [0.5, -1, 0], targetMean: [0, 0, 1], sourceStd: 0.8, targetStd: 0.6, nSource: 50, seed: 3 });
    for (let i = 0; i < 50; i++) {
      const x = task.source.X.row(i);
      let ratio = 1;
      for (let j = 0; j < 3; j++) ratio *= gaussianPdf(x[j], [0, 0, 1][j], 0.6) / gaussianPdf(x[j], [0.5, -1, 0][j], 0.8);
      expect(task.truth.sourceWeights[i] / ratio).toBeCloseTo(1, 12);
      expect(task.truth.densityRatio(x)).toBe(task.truth.sourceWeights[i]);
    }
  });

  it('draws x from the stated Gaussians, and importance weighting turns source averages into target averages', () => {
    const task = covariateShift({ nSource: 20000, nTarget: 20000, nTest: 10, seed: 1 });
    const source = meanAndError(column(task.source.X, 0));
    const target = meanAndError(column(task.target.X, 0));
    expect(Math.abs(source.mean - 0.5)).toBeLessThan(5 * source.error);
    expect(Math.abs(target.mean - 0)).toBeLessThan(5 * target.error);
    // E_s[w] = 1 and E_s[w · x] = E_t[x] = μ_t = 0
    const weights = task.truth.sourceWeights;
    const weightMean = meanAndError(weights);
    expect(Math.abs(weightMean.mean - 1)).toBeLessThan(5 * weightMean.error);
    const weighted = meanAndError(Float64Array.from(column(task.source.X, 0), (x, i) => weights[i] * x));
    expect(Math.abs(weighted.mean - 0)).toBeLessThan(5 * weighted.error);
    expect(task.problem).toBe('classification');
    expect(task.numClasses).toBe(2);
  });

  it('p(y | x) is the same rule in every part: y = 1[x₁³ − x₁ > 0] with noise 0', () => {
    const task = covariateShift({ noise: 0, dim: 2, seed: 5 });
    for (const part of [task.source, task.target, task.targetTest]) {
      for (let i = 0; i < part.X.rows; i++) {
        const x1 = part.X.get(i, 0);
        expect(part.y[i]).toBe(x1 ** 3 - x1 > 0 ? 1 : 0);
      }
    }
    expect(new Set(task.source.y).size).toBe(2);
  });

  it('regression: y − f(x) has mean 0 and the stated noise std in source and target', () => {
    const task = covariateShift({ problem: 'regression', noise: 0.3, nSource: 5000, nTarget: 5000, seed: 2 });
    expect(task.problem).toBe('regression');
    expect(task.source.y).toBeInstanceOf(Float64Array);
    for (const part of [task.source, task.target]) {
      const residuals = Float64Array.from(part.y, (y, i) => y - task.truth.labellingFunction(part.X.row(i)));
      const { mean, error } = meanAndError(residuals);
      expect(Math.abs(mean)).toBeLessThan(5 * error);
      const std = Math.sqrt(residuals.reduce((sum, r) => sum + (r - mean) ** 2, 0) / (residuals.length - 1));
      expect(Math.abs(std - 0.3)).toBeLessThan(5 * 0.3 / Math.sqrt(2 * residuals.length));
    }
  });

  it('is deterministic per seed and validates its options', () => {
    expect(covariateShift({ seed: 9 }).source.X.data).toEqual(covariateShift({ seed: 9 }).source.X.data);
    expect(covariateShift({ seed: 9 }).source.X.data).not.toEqual(covariateShift({ seed: 10 }).source.X.data);
    // the target does not depend on the source size (independent streams)
    expect(covariateShift({ seed: 9, nSource: 10 }).target.X.data).toEqual(covariateShift({ seed: 9 }).target.X.data);
    const codeOf = (options: object) => {
      try {
        covariateShift(options);
      } catch (error) {
        return isTlkitError(error) ? error.code : 'other';
      }
      return undefined;
    };
    expect(codeOf({ sourceStd: 0 })).toBe('INVALID_ARGUMENT');
    expect(codeOf({ dim: 2, sourceMean: [1, 2, 3] })).toBe('INVALID_ARGUMENT');
    expect(codeOf({ nSource: 0 })).toBe('INVALID_ARGUMENT');
    expect(codeOf({ problem: 'ranking' })).toBe('INVALID_ARGUMENT');
  });
});
