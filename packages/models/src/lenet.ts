import * as tf from '@tensorflow/tfjs';
import { defineBackbone, deriveSeed, TlkitError } from '@tlkit/core';
import * as z from 'zod';
import { SeededDropout } from './internal/seeded-dropout';
import { requireImageShape } from './internal/validate';
import { registerModelLayers } from './register-model-layers';

const lenetSchema = z
  .object({
    /** Filters of the two convolutions (LeNet-5: 6 and 16). */
    filters: z.tuple([z.number().int().positive(), z.number().int().positive()]).default([6, 16]),
    /** Side of the square convolution kernels (LeNet-5: 5). */
    kernelSize: z.number().int().positive().default(5),
    /** Widths of the fully connected layers after the convolutions (LeNet-5: 120 and 84). */
    dense: z.array(z.number().int().positive()).default([120, 84]),
    /** Non-linearity after every convolution and dense layer. */
    activation: z.enum(['relu', 'tanh']).default('relu'),
    /** Subsampling: 2×2 max-pooling (the modern choice) or 2×2 average-pooling (closer to the paper). */
    pooling: z.enum(['max', 'average']).default('max'),
    /** Dropout rate after every dense layer (0 = none); the masks are seeded. */
    dropout: z.number().min(0).lt(1).default(0),
  })
  .strict();

/** Options of {@link lenetBackbone} (all optional). */
export type LenetOptions = z.input<typeof lenetSchema>;

/**
 * The LeNet-5 feature extractor (LeCun, Bottou, Bengio, Haffner, "Gradient-based learning applied
 * to document recognition", Proc. IEEE 86(11), 1998), with the usual modern substitutions (ReLU,
 * max-pooling, and the second convolution connected to all six maps of the first, without the
 * paper's C3 connection table): image → conv 6@5×5 'same' + ReLU → pool 2 → conv 16@5×5 'valid' + ReLU → pool 2 →
 * flatten → dense 120 + ReLU → dense 84 + ReLU = the features (core's trainer adds the classifier).
 * On 28×28×1 digits the second pooling gives 5×5×16 = 400 values, as C5 of the paper sees them on
 * its 32×32 input.
 *
 * Options (defaults give LeNet-5): `filters` [6, 16], `kernelSize` 5, `dense` [120, 84]
 * (`[]` ends at the flattened convolution features), `activation` 'relu', `pooling` 'max',
 * `dropout` 0 (a rate after every dense layer, with a seeded mask sequence).
 *
 * Every kernel is Glorot-uniform with its own seed `deriveSeed(context.seed, layerName)`; biases
 * are zero. Layer names (after `context.namePrefix`): `conv1`, `pool1`, `conv2`, `pool2`,
 * `flatten`, `dense1`, `dense2`, ... and `dropout1`, ... when `dropout` > 0. The dropout layers are a
 * tlkit class: a build with `dropout` > 0 registers it with tfjs ({@link registerModelLayers}), so
 * the model can be cloned, saved and loaded again in the same process.
 * Input images need sides of at least `2 × (kernelSize + 1)` (12 for 5×5 kernels).
 *
 * @example
 * ```ts
 * import { registerBackbone, trainer } from '@tlkit/core';
 * import { modelBackbones } from '@tlkit/models';
 * registerBackbone(modelBackbones);
 * const step = trainer({ backbone: { use: 'lenet', dropout: 0.25 }, epochs: 10 });
 * ```
 */
export const lenetBackbone = defineBackbone({
  name: 'lenet',
  description: 'LeNet-5 (LeCun et al. 1998): two 5×5 convolutions with pooling, then dense 120 and 84 (ReLU, max-pooling).',
  configSchema: lenetSchema,
  build(options, context) {
    const [height, width] = requireImageShape('lenet', context.inputShape);
    const smallest = 2 * (options.kernelSize + 1);
    if (Math.min(height, width) < smallest) {
      throw new TlkitError(
        'INVALID_ARGUMENT',
        `backbone 'lenet' with kernelSize ${options.kernelSize} needs images of at least ${smallest}×${smallest}; inputShape is [${context.inputShape.join(', ')}]. Use a smaller kernelSize or larger images.`,
        { argument: 'inputShape', inputShape: [...context.inputShape] },
      );
    }
    // The dropout layer is a tlkit class: register it, so the model can be cloned through JSON
    // (core's trainer does) or saved and loaded again.
    if (options.dropout > 0) registerModelLayers();
    const prefix = context.namePrefix;
    const glorot = (name: string) => tf.initializers.glorotUniform({ seed: deriveSeed(context.seed, name) });
    const pool = (name: string) =>
      options.pooling === 'max'
        ? tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `${prefix}${name}` })
        : tf.layers.averagePooling2d({ poolSize: 2, strides: 2, name: `${prefix}${name}` });
    const conv = (name: string, filters: number, padding: 'same' | 'valid') =>
      tf.layers.conv2d({
        filters,
        kernelSize: options.kernelSize,
        padding,
        activation: options.activation,
        kernelInitializer: glorot(name),
        biasInitializer: 'zeros',
        name: `${prefix}${name}`,
      });

    const input = tf.input({ shape: [...context.inputShape], name: `${prefix}input` });
    let current = conv('conv1', options.filters[0], 'same').apply(input) as tf.SymbolicTensor;
    current = pool('pool1').apply(current) as tf.SymbolicTensor;
    current = conv('conv2', options.filters[1], 'valid').apply(current) as tf.SymbolicTensor;
    current = pool('pool2').apply(current) as tf.SymbolicTensor;
    current = tf.layers.flatten({ name: `${prefix}flatten` }).apply(current) as tf.SymbolicTensor;
    options.dense.forEach((units, index) => {
      const name = `dense${index + 1}`;
      current = tf.layers
        .dense({ units, activation: options.activation, kernelInitializer: glorot(name), biasInitializer: 'zeros', name: `${prefix}${name}` })
        .apply(current) as tf.SymbolicTensor;
      if (options.dropout > 0) {
        const dropoutName = `dropout${index + 1}`;
        current = new SeededDropout({ rate: options.dropout, seed: deriveSeed(context.seed, dropoutName), name: `${prefix}${dropoutName}` }).apply(
          current,
        ) as tf.SymbolicTensor;
      }
    });
    return tf.model({ inputs: input, outputs: current, name: `${prefix}lenet` });
  },
});
