import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { TlkitError } from '../errors';
import { compose, loadPipeline, type PipelineArtifacts } from '../pipeline';
import { defineBackbone, registerBackbone } from './backbones';
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

describe('restoring a trainer network saved with another version of its backbone (diff review s18 finding 1)', () => {
  it('refuses it with INVALID_ARTIFACT when the architecture the backbone config builds today differs, and frees what it built', async () => {
    const saved = await savedTrainer();
    const json = JSON.stringify(saved.manifest);
    expect(json).toMatch(/"architecture":"[0-9a-f]{16}"/);
    const before = tf.memory().numTensors;
    // The same weights loaded into the architecture saved: unchanged.
    const same = await loadPipeline(saved);
    same.dispose();
    const failure = await loadPipeline(tamper(saved, (text) => text.replace(/"architecture":"[0-9a-f]{16}"/, '"architecture":"0000000000000000"'))).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TlkitError);
    expect((failure as TlkitError).code).toBe('INVALID_ARTIFACT');
    expect((failure as TlkitError).message).toMatch(/was trained in another architecture than the one this version of its code builds .* Fit the pipeline again/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a network loaded from an artifact without the hash is saved again without one, not vouched for by today\'s (fix review s18 finding 8)', async () => {
    const saved = await savedTrainer();
    const older = tamper(saved, (text) => text.replace(/"architecture":"[0-9a-f]{16}",/, ''));
    expect(JSON.stringify(older.manifest)).not.toContain('"architecture"');
    const loaded = await loadPipeline(older);
    const again = await loaded.save();
    loaded.dispose();
    expect(JSON.stringify(again.manifest)).not.toContain('"architecture"');
  });
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
    // A model of another tfjs copy (not instanceof this one's LayersModel): predict and apply are functions.
    const duck = { predict: () => null, apply: () => null, layers: [] };
    for (const value of [model, duck]) {
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
    // Not a model: no functions (a JSON config never holds any), so zod names the missing use.
    expect(failureOf({ backbone: { layers: [] } })?.message).toMatch(/backbone\.use: Invalid input: expected string/);
    expect(failureOf({ backbone: { predict: () => null } })?.message).toMatch(/backbone\.use: Invalid input: expected string/);
  });
});

/** A user backbone whose option is called `layers`: dense widths, relu, seeded. */
const layerStack = defineBackbone({
  name: 'trainer-test-layer-stack',
  description: 'test: dense layers of the given widths',
  configSchema: z.object({ layers: z.array(z.number().int().positive()).min(1).default([8]) }).strict(),
  build: (options, context) => {
    const input = tf.input({ shape: [...context.inputShape] });
    let current: tf.SymbolicTensor = input;
    options.layers.forEach((units, index) => {
      current = tf.layers
        .dense({ units, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: context.seed + index }), name: `${context.namePrefix}stack${index}` })
        .apply(current) as tf.SymbolicTensor;
    });
    return tf.model({ inputs: input, outputs: current });
  },
});
registerBackbone(layerStack);

/** Class probabilities in float64 from the network's weights: relu dense layers, a linear head, softmax (the independent reference). */
function referenceProbabilities(network: { backbone: tf.LayersModel; head: tf.LayersModel }, X: number[][]): number[] {
  const dense = (model: tf.LayersModel) =>
    model.layers
      .filter((layer) => layer.getClassName() === 'Dense')
      .map((layer) => {
        const [kernel, bias] = layer.getWeights();
        return { kernel: kernel.arraySync() as number[][], bias: bias.arraySync() as number[], relu: layer.getConfig().activation === 'relu' };
      });
  const layers = [...dense(network.backbone), ...dense(network.head)];
  return X.flatMap((row) => {
    let values = row;
    for (const { kernel, bias, relu } of layers) {
      values = bias.map((b, j) => values.reduce((sum, value, i) => sum + value * kernel[i][j], b)).map((value) => (relu ? Math.max(0, value) : value));
    }
    const top = Math.max(...values);
    const exps = values.map((value) => Math.exp(value - top));
    const total = exps.reduce((a, b) => a + b, 0);
    return exps.map((value) => value / total);
  });
}

describe("trainer options: a registered backbone with a 'layers' option (diff review s17 finding 1)", () => {
  const task = { source: { X: rows(24), y: labels(24) }, target: { X: rows(10) }, problem: 'classification' as const };
  const X = task.target.X;

  it('fits with its layers, saves, and the saved pipeline loads with the same probabilities (equal to a float64 forward pass); no leaks', async () => {
    const before = tf.memory().numTensors;
    const backbone = { use: 'trainer-test-layer-stack', layers: [6, 4] };
    expect(trainer({ backbone }).config.backbone).toEqual(backbone);
    const fitted = await compose(trainer({ backbone, epochs: 2, batchSize: 8 })).fit(task, { seed: 1 });
    const network = (fitted.fittedEstimator as unknown as { model: { backbone: tf.LayersModel; head: tf.LayersModel } }).model;
    // The option reached the backbone: dense widths 6 then 4.
    expect(network.backbone.layers.filter((layer) => layer.getClassName() === 'Dense').map((layer) => layer.getConfig().units)).toEqual([6, 4]);
    const expected = Array.from(fitted.predictProba(X).data);
    const saved = await fitted.saveBytes();
    fitted.dispose();
    expect(tf.memory().numTensors).toBe(before);

    // loadPipeline parses the saved options again: the 'layers' option must not read as a model.
    const loaded = await loadPipeline(saved);
    const probabilities = Array.from(loaded.predictProba(X).data);
    expect(probabilities).toEqual(expected);
    const loadedNetwork = (loaded.fittedEstimator as unknown as { model: { backbone: tf.LayersModel; head: tf.LayersModel } }).model;
    const reference = referenceProbabilities(loadedNetwork, X);
    expect(reference).toHaveLength(probabilities.length);
    probabilities.forEach((value, index) => expect(Math.abs(value - reference[index])).toBeLessThan(1e-6));
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('the pre-training cache is keyed by the architecture a config builds (deep audit 1.1 follow-up)', () => {
  /** Backbone 'trainer-test-versioned': dense 3 → 4, then `activation`; the same weights for either activation. */
  const versioned = (activation: 'relu' | 'tanh') =>
    defineBackbone({
      name: 'trainer-test-versioned',
      description: 'test: one dense layer, activation given by the test',
      configSchema: z.object({}).strict(),
      build: (_options, context) => {
        const input = tf.input({ shape: [...context.inputShape] });
        const dense = tf.layers.dense({ units: 4, kernelInitializer: tf.initializers.glorotUniform({ seed: context.seed }), name: `${context.namePrefix}dense` });
        const output = tf.layers.activation({ activation, name: `${context.namePrefix}act` }).apply(dense.apply(input)) as tf.SymbolicTensor;
        return tf.model({ inputs: input, outputs: output });
      },
    });

  it('a rerun reads the cache; the same config name building another network pre-trains again', async () => {
    const { memoryStorage } = await import('../storage');
    const storage = memoryStorage();
    const task = { source: { X: rows(24), y: labels(24) }, target: { X: rows(8) }, problem: 'classification' as const };
    const run = async () => {
      const fitted = await compose(trainer({ backbone: { use: 'trainer-test-versioned' }, epochs: 1, batchSize: 8, pretrain: { epochs: 2, seed: 1 } })).fit(task, { seed: 2, storage });
      const info = fitted.reports.at(-1)!.info!.pretrain as { cached: boolean; key: string };
      fitted.dispose();
      return info;
    };
    registerBackbone(versioned('relu'));
    const first = await run();
    const again = await run();
    registerBackbone(versioned('tanh')); // a new release of the backbone's code: same name, same weight shapes
    const changed = await run();
    expect([first.cached, again.cached, changed.cached]).toEqual([false, true, false]);
    expect(again.key).toBe(first.key);
    expect(changed.key).not.toBe(first.key);
  });

  it('a damaged cache entry is a miss: the run warns, pre-trains again with the same result and replaces it (determinism review finding 2)', async () => {
    const { memoryStorage } = await import('../storage');
    const storage = memoryStorage();
    const task = { source: { X: rows(24), y: labels(24) }, target: { X: rows(8) }, problem: 'classification' as const };
    const run = async () => {
      const events: string[] = [];
      const fitted = await compose(trainer({ backbone: { use: 'mlp', hidden: [6] }, epochs: 1, batchSize: 8, pretrain: { epochs: 2, seed: 1 } })).fit(task, {
        seed: 2,
        storage,
        onProgress: (event) => events.push(`${event.phase}: ${event.message ?? ''}`),
      });
      const info = fitted.reports.at(-1)!.info!.pretrain as { cached: boolean; key: string };
      const probabilities = Array.from(fitted.predictProba(rows(8)).data);
      fitted.dispose();
      return { ...info, events, probabilities };
    };
    const first = await run();
    const whole = (await storage.read(first.key))!;
    await storage.write(first.key, whole.subarray(0, whole.length - 40));
    const damaged = await run();
    expect(damaged.cached).toBe(false);
    expect(damaged.events.some((event) => /^warning: the cached pre-trained weights 'pretrained\/[0-9a-f]+' are damaged \(.+\); pre-training again/.test(event))).toBe(true);
    expect(damaged.probabilities).toEqual(first.probabilities);
    const after = await run();
    expect(after.cached).toBe(true);
  });

  it('a config that writes out a default, or lists its options in another order, reads the same cache (diff review s18 finding 10)', async () => {
    const { memoryStorage } = await import('../storage');
    const storage = memoryStorage();
    const task = { source: { X: rows(24), y: labels(24) }, target: { X: rows(8) }, problem: 'classification' as const };
    const run = async (backbone: { use: string; [option: string]: unknown }) => {
      const fitted = await compose(trainer({ backbone, epochs: 1, batchSize: 8, pretrain: { epochs: 2, seed: 1 } })).fit(task, { seed: 2, storage });
      const info = fitted.reports.at(-1)!.info!.pretrain as { cached: boolean; key: string };
      fitted.dispose();
      return info;
    };
    const plain = await run({ use: 'mlp', hidden: [8] });
    const written = await run({ activation: 'relu', use: 'mlp', hidden: [8] });
    const other = await run({ use: 'mlp', hidden: [8], activation: 'tanh' });
    expect([plain.cached, written.cached, other.cached]).toEqual([false, true, false]);
    expect(written.key).toBe(plain.key);
  });
});
