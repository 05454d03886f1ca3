import { describe, expect, it } from 'vitest';
import { isTlkitError } from '../errors';
import { meanAbsoluteError, meanSquaredError, r2Score } from './regression';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return isTlkitError(error) ? error.code : `not a TlkitError: ${String(error)}`;
  }
  return undefined;
}

describe('regression metrics, hand-worked', () => {
  // residuals -0.5, 0, 1, -1; mean(yTrue) = 2.5, SS_tot = 5, SS_res = 2.25
  const yTrue = [1, 2, 3, 4];
  const yPred = [1.5, 2, 2, 5];

  it('MSE = 2.25 / 4, MAE = 2.5 / 4, R² = 1 - 2.25 / 5', () => {
    expect(meanSquaredError(yTrue, yPred)).toBe(0.5625);
    expect(meanAbsoluteError(yTrue, yPred)).toBe(0.625);
    expect(r2Score(yTrue, yPred)).toBeCloseTo(0.55, 15);
  });

  it('R² is 1 for exact predictions, 0 for predicting the mean, negative when worse', () => {
    expect(r2Score(yTrue, yTrue)).toBe(1);
    expect(r2Score(yTrue, [2.5, 2.5, 2.5, 2.5])).toBe(0);
    expect(r2Score([1, 2, 3], [3, 2, 1])).toBeCloseTo(1 - 8 / 2, 15);
  });

  it('constant yTrue: R² = 1 when exact, 0 otherwise (even when the mean rounds)', () => {
    expect(r2Score([0.1, 0.1, 0.1], [0.1, 0.1, 0.1])).toBe(1);
    expect(r2Score([0.1, 0.1, 0.1], [0.1, 0.2, 0.1])).toBe(0);
    expect(r2Score([5], [4])).toBe(0);
  });

  it('typed errors', () => {
    expect(codeOf(() => meanSquaredError([1, 2], [1]))).toBe('DIMENSION_MISMATCH');
    expect(codeOf(() => meanAbsoluteError([], []))).toBe('EMPTY_DOMAIN');
    expect(codeOf(() => r2Score([1, Number.NaN], [1, 2]))).toBe('NON_FINITE_INPUT');
  });
});
