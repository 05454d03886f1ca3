import { describe, expect, it } from 'vitest';
import { subspaceShift } from './subspace-shift';

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
