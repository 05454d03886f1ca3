import { createRng, Matrix } from '@tlkit/core';
import { describeStrategyConformance } from '@tlkit/core/testing';
import { describe, expect, it } from 'vitest';
import { correlation, errorCode, gaussianShift, stepContext } from '../test/helpers';
import { kliep, kliepPlugin, maximiseKliep } from './kliep';

describe('maximiseKliep', () => {
  it('meets the KKT conditions of max (1/n) Σ log(Aα) s.t. bᵀα = 1, α ≥ 0', () => {
    const rng = createRng(4);
    const rows = 40;
    const m = 12;
    const A = new Matrix(rows, m, Float64Array.from({ length: rows * m }, () => Math.exp(-2 * rng.float())));
    const b = Float64Array.from({ length: m }, () => 0.2 + rng.float());
    const { alpha } = maximiseKliep(A, b, { maxIterations: 200, tolerance: 1e-10 });
    expect(alpha.reduce((total, value, l) => total + value * b[l], 0)).toBeCloseTo(1, 12);
    // ∇J = (1/n) Aᵀ(1/Aα); at the optimum ∇J_l = ν b_l where α_l > 0 and ≤ ν b_l where α_l = 0, with ν = αᵀ∇J = 1.
    const v = Array.from({ length: rows }, (_, j) => alpha.reduce((total, value, l) => total + A.get(j, l) * value, 0));
    const largest = Math.max(...alpha);
    for (let l = 0; l < m; l++) {
      const g = v.reduce((total, value, j) => total + A.get(j, l) / value, 0) / rows;
      if (alpha[l] > 1e-6 * largest) expect(Math.abs(g - b[l])).toBeLessThan(1e-6);
      else expect(g).toBeLessThanOrEqual(b[l] + 1e-6);
    }
  });
});

describe('kliep on a Gaussian shift with a known ratio', () => {
  const data = gaussianShift(600, 400, 1, 5);

  it('has mean weight exactly 1 on the source, tracks the true ratio, and picks σ by held-out likelihood', () => {
    const result = kliep({ centers: 50 }).doFitWeights({ source: data.source, target: data.target }, stepContext({ seed: 1 }));
    return result.then(({ weights, info }) => {
      const mean = weights.reduce((a, b) => a + b, 0) / weights.length;
      expect(mean).toBeCloseTo(1, 9);
      expect(weights.every((value) => value >= 0)).toBe(true);
      expect(correlation(weights, data.trueWeights)).toBeGreaterThan(0.9);
      const scores = info?.cvScores as number[];
      const candidates = info?.sigmaCandidates as number[];
      expect(scores.length).toBe(candidates.length);
      expect(info?.sigma).toBe(candidates[scores.indexOf(Math.max(...scores))]);
    });
  });

  it('uses the given widths, and rejects too many folds', async () => {
    const { info } = await kliep({ sigmas: [0.7], folds: 1, centers: 50 }).doFitWeights({ source: data.source, target: data.target }, stepContext());
    expect(info?.sigma).toBe(0.7);
    const tiny = gaussianShift(5, 6, 1, 1);
    expect(await errorCode(() => kliep({ folds: 5 }).doFitWeights({ source: tiny.source, target: tiny.target }, stepContext()))).toBe('TOO_FEW_SAMPLES');
    expect(await errorCode(() => kliep({ centers: 0 }))).toBe('INVALID_CONFIG');
  });
});

describeStrategyConformance({
  plugin: kliepPlugin,
  options: { centers: 20, folds: 3 },
  invalidOptions: [{ options: { sigmas: [] }, field: 'sigmas' }],
});
