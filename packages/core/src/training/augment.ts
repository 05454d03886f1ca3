/**
 * Random affine data augmentation of image batches: every image of a training batch is rotated,
 * scaled and translated by its own random amounts (drawn uniformly from the configured ranges),
 * the classic augmentation of digit recognition (Simard, Steinkraus & Platt, "Best practices for
 * convolutional neural networks applied to visual document analysis", ICDAR 2003, §2: affine
 * distortions of the training set). Pixels are resampled bilinearly by inverse mapping; positions
 * outside the image take the nearest edge pixel (the background of a digit image).
 */
import * as z from 'zod';
import type { ImageShape } from '../data';
import { createRng, deriveSeed } from '../rng';

/** Options of the training loop's `augment`. */
export const augmentationSchema = z
  .object({
    /** Largest shift in pixels, along each axis independently: uniform in [−translate, translate]. */
    translate: z.number().min(0).default(0),
    /** Largest rotation in degrees: uniform in [−rotate, rotate]. */
    rotate: z.number().min(0).max(180).default(0),
    /** Range of the isotropic scale factor: uniform in [min, max]. */
    scale: z
      .tuple([z.number().positive(), z.number().positive()])
      .refine(([low, high]) => low <= high, { message: 'scale is [min, max] with min <= max' })
      .default([1, 1]),
  })
  .strict();

/** Options of the training loop's `augment` (see {@link augmentationSchema}). */
export type AugmentationOptions = z.input<typeof augmentationSchema>;

/** One image's transform: rotation (radians) and scale about the image centre, then a shift (pixels). */
export interface AffineParameters {
  readonly angle: number;
  readonly scale: number;
  /** Shift along the width (columns), in pixels. */
  readonly shiftX: number;
  /** Shift along the height (rows), in pixels. */
  readonly shiftY: number;
}

/**
 * Warps one image (`input` from `inputOffset`, row-major `height × width × channels`) by
 * `parameters` into `output` from `outputOffset`: the output pixel at p takes the input at
 * c + S⁻¹R⁻¹(p − c − t) (c the centre ((w−1)/2, (h−1)/2)), sampled bilinearly, clamped to the edge.
 * @internal
 */
export function affineWarpImage(
  input: Float32Array,
  inputOffset: number,
  output: Float32Array,
  outputOffset: number,
  shape: ImageShape,
  parameters: AffineParameters,
): void {
  const [height, width, channels] = shape;
  const centreX = (width - 1) / 2;
  const centreY = (height - 1) / 2;
  const cos = Math.cos(parameters.angle) / parameters.scale;
  const sin = Math.sin(parameters.angle) / parameters.scale;
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      const dx = col - centreX - parameters.shiftX;
      const dy = row - centreY - parameters.shiftY;
      // Inverse rotation: R(−θ) = [[cos, sin], [−sin, cos]] (x right, y down).
      const sourceX = Math.min(width - 1, Math.max(0, centreX + cos * dx + sin * dy));
      const sourceY = Math.min(height - 1, Math.max(0, centreY - sin * dx + cos * dy));
      const x0 = Math.floor(sourceX);
      const y0 = Math.floor(sourceY);
      const x1 = Math.min(width - 1, x0 + 1);
      const y1 = Math.min(height - 1, y0 + 1);
      const fx = sourceX - x0;
      const fy = sourceY - y0;
      const target = outputOffset + (row * width + col) * channels;
      const topLeft = inputOffset + (y0 * width + x0) * channels;
      const topRight = inputOffset + (y0 * width + x1) * channels;
      const bottomLeft = inputOffset + (y1 * width + x0) * channels;
      const bottomRight = inputOffset + (y1 * width + x1) * channels;
      for (let channel = 0; channel < channels; channel++) {
        const top = input[topLeft + channel] * (1 - fx) + input[topRight + channel] * fx;
        const bottom = input[bottomLeft + channel] * (1 - fx) + input[bottomRight + channel] * fx;
        output[target + channel] = top * (1 - fy) + bottom * fy;
      }
    }
  }
}

/**
 * Augments a batch of `count` images in place. The random draws come from
 * `deriveSeed(seed, 'augment', step)`, so a batch's augmentation depends only on the run seed and
 * the global step (a resumed run augments exactly as the uninterrupted one). @internal
 */
export function augmentBatch(
  values: Float32Array,
  count: number,
  shape: ImageShape,
  options: z.output<typeof augmentationSchema>,
  seed: number,
  step: number,
): void {
  const rng = createRng(deriveSeed(seed, 'augment', step));
  const length = shape[0] * shape[1] * shape[2];
  const image = new Float32Array(length);
  const [low, high] = options.scale;
  for (let k = 0; k < count; k++) {
    const parameters: AffineParameters = {
      angle: ((2 * rng.float() - 1) * options.rotate * Math.PI) / 180,
      scale: low + (high - low) * rng.float(),
      shiftX: (2 * rng.float() - 1) * options.translate,
      shiftY: (2 * rng.float() - 1) * options.translate,
    };
    const offset = k * length;
    image.set(values.subarray(offset, offset + length));
    affineWarpImage(image, 0, values, offset, shape, parameters);
  }
}
