import { describe, expect, it } from 'vitest';
import { Matrix } from '../matrix';
import { requireFinite, requireFiniteSymmetric, requireSymmetric } from './validation';
import { randomSymmetric } from './testFixtures';

/** The TlkitError a call throws (code and details), or null. */
function caught(action: () => void): { code: string; details: Record<string, unknown> } | null {
  try {
    action();
    return null;
  } catch (error) {
    return error as { code: string; details: Record<string, unknown> };
  }
}

describe('argument checks', () => {
  it('requireFinite accepts finite values (including ±0 and the extremes) and names the first bad index', () => {
    expect(caught(() => requireFinite([0, -0, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE], 'x', 'test'))).toBeNull();
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      for (const length of [1, 2, 7]) {
        const values = new Float64Array(length + 3);
        values[length] = bad;
        values[length + 2] = bad;
        const error = caught(() => requireFinite(values, 'x', 'test'));
        expect(error?.code).toBe('NON_FINITE_INPUT');
        expect(error?.details.index).toBe(length);
      }
    }
  });

  it('requireFiniteSymmetric passes symmetric matrices and tolerates asymmetry below 1e-8 · max|a|', () => {
    const a = randomSymmetric(70, 3);
    expect(caught(() => requireFiniteSymmetric([[a, 'a']], 'test'))).toBeNull();
    a.set(5, 60, a.get(5, 60) + 1e-9 * 3); // |entries| ≤ ~4 here, so 3e-9 is within 1e-8 · max
    expect(caught(() => requireFiniteSymmetric([[a, 'a']], 'test'))).toBeNull();
  });

  it('names the first asymmetric pair, in the same way as requireSymmetric', () => {
    const a = randomSymmetric(70, 4);
    a.set(40, 3, a.get(40, 3) + 1);
    a.set(50, 60, a.get(50, 60) + 1);
    const fused = caught(() => requireFiniteSymmetric([[a, 'a']], 'test'));
    const separate = caught(() => requireSymmetric(a, 'a', 'test'));
    expect(fused?.code).toBe('INVALID_ARGUMENT');
    expect(fused?.details).toEqual({ argument: 'a', row: 3, column: 40 });
    expect(separate?.details).toEqual(fused?.details);
  });

  it('reports non-finite entries anywhere (lower triangle included) before any asymmetry, across matrices', () => {
    const asymmetric = randomSymmetric(40, 5);
    asymmetric.set(0, 1, 100);
    const poisoned = randomSymmetric(40, 6);
    poisoned.set(39, 2, Number.NaN);
    const error = caught(() =>
      requireFiniteSymmetric(
        [
          [asymmetric, 'a'],
          [poisoned, 'b'],
        ],
        'test',
      ),
    );
    expect(error?.code).toBe('NON_FINITE_INPUT');
    expect(error?.details).toEqual({ argument: 'b', index: 39 * 40 + 2 });
    const infinite = Matrix.fromRows([[1, Number.POSITIVE_INFINITY], [Number.POSITIVE_INFINITY, 1]]);
    expect(caught(() => requireFiniteSymmetric([[infinite, 'a']], 'test'))?.code).toBe('NON_FINITE_INPUT');
  });
});
