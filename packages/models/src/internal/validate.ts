import { TlkitError } from '@tlkit/core';

/**
 * Checks that a convolutional backbone received an image shape `[height, width, channels]` with
 * positive integer sides. @internal
 */
export function requireImageShape(backbone: string, inputShape: readonly number[]): [number, number, number] {
  if (inputShape.length !== 3 || inputShape.some((side) => !Number.isInteger(side) || side < 1)) {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `backbone '${backbone}' is convolutional and needs images: inputShape must be [height, width, channels], got [${inputShape.join(', ')}]. Give the dataset an image shape (e.g. shape: [28, 28, 1]), or use the 'mlp' backbone for feature vectors.`,
      { argument: 'inputShape', inputShape: [...inputShape] },
    );
  }
  return [inputShape[0], inputShape[1], inputShape[2]];
}
