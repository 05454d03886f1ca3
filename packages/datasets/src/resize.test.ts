import { type ImageShape, isTlkitError, Matrix } from '@tlkit/core';
import { describe, expect, it } from 'vitest';
import { resizeImages } from './resize';

function image(height: number, width: number, value: (row: number, col: number) => number): Matrix {
  const X = new Matrix(1, height * width);
  for (let row = 0; row < height; row++) for (let col = 0; col < width; col++) X.data[row * width + col] = value(row, col);
  return X;
}

describe('resizeImages', () => {
  it('hand-worked 1-D cases: enlarge 2→4 is bilinear at pixel centres, shrink 4→2 averages the interpolant', () => {
    const [a, b] = [10, 30];
    const enlarged = resizeImages(Matrix.fromRows([[a, b]]), [1, 2, 1], [1, 4, 1]);
    // centres 0.25, 0.75, 1.25, 1.75 on the interpolant through (0.5, a), (1.5, b), constant outside
    expect(Array.from(enlarged.data)).toEqual([a, 0.75 * a + 0.25 * b, 0.25 * a + 0.75 * b, b]);

    const [p, q, r, s] = [8, 16, 40, 80];
    const shrunk = resizeImages(Matrix.fromRows([[p, q, r, s]]), [1, 4, 1], [1, 2, 1]);
    // pixel 0 covers [0, 2): ∫ = 0.5·p + (p+q)/2 + 0.5·(3q+r)/4, divided by 2
    expect(shrunk.data[0]).toBeCloseTo(0.5 * p + 0.4375 * q + 0.0625 * r, 12);
    expect(shrunk.data[1]).toBeCloseTo(0.0625 * q + 0.4375 * r + 0.5 * s, 12);
  });

  it('a constant image stays constant (28×28 → 16×16 and 16×16 → 28×28, several channels)', () => {
    const constant = new Matrix(2, 28 * 28 * 3);
    for (let k = 0; k < constant.data.length; k++) constant.data[k] = [0.25, 7, -3][k % 3] * (k < 28 * 28 * 3 ? 1 : 2);
    const small = resizeImages(constant, [28, 28, 3], [16, 16, 3]);
    const back = resizeImages(small, [16, 16, 3], [28, 28, 3]);
    for (const [X, size] of [[small, 16 * 16 * 3], [back, 28 * 28 * 3]] as const) {
      expect(X.cols).toBe(size);
      let maxError = 0;
      for (let k = 0; k < X.data.length; k++) {
        const expected = [0.25, 7, -3][k % 3] * (k < size ? 1 : 2);
        maxError = Math.max(maxError, Math.abs(X.data[k] - expected));
      }
      expect(maxError).toBeLessThan(1e-12);
    }
  });

  it('a linear ramp stays exactly linear wherever the interpolant is linear', () => {
    const ramp = (row: number, col: number) => 5 + 2 * row - 3 * col; // value at pixel centre (row + 0.5, col + 0.5), shifted
    for (const [from, to] of [[28, 16], [16, 28], [13, 5], [5, 13]] as const) {
      const out = resizeImages(image(from, from, ramp), [from, from, 1], [to, to, 1]);
      const scale = from / to;
      // the output pixel j is centred at c = (j + 0.5)·scale in input coordinates, i.e. input index c - 0.5
      const inside = (j: number) =>
        scale > 1 ? j * scale >= 0.5 && (j + 1) * scale <= from - 0.5 : (j + 0.5) * scale >= 0.5 && (j + 0.5) * scale <= from - 0.5;
      let checked = 0;
      for (let row = 0; row < to; row++) {
        for (let col = 0; col < to; col++) {
          if (!inside(row) || !inside(col)) continue;
          const expected = ramp((row + 0.5) * scale - 0.5, (col + 0.5) * scale - 0.5);
          expect(Math.abs(out.data[row * to + col] - expected)).toBeLessThan(1e-11);
          checked++;
        }
      }
      expect(checked).toBe((to - 2) ** 2); // every pixel but the border ring
    }
  });

  it('outputs are convex combinations of the inputs (uint8 stays in [0, 255]) and the same size is a copy', () => {
    const noisy = image(28, 28, (row, col) => ((row * 31 + col * 17) % 256));
    const small = resizeImages(noisy, [28, 28, 1], [16, 16, 1]);
    expect(Math.min(...small.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...small.data)).toBeLessThanOrEqual(255);
    const copy = resizeImages(noisy, [28, 28, 1], [28, 28, 1]);
    expect(copy.data).toEqual(noisy.data);
    expect(copy.data).not.toBe(noisy.data);
  });

  it('rejects shapes that do not fit X', () => {
    const X = new Matrix(1, 16);
    const codeOf = (from: unknown, to: unknown) => {
      try {
        resizeImages(X, from as ImageShape, to as ImageShape);
      } catch (error) {
        return isTlkitError(error) ? error.code : 'other';
      }
      return undefined;
    };
    expect(codeOf([4, 4, 1], [2, 2, 1])).toBeUndefined();
    expect(codeOf([4, 3, 1], [2, 2, 1])).toBe('DIMENSION_MISMATCH');
    expect(codeOf([4, 4, 1], [2, 2, 3])).toBe('INVALID_ARGUMENT');
    expect(codeOf([4, 4], [2, 2, 1])).toBe('INVALID_ARGUMENT');
  });
});
