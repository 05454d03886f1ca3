import { describe, expect, it } from 'vitest';
import { minimizeLbfgs } from './lbfgs';

describe('minimizeLbfgs', () => {
  it('finds the minimiser A⁻¹b of a convex quadratic ½xᵀAx − bᵀx', () => {
    // By hand: det A = 18, adj A = [[5, −2, 1], [−2, 8, −4], [1, −4, 11]], so
    // A⁻¹b = [5 − 4 + 3, −2 + 16 − 12, 1 − 8 + 33] / 18 = [4, 2, 26] / 18 (check: A·[4, 2, 26] = [18, 36, 54]).
    const A = [
      [4, 1, 0],
      [1, 3, 1],
      [0, 1, 2],
    ];
    const b = [1, 2, 3];
    const result = minimizeLbfgs((x, gradient) => {
      let value = 0;
      for (let i = 0; i < 3; i++) {
        let row = 0;
        for (let j = 0; j < 3; j++) row += A[i][j] * x[j];
        gradient[i] = row - b[i];
        value += 0.5 * x[i] * row - b[i] * x[i];
      }
      return value;
    }, new Float64Array(3), { tolerance: 1e-12 });
    expect(result.converged).toBe(true);
    const expected = [4 / 18, 2 / 18, 26 / 18];
    for (let i = 0; i < 3; i++) expect(result.x[i]).toBeCloseTo(expected[i], 10);
  });

  it('minimises the Rosenbrock function to its known minimum (1, 1)', () => {
    const result = minimizeLbfgs((x, gradient) => {
      const [u, v] = x;
      gradient[0] = -2 * (1 - u) - 400 * u * (v - u * u);
      gradient[1] = 200 * (v - u * u);
      return (1 - u) ** 2 + 100 * (v - u * u) ** 2;
    }, Float64Array.from([-1.2, 1]), { tolerance: 1e-10, maxIterations: 500 });
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(1, 7);
    expect(result.x[1]).toBeCloseTo(1, 7);
    expect(result.value).toBeLessThan(1e-14);
    // Each accepted step decreases f, so far fewer evaluations than a gradient method needs.
    expect(result.iterations).toBeLessThan(100);
  });

  it('stops at maxIterations with converged = false, and is deterministic', () => {
    const objective = (x: Float64Array, gradient: Float64Array) => {
      gradient[0] = 4 * x[0] ** 3;
      return x[0] ** 4;
    };
    const first = minimizeLbfgs(objective, Float64Array.from([3]), { maxIterations: 3, tolerance: 1e-15 });
    const second = minimizeLbfgs(objective, Float64Array.from([3]), { maxIterations: 3, tolerance: 1e-15 });
    expect(first.iterations).toBe(3);
    expect(first.converged).toBe(false);
    expect(first.reason).toBe('max-iterations');
    expect(Math.abs(first.x[0])).toBeLessThan(3);
    expect(second.x).toEqual(first.x);
  });

  it('rejects a start point where the objective is not finite', () => {
    expect(() => minimizeLbfgs((_, gradient) => { gradient[0] = 0; return Number.NaN; }, new Float64Array(1))).toThrow(
      /NUMERICAL_ERROR/,
    );
  });
});
