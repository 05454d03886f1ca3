import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { TlkitError } from '../errors';
import { compose, loadPipeline, type PipelineArtifacts } from '../pipeline';
import { trainer } from './trainer';

const rows = (n: number) => Array.from({ length: n }, (_, i) => [Math.sin(i), Math.cos(i), i % 2 ? 1.5 : -1.5]);
const labels = (n: number) => Array.from({ length: n }, (_, i) => i % 2);

/** A saved one-epoch trainer pipeline (mlp backbone 3 → 4, head 4 → 2), its network already disposed. */
async function savedTrainer(): Promise<PipelineArtifacts> {
  const task = { source: { X: rows(16), y: labels(16) }, target: { X: rows(8) }, problem: 'classification' as const };
  const fitted = await compose(trainer({ backbone: { use: 'mlp', hidden: [4] }, epochs: 1, batchSize: 8 })).fit(task, { seed: 1 });
  const saved = await fitted.save();
  fitted.dispose();
  return saved;
}

const tamper = (saved: PipelineArtifacts, edit: (json: string) => string): PipelineArtifacts => ({
  manifest: JSON.parse(edit(JSON.stringify(saved.manifest))),
  data: saved.data,
});

describe('restoring a damaged trainer network (review U3)', () => {
  it.each([
    // Declared shape swapped: the loader's own shape check.
    ['a weight of another shape', (json: string) => json.replace('"shape":[3,4]', '"shape":[4,3]'), /saved weights 'backbone\/0' have shape \[4, 3\]; the model expects \[3, 4\]/],
    // One value short of the shape: tfjs used to throw a raw Error here.
    ['a weight one value short', (json: string) => json.replace(/"length":(\d+)/, (_, n) => `"length":${Number(n) - 1}`), /saved weights 'backbone\/0' hold 11 values but their shape \[3, 4\] needs 12/],
  ])('%s: INVALID_ARTIFACT, and the network rebuilt for it is freed', async (_name, edit, message) => {
    const saved = await savedTrainer();
    expect(JSON.stringify(saved.manifest)).toContain('"shape":[3,4]');
    const before = tf.memory().numTensors;
    const failure = await loadPipeline(tamper(saved, edit)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TlkitError);
    expect((failure as TlkitError).code).toBe('INVALID_ARTIFACT');
    expect((failure as TlkitError).message).toMatch(message);
    expect(tf.memory().numTensors).toBe(before);
    // The undamaged artifact still loads, holding backbone and head weights (4 tensors), freed on dispose.
    const restored = await loadPipeline(saved);
    expect(tf.memory().numTensors).toBe(before + 4);
    restored.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('trainer options: the seed contract (review D6)', () => {
  it('pretrain.seed must be an integer in 0..2^32-1: INVALID_CONFIG at creation, before any compute', () => {
    for (const seed of [-1, 2 ** 32]) {
      const failure = (() => {
        try {
          trainer({ pretrain: { epochs: 1, seed } });
        } catch (error) {
          return error as TlkitError;
        }
        return undefined;
      })();
      expect(failure?.code, String(seed)).toBe('INVALID_CONFIG');
      expect(failure?.message).toMatch(/pretrain\.seed/);
    }
    expect(() => trainer({ pretrain: { epochs: 1, seed: 2 ** 32 - 1 } })).not.toThrow();
  });
});

describe('trainer options: a model where a backbone config belongs (byom review finding 5)', () => {
  const failureOf = (options: unknown): TlkitError | undefined => {
    try {
      trainer(options as never);
    } catch (error) {
      return error as TlkitError;
    }
    return undefined;
  };

  it('backbone: a tf.LayersModel gets INVALID_CONFIG pointing to initialModel: { backbone, head? } and cutAtLayer / splitAtLayer', () => {
    const input = tf.input({ shape: [3] });
    const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 2 }).apply(input) as tf.SymbolicTensor });
    const before = tf.memory().numTensors;
    for (const value of [model, { predict: () => null }, { layers: [] }]) {
      const failure = failureOf({ backbone: value });
      expect(failure?.code).toBe('INVALID_CONFIG');
      expect(failure?.message).toMatch(/backbone: a tfjs model is not a backbone config/);
      expect(failure?.message).toMatch(/pass it as initialModel: \{ backbone, head\? \}/);
      expect(failure?.message).toMatch(/cutAtLayer.*splitAtLayer.*@tlkit\/models/);
      // Not zod's "backbone.use: expected string" any more.
      expect(failure?.message).not.toMatch(/backbone\.use/);
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('backbone configs are read as before: by name, the default, and junk still named by zod', () => {
    expect(trainer({ backbone: { use: 'mlp', hidden: [4] } }).config.backbone).toEqual({ use: 'mlp', hidden: [4] });
    expect(trainer().config.backbone).toEqual({ use: 'mlp', hidden: [128] });
    expect(failureOf({ backbone: { hidden: [4] } })?.message).toMatch(/backbone\.use: Invalid input: expected string/);
    expect(failureOf({ backbone: 3 })?.message).toMatch(/backbone: Invalid input: expected object/);
  });
});
