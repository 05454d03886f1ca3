import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '@tlkit/core';

/** Options of {@link SeededDropout}. */
export interface SeededDropoutArgs {
  readonly trainable?: boolean;
  /** Fraction of the inputs set to zero during training, in [0, 1). */
  readonly rate: number;
  /** Seed of the mask sequence. */
  readonly seed: number;
  readonly name?: string;
}

/**
 * Inverted dropout (Srivastava et al., "Dropout: a simple way to prevent neural networks from
 * overfitting", JMLR 2014) with a reproducible mask sequence: training call `k` draws its mask
 * from `deriveSeed(seed, k)`. tfjs's own `tf.layers.dropout({ seed })` draws the SAME mask at every
 * call (it reseeds its generator each time), so a seeded tfjs dropout never varies its mask over a
 * run. At inference (`training` false) the layer is the identity.
 *
 * The call counter lives in memory: a model reloaded from disk restarts its sequence at 0.
 * @internal
 */
export class SeededDropout extends tf.layers.Layer {
  static readonly className = 'TlkitSeededDropout';
  readonly rate: number;
  readonly seed: number;
  private calls = 0;

  constructor(args: SeededDropoutArgs) {
    const { rate: _rate, seed: _seed, ...layerArgs } = args;
    super(layerArgs);
    this.rate = args.rate;
    this.seed = args.seed;
    this.supportsMasking = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    if (kwargs['training'] !== true || this.rate === 0) return tf.clone(input);
    const seed = deriveSeed(this.seed, this.calls++);
    return tf.dropout(input, this.rate, undefined, seed);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}

tf.serialization.registerClass(SeededDropout);

/**
 * Registers tlkit's custom layer classes with tfjs's deserialiser (idempotent). Called by the
 * loaders, so a bundler that drops unused modules cannot leave a saved model unloadable. @internal
 */
export function registerCustomLayers(): void {
  tf.serialization.registerClass(SeededDropout);
}
