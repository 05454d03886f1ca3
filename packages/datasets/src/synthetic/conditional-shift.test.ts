import { describe, expect, it } from 'vitest';
import type { SyntheticDomain } from './common';
import { conditionalShift } from './conditional-shift';

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
