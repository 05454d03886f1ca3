import { type ImageShape, Matrix, TlkitError } from '@tlkit/core';

/** One output pixel along an axis: the input pixels it reads and their weights (summing to 1). */
interface AxisTap {
  readonly indices: Int32Array;
  readonly weights: Float64Array;
}

/**
 * Weights of the 1-D linear interpolant `g` of `size` samples placed at pixel centres
 * `k + 0.5`, extended as a constant beyond the first and last centre.
 * Returns the weights of `g(t)` on the samples.
 */
function interpolantAt(t: number, size: number, accumulate: (index: number, weight: number) => void): void {
  const clamped = Math.min(Math.max(t, 0.5), size - 0.5);
  const position = clamped - 0.5;
  const left = Math.min(Math.floor(position), size - 1);
  const fraction = position - left;
  accumulate(left, 1 - fraction);
  if (fraction > 0) accumulate(left + 1, fraction);
}

/**
 * The taps of one axis. Enlarging (or keeping the size): the interpolant is read at the output
 * pixel's centre (plain bilinear, half-pixel centres). Shrinking: the interpolant's mean over
 * the output pixel's footprint `[j·s, (j+1)·s)`, `s = from / to`, integrated exactly piece by
 * piece between the interpolant's knots.
 */
function axisTaps(from: number, to: number): AxisTap[] {
  const scale = from / to;
  const taps: AxisTap[] = [];
  for (let j = 0; j < to; j++) {
    const weights = new Map<number, number>();
    const accumulateWith = (factor: number) => (index: number, weight: number) => {
      if (weight !== 0) weights.set(index, (weights.get(index) ?? 0) + weight * factor);
    };
    if (scale <= 1) {
      interpolantAt((j + 0.5) * scale, from, accumulateWith(1));
    } else {
      const start = j * scale;
      const end = (j + 1) * scale;
      // Break [start, end) at the knots 0.5, 1.5, ..., from - 0.5; g is linear on each piece,
      // so its integral there is the piece length times g at the piece's midpoint.
      let a = start;
      while (a < end) {
        const nextKnot = Math.floor(a - 0.5) + 1.5; // the first knot strictly after a
        const b = Math.min(end, nextKnot);
        interpolantAt((a + b) / 2, from, accumulateWith((b - a) / (end - start)));
        a = b;
      }
    }
    const indices = Int32Array.from(weights.keys());
    const values = Float64Array.from(weights.values());
    let total = 0;
    for (const value of values) total += value;
    for (let k = 0; k < values.length; k++) values[k] /= total; // exact partition of unity
    taps.push({ indices, weights: values });
  }
  return taps;
}

function checkShape(shape: unknown, argument: string): asserts shape is ImageShape {
  if (
    !Array.isArray(shape) ||
    shape.length !== 3 ||
    !shape.every((value) => Number.isInteger(value) && value > 0)
  ) {
    throw new TlkitError('INVALID_ARGUMENT', `${argument} must be [height, width, channels] with positive integers, got ${JSON.stringify(shape)}.`, {
      argument,
    });
  }
}

/**
 * Resizes flattened images (each row of `X` is one `h × w × c` image, row-major, channels
 * last) to another height and width, in float64.
 *
 * Method, per axis (so the 2-D result is separable): the image is seen as the bilinear
 * interpolant of its pixel values placed at the pixel centres (`k + 0.5`), held constant past
 * the border centres. When an axis is enlarged or kept, each output pixel takes the
 * interpolant's value at its centre (ordinary bilinear resizing with half-pixel centres, as
 * `tf.image.resizeBilinear(..., halfPixelCenters = true)` and OpenCV `INTER_LINEAR`). When an
 * axis is shrunk, each output pixel takes the interpolant's exact average over the output
 * pixel's footprint, so every input pixel contributes and thin strokes do not vanish (an
 * area-correct, anti-aliased bilinear). Consequences (tested): a constant image stays
 * constant; a linear ramp stays an exact linear ramp at every output pixel whose footprint
 * (shrinking) or centre (enlarging) lies between the first and last input pixel centres; the
 * mean over the image is preserved only approximately at the borders.
 *
 * Typical use: bring MNIST (28×28) and USPS (16×16) to one shape before a transfer task.
 *
 * @param X - `n × (h·w·c)` matrix of flattened images.
 * @param fromShape - `[h, w, c]` of the input images.
 * @param toShape - `[h', w', c]` wanted (same channel count).
 * @throws TlkitError `INVALID_ARGUMENT` for a malformed shape or a channel change,
 * `DIMENSION_MISMATCH` when `h·w·c` is not the row length of `X`.
 * @example
 * ```ts
 * const usps = await loadDomain('mnist_usps', 'usps'); // from '@tlkit/datasets/node'
 * const usps28 = resizeImages(usps.X, [16, 16, 1], [28, 28, 1]);
 * usps28.cols; // 784
 * ```
 */
export function resizeImages(X: Matrix, fromShape: ImageShape, toShape: ImageShape): Matrix {
  if (!(X instanceof Matrix)) {
    throw new TlkitError('INVALID_ARGUMENT', 'X must be a Matrix of flattened images (one image per row).', {
      argument: 'X',
    });
  }
  checkShape(fromShape, 'fromShape');
  checkShape(toShape, 'toShape');
  const [fromHeight, fromWidth, channels] = fromShape;
  const [toHeight, toWidth, toChannels] = toShape;
  if (toChannels !== channels) {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `toShape has ${toChannels} channels but fromShape has ${channels}; resizeImages changes height and width only.`,
      { argument: 'toShape' },
    );
  }
  if (fromHeight * fromWidth * channels !== X.cols) {
    throw new TlkitError(
      'DIMENSION_MISMATCH',
      `fromShape [${fromShape.join(', ')}] has ${fromHeight * fromWidth * channels} values per image but X has ${X.cols} columns.`,
      { argument: 'fromShape' },
    );
  }
  if (fromHeight === toHeight && fromWidth === toWidth) return X.clone();

  const rowTaps = axisTaps(fromHeight, toHeight);
  const columnTaps = axisTaps(fromWidth, toWidth);
  const n = X.rows;
  const inputSize = X.cols;
  const outputSize = toHeight * toWidth * channels;
  const out = new Float64Array(n * outputSize);
  // Horizontal pass into a buffer of fromHeight × toWidth × channels, then the vertical pass.
  const buffer = new Float64Array(fromHeight * toWidth * channels);
  for (let image = 0; image < n; image++) {
    const inputOffset = image * inputSize;
    for (let row = 0; row < fromHeight; row++) {
      const inputRow = inputOffset + row * fromWidth * channels;
      const bufferRow = row * toWidth * channels;
      for (let col = 0; col < toWidth; col++) {
        const { indices, weights } = columnTaps[col];
        for (let channel = 0; channel < channels; channel++) {
          let sum = 0;
          for (let k = 0; k < indices.length; k++) sum += weights[k] * X.data[inputRow + indices[k] * channels + channel];
          buffer[bufferRow + col * channels + channel] = sum;
        }
      }
    }
    const outputOffset = image * outputSize;
    const rowLength = toWidth * channels;
    for (let row = 0; row < toHeight; row++) {
      const { indices, weights } = rowTaps[row];
      const outputRow = outputOffset + row * rowLength;
      for (let k = 0; k < indices.length; k++) {
        const weight = weights[k];
        const bufferRow = indices[k] * rowLength;
        for (let position = 0; position < rowLength; position++) out[outputRow + position] += weight * buffer[bufferRow + position];
      }
    }
  }
  return new Matrix(n, outputSize, out);
}
