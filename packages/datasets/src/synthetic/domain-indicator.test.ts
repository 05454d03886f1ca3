import { describe, expect, it } from 'vitest';
import { domainIndicatorToy } from './domain-indicator';

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
