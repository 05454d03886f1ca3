import { type ImageShape, Matrix, TlkitError } from '@tlkit/core';

/** Pixels removed from each side of an image by {@link cropImages}. */
export interface CropMargins {
  /** Rows removed at the top (default 0). */
  readonly top?: number;
  /** Rows removed at the bottom (default 0). */
  readonly bottom?: number;
  /** Columns removed on the left (default 0). */
  readonly left?: number;
  /** Columns removed on the right (default 0). */
  readonly right?: number;
}

/**
 * Removes a fixed border from flattened images: each row of `X` is one `h × w × c` image
 * (row-major, channels last) and becomes the `(h − top − bottom) × (w − left − right) × c`
 * window that starts at row `top` and column `left`. Pixels are copied unchanged (no
 * interpolation); the channel count is kept.
 *
 * Typical use: MNIST digits are size-normalised to a 20×20 box and centred in a 28×28 frame
 * (LeCun, Cortes & Burges, "The MNIST database of handwritten digits", a 4-pixel empty border),
 * while USPS digits fill their 16×16 frame. Cropping 4 pixels from each side of MNIST before
 * resizing both to one shape makes the digits about the same size in the two domains.
 *
 * @param X - `n × (h·w·c)` matrix of flattened images.
 * @param shape - `[h, w, c]` of the input images.
 * @param margins - `{ top, bottom, left, right }`, non-negative integers, each 0 by default.
 * @returns `{ X, shape }`: the cropped images (a new matrix) and their `[h', w', c]`.
 * @throws TlkitError `INVALID_ARGUMENT` for a malformed shape, a negative or non-integer margin,
 * or margins that leave no pixel; `DIMENSION_MISMATCH` when `h·w·c` is not the row length of `X`.
 * @example
 * ```ts
 * const mnist = await loadDomain('mnist_usps', 'mnist'); // from '@tlkit/datasets/node'
 * const { X, shape } = cropImages(mnist.X, [28, 28, 1], { top: 4, bottom: 4, left: 4, right: 4 });
 * shape; // [20, 20, 1]
 * ```
 */
export function cropImages(X: Matrix, shape: ImageShape, margins: CropMargins): { X: Matrix; shape: ImageShape } {
  if (!(X instanceof Matrix)) {
    throw new TlkitError('INVALID_ARGUMENT', 'X must be a Matrix of flattened images (one image per row).', { argument: 'X' });
  }
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((value) => Number.isInteger(value) && value > 0)) {
    throw new TlkitError('INVALID_ARGUMENT', `shape must be [height, width, channels] with positive integers, got ${JSON.stringify(shape)}.`, {
      argument: 'shape',
    });
  }
  const [height, width, channels] = shape;
  if (height * width * channels !== X.cols) {
    throw new TlkitError(
      'DIMENSION_MISMATCH',
      `shape [${shape.join(', ')}] has ${height * width * channels} values per image but X has ${X.cols} columns.`,
      { argument: 'shape' },
    );
  }
  if (typeof margins !== 'object' || margins === null) {
    throw new TlkitError('INVALID_ARGUMENT', 'margins must be an object { top, bottom, left, right } of non-negative integers.', {
      argument: 'margins',
    });
  }
  const sides = ['top', 'bottom', 'left', 'right'] as const;
  for (const side of sides) {
    const value = margins[side];
    if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
      throw new TlkitError('INVALID_ARGUMENT', `margins.${side} must be a non-negative integer number of pixels, got ${String(value)}.`, {
        argument: `margins.${side}`,
      });
    }
  }
  const top = margins.top ?? 0;
  const bottom = margins.bottom ?? 0;
  const left = margins.left ?? 0;
  const right = margins.right ?? 0;
  const outHeight = height - top - bottom;
  const outWidth = width - left - right;
  if (outHeight <= 0 || outWidth <= 0) {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `margins top ${top} + bottom ${bottom} and left ${left} + right ${right} leave a ${outHeight} × ${outWidth} image of a ${height} × ${width} one; crop fewer pixels.`,
      { argument: 'margins' },
    );
  }
  const n = X.rows;
  const outRowLength = outWidth * channels;
  const outSize = outHeight * outRowLength;
  const out = new Float64Array(n * outSize);
  for (let image = 0; image < n; image++) {
    const inputOffset = image * X.cols;
    const outputOffset = image * outSize;
    for (let row = 0; row < outHeight; row++) {
      const start = inputOffset + ((row + top) * width + left) * channels;
      out.set(X.data.subarray(start, start + outRowLength), outputOffset + row * outRowLength);
    }
  }
  return { X: new Matrix(n, outSize, out), shape: [outHeight, outWidth, channels] };
}
