/**
 * The synthetic shift generators: each test checks a stated property of the generative model
 * against an independent computation (closed-form densities, exact counts, sample moments with
 * five-standard-error bounds). One file for the five generators keeps the per-file test set-up
 * cost down.
 */
import { isTlkitError, type Matrix } from '@tlkit/core';
import { describe, expect, it } from 'vitest';
import type { SyntheticDomain } from './common';
import { conditionalShift } from './conditional-shift';
import { covariateShift } from './covariate-shift';
import { domainIndicatorToy } from './domain-indicator';
import { priorShift } from './label-shift';
import { subspaceShift } from './subspace-shift';

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

function counts(y: Int32Array, numClasses: number): number[] {
  const out = new Array<number>(numClasses).fill(0);
  for (const label of y) out[label]++;
  return out;
}

describe('priorShift', () => {
  it('gives each part exactly the requested class proportions', () => {
    const task = priorShift({ nSource: 300, nTarget: 200, nTest: 50, targetPriors: [0.5, 0.3, 0.2], seed: 4 });
    expect(counts(task.source.y, 3)).toEqual([100, 100, 100]);
    expect(counts(task.target.y, 3)).toEqual([100, 60, 40]);
    expect(counts(task.targetTest.y, 3)).toEqual([25, 15, 10]);
    // largest-remainder rounding when n · π is not an integer: 200/3 → 67, 67, 66
    expect(counts(priorShift({ nSource: 200 }).source.y, 3)).toEqual([67, 67, 66]);
  });

  it('weights are π_t/π_s per class, and reweighting the source gives the target proportions', () => {
    const task = priorShift({ nSource: 300, sourcePriors: [0.2, 0.3, 0.5], targetPriors: [0.6, 0.3, 0.1], seed: 1 });
    expect(Array.from(task.truth.classWeights)).toEqual([0.6 / 0.2, 0.3 / 0.3, 0.1 / 0.5]);
    const weighted = [0, 0, 0];
    task.source.y.forEach((label, i) => {
      expect(task.truth.sourceWeights[i]).toBe(task.truth.classWeights[label]);
      weighted[label] += task.truth.sourceWeights[i] / 300;
    });
    weighted.forEach((share, label) => expect(share).toBeCloseTo([0.6, 0.3, 0.1][label], 12));
  });

  it('keeps p(x | y): class means in source and target are both m_c', () => {
    const task = priorShift({ nSource: 6000, nTarget: 6000, numClasses: 3, separation: 3, std: 1, seed: 2 });
    const means = task.truth.classMeans;
    expect(means.toRows()[1][0]).toBeCloseTo(3 * Math.cos((2 * Math.PI) / 3), 12);
    for (const part of [task.source, task.target]) {
      const sums = [new Float64Array(2), new Float64Array(2), new Float64Array(2)];
      const n = counts(part.y, 3);
      for (let i = 0; i < part.X.rows; i++) for (let j = 0; j < 2; j++) sums[part.y[i]][j] += part.X.get(i, j);
      for (let c = 0; c < 3; c++) {
        for (let j = 0; j < 2; j++) expect(Math.abs(sums[c][j] / n[c] - means.get(c, j))).toBeLessThan(5 / Math.sqrt(n[c]));
      }
    }
  });

  it('validates the priors', () => {
    const codeOf = (options: object) => {
      try {
        priorShift(options);
      } catch (error) {
        return isTlkitError(error) ? error.code : 'other';
      }
      return undefined;
    };
    expect(codeOf({ targetPriors: [0.5, 0.5] })).toBe('INVALID_ARGUMENT');
    expect(codeOf({ targetPriors: [0.5, 0.6, -0.1] })).toBe('INVALID_ARGUMENT');
    expect(codeOf({ targetPriors: [0.5, 0.3, 0.3] })).toBe('INVALID_ARGUMENT');
    expect(codeOf({ numClasses: 1 })).toBe('INVALID_ARGUMENT');
  });
});

function classStatistics(part: SyntheticDomain, numClasses: number, dim: number) {
  const n = new Array<number>(numClasses).fill(0);
  const sums = Array.from({ length: numClasses }, () => new Float64Array(dim));
  const squares = Array.from({ length: numClasses }, () => new Float64Array(dim));
  for (let i = 0; i < part.X.rows; i++) {
    const c = part.y[i];
    n[c]++;
    for (let j = 0; j < dim; j++) {
      sums[c][j] += part.X.get(i, j);
      squares[c][j] += part.X.get(i, j) ** 2;
    }
  }
  const means = sums.map((row, c) => Array.from(row, (sum) => sum / n[c]));
  const stds = squares.map((row, c) => Array.from(row, (square, j) => Math.sqrt(square / n[c] - means[c][j] ** 2)));
  return { n, means, stds };
}

describe('conditionalShift', () => {
  it('uses the given offsets: target class means are m_c + b_c (the TSDoc example)', () => {
    const task = conditionalShift({ offsets: [[2, 0], [0, 0], [0, -2]], seed: 1 });
    const expected = [
      [5, 0],
      [-1.5, 3 * Math.sin((2 * Math.PI) / 3)],
      [-1.5, 3 * Math.sin((4 * Math.PI) / 3) - 2],
    ];
    task.truth.targetClassMeans.toRows().forEach((row, c) => row.forEach((value, j) => expect(value).toBeCloseTo(expected[c][j], 12)));
  });

  it('keeps p(y) and moves p(x | y): sample class means and spreads match the stated model', () => {
    const task = conditionalShift({ nSource: 6000, nTarget: 6000, shift: 2, scale: 1.5, seed: 7 });
    const { offsets, sourceClassMeans, targetClassMeans } = task.truth;
    for (let c = 0; c < 3; c++) expect(Math.hypot(...offsets.row(c))).toBeCloseTo(2, 12);
    const source = classStatistics(task.source, 3, 2);
    const target = classStatistics(task.target, 3, 2);
    expect(source.n).toEqual([2000, 2000, 2000]);
    expect(target.n).toEqual([2000, 2000, 2000]);
    for (let c = 0; c < 3; c++) {
      for (let j = 0; j < 2; j++) {
        expect(Math.abs(source.means[c][j] - sourceClassMeans.get(c, j))).toBeLessThan(5 * (1 / Math.sqrt(2000)));
        expect(Math.abs(target.means[c][j] - targetClassMeans.get(c, j))).toBeLessThan(5 * (1.5 / Math.sqrt(2000)));
        expect(Math.abs(source.stds[c][j] - 1)).toBeLessThan(0.1);
        expect(Math.abs(target.stds[c][j] - 1.5)).toBeLessThan(0.15);
      }
    }
    expect(task.truth.targetStd).toBe(1.5);
  });

  it('rejects offsets of the wrong shape', () => {
    expect(() => conditionalShift({ offsets: [[1, 2]] })).toThrow(/options.offsets/);
  });
});

describe('subspaceShift', () => {
  it('R is orthogonal and rotates each coordinate plane by θ', () => {
    const angle = Math.PI / 3;
    const { rotation } = subspaceShift({ dim: 5, angle, nSource: 5, nTarget: 5, nTest: 5 }).truth;
    for (let a = 0; a < 5; a++) {
      for (let b = 0; b < 5; b++) {
        let dot = 0;
        for (let k = 0; k < 5; k++) dot += rotation.get(k, a) * rotation.get(k, b);
        expect(dot).toBeCloseTo(a === b ? 1 : 0, 15);
      }
    }
    // e0 ↦ (cos θ, sin θ, 0, 0, 0); the lone last coordinate is kept
    expect([rotation.get(0, 0), rotation.get(1, 0)]).toEqual([Math.cos(angle), Math.sin(angle)]);
    expect(rotation.get(4, 4)).toBe(1);
  });

  it('target rows are R times source-distributed draws, exactly', () => {
    const task = subspaceShift({ dim: 4, angle: 0.7, seed: 3 });
    const { rotation, targetUnrotated, targetTestUnrotated } = task.truth;
    for (const [rotated, unrotated] of [[task.target.X, targetUnrotated], [task.targetTest.X, targetTestUnrotated]]) {
      for (let i = 0; i < rotated.rows; i++) {
        for (let a = 0; a < 4; a++) {
          let expected = 0;
          for (let b = 0; b < 4; b++) expected += rotation.get(a, b) * unrotated.get(i, b);
          expect(rotated.get(i, a)).toBeCloseTo(expected, 12);
        }
      }
    }
  });

  it('the target class means are the source class means turned by θ', () => {
    const angle = Math.PI / 4;
    const task = subspaceShift({ nSource: 3000, nTarget: 3000, angle, seed: 5 });
    const { classMeans } = task.truth;
    for (const [part, turn] of [[task.source, 0], [task.target, angle]] as const) {
      for (let c = 0; c < 3; c++) {
        let x = 0;
        let y = 0;
        let n = 0;
        for (let i = 0; i < part.X.rows; i++) {
          if (part.y[i] !== c) continue;
          x += part.X.get(i, 0);
          y += part.X.get(i, 1);
          n++;
        }
        const [mx, my] = [classMeans.get(c, 0), classMeans.get(c, 1)];
        const expected = [Math.cos(turn) * mx - Math.sin(turn) * my, Math.sin(turn) * mx + Math.cos(turn) * my];
        expect(Math.abs(x / n - expected[0])).toBeLessThan(5 / Math.sqrt(n));
        expect(Math.abs(y / n - expected[1])).toBeLessThan(5 / Math.sqrt(n));
      }
    }
  });
});

describe('domainIndicatorToy', () => {
  it('the indicator column equals the domain id: 0 in the source, 1 in the target and test', () => {
    const task = domainIndicatorToy({ dim: 3, seed: 4 });
    const { indicatorColumn } = task.truth;
    expect(indicatorColumn).toBe(3);
    expect(task.source.X.cols).toBe(4);
    for (const [part, id] of [[task.source, 0], [task.target, 1], [task.targetTest, 1]] as const) {
      expect(part.X.column(indicatorColumn).every((value) => value === id)).toBe(true);
    }
  });

  it('the other columns are informative: nearest class mean on them classifies the target test well', () => {
    // two classes at ±2 on the first axis, σ = 1: Bayes accuracy Φ(2) ≈ 0.977
    const task = domainIndicatorToy({ nTest: 2000, seed: 6 });
    const means = task.truth.classMeans;
    let correct = 0;
    for (let i = 0; i < task.targetTest.X.rows; i++) {
      const row = task.targetTest.X.row(i);
      const distances = [0, 1].map((c) => (row[0] - means.get(c, 0)) ** 2 + (row[1] - means.get(c, 1)) ** 2);
      if ((distances[0] <= distances[1] ? 0 : 1) === task.targetTest.y[i]) correct++;
    }
    const accuracy = correct / 2000;
    expect(Math.abs(accuracy - 0.97725)).toBeLessThan(5 * Math.sqrt((0.977 * 0.023) / 2000));
    // balanced classes
    expect(task.targetTest.y.reduce((sum, label) => sum + label, 0)).toBe(1000);
  });

  it('targetShift moves only the target informative features', () => {
    const plain = domainIndicatorToy({ seed: 8 });
    const shifted = domainIndicatorToy({ seed: 8, targetShift: [1, -2] });
    expect(shifted.source.X.data).toEqual(plain.source.X.data);
    for (let i = 0; i < plain.target.X.rows; i++) {
      expect(shifted.target.X.get(i, 0) - plain.target.X.get(i, 0)).toBeCloseTo(1, 12);
      expect(shifted.target.X.get(i, 1) - plain.target.X.get(i, 1)).toBeCloseTo(-2, 12);
      expect(shifted.target.X.get(i, 2)).toBe(1);
    }
  });
});

describe('every generator', () => {
  it('rejects an option it does not have (a typo used to fall back to the default), with a hint for a wrong case', () => {
    const generators: [string, (options: Record<string, unknown>) => unknown][] = [
      ['covariateShift', (options) => covariateShift(options)],
      ['priorShift', (options) => priorShift(options)],
      ['conditionalShift', (options) => conditionalShift(options)],
      ['subspaceShift', (options) => subspaceShift(options)],
      ['domainIndicatorToy', (options) => domainIndicatorToy(options)],
    ];
    for (const [name, generate] of generators) {
      expect(() => generate({ nsource: 3 })).toThrow(new RegExp(`^\\[INVALID_ARGUMENT\\] options\\.nsource is not an option of ${name}; did you mean 'nSource'\\? Its options: nSource, nTarget, nTest, seed, `));
      expect(() => generate({ colour: 'red' })).toThrow(/options\.colour is not an option of .* Its options:/);
      expect(() => generate({ nSource: 3, nTarget: 3, nTest: 3, seed: 1 })).not.toThrow();
    }
  });
});
