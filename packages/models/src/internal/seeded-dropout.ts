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
 * The call counter `k` is a non-trainable weight of the layer (`calls`, float32, exact up to 2²⁴
 * calls), so checkpoints and saved models carry it and a resumed run continues the sequence.
 *
 * Deserialising it needs the class registered with tfjs: `registerModelLayers()` does that (it is
 * never done at import time). @internal
 */
export class SeededDropout extends tf.layers.Layer {
  static readonly className = 'TlkitSeededDropout';
  readonly rate: number;
  readonly seed: number;
  private calls: tf.LayerVariable | null = null;

  constructor(args: SeededDropoutArgs) {
    const { rate: _rate, seed: _seed, ...layerArgs } = args;
    super(layerArgs);
    this.rate = args.rate;
    this.seed = args.seed;
    this.supportsMasking = true;
  }

  override build(): void {
    this.calls = this.addWeight('calls', [], 'float32', tf.initializers.zeros(), undefined, false);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    if (kwargs['training'] !== true || this.rate === 0 || this.calls === null) return tf.clone(input);
    const counter = this.calls;
    const call = counter.read().dataSync()[0];
    tf.tidy(() => {
      counter.write(tf.scalar(call + 1));
    });
    return tf.dropout(input, this.rate, undefined, deriveSeed(this.seed, call));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
