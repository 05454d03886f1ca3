/**
 * A user's "own" pre-trained network for the bring-your-own-model tests: a small convolutional
 * backbone with batch normalisation (moving statistics set away from their defaults) and dropout,
 * and a dense head, all seeded; plus a seeded 6×6 image task for it.
 */
import * as tf from '@tensorflow/tfjs';
import type { TransferTask } from '../src/data';
import { compose, type FittedPipeline } from '../src/pipeline';
import { createRng } from '../src/rng';
import { trainer } from '../src/training/trainer';

export const IMAGE: [number, number, number] = [6, 6, 1];
export const CLASSES = 3;

/** 6×6×1 → conv 'my_conv' (4 filters) → BN 'my_bn' → relu → flatten → dropout 'my_drop' → dense 'my_fc' (8, relu). */
export function ownBackbone(seed = 1, names: { fc?: string } = {}): tf.LayersModel {
  const input = tf.input({ shape: IMAGE, name: 'my_input' });
  let x = tf.layers
    .conv2d({ filters: 4, kernelSize: 3, kernelInitializer: tf.initializers.glorotUniform({ seed }), name: 'my_conv' })
    .apply(input) as tf.SymbolicTensor;
  const bn = tf.layers.batchNormalization({ name: 'my_bn' });
  x = bn.apply(x) as tf.SymbolicTensor;
  x = tf.layers.activation({ activation: 'relu', name: 'my_relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten({ name: 'my_flat' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: 0.3, seed: 4, name: 'my_drop' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .dense({ units: 8, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }), name: names.fc ?? 'my_fc' })
    .apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: x, name: 'my_backbone' });
  // Pre-trained-looking BN: γ, β and moving statistics away from 1, 0, 0, 1.
  const rng = createRng(seed + 2);
  const values = [
    tf.tensor1d([1.2, 0.8, 1.1, 0.9]),
    tf.tensor1d([0.1, -0.2, 0.05, 0]),
    tf.tensor1d(Array.from({ length: 4 }, () => rng.normal() * 0.1)),
    tf.tensor1d(Array.from({ length: 4 }, () => 0.5 + rng.float())),
  ];
  bn.setWeights(values);
  tf.dispose(values);
  return model;
}

/** Features (8) → dense 'my_hidden' (6, relu) → dropout → dense 'my_out' (3 logits). */
export function ownHead(seed = 5): tf.LayersModel {
  const input = tf.input({ shape: [8], name: 'my_head_input' });
  let x = tf.layers
    .dense({ units: 6, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }), name: 'my_hidden' })
    .apply(input) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: 0.2, seed: 6, name: 'my_head_drop' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: CLASSES, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }), name: 'my_out' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x, name: 'my_head' });
}

/** Three classes of 6×6 images (a bright row per class plus noise; regression: a fixed linear function of the pixels), the target shifted and scaled; 60 + 30 rows. */
export function imageTask(seed = 3, problem: 'classification' | 'regression' = 'classification'): TransferTask {
  const rng = createRng(seed);
  const draw = (count: number, target: boolean) => {
    const X: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < count; i++) {
      const label = i % CLASSES;
      const row = Array.from({ length: 36 }, (_, j) => {
        const base = (Math.floor(j / 6) === label * 2 ? 1.5 : 0) + 0.3 * rng.normal();
        return target ? 1.2 * base + 0.2 : base;
      });
      X.push(row);
      y.push(problem === 'classification' ? label : row.reduce((sum, value, j) => sum + value * ((j % 5) - 2) * 0.1, 0));
    }
    return { X, y };
  };
  const source = draw(60, false);
  const target = draw(30, true);
  return {
    source: { ...source, shape: IMAGE },
    target: { X: target.X, shape: IMAGE },
    problem,
    ...(problem === 'classification' ? { numClasses: CLASSES } : {}),
  };
}

/**
 * A pipeline fitted for 2 epochs from {@link ownBackbone} (and {@link ownHead} when `head`) on
 * {@link imageTask}, with the target rows to predict on. The user's models are disposed after the
 * fit: the pipeline holds copies.
 */
export async function fitOwnModel(options: { head: boolean; problem?: 'classification' | 'regression' }): Promise<{ fitted: FittedPipeline; X: number[][] }> {
  const backbone = ownBackbone();
  const head = options.head ? ownHead() : undefined;
  const task = imageTask(3, options.problem ?? 'classification');
  const fitted = await compose(
    trainer({ initialModel: { backbone, ...(head ? { head } : {}) }, epochs: 2, batchSize: 16, optimizer: { learningRate: 0.01 } }),
  ).fit(task, { seed: 1 });
  backbone.dispose();
  head?.dispose();
  return { fitted, X: task.target.X as number[][] };
}
