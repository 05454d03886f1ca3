import { describe, expect, it } from 'vitest';
import { affineWarpImage, augmentationSchema, augmentBatch, type AffineParameters } from './augment';

const identity: AffineParameters = { angle: 0, scale: 1, shiftX: 0, shiftY: 0 };

function warp(image: number[], shape: [number, number, number], parameters: Partial<AffineParameters>): number[] {
  const input = Float32Array.from(image);
  const output = new Float32Array(image.length);
  affineWarpImage(input, 0, output, 0, shape, { ...identity, ...parameters });
  return Array.from(output);
}

// A 3×3 image with distinct pixels, row-major:
// 1 2 3
// 4 5 6
// 7 8 9
const nine = [1, 2, 3, 4, 5, 6, 7, 8, 9];

describe('affineWarpImage', () => {
  it('leaves an image unchanged under the identity', () => {
    expect(warp(nine, [3, 3, 1], {})).toEqual(nine);
  });

  it('shifts by whole pixels, repeating the edge', () => {
    // One pixel right: each row becomes [a, a, b]; one pixel down: rows [r0, r0, r1].
    expect(warp(nine, [3, 3, 1], { shiftX: 1 })).toEqual([1, 1, 2, 4, 4, 5, 7, 7, 8]);
    expect(warp(nine, [3, 3, 1], { shiftY: 1 })).toEqual([1, 2, 3, 1, 2, 3, 4, 5, 6]);
    expect(warp(nine, [3, 3, 1], { shiftX: -1 })).toEqual([2, 3, 3, 5, 6, 6, 8, 9, 9]);
  });

  it('interpolates bilinearly at half-pixel shifts', () => {
    // Half a pixel right: output column c reads column c − 0.5 (column 0 clamps to the edge).
    expect(warp(nine, [3, 3, 1], { shiftX: 0.5 })).toEqual([1, 1.5, 2.5, 4, 4.5, 5.5, 7, 7.5, 8.5]);
    // Half a pixel in both axes: the mean of four neighbours, e.g. output (1, 1) = mean(1, 2, 4, 5) = 3.
    expect(warp(nine, [3, 3, 1], { shiftX: 0.5, shiftY: 0.5 })[4]).toBeCloseTo(3, 6);
  });

  it('rotates by 90 degrees clockwise on screen (x right, y down) about the centre', () => {
    // Clockwise: the left column (7 4 1 read bottom-up) becomes the top row.
    const rotated = warp(nine, [3, 3, 1], { angle: Math.PI / 2 });
    expect(rotated.map((value) => Math.round(value * 1e6) / 1e6)).toEqual([7, 4, 1, 8, 5, 2, 9, 6, 3]);
    // Four quarter turns come back to the start.
    let image = nine;
    for (let turn = 0; turn < 4; turn++) image = warp(image, [3, 3, 1], { angle: Math.PI / 2 });
    image.forEach((value, index) => expect(value).toBeCloseTo(nine[index], 5));
  });

  it('scales about the centre', () => {
    // 5 pixels in a row, scale 2: output column c reads column 2 + (c − 2) / 2.
    const row = [0, 10, 20, 30, 40];
    expect(warp(row, [1, 5, 1], { scale: 2 })).toEqual([10, 15, 20, 25, 30]);
    // Scale 1/2: reads 2 + 2(c − 2) = −2, 0, 2, 4, 6 → clamped to 0, 0, 20, 40, 40.
    expect(warp(row, [1, 5, 1], { scale: 0.5 })).toEqual([0, 0, 20, 40, 40]);
  });

  it('rotates and scales about the centre first, then shifts', () => {
    // 3 × 5 image, pixel (row, col) = 10·row + col; 90° and one pixel right. By hand: output (r, c)
    // reads x = 2 + (r − 1) = r + 1, y = 1 − (c − 1 − 2) = 4 − c (clamped to 0..2).
    const image = Array.from({ length: 15 }, (_, index) => 10 * Math.floor(index / 5) + (index % 5));
    const output = warp(image, [3, 5, 1], { angle: Math.PI / 2, shiftX: 1 }).map((value) => Math.round(value * 1e6) / 1e6);
    expect(output).toEqual([21, 21, 21, 11, 1, 22, 22, 22, 12, 2, 23, 23, 23, 13, 3]);
  });

  it('warps every channel with the same geometry', () => {
    // Two channels interleaved: channel 1 = 10 × channel 0.
    const image = nine.flatMap((value) => [value, 10 * value]);
    const output = warp(image, [3, 3, 2], { shiftX: 1 });
    expect(output.filter((_, index) => index % 2 === 0)).toEqual([1, 1, 2, 4, 4, 5, 7, 7, 8]);
    expect(output.filter((_, index) => index % 2 === 1)).toEqual([10, 10, 20, 40, 40, 50, 70, 70, 80]);
  });
});

describe('augmentBatch', () => {
  const shape: [number, number, number] = [4, 4, 1];
  const batch = () => Float32Array.from({ length: 3 * 16 }, (_, index) => (index * 7) % 11);

  it('changes nothing with zero ranges', () => {
    const values = batch();
    augmentBatch(values, 3, shape, augmentationSchema.parse({}), 5, 0);
    expect(Array.from(values)).toEqual(Array.from(batch()));
  });

  it('is a function of the seed and the step', () => {
    const options = augmentationSchema.parse({ translate: 1, rotate: 15, scale: [0.9, 1.1] });
    const first = batch();
    const again = batch();
    const otherStep = batch();
    augmentBatch(first, 3, shape, options, 5, 2);
    augmentBatch(again, 3, shape, options, 5, 2);
    augmentBatch(otherStep, 3, shape, options, 5, 3);
    expect(Array.from(again)).toEqual(Array.from(first));
    expect(Array.from(otherStep)).not.toEqual(Array.from(first));
    // Each image gets its own transform: the three images were all changed.
    const original = batch();
    for (let k = 0; k < 3; k++) {
      expect(Array.from(first.subarray(k * 16, (k + 1) * 16))).not.toEqual(Array.from(original.subarray(k * 16, (k + 1) * 16)));
    }
  });

  it('keeps every value inside the image range (bilinear weights are convex)', () => {
    const values = batch();
    augmentBatch(values, 3, shape, augmentationSchema.parse({ translate: 2, rotate: 180, scale: [0.5, 2] }), 1, 0);
    for (const value of values) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(10);
    }
  });

  it('rejects bad ranges', () => {
    expect(augmentationSchema.safeParse({ scale: [1.2, 0.8] }).success).toBe(false);
    expect(augmentationSchema.safeParse({ rotate: -1 }).success).toBe(false);
    expect(augmentationSchema.safeParse({ shift: 1 }).success).toBe(false);
  });
});
