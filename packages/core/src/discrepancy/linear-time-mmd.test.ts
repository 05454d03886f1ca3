import { describe, expect, it } from 'vitest';
import { isTlkitError } from '../errors';
import { Matrix } from '../matrix';
import { createRng } from '../rng';
import { medianHeuristic } from '../kernels/median';
import { linearTimeMmd2 } from './linear-time-mmd';

function gaussianSample(rows: number, cols: number, seed: number, shift: readonly number[] = []): Matrix {
  const rng = createRng(seed);
  return new Matrix(rows, cols, Float64Array.from({ length: rows * cols }, (_, index) => rng.normal() + (shift[index % cols] ?? 0)));
}

describe('linearTimeMmd2', () => {
  // Closed form for P = N(0, I₂), Q = N(δ, I₂), k = exp(−γ‖x − y‖²): 2(1 + 4γ)^(−1)(1 − exp(−γ‖δ‖²/(1 + 4γ))).
  const gamma = 0.5;
  const population = 2 * (1 / 3) * (1 - Math.exp(-gamma / 3));
  const xs = gaussianSample(20000, 2, 1);
  const xt = gaussianSample(16000, 2, 2, [1, 0]);

  it('is within 4 standard errors of the population MMD² (and of 0 for one distribution)', () => {
    const shifted = linearTimeMmd2(xs, xt, { gamma, seed: 3 });
    expect(shifted.numPairs).toBe(8000);
    expect(Math.abs(shifted.mmd2 - population)).toBeLessThan(4 * shifted.standardError);
    expect(shifted.mmd2 / shifted.standardError).toBeGreaterThan(5); // the shift is detected
    const same = linearTimeMmd2(xs, gaussianSample(16000, 2, 7), { gamma, seed: 3 });
    expect(Math.abs(same.mmd2)).toBeLessThan(4 * same.standardError);
  });

  it('linear kernel: expectation ‖δ‖² = 1', () => {
    const result = linearTimeMmd2(xs, xt, { kernel: 'linear', seed: 1 });
    expect(Math.abs(result.mmd2 - 1)).toBeLessThan(4 * result.standardError);
  });

  it('its standard error matches the spread over independent seeds', () => {
    const small = gaussianSample(400, 2, 11);
    const other = gaussianSample(400, 2, 12, [0.5, 0]);
    const values = Array.from({ length: 200 }, (_, seed) => linearTimeMmd2(small, other, { gamma, seed }).mmd2);
    const reported = linearTimeMmd2(small, other, { gamma, seed: 0 }).standardError;
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const spread = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
    // Re-pairing the same rows varies less than fresh samples would; the reported SE bounds it from above.
    expect(spread).toBeLessThan(1.2 * reported);
    expect(spread).toBeGreaterThan(0.3 * reported);
  });

  it('is deterministic per seed and takes the median heuristic by default', () => {
    const small = gaussianSample(300, 2, 21);
    const other = gaussianSample(200, 2, 22, [0.5, 0]);
    const first = linearTimeMmd2(small, other, { seed: 4 });
    expect(linearTimeMmd2(small, other, { seed: 4 })).toEqual(first);
    expect(linearTimeMmd2(small, other, { seed: 5 }).mmd2).not.toBe(first.mmd2);
    // 500 pooled rows < medianRows = 1000: the exact median heuristic γ is used.
    const gamma = medianHeuristic(small, other).gamma;
    expect(linearTimeMmd2(small, other, { seed: 4, gamma })).toEqual(first);
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
    expect(code(() => linearTimeMmd2([[1], [2], [3]], [[1], [2], [3], [4]]))).toBe('TOO_FEW_SAMPLES');
    expect(code(() => linearTimeMmd2(xs, xt, { kernel: 'linear', gamma: 1 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => linearTimeMmd2(xs, gaussianSample(10, 3, 1)))).toBe('DIMENSION_MISMATCH');
  });
});
