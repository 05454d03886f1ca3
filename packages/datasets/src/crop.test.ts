import { isTlkitError, Matrix } from '@tlkit/core';
import { describe, expect, it } from 'vitest';
import { cropImages } from './crop';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return isTlkitError(error) ? error.code : 'not a TlkitError';
  }
  return undefined;
}

describe('cropImages', () => {
  it('hand-worked case: a 4×5 image, crop top 1, bottom 0, left 2, right 1 keeps rows 1-3, columns 2-3', () => {
    // pixel (row, col) holds 10·row + col
    const image = Array.from({ length: 20 }, (_, k) => 10 * Math.floor(k / 5) + (k % 5));
    const X = Matrix.fromRows([image, image.map((value) => -value)]);
    const { X: cropped, shape } = cropImages(X, [4, 5, 1], { top: 1, left: 2, right: 1 });
    expect(shape).toEqual([3, 2, 1]);
    expect(Array.from(cropped.data.subarray(0, 6))).toEqual([12, 13, 22, 23, 32, 33]);
    expect(Array.from(cropped.data.subarray(6))).toEqual([-12, -13, -22, -23, -32, -33]);
  });

  it('keeps channels together (2 channels, crop 1 from each side of a 3×3 image leaves the centre pixel)', () => {
    const X = Matrix.fromRows([Array.from({ length: 18 }, (_, k) => k)]);
    const { X: cropped, shape } = cropImages(X, [3, 3, 2], { top: 1, bottom: 1, left: 1, right: 1 });
    expect(shape).toEqual([1, 1, 2]);
    // centre pixel (1, 1) starts at (1·3 + 1)·2 = 8
    expect(Array.from(cropped.data)).toEqual([8, 9]);
  });

  it('zero margins copy the input; the MNIST border crop gives 20×20', () => {
    const X = Matrix.fromRows([[1, 2, 3, 4]]);
    const same = cropImages(X, [2, 2, 1], {});
    expect(Array.from(same.X.data)).toEqual([1, 2, 3, 4]);
    expect(same.X.data).not.toBe(X.data);
    const mnist = new Matrix(3, 28 * 28);
    expect(cropImages(mnist, [28, 28, 1], { top: 4, bottom: 4, left: 4, right: 4 }).X.cols).toBe(400);
  });

  it('rejects crops that leave no pixel, bad margins and mismatched shapes with typed errors', () => {
    const X = new Matrix(1, 16);
    expect(codeOf(() => cropImages(X, [4, 4, 1], { top: 2, bottom: 2 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => cropImages(X, [4, 4, 1], { left: 5 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => cropImages(X, [4, 4, 1], { left: -1 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => cropImages(X, [4, 4, 1], { top: 0.5 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => cropImages(X, [4, 5, 1], {}))).toBe('DIMENSION_MISMATCH');
    expect(() => cropImages(X, [4, 4, 1], { top: 3, bottom: 1 })).toThrow(/crop fewer pixels/);
  });
});
