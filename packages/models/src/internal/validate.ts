import * as tf from '@tensorflow/tfjs';
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

/** Throws `INVALID_ARGUMENT` naming `argument` and the allowed values when `value` is not one of them. @internal */
export function requireOneOf<Allowed extends string>(value: unknown, allowed: readonly Allowed[], argument: string): asserts value is Allowed | undefined {
  if (value !== undefined && !(allowed as readonly unknown[]).includes(value)) {
    throw new TlkitError('INVALID_ARGUMENT', `${argument} must be one of ${allowed.map((option) => `'${option}'`).join(', ')}; got ${JSON.stringify(value)}.`, {
      argument,
      allowed: [...allowed],
    });
  }
}

/**
 * Throws `INVALID_ARGUMENT` naming `argument` when `model` is not a tfjs LayersModel, or, with
 * `singleOutput` (the default), when it has more than one output. @internal
 */
export function requireLayersModel(model: unknown, argument = 'model', singleOutput = true): asserts model is tf.LayersModel {
  if (!(model instanceof tf.LayersModel)) {
    throw new TlkitError('INVALID_ARGUMENT', `${argument} must be a tfjs LayersModel (tf.model / tf.sequential / tf.loadLayersModel); got ${model === null ? 'null' : typeof model}.`, {
      argument,
    });
  }
  if (singleOutput && model.outputs.length !== 1) {
    throw new TlkitError('INVALID_ARGUMENT', `${argument} has ${model.outputs.length} outputs; head surgery needs a model with one output.`, { argument });
  }
}
