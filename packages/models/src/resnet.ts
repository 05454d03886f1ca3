import * as tf from '@tensorflow/tfjs';
import { defineBackbone, deriveSeed } from '@tlkit/core';
import * as z from 'zod';
import { requireImageShape } from './internal/validate';

const resnet18Schema = z
  .object({
    /** Channels of the first stage; the stages have width, 2·width, 4·width, 8·width (paper: 64). */
    width: z.number().int().positive().default(64),
    /**
     * 'imagenet': 7×7 stride-2 convolution + BN + ReLU + 3×3 stride-2 max-pool (the paper's stem);
     * 'cifar': 3×3 stride-1 convolution + BN + ReLU, no pooling (for small images such as 28×28 or
     * 16×16 digits, as in the paper's CIFAR-10 networks and most re-implementations).
     */
    stem: z.enum(['imagenet', 'cifar']).default('imagenet'),
    /** Momentum of the batch-normalisation moving averages (Keras convention: 0.9 = PyTorch's 0.1). */
    batchNormMomentum: z.number().gt(0).lt(1).default(0.9),
    /** ε of batch normalisation. */
    batchNormEpsilon: z.number().positive().default(1e-5),
  })
  .strict();

/** Options of {@link resnet18Backbone} (all optional). */
export type ResNet18Options = z.input<typeof resnet18Schema>;

/** Stages of ResNet-18: [channel multiplier, first stride]; two basic blocks each. */
const STAGES: readonly (readonly [number, number])[] = [
  [1, 1],
  [2, 2],
  [4, 2],
  [8, 2],
];
const BLOCKS_PER_STAGE = 2;

/**
 * ResNet-18 (He, Zhang, Ren, Sun, "Deep residual learning for image recognition", CVPR 2016,
 * Table 1) as a feature extractor: stem (7×7/2 convolution, batch normalisation, ReLU, 3×3/2
 * max-pool), then 4 stages of 2 basic blocks with width, 2·width, 4·width, 8·width channels
 * (stages 2–4 halve the resolution in their first block), then global average pooling → 8·width
 * features (512 in the paper; core's trainer adds the classifier, so the paper's FC-1000 is not
 * part of the backbone).
 *
 * Basic block: 3×3 convolution (stride s) → BN → ReLU → 3×3 convolution → BN, plus the shortcut,
 * then ReLU. The shortcut is the identity, or a 1×1 convolution with stride s + BN when the shape
 * changes (the paper's option B, as in torchvision). Convolutions have no bias (BN follows) and He
 * normal initialisation (He et al., ICCV 2015), each with its own seed
 * `deriveSeed(context.seed, layerName)`; BN starts at γ = 1, β = 0. (tfjs's He normal is a normal
 * truncated at 2σ without rescaling, so its spread is about 0.88·√(2/fan_in), as in Keras before
 * it corrected the truncation; BN after every convolution makes this of little consequence.)
 * Stride-2 layers pad ⌊k/2⌋ pixels on every side, as torchvision does: the residual branch and
 * the 1×1 shortcut then read the same pixels, and weights converted from torchvision's resnet18
 * compute the same function. (TensorFlow's 'same' padding would pad one pixel more at the bottom
 * and right of an even input and put the two branches one pixel apart.)
 *
 * With `width` 64 and the 'imagenet' stem on 3-channel inputs it has 11,176,512 trainable
 * parameters (torchvision's resnet18 without its FC layer) plus 9,600 BN moving statistics.
 * Options: `width` 64, `stem` 'imagenet' | 'cifar' (3×3/1 convolution, no max-pool: for 28×28 or
 * 16×16 digits), `batchNormMomentum` 0.9, `batchNormEpsilon` 1e-5.
 *
 * Layer names (after `context.namePrefix`): `conv1_pad`, `conv1`, `bn1`, `relu1`, `pool1_pad`,
 * `pool1` (imagenet stem; the cifar stem has `conv1`, `bn1`, `relu1`); per block
 * `stage{s}_block{b}_conv1_pad` (stride-2 blocks), `_conv1`, `_bn1`, `_relu1`, `_conv2`, `_bn2`,
 * `_shortcut_conv`, `_shortcut_bn` (projection blocks), `_add`, `_out` (s = 1..4, b = 1..2);
 * `avgpool`.
 *
 * @example
 * ```ts
 * // A small ResNet-18 for 28×28 digits: 16, 32, 64, 128 channels, 3×3 stem.
 * trainer({ backbone: { use: 'resnet18', width: 16, stem: 'cifar' }, epochs: 5 });
 * ```
 */
export const resnet18Backbone = defineBackbone({
  name: 'resnet18',
  description: 'ResNet-18 (He et al. 2016): stem, 4 stages of 2 basic residual blocks with BN, global average pool; width and stem options.',
  configSchema: resnet18Schema,
  build(options, context) {
    requireImageShape('resnet18', context.inputShape);
    const prefix = context.namePrefix;
    const conv = (name: string, filters: number, kernelSize: number, strides: number) =>
      tf.layers.conv2d({
        filters,
        kernelSize,
        strides,
        // Stride-2 layers read a copy padded by ⌊k/2⌋ on every side (see `padded` below).
        padding: strides === 1 ? 'same' : 'valid',
        useBias: false,
        kernelInitializer: tf.initializers.heNormal({ seed: deriveSeed(context.seed, name) }),
        name: `${prefix}${name}`,
      });
    const batchNorm = (name: string) =>
      tf.layers.batchNormalization({
        axis: -1,
        momentum: options.batchNormMomentum,
        epsilon: options.batchNormEpsilon,
        name: `${prefix}${name}`,
      });
    const relu = (name: string) => tf.layers.activation({ activation: 'relu', name: `${prefix}${name}` });
    const apply = (layer: tf.layers.Layer, input: tf.SymbolicTensor | tf.SymbolicTensor[]) => layer.apply(input) as tf.SymbolicTensor;
    // ⌊k/2⌋ zeros on every side before a stride-2 layer, as torchvision pads: its outputs are then
    // centred on input pixels 0, 2, 4, …, where the 1×1 stride-2 shortcut reads, whatever the
    // input's parity. (TensorFlow's 'same' pads one pixel more at the bottom and right of an even
    // input, so the residual branch would sit one pixel off the shortcut.) Zero padding before the
    // max-pool equals −∞ padding there: its input comes out of a ReLU.
    const padded = (name: string, kernelSize: number, input: tf.SymbolicTensor) =>
      kernelSize === 1 ? input : apply(tf.layers.zeroPadding2d({ padding: Math.floor(kernelSize / 2), name: `${prefix}${name}_pad` }), input);

    const input = tf.input({ shape: [...context.inputShape], name: `${prefix}input` });
    const imagenet = options.stem === 'imagenet';
    let current = imagenet ? apply(conv('conv1', options.width, 7, 2), padded('conv1', 7, input)) : apply(conv('conv1', options.width, 3, 1), input);
    current = apply(batchNorm('bn1'), current);
    current = apply(relu('relu1'), current);
    if (imagenet) {
      current = apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: `${prefix}pool1` }), padded('pool1', 3, current));
    }
    let inChannels = options.width;
    STAGES.forEach(([multiplier, firstStride], stageIndex) => {
      const outChannels = options.width * multiplier;
      for (let blockIndex = 0; blockIndex < BLOCKS_PER_STAGE; blockIndex++) {
        const stride = blockIndex === 0 ? firstStride : 1;
        const block = `stage${stageIndex + 1}_block${blockIndex + 1}_`;
        let residual = apply(conv(`${block}conv1`, outChannels, 3, stride), stride === 1 ? current : padded(`${block}conv1`, 3, current));
        residual = apply(batchNorm(`${block}bn1`), residual);
        residual = apply(relu(`${block}relu1`), residual);
        residual = apply(conv(`${block}conv2`, outChannels, 3, 1), residual);
        residual = apply(batchNorm(`${block}bn2`), residual);
        let shortcut = current;
        if (stride !== 1 || inChannels !== outChannels) {
          shortcut = apply(conv(`${block}shortcut_conv`, outChannels, 1, stride), current);
          shortcut = apply(batchNorm(`${block}shortcut_bn`), shortcut);
        }
        current = apply(tf.layers.add({ name: `${prefix}${block}add` }), [residual, shortcut]);
        current = apply(relu(`${block}out`), current);
        inChannels = outChannels;
      }
    });
    current = apply(tf.layers.globalAveragePooling2d({ name: `${prefix}avgpool` }), current);
    return tf.model({ inputs: input, outputs: current, name: `${prefix}resnet18` });
  },
});
