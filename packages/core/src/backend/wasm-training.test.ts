import { readFileSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import * as z from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Matrix } from '../matrix';
import { compose } from '../pipeline';
import { createRng, deriveSeed } from '../rng';
import { defineBackbone, registerBackbone } from '../training/backbones';
import { trainer } from '../training/trainer';
import type { EpochLogs } from '../training/types';
import { setupBackend } from './setup';

/**
 * End-to-end training on wasm with tlkit's kernels: LeNet-5 and small-CNN through core's training
 * loop give the loss curve of tfjs's stock cpu backend (first 10 steps, seeded), and a
 * gradient-reversal layer (tf.customGrad) trains. The cpu curves are a fixture: stock cpu needs
 * minutes for them (its Conv2DBackpropFilter is a scalar loop), so they were computed once with
 * `TLKIT_WRITE_FIXTURES=1 npx vitest run src/backend/wasm-training` and are checked here.
 */

const FIXTURE = new URL('./fixtures/cnn-loss-curves.json', import.meta.url);
const STEPS = 10;

type LayerSpec = ['conv', number, number, 'same' | 'valid'] | ['pool'] | ['flatten'] | ['dense', number];

/** The bench's networks (apps/demo/src/bench/train.ts); core's head adds the last dense 10. */
const NETWORKS: Record<'lenet' | 'smallCnn', { name: string; batch: number; layers: LayerSpec[] }> = {
  lenet: {
    name: 'test-lenet5',
    batch: 64,
    layers: [['conv', 6, 5, 'same'], ['pool'], ['conv', 16, 5, 'valid'], ['pool'], ['flatten'], ['dense', 120], ['dense', 84]],
  },
  smallCnn: { name: 'test-small-cnn', batch: 8, layers: [['conv', 32, 3, 'valid'], ['conv', 64, 3, 'valid'], ['pool'], ['flatten']] },
};

for (const { name, layers } of Object.values(NETWORKS)) {
  registerBackbone(
    defineBackbone({
      name,
      description: `test: ${name}`,
      configSchema: z.object({}).strict(),
      build: (_options, context) => {
        const input = tf.input({ shape: [...context.inputShape] });
        let current: tf.SymbolicTensor = input;
        layers.forEach((layer, index) => {
          const kernelInitializer = tf.initializers.glorotUniform({ seed: deriveSeed(context.seed, index) });
          const layerName = `${context.namePrefix}${index}`;
          if (layer[0] === 'conv') {
            current = tf.layers
              .conv2d({ filters: layer[1], kernelSize: layer[2], padding: layer[3], activation: 'relu', kernelInitializer, name: layerName })
              .apply(current) as tf.SymbolicTensor;
          } else if (layer[0] === 'pool') {
            current = tf.layers.maxPooling2d({ poolSize: 2, name: layerName }).apply(current) as tf.SymbolicTensor;
          } else if (layer[0] === 'flatten') {
            current = tf.layers.flatten({ name: layerName }).apply(current) as tf.SymbolicTensor;
          } else {
            current = tf.layers.dense({ units: layer[1], activation: 'relu', kernelInitializer, name: layerName }).apply(current) as tf.SymbolicTensor;
          }
        });
        return tf.model({ inputs: input, outputs: current });
      },
    }),
  );
}

/** Task losses of the first 10 steps: 10 epochs of one batch each (Adam, learning rate 1e-3). */
async function lossCurve(network: keyof typeof NETWORKS): Promise<number[]> {
  const { name, batch } = NETWORKS[network];
  const rng = createRng(31);
  const X = new Matrix(batch, 784);
  for (let i = 0; i < X.data.length; i++) X.data[i] = rng.float();
  const source = { X, y: Array.from({ length: batch }, (_, i) => i % 10), shape: [28, 28, 1] as const };
  const fitted = await compose(trainer({ backbone: { use: name }, epochs: STEPS, batchSize: batch })).fit(
    { source, target: { X, shape: [28, 28, 1] }, problem: 'classification' },
    { seed: 3 },
  );
  const history = fitted.reports.at(-1)!.info!.history as unknown as EpochLogs[];
  fitted.dispose();
  return history.map((epoch) => epoch.losses.task);
}

let before: string;
beforeAll(async () => {
  before = tf.getBackend();
});
afterAll(async () => {
  await setupBackend({ backend: before, log: false });
});

describe('training on wasm', () => {
  it.skipIf(!process.env.TLKIT_WRITE_FIXTURES)('writes the stock-cpu loss curves (minutes)', { timeout: 3_600_000 }, async () => {
    await setupBackend({ backend: 'cpu', log: false });
    const curves = { tfjs: tf.version.tfjs, steps: STEPS, lenet: await lossCurve('lenet'), smallCnn: await lossCurve('smallCnn') };
    writeFileSync(FIXTURE, `${JSON.stringify(curves, null, 2)}\n`);
  });

  for (const network of ['lenet', 'smallCnn'] as const) {
    it(`${network}: the first ${STEPS} steps on wasm follow stock cpu's loss curve within 1e-3 relative`, async () => {
      const reference = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, number[]>;
      await setupBackend({ backend: 'wasm', log: false });
      const before = tf.memory().numTensors;
      const curve = await lossCurve(network);
      expect(tf.memory().numTensors).toBe(before);
      expect(curve).toHaveLength(STEPS);
      for (let step = 0; step < STEPS; step++) {
        expect(Math.abs(curve[step] - reference[network][step]) / reference[network][step], `step ${step}`).toBeLessThan(1e-3);
      }
      // The curve is a real descent, not a constant: Adam lowers the loss of the repeated batch.
      expect(curve[STEPS - 1]).toBeLessThan(curve[0]);
    });
  }

  it('trains through a gradient-reversal layer (tf.customGrad) with the gradients of stock cpu', async () => {
    const lambda = 0.5;
    /** Ganin & Lempitsky (ICML 2015): identity forward, −λ·dy backward. */
    const reverse = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
      save([]);
      return { value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.mul(dy, -lambda) };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    const rng = createRng(5);
    const images = Float32Array.from({ length: 8 * 8 * 8 }, () => rng.normal());
    const filterValues = Float32Array.from({ length: 3 * 3 * 4 }, () => 0.3 * rng.normal());
    const denseValues = Float32Array.from({ length: 64 * 2 }, () => 0.1 * rng.normal());
    const labels = Int32Array.from({ length: 8 }, (_, i) => i % 2);

    const train = async (backend: string) => {
      await setupBackend({ backend, log: false });
      const filter = tf.variable(tf.tensor4d(filterValues, [3, 3, 1, 4]));
      const dense = tf.variable(tf.tensor2d(denseValues, [64, 2]));
      const x = tf.tensor4d(images, [8, 8, 8, 1]);
      const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 2);
      const features = (reversed: boolean) => {
        const pooled = tf.maxPool(tf.relu(tf.conv2d(x, filter, 1, 'same')), 2, 2, 'valid').reshape([8, 64]);
        return reversed ? (reverse(pooled) as tf.Tensor2D) : pooled;
      };
      // Softmax cross-entropy through logSoftmax (tf.losses' version trips tfjs's test-mode leak check on wasm).
      const loss = (reversed: boolean) => tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(tf.matMul(features(reversed), dense))), 1))) as tf.Scalar;
      // Through the reversal layer the feature extractor's gradient is exactly −λ times the plain one.
      const plain = tf.tidy(() => tf.variableGrads(() => loss(false), [filter]).grads[filter.name].dataSync());
      const reversedGradient = tf.tidy(() => tf.variableGrads(() => loss(true), [filter]).grads[filter.name].dataSync());
      const losses: number[] = [];
      const optimizer = tf.train.sgd(0.1);
      for (let step = 0; step < 5; step++) {
        const value = optimizer.minimize(() => loss(true), true, [filter, dense])!;
        losses.push(value.dataSync()[0]);
        value.dispose();
      }
      tf.dispose([filter, dense, x, y]);
      optimizer.dispose();
      return { plain, reversedGradient, losses };
    };
    const wasm = await train('wasm');
    const cpu = await train('cpu');
    for (let i = 0; i < wasm.plain.length; i++) {
      expect(wasm.reversedGradient[i]).toBeCloseTo(-lambda * wasm.plain[i], 6);
      expect(wasm.reversedGradient[i]).toBeCloseTo(cpu.reversedGradient[i], 5);
    }
    for (let step = 0; step < 5; step++) expect(Math.abs(wasm.losses[step] - cpu.losses[step]) / cpu.losses[step]).toBeLessThan(1e-4);
    expect(wasm.losses[4]).not.toBe(wasm.losses[0]);
  });
});
