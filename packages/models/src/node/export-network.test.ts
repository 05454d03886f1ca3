/**
 * Core's `exportNetwork` with this package's model files (byom review finding 4): a network
 * fine-tuned from the user's own LeNet (with tlkit's seeded dropout layers), exported, saved with
 * `saveModel` and loaded back with `loadModel`, predicts exactly what the pipeline does.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { compose, createRng, exportNetwork, trainer } from '@tlkit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { lenetBackbone } from '../index';
import { loadModel, saveModel } from './index';

const root = mkdtempSync(join(tmpdir(), 'tlkit-export-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Two classes of 16×16 images (a bright top or bottom half plus noise), seeded. */
function images(count: number, seed: number): { X: number[][]; y: number[] } {
  const rng = createRng(seed);
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < count; i++) {
    y.push(i % 2);
    X.push(Array.from({ length: 256 }, (_, j) => ((j < 128) === (i % 2 === 0) ? 1 : 0) + 0.3 * rng.normal()));
  }
  return { X, y };
}

function outputs(model: tf.LayersModel, X: number[][]): number[] {
  const result = tf.tidy(() => model.predict(tf.tensor4d(X.flat(), [X.length, 16, 16, 1])) as tf.Tensor);
  const values = Array.from(result.dataSync());
  result.dispose();
  return values;
}

describe('exportNetwork → saveModel → loadModel', () => {
  it('a network fine-tuned from a LeNet with dropout round-trips through model files with the pipeline’s probabilities; no leaks', async () => {
    const before = tf.memory().numTensors;
    const backbone = lenetBackbone.build(lenetBackbone.configSchema.parse({ filters: [2, 4], dense: [8], dropout: 0.2 }), {
      inputShape: [16, 16, 1],
      seed: 1,
      namePrefix: 'my_',
    });
    const source = images(40, 1);
    const target = images(20, 2);
    const fitted = await compose(trainer({ initialModel: { backbone }, epochs: 1, batchSize: 20 })).fit(
      { source: { ...source, shape: [16, 16, 1] }, target: { X: target.X, shape: [16, 16, 1] }, problem: 'classification' },
      { seed: 1 },
    );
    backbone.dispose();
    const expected = Array.from(fitted.predictProba(target.X).data);

    const model = await exportNetwork(fitted);
    const directory = join(root, 'fine-tuned');
    await saveModel(model, directory);
    expect(readdirSync(directory).sort()).toEqual(['model.json', 'weights.bin']);
    expect(outputs(model, target.X)).toEqual(expected);
    model.dispose();
    fitted.dispose();
    expect(tf.memory().numTensors).toBe(before);

    const loaded = await loadModel(directory);
    expect(loaded.layers.some((layer) => layer.getClassName() === 'TlkitSeededDropout')).toBe(true);
    expect(outputs(loaded, target.X)).toEqual(expected);
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
