import * as tf from '@tensorflow/tfjs';
import * as z from 'zod';
import { describe, expect, it, vi } from 'vitest';
import { TlkitError } from '../errors';
import { compose, loadPipeline } from '../pipeline';
import { definePlugin } from '../plugin';
import { registerPlugin } from '../registry';
import { packArtifacts, unpackArtifacts } from '../artifacts';
import { createRng } from '../rng';
import type { JsonValue } from '../state';
import { memoryStorage } from '../storage';
import type { TrainingHooks, TrainingProgress } from './types';
import { scheduleValue } from './schedules';
import { copyPart } from './network-parts';
import { mlp, predictWithHead, trainer, trainerPlugin } from './trainer';

/** Two Gaussian blobs in 4 dimensions, seeded. */
function blobs(n: number, seed: number, shift = 0) {
  const rng = createRng(seed);
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    X.push([0, 1, 2, 3].map((j) => (label ? 1.5 : -1.5) * (j < 2 ? 1 : 0) + shift + rng.normal()));
    y.push(label);
  }
  return { X, y };
}

function task(n = 120) {
  const source = blobs(n, 1);
  const target = blobs(n / 2, 2, 0.3);
  return { source, target: { X: target.X }, targetTest: target, problem: 'classification' as const };
}

interface Recorder {
  setups: number;
  losses: TrainingProgress[];
  epochEnds: { progress: TrainingProgress; losses: Record<string, number> }[];
  headWeights: number[] | null;
}

/**
 * A test-only training step: an L2 penalty λ‖W_head‖² on the head kernel (λ may follow a
 * schedule), that can freeze every weight (learning-rate factor 0) and records every hook call.
 */
const recorders = new Map<string, Recorder>();
const penaltyPlugin = definePlugin({
  name: 'test-head-penalty',
  kind: 'parameter',
  role: 'training',
  description: 'test: L2 penalty on the head kernel',
  needs: { problems: ['classification', 'regression'], targetLabels: 'never', acceptsSampleWeights: false },
  configSchema: z
    .object({ lambda: z.union([z.number(), z.literal('ganin')]).default(0.5), freeze: z.boolean().default(false), id: z.string() })
    .strict(),
  create: (options) => ({
    doCreateHooks(): TrainingHooks {
      const recorder: Recorder = { setups: 0, losses: [], epochEnds: [], headWeights: null };
      recorders.set(options.id, recorder);
      let kernel: tf.Variable | null = null;
      return {
        name: 'penalty',
        setup(context) {
          recorder.setups++;
          kernel = context.model.head.getLayer('head_dense').trainableWeights[0].read() as tf.Variable;
          recorder.headWeights = Array.from(kernel.dataSync());
        },
        learningRateMultiplier: () => (options.freeze ? 0 : undefined),
        loss(_batch, _outputs, progress) {
          recorder.losses.push(progress);
          return tf.mul(tf.sum(tf.square(kernel!)), scheduleValue(options.lambda, progress.progress)) as tf.Scalar;
        },
        onEpochEnd(progress, logs) {
          recorder.epochEnds.push({ progress, losses: { ...logs.losses } });
        },
      };
    },
  }),
});
const penalty = (options: z.input<typeof penaltyPlugin.configSchema>) => penaltyPlugin.create(options);

/**
 * A test-only training step that, from epoch `from`, adds λ·Σ_j (W_j0 − W_j1) on the head kernel:
 * with ReLU features (≥ 0) it pushes every sample towards class 1, so the validation loss gets
 * worse. Records the head kernel and the validation loss after every epoch.
 */
const sabotages = new Map<string, { kernels: Float32Array[]; validationLosses: number[]; kernel: tf.Variable | null }>();
const sabotagePlugin = definePlugin({
  name: 'test-sabotage',
  kind: 'parameter',
  role: 'training',
  description: 'test: worsens the head from an epoch on',
  needs: { problems: ['classification'], targetLabels: 'never', acceptsSampleWeights: false },
  configSchema: z.object({ id: z.string(), from: z.number().int(), lambda: z.number() }).strict(),
  create: (options) => ({
    doCreateHooks(): TrainingHooks {
      const record = { kernels: [] as Float32Array[], validationLosses: [] as number[], kernel: null as tf.Variable | null };
      sabotages.set(options.id, record);
      return {
        name: 'sabotage',
        setup(context) {
          record.kernel = context.model.head.getLayer('head_dense').trainableWeights[0].read() as tf.Variable;
        },
        loss(_batch, _outputs, progress) {
          if (progress.epoch < options.from) return undefined;
          return tf.mul(tf.sum(tf.mul(record.kernel!, tf.tensor2d([[1, -1]]))), options.lambda) as tf.Scalar;
        },
        onEpochEnd(_progress, logs) {
          record.kernels.push(Float32Array.from(record.kernel!.dataSync() as Float32Array));
          record.validationLosses.push(logs.validationLoss!);
        },
      };
    },
  }),
});

function accuracy(predicted: ArrayLike<number>, truth: ArrayLike<number>): number {
  let correct = 0;
  for (let i = 0; i < truth.length; i++) if (predicted[i] === truth[i]) correct++;
  return correct / truth.length;
}

describe('core training loop', () => {
  it('trains an MLP classifier to separate two blobs, without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    const data = task();
    const fitted = await compose(mlp({ hidden: [16], epochs: 15, batchSize: 32, optimizer: { learningRate: 0.01 } })).fit(data, { seed: 3 });
    // Bayes accuracy of these blobs is Φ(1.5·√2) ≈ 0.983; a trained MLP must be close to it.
    expect(accuracy(fitted.predict(data.targetTest.X), data.targetTest.y)).toBeGreaterThan(0.9);
    const probabilities = fitted.predictProba(data.targetTest.X);
    for (let i = 0; i < probabilities.rows; i++) expect(probabilities.get(i, 0) + probabilities.get(i, 1)).toBeCloseTo(1, 5);
    fitted.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('calls hooks in order: setup once, loss every step with progress 0 → 1, onEpochEnd every epoch', async () => {
    const data = task(40);
    const fitted = await compose(penalty({ id: 'order' }), trainer({ epochs: 3, batchSize: 16, backbone: { use: 'mlp', hidden: [4] } })).fit(data, { seed: 1 });
    fitted.dispose();
    const recorder = recorders.get('order')!;
    expect(recorder.setups).toBe(1);
    expect(recorder.losses).toHaveLength(3 * 3); // 40 samples / 16 → 3 steps per epoch
    expect(recorder.losses[0].progress).toBe(0);
    expect(recorder.losses.at(-1)!.progress).toBe(1);
    expect(recorder.losses.map((p) => p.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(recorder.epochEnds.map((entry) => entry.progress.epoch)).toEqual([0, 1, 2]);
  });

  it('logs the hook term and the weighted task loss exactly as computed by hand (weights frozen)', async () => {
    const data = task(40);
    const weights = Float64Array.from({ length: 40 }, (_, i) => 0.5 + (i % 3));
    // A weighting step that hands out fixed weights.
    const fixedWeights = definePlugin({
      name: 'test-fixed-weights',
      kind: 'instance',
      role: 'weighting',
      description: 'test: fixed weights',
      needs: { problems: ['classification'], targetLabels: 'never', acceptsSampleWeights: false },
      configSchema: z.object({}).strict(),
      create: () => ({ doFitWeights: async () => ({ weights }) }),
    });
    const fitted = await compose(
      fixedWeights.create(),
      penalty({ id: 'frozen', lambda: 0.25, freeze: true }),
      trainer({ epochs: 1, batchSize: 16, backbone: { use: 'mlp', hidden: [5] } }),
    ).fit(data, { seed: 2 });
    const recorder = recorders.get('frozen')!;
    const { losses } = recorder.epochEnds[0];
    // Frozen weights: the penalty is 0.25‖W‖² of the initial head kernel, identical in every step.
    const squaredNorm = recorder.headWeights!.reduce((sum, w) => sum + w * w, 0);
    expect(losses.penalty).toBeCloseTo(0.25 * squaredNorm, 5);
    // Task loss of the epoch = Σᵢ wᵢ·CEᵢ / n with the (unchanged) model's probabilities.
    const probabilities = fitted.predictProba(data.source.X);
    let expected = 0;
    for (let i = 0; i < 40; i++) expected += weights[i] * -Math.log(probabilities.get(i, data.source.y[i]));
    expect(losses.task).toBeCloseTo(expected / 40, 4);
    expect(losses.total).toBeCloseTo(losses.task + losses.penalty, 4);
    fitted.dispose();
  });

  it('a λ schedule reaches the loss: the Ganin schedule starts at 0', async () => {
    expect(scheduleValue('ganin', 0)).toBe(0);
    expect(scheduleValue('ganin', 1)).toBeCloseTo(2 / (1 + Math.exp(-10)) - 1, 12);
    expect(scheduleValue({ type: 'linear', from: 1, to: 3 }, 0.5)).toBe(2);
    expect(scheduleValue({ type: 'step', values: [1, 0.1], boundaries: [0.5] }, 0.7)).toBe(0.1);
    const fitted = await compose(penalty({ id: 'ganin', lambda: 'ganin', freeze: true }), trainer({ epochs: 2, batchSize: 40, backbone: { use: 'mlp', hidden: [3] } })).fit(task(40), { seed: 1 });
    fitted.dispose();
    const { epochEnds, headWeights } = recorders.get('ganin')!;
    // One step per epoch: p = 0 then p = 1.
    const squaredNorm = headWeights!.reduce((sum, w) => sum + w * w, 0);
    expect(epochEnds[0].losses.penalty).toBe(0);
    expect(epochEnds[1].losses.penalty).toBeCloseTo(scheduleValue('ganin', 1) * squaredNorm, 5);
  });

  it('stops early when the validation loss stops improving, and keeps the best weights', async () => {
    const fitted = await compose(
      penalty({ id: 'early', freeze: true }),
      trainer({ epochs: 50, batchSize: 32, backbone: { use: 'mlp', hidden: [4] }, earlyStopping: { patience: 2, validationFraction: 0.25 } }),
    ).fit(task(80), { seed: 4 });
    // Frozen weights never improve the validation loss: epoch 1 sets the best, 2 more epochs wait.
    expect(fitted.reports.at(-1)!.info!.epochsRun).toBe(3);
    fitted.dispose();
  });

  it('early stopping gives back the weights of the epoch with the best validation loss, not the last ones', async () => {
    const fitted = await compose(
      sabotagePlugin.create({ id: 'best', from: 3, lambda: 5 }),
      trainer({ epochs: 30, batchSize: 16, backbone: { use: 'mlp', hidden: [8] }, optimizer: { learningRate: 0.02 }, earlyStopping: { patience: 2, validationFraction: 0.25 } }),
    ).fit(task(96), { seed: 6 });
    const { kernels, validationLosses, kernel } = sabotages.get('best')!;
    const returned = Float32Array.from(kernel!.dataSync() as Float32Array);
    const epochsRun = fitted.reports.at(-1)!.info!.epochsRun as number;
    fitted.dispose();
    // Training improves the validation loss until the sabotage starts at epoch 3, then it worsens.
    const best = validationLosses.indexOf(Math.min(...validationLosses));
    expect(best).toBe(2);
    expect(validationLosses[3]).toBeGreaterThan(validationLosses[2]);
    expect(epochsRun).toBe(best + 1 + 2);
    expect(kernels).toHaveLength(epochsRun);
    const same = (a: Float32Array, b: Float32Array) => a.every((value, index) => Object.is(value, b[index]));
    expect(same(returned, kernels[best])).toBe(true);
    expect(same(returned, kernels.at(-1)!)).toBe(false);
  });

  describe('rerunning an early-stopped run from its own checkpoint (review s17 finding 3)', () => {
    const options = {
      epochs: 30,
      batchSize: 16,
      backbone: { use: 'mlp', hidden: [8] },
      optimizer: { learningRate: 0.02 },
      earlyStopping: { patience: 2, validationFraction: 0.25 },
      checkpoint: { key: 'early/ckpt', every: 1 },
    };
    const same = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.from(a).every((value, index) => Object.is(value, b[index]));

    /** Fits with the sabotage step (worse from epoch 3, so the best epoch is not the last) on `storage`; its id is part of the run's options. */
    async function run(id: string, storage: ReturnType<typeof memoryStorage>) {
      const phases: string[] = [];
      const fitted = await compose(sabotagePlugin.create({ id, from: 3, lambda: 5 }), trainer(options)).fit(task(96), {
        seed: 6,
        storage,
        onProgress: (event) => void phases.push(event.phase),
      });
      const kernel = Float32Array.from(sabotages.get(id)!.kernel!.dataSync() as Float32Array);
      const predictions = fitted.predictProba(task(96).targetTest.X).data;
      const info = fitted.reports.at(-1)!.info!;
      fitted.dispose();
      return { phases, kernel, predictions, info, record: sabotages.get(id)! };
    }

    it('ends exactly as the original run ended: no extra epoch, the best weights, identical predictions, no leaks', async () => {
      const storage = memoryStorage();
      const first = await run('stopped', storage);
      const best = first.record.validationLosses.indexOf(Math.min(...first.record.validationLosses));
      const epochsRun = first.info.epochsRun as number;
      expect(epochsRun).toBe(best + 1 + 2); // stopped by patience 2, well before 30 epochs
      expect(same(first.kernel, first.record.kernels[best])).toBe(true);

      const before = tf.memory().numTensors;
      const rerun = await run('stopped', storage);
      expect(tf.memory().numTensors).toBe(before);
      expect(rerun.info.resumedFrom).toBe(epochsRun);
      expect(rerun.info.epochsRun).toBe(epochsRun);
      expect(rerun.phases.filter((phase) => phase === 'epoch')).toEqual([]);
      expect(rerun.record.kernels).toHaveLength(0);
      // The best epoch's head kernel, as the hook recorded it in the first run, and the same outputs.
      expect(same(rerun.kernel, first.record.kernels[best])).toBe(true);
      expect(same(rerun.predictions, first.predictions)).toBe(true);
    });

    it('a checkpoint written without the stop flag (an earlier format 2) ends there too: its wait had reached the patience', async () => {
      const storage = memoryStorage();
      const first = await run('flagless', storage);
      const { manifest, data } = unpackArtifacts<Record<string, JsonValue>>((await storage.read('early/ckpt'))!);
      expect(manifest.stopped).toBe(true);
      const { stopped: _dropped, ...flagless } = manifest;
      await storage.write('early/ckpt', packArtifacts({ manifest: flagless as JsonValue, data }));
      const rerun = await run('flagless', storage);
      expect(rerun.phases.filter((phase) => phase === 'epoch')).toEqual([]);
      expect(rerun.info.epochsRun).toBe(first.info.epochsRun);
      expect(same(rerun.predictions, first.predictions)).toBe(true);
    });
  });

  it("copies an initial model with a frozen base first (Keras's recipe): same weights in the same layers, same trainable flags", async () => {
    const before = tf.memory().numTensors;
    // base (frozen, then its layer 'b' made trainable again) → top, all 4 × 4: a copy that matched
    // weights by position would swap base and top silently (model.weights lists trainable ones first).
    const baseInput = tf.input({ shape: [4] });
    const a = tf.layers.dense({ units: 4, name: 'a', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(baseInput) as tf.SymbolicTensor;
    const b = tf.layers.dense({ units: 4, name: 'b', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(a) as tf.SymbolicTensor;
    const base = tf.model({ inputs: baseInput, outputs: b, name: 'base' });
    base.trainable = false;
    base.getLayer('b').trainable = true;
    const input = tf.input({ shape: [4] });
    const top = tf.layers.dense({ units: 4, name: 'top', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(base.apply(input) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: top, name: 'backbone' });
    const copy = await copyPart(model, 'backbone');
    const x = tf.tensor2d([[1, 2, 3, 4], [-1, 0.5, 2, -3]]);
    const [expected, got] = [model, copy].map((m) => tf.tidy(() => Array.from((m.predict(x) as tf.Tensor).dataSync())));
    expect(got).toEqual(expected);
    const flags = (m: tf.LayersModel) => ({
      models: [m.trainable, (m.getLayer('base') as tf.LayersModel).trainable],
      weights: m.weights.map((weight) => `${weight.originalName}:${weight.trainable}`).sort(),
    });
    expect(flags(copy)).toEqual(flags(model));
    expect(flags(copy).weights).toEqual(['a/bias:false', 'a/kernel:false', 'b/bias:true', 'b/kernel:true', 'top/bias:true', 'top/kernel:true']);
    tf.dispose([x]);
    copy.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('resumes from a checkpoint and reproduces the uninterrupted run exactly', async () => {
    const data = task(64);
    const options = { epochs: 4, batchSize: 16, backbone: { use: 'mlp', hidden: [8] }, checkpoint: { key: 'run/ckpt' } };
    const whole = await compose(trainer(options)).fit(data, { seed: 9, storage: memoryStorage() });
    const expected = Array.from(whole.predictProba(data.targetTest.X).data);
    whole.dispose();

    const storage = memoryStorage();
    const controller = new AbortController();
    const before = tf.memory().numTensors;
    let error: unknown;
    try {
      await compose(trainer(options)).fit(data, {
        seed: 9,
        storage,
        signal: controller.signal,
        onProgress: (event) => {
          if (event.phase === 'checkpoint' && event.current === 2) controller.abort();
        },
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TlkitError);
    expect((error as TlkitError).code).toBe('ABORTED');
    expect(tf.memory().numTensors).toBe(before); // an aborted run frees what it built
    const resumed = await compose(trainer(options)).fit(data, { seed: 9, storage });
    expect(resumed.reports.at(-1)!.info!.resumedFrom).toBe(2);
    expect(Array.from(resumed.predictProba(data.targetTest.X).data)).toEqual(expected);
    resumed.dispose();
  });

  it('gives identical results for the same seed and different ones for another seed', async () => {
    const data = task(40);
    const run = async (seed: number) => {
      const fitted = await compose(mlp({ hidden: [6], epochs: 2 })).fit(data, { seed });
      const values = Array.from(fitted.predictProba(data.targetTest.X).data);
      fitted.dispose();
      return values;
    };
    const first = await run(5);
    expect(await run(5)).toEqual(first);
    expect(await run(6)).not.toEqual(first);
  });

  it('saves and restores a trained network with identical outputs', async () => {
    registerPlugin(trainerPlugin);
    const data = task(40);
    const fitted = await compose(trainer({ epochs: 2, backbone: { use: 'mlp', hidden: [7, 5] } })).fit(data, { seed: 1 });
    const restored = await loadPipeline(await fitted.saveBytes());
    expect(Array.from(restored.predictProba(data.targetTest.X).data)).toEqual(Array.from(fitted.predictProba(data.targetTest.X).data));
    fitted.dispose();
    restored.dispose();
  });

  it('trains a regressor on a linear target', async () => {
    const rng = createRng(11);
    const X: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 200; i++) {
      const row = [rng.normal(), rng.normal()];
      X.push(row);
      y.push(2 * row[0] - row[1] + 0.5);
    }
    const fitted = await compose(mlp({ hidden: [16], epochs: 60, optimizer: { learningRate: 0.01 } })).fit(
      { source: { X, y }, target: { X }, problem: 'regression' },
      { seed: 1 },
    );
    const predictions = fitted.predict(X);
    let squaredError = 0;
    for (let i = 0; i < y.length; i++) squaredError += (predictions[i] - y[i]) ** 2;
    // Var(y) = 5; a fitted network explains nearly all of it.
    expect(squaredError / y.length).toBeLessThan(0.1);
    fitted.dispose();
  });

  it('frees the model and the hooks already made when a step fails to create its hooks', async () => {
    let disposedFirst = 0;
    const hookMaker = (fail: boolean) =>
      definePlugin({
        name: fail ? 'test-failing-hooks' : 'test-counted-hooks',
        kind: 'parameter',
        role: 'training',
        description: 'test: hooks that are disposed, or a failure to create them',
        needs: { problems: ['classification'], targetLabels: 'never', acceptsSampleWeights: false },
        configSchema: z.object({}).strict(),
        create: () => ({
          doCreateHooks(): TrainingHooks {
            if (fail) throw new TlkitError('INVALID_CONFIG', 'test: cannot create hooks');
            return { name: 'counted', dispose: () => void disposedFirst++ };
          },
        }),
      }).create({});
    const before = tf.memory().numTensors;
    await expect(
      compose(hookMaker(false), hookMaker(true), trainer({ epochs: 1, backbone: { use: 'mlp', hidden: [3] } })).fit(task(20), { seed: 1 }),
    ).rejects.toThrow(/cannot create hooks/);
    expect(disposedFirst).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  });

  describe('a step that fails mid-batch frees everything the step allocated', () => {
    /** A hook whose loss throws at `failAtStep`, or whose variable no loss depends on. */
    const faultyHookPlugin = definePlugin({
      name: 'test-faulty-hook',
      kind: 'parameter',
      role: 'training',
      description: 'test: a loss that throws at a given step, or an unused trainable variable',
      needs: { problems: ['classification'], targetLabels: 'never', acceptsSampleWeights: false },
      configSchema: z.object({ failAtStep: z.number().int().optional(), unusedVariable: z.boolean().default(false) }).strict(),
      create: (options) => ({
        doCreateHooks(): TrainingHooks {
          let variable: tf.Variable | null = null;
          let calls = 0;
          return {
            name: 'faulty',
            setup() {
              if (options.unusedVariable) variable = tf.tidy(() => tf.variable(tf.zeros([2]), true, `test_unused_${Math.random()}`));
            },
            trainableVariables: () => (variable ? [variable] : []),
            loss(_batch, outputs, progress) {
              calls++;
              // Enough work on the tape that a leak would show: tfjs saves these inputs for the backward pass.
              const term = tf.mean(tf.square(tf.relu(outputs.source.features))) as tf.Scalar;
              if (progress.step === options.failAtStep) throw new Error(`test: loss failed at step ${progress.step} (call ${calls})`);
              return term;
            },
            dispose() {
              variable?.dispose();
            },
          };
        },
      }),
    });
    const faulty = (options: z.input<typeof faultyHookPlugin.configSchema>) => faultyHookPlugin.create(options);
    const network = { epochs: 2, batchSize: 8, backbone: { use: 'mlp', hidden: [5] } };

    it.each([0, 3])('a hook loss that throws at step %i: the error reaches the caller and numTensors is unchanged', async (failAtStep) => {
      const before = tf.memory().numTensors;
      await expect(compose(faulty({ failAtStep }), trainer(network)).fit(task(24), { seed: 2 })).rejects.toThrow(
        new RegExp(`loss failed at step ${failAtStep} \\(call ${failAtStep + 1}\\)`),
      );
      expect(tf.memory().numTensors).toBe(before);
    });

    it('a trainable variable no loss depends on: INVALID_CONFIG naming it, numTensors unchanged', async () => {
      const before = tf.memory().numTensors;
      const failure = await compose(faulty({ unusedVariable: true }), trainer(network))
        .fit(task(24), { seed: 2 })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(TlkitError);
      expect((failure as TlkitError).code).toBe('INVALID_CONFIG');
      expect((failure as TlkitError).message).toMatch(/weight 'test_unused_[0-9.]+' is trainable but no loss term depends on it/);
      expect(tf.memory().numTensors).toBe(before);
    });

    it('after a failed run, the same pipeline trains as if nothing had happened (no stale gradient tape)', async () => {
      const fresh = await compose(trainer(network)).fit(task(24), { seed: 5 });
      const expected = Array.from(fresh.predictProba(task(24).targetTest.X).data);
      fresh.dispose();
      await expect(compose(faulty({ failAtStep: 1 }), trainer(network)).fit(task(24), { seed: 2 })).rejects.toThrow(/loss failed/);
      const again = await compose(trainer(network)).fit(task(24), { seed: 5 });
      expect(Array.from(again.predictProba(task(24).targetTest.X).data)).toEqual(expected);
      again.dispose();
    });
  });

  it('rejects an unknown backbone by name with the known names listed', async () => {
    await expect(compose(trainer({ backbone: { use: 'no-such-net' } })).fit(task(20))).rejects.toThrow(/no backbone named 'no-such-net'.*mlp|UNKNOWN_PLUGIN/);
    await expect(compose(trainer({ backbone: { use: 'mpl' } })).fit(task(20))).rejects.toThrow(/no backbone named 'mpl' is registered\. Did you mean 'mlp'\? Known: /);
  });

  describe('augment', () => {
    /** 4×4 one-channel images: a bright left or right half, plus seeded noise. */
    function imageTask(n: number) {
      const rng = createRng(9);
      const make = (count: number) => {
        const X: number[][] = [];
        const y: number[] = [];
        for (let i = 0; i < count; i++) {
          const label = i % 2;
          X.push(Array.from({ length: 16 }, (_, pixel) => ((pixel % 4 < 2) === (label === 0) ? 1 : 0) + 0.1 * rng.normal()));
          y.push(label);
        }
        return { X, y, shape: [4, 4, 1] as [number, number, number] };
      };
      const source = make(n);
      const target = make(n / 2);
      return { source, target: { X: target.X, shape: target.shape }, targetTest: target, problem: 'classification' as const };
    }
    const base = { epochs: 2, batchSize: 8, backbone: { use: 'mlp', hidden: [6] } };
    const predictions = async (augment?: Record<string, unknown>) => {
      const fitted = await compose(trainer({ ...base, ...(augment ? { augment } : {}) })).fit(imageTask(32), { seed: 4 });
      const probabilities = Array.from(fitted.predictProba(imageTask(32).targetTest.X).data);
      fitted.dispose();
      return probabilities;
    };

    it('is seeded (same run, same network), changes training, and is a no-op with zero ranges', async () => {
      const before = tf.memory().numTensors;
      const plain = await predictions();
      const augmented = await predictions({ translate: 1, rotate: 20 });
      expect(await predictions({ translate: 1, rotate: 20 })).toEqual(augmented);
      expect(augmented).not.toEqual(plain);
      expect(await predictions({ translate: 0 })).toEqual(plain);
      expect(tf.memory().numTensors).toBe(before);
    });

    it('rejects augment (or pretrain.augment) on data without an image shape before any step runs', async () => {
      const before = tf.memory().numTensors;
      for (const options of [{ augment: { translate: 1 } }, { pretrain: { epochs: 1, augment: { translate: 1 } } }, { augment: { rotate: 5 }, pretrain: { epochs: 1 } }]) {
        const failure = await compose(trainer({ ...base, ...options }))
          .fit(task(20), { seed: 1 })
          .catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(TlkitError);
        expect((failure as TlkitError).message).toMatch(/'trainer' needs images; give the domains a shape/);
      }
      expect(tf.memory().numTensors).toBe(before);
    });

    it('resumes an augmented run from its checkpoint exactly as the uninterrupted run', async () => {
      const storage = memoryStorage();
      const options = { ...base, epochs: 3, augment: { translate: 1, rotate: 30, scale: [0.8, 1.2] as [number, number] } };
      const full = await compose(trainer(options)).fit(imageTask(32), { seed: 6 });
      const expected = Array.from(full.predictProba(imageTask(32).targetTest.X).data);
      full.dispose();
      const controller = new AbortController();
      const interrupted = await compose(trainer({ ...options, checkpoint: { key: 'augmented' } }))
        .fit(imageTask(32), {
          seed: 6,
          storage,
          signal: controller.signal,
          onProgress: (event) => {
            if (event.phase === 'checkpoint' && event.current === 2) controller.abort();
          },
        })
        .catch((error: unknown) => error);
      expect((interrupted as TlkitError).code).toBe('ABORTED');
      const resumed = await compose(trainer({ ...options, checkpoint: { key: 'augmented' } })).fit(imageTask(32), { seed: 6, storage });
      expect(resumed.reports.at(-1)!.info!.resumedFrom).toBe(2);
      expect(Array.from(resumed.predictProba(imageTask(32).targetTest.X).data)).toEqual(expected);
      resumed.dispose();
    });
  });
});

describe('a loss that is not finite (review D1)', () => {
  /** A test-only training step whose loss term is NaN from epoch `fromEpoch` on. */
  const nanLossPlugin = definePlugin({
    name: 'test-nan-loss',
    kind: 'parameter',
    role: 'training',
    description: 'test: a NaN loss term from a given epoch',
    needs: { problems: ['classification', 'regression'], targetLabels: 'never', acceptsSampleWeights: false },
    configSchema: z.object({ fromEpoch: z.number().int() }).strict(),
    create: (options) => ({
      doCreateHooks: (): TrainingHooks => ({
        loss: (_batch, _outputs, progress) => tf.scalar(progress.epoch >= options.fromEpoch ? Number.NaN : 0),
      }),
    }),
  });

  it('stops the run with NUMERICAL_ERROR naming the epoch, the step and the term; no tensor left behind', async () => {
    const before = tf.memory().numTensors;
    const epochsSeen: number[] = [];
    const failure = await compose(nanLossPlugin.create({ fromEpoch: 2 }), trainer({ epochs: 5, batchSize: 8, backbone: { use: 'mlp', hidden: [4] } }))
      .fit(task(24), {
        seed: 1,
        onProgress: (event) => {
          if (event.phase === 'epoch') epochsSeen.push(event.current ?? -1);
        },
      })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TlkitError);
    expect((failure as TlkitError).code).toBe('NUMERICAL_ERROR');
    // 24 samples in batches of 8: 3 steps per epoch; the first NaN is epoch 2's first step.
    expect((failure as TlkitError).message).toMatch(/training loss became NaN at epoch 2 \(0-based\), step 1 of 3 \(test-nan-loss loss = NaN\)\. Lower the optimizer's learningRate/);
    expect((failure as TlkitError).details).toMatchObject({ epoch: 2, step: 0 });
    expect(epochsSeen).toEqual([1, 2]); // epochs 0 and 1 ran; none after the NaN
    expect(tf.memory().numTensors).toBe(before);
  });

  it('catches regression targets that overflow float32 (finite in float64, so input validation passes them)', async () => {
    const X = [[0, 1], [1, 0], [1, 1], [0, 0]];
    const before = tf.memory().numTensors;
    const failure = await compose(mlp({ hidden: [3], epochs: 2 }))
      .fit({ source: { X, y: [0, 1, 1e39, 2] }, target: { X }, problem: 'regression' }, { seed: 1 })
      .catch((error: unknown) => error);
    expect((failure as TlkitError).code).toBe('NUMERICAL_ERROR');
    expect((failure as TlkitError).message).toMatch(/loss became Infinity at epoch 0 .*standardise X; for regression, the targets too/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('an AbortSignal fired from outside the run (review byom finding 1)', () => {
  /**
   * Fits while a 5 ms interval counts ticks; a timer set at the first progress event of
   * `startPhase` (so slow set-up on a busy machine cannot make it fire before training) aborts
   * `afterMs` later.
   */
  async function abortedByTimer(options: Parameters<typeof trainer>[0], data: ReturnType<typeof task>, startPhase: string, afterMs: number) {
    const controller = new AbortController();
    const phases: string[] = [];
    let ticks = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const interval = setInterval(() => ticks++, 5);
    const before = tf.memory().numTensors;
    try {
      const failure = await compose(trainer(options))
        .fit(data, {
          seed: 1,
          signal: controller.signal,
          onProgress: (event) => {
            phases.push(event.phase);
            if (event.phase === startPhase && timer === undefined) timer = setTimeout(() => controller.abort(), afterMs);
          },
        })
        .then(
          (fitted) => {
            fitted.dispose();
            return undefined;
          },
          (error: unknown) => error,
        );
      return { failure, phases, ticks, leaked: tf.memory().numTensors - before };
    } finally {
      clearInterval(interval);
      clearTimeout(timer);
    }
  }

  it('a setTimeout abort stops a 2000-epoch run after a few epochs with ABORTED, timers tick during fit, no tensor leaks', async () => {
    // 64 rows in batches of 16: 4 steps an epoch, 8000 steps in all (seconds), aborted at 100 ms.
    const result = await abortedByTimer({ epochs: 2000, batchSize: 16, backbone: { use: 'mlp', hidden: [8] } }, task(64), 'epoch', 100);
    expect(result.failure).toBeInstanceOf(TlkitError);
    expect((result.failure as TlkitError).code).toBe('ABORTED');
    const epochs = result.phases.filter((phase) => phase === 'epoch').length;
    expect(epochs).toBeGreaterThan(0);
    expect(epochs).toBeLessThan(500);
    expect(result.ticks).toBeGreaterThan(0);
    expect(result.leaked).toBe(0);
  });

  it('within one long epoch the loop yields about every 50 ms, so the abort is seen mid-epoch', async () => {
    // One epoch of 3000 one-sample steps: only the time-based yield inside the epoch can see the
    // signal. The timer starts at the first step.
    const controller = new AbortController();
    const recorder = { steps: 0 };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const counter = definePlugin({
      name: 'test-step-counter',
      kind: 'parameter',
      role: 'training',
      description: 'test: counts steps, starts the abort timer at the first',
      needs: { problems: ['classification'], targetLabels: 'never', acceptsSampleWeights: false },
      configSchema: z.object({}).strict(),
      create: () => ({
        doCreateHooks: (): TrainingHooks => ({
          loss: () => {
            if (recorder.steps++ === 0) timer = setTimeout(() => controller.abort(), 100);
            return undefined;
          },
        }),
      }),
    });
    const before = tf.memory().numTensors;
    const failure = await compose(counter.create({}), trainer({ epochs: 1, batchSize: 1, backbone: { use: 'mlp', hidden: [8] } }))
      .fit(task(3000), { seed: 1, signal: controller.signal })
      .catch((error: unknown) => error);
    clearTimeout(timer);
    expect((failure as TlkitError).code).toBe('ABORTED');
    expect(recorder.steps).toBeGreaterThan(0);
    expect(recorder.steps).toBeLessThan(3000);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("stops the trainer's pre-training too (it runs through the same loop)", async () => {
    const result = await abortedByTimer(
      { epochs: 1, batchSize: 16, backbone: { use: 'mlp', hidden: [8] }, pretrain: { epochs: 2000, cache: false } },
      task(64),
      'pretrain epoch',
      100,
    );
    expect((result.failure as TlkitError).code).toBe('ABORTED');
    const pretrainEpochs = result.phases.filter((phase) => phase === 'pretrain epoch').length;
    expect(pretrainEpochs).toBeGreaterThan(0);
    expect(pretrainEpochs).toBeLessThan(500);
    expect(result.phases).not.toContain('epoch'); // the transfer run never started
    expect(result.leaked).toBe(0);
  });
});

describe('fit under fake timers installed after tlkit was imported (review s17 finding 4)', () => {
  // Captured before any test fakes timers: the guard below must not depend on the fake clock.
  const realSetTimeout = globalThis.setTimeout.bind(globalThis);
  const realClearTimeout = globalThis.clearTimeout.bind(globalThis);

  /** Fits `options` on `data`, or gives 'still pending' after 10 s of real time (a hang). */
  async function fitOrHang(options: Parameters<typeof trainer>[0], data: ReturnType<typeof task>) {
    let guard: ReturnType<typeof setTimeout> | undefined;
    const pending = new Promise<'still pending'>((resolve) => {
      guard = realSetTimeout(() => resolve('still pending'), 10_000);
    });
    try {
      return await Promise.race([
        compose(trainer(options))
          .fit(data, { seed: 2 })
          .then((fitted) => {
            const probabilities = Array.from(fitted.predictProba(data.targetTest.X).data);
            fitted.dispose();
            return probabilities;
          }),
        pending,
      ]);
    } finally {
      realClearTimeout(guard);
    }
  }

  it('vi.useFakeTimers() (setImmediate, setTimeout, performance, Date, ... faked): a short fit finishes with the result of a run under real timers, no leaks', async () => {
    // 2 epochs of 300 two-sample steps: the yield at each epoch's start and (a few hundred ms of
    // steps) the ones every 50 ms inside an epoch.
    const options = { epochs: 2, batchSize: 2, backbone: { use: 'mlp', hidden: [8] } };
    const data = task(600);
    const expected = await fitOrHang(options, data);
    expect(expected).not.toBe('still pending');
    const before = tf.memory().numTensors;
    vi.useFakeTimers();
    let outcome: Awaited<ReturnType<typeof fitOrHang>>;
    try {
      outcome = await fitOrHang(options, data);
    } finally {
      vi.useRealTimers();
    }
    expect(outcome).toEqual(expected);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('a checkpoint is resumed only by the run that wrote it (review byom finding 3)', () => {
  const base = { epochs: 4, batchSize: 16, backbone: { use: 'mlp', hidden: [8] }, checkpoint: { key: 'run/ckpt' } };

  /** Fits `options` on `data`, aborting after the checkpoint of epoch `abortAfter` when given. */
  async function fit(options: Parameters<typeof trainer>[0], data: ReturnType<typeof task>, storage: ReturnType<typeof memoryStorage>, abortAfter?: number) {
    const controller = new AbortController();
    const phases: string[] = [];
    const outcome = await compose(trainer(options))
      .fit(data, {
        seed: 9,
        storage,
        signal: controller.signal,
        onProgress: (event) => {
          phases.push(event.phase);
          if (event.phase === 'checkpoint' && event.current === abortAfter) controller.abort();
        },
      })
      .catch((error: unknown) => error);
    return { outcome, phases };
  }

  /** Interrupts a run after epoch 2, then reruns with `changed`: the error, the rerun's phases and its tensor balance. */
  async function rerunChanged(first: { options: Parameters<typeof trainer>[0]; data: ReturnType<typeof task> }, changed: { options: Parameters<typeof trainer>[0]; data: ReturnType<typeof task> }) {
    const storage = memoryStorage();
    const interrupted = await fit(first.options, first.data, storage, 2);
    expect((interrupted.outcome as TlkitError).code).toBe('ABORTED');
    const before = tf.memory().numTensors;
    const rerun = await fit(changed.options, changed.data, storage);
    expect(tf.memory().numTensors).toBe(before);
    expect(rerun.phases.filter((phase) => phase === 'epoch' || phase === 'resume')).toEqual([]); // refused before the run's training
    const error = rerun.outcome as TlkitError;
    expect(error).toBeInstanceOf(TlkitError);
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain("checkpoint 'run/ckpt' was written by another run");
    expect(error.message).toMatch(/use another checkpoint\.key for this run, delete 'run\/ckpt' from the run's storage, or set checkpoint\.resume: false/);
    return error;
  }

  /** A backbone model brought as initialModel: 4 → 8 relu, kernel from `seed`; layer names given, or tfjs's automatic ones. */
  /** Input 4 → dense 8 relu; with `names`, the layers are named (and the model too, unless `model: false`). */
  function ownBackbone(seed: number, names?: { dense: string; model?: boolean }) {
    const input = tf.input({ shape: [4], ...(names ? { name: 'own_input' } : {}) });
    const output = tf.layers
      .dense({ units: 8, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }), ...(names ? { name: names.dense } : {}) })
      .apply(input) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: output, ...(names && names.model !== false ? { name: 'own_backbone' } : {}) });
  }

  it('refuses other options (a learning rate), naming the options', async () => {
    const error = await rerunChanged({ options: base, data: task(64) }, { options: { ...base, optimizer: { learningRate: 0.01 } }, data: task(64) });
    expect(error.message).toMatch(/: the training options \(optimizer and learning rates, .*\) differs from this run's/);
    expect(error.details).toMatchObject({ argument: 'checkpoint.key', key: 'run/ckpt', differs: ['options'] });
  });

  it('refuses other training data (one value changed), naming the data', async () => {
    const other = task(64);
    other.source.X[5][2] += 0.5;
    const error = await rerunChanged({ options: base, data: task(64) }, { options: base, data: other });
    expect(error.message).toMatch(/: the training data differs/);
    expect(error.details).toMatchObject({ differs: ['data'] });
  });

  it('refuses other starting weights (another initialModel of the same architecture), naming them', async () => {
    const [mine, other] = [ownBackbone(1), ownBackbone(2)];
    const error = await rerunChanged(
      { options: { ...base, initialModel: { backbone: mine } }, data: task(64) },
      { options: { ...base, initialModel: { backbone: other } }, data: task(64) },
    );
    expect(error.message).toMatch(/: the starting weights or architecture \(initialModel: its layers, their names and weights; or the pre-trained weights; .*name your layers\) differs/);
    expect(error.details).toMatchObject({ differs: ['starting weights'] });
    mine.dispose();
    other.dispose();
  });

  it('refuses other epochs, naming both counts', async () => {
    const error = await rerunChanged({ options: base, data: task(64) }, { options: { ...base, epochs: 6 }, data: task(64) });
    expect(error.message).toMatch(/: epochs \(4 in the checkpoint, 6 now\) differs/);
    expect(error.details).toMatchObject({ differs: ['epochs'] });
  });

  it('names every part that differs', async () => {
    const other = task(64);
    other.source.y[0] = 1 - other.source.y[0];
    const error = await rerunChanged({ options: base, data: task(64) }, { options: { ...base, epochs: 5, batchSize: 8 }, data: other });
    expect(error.details).toMatchObject({ differs: ['options', 'data', 'epochs'] });
  });

  it('refuses a checkpoint without a fingerprint (the earlier format), and resume: false starts over', async () => {
    const storage = memoryStorage();
    await fit(base, task(64), storage, 2);
    const { manifest, data } = unpackArtifacts<Record<string, JsonValue>>((await storage.read('run/ckpt'))!);
    const { fingerprint: _dropped, ...older } = manifest;
    await storage.write('run/ckpt', packArtifacts({ manifest: { ...older, formatVersion: 1 } as JsonValue, data }));
    const before = tf.memory().numTensors;
    const refused = await fit(base, task(64), storage);
    expect((refused.outcome as TlkitError).code).toBe('INVALID_CONFIG');
    expect((refused.outcome as TlkitError).message).toMatch(/checkpoint 'run\/ckpt' was written without a run fingerprint .* cannot be checked, and it is not resumed; use another checkpoint\.key/);
    expect(refused.phases).not.toContain('epoch');
    expect(tf.memory().numTensors).toBe(before);
    // resume: false trains from scratch and overwrites it.
    const fresh = await fit({ ...base, checkpoint: { key: 'run/ckpt', resume: false } }, task(64), storage);
    expect(fresh.phases.filter((phase) => phase === 'epoch')).toHaveLength(4);
    (fresh.outcome as { dispose(): void }).dispose();
  });

  it('refuses the same initialModel with one layer renamed (fineTune selects layers by name), naming the starting weights or architecture (review s17 finding 2)', async () => {
    const [mine, renamed] = [ownBackbone(1, { dense: 'my_dense' }), ownBackbone(1, { dense: 'other_dense' })];
    // Same weights, same architecture: only the name differs.
    expect(renamed.weights.map((weight) => Array.from(weight.read().dataSync()))).toEqual(mine.weights.map((weight) => Array.from(weight.read().dataSync())));
    const error = await rerunChanged(
      { options: { ...base, initialModel: { backbone: mine } }, data: task(64) },
      { options: { ...base, initialModel: { backbone: renamed } }, data: task(64) },
    );
    expect(error.message).toMatch(/: the starting weights or architecture \(initialModel: its layers, their names and weights; .*\) differs from this run's/);
    expect(error.details).toMatchObject({ differs: ['starting weights'] });
    mine.dispose();
    renamed.dispose();
  });

  it("refuses the same initialModel rebuilt under other automatic layer names (tfjs's counters moved on): the names are part of the run", async () => {
    const first = ownBackbone(3);
    const rebuilt = ownBackbone(3);
    expect(rebuilt.layers[1].name).not.toBe(first.layers[1].name);
    const error = await rerunChanged(
      { options: { ...base, initialModel: { backbone: first } }, data: task(64) },
      { options: { ...base, initialModel: { backbone: rebuilt } }, data: task(64) },
    );
    expect(error.message).toMatch(/: the starting weights or architecture \(.*tfjs's automatic layer names change when a model is built again in the same process, so name your layers\) differs/);
    expect(error.details).toMatchObject({ differs: ['starting weights'] });
    first.dispose();
    rebuilt.dispose();
  });

  it('an unchanged rerun with the same initialModel rebuilt under the same (given) layer names resumes and reproduces the uninterrupted run; the model itself may be unnamed (fix review s17 problem 2)', async () => {
    const data = task(64);
    // Layer names given, the model's own name left to tfjs (model_N, another each time).
    const names = { dense: 'own_dense', model: false };
    const whole = await fit({ ...base, initialModel: { backbone: ownBackbone(3, names) } }, data, memoryStorage());
    const fitted = whole.outcome as Awaited<ReturnType<ReturnType<typeof compose>['fit']>>;
    const expected = Array.from(fitted.predictProba(data.targetTest.X).data);
    fitted.dispose();
    const storage = memoryStorage();
    const first = ownBackbone(3, names);
    await fit({ ...base, initialModel: { backbone: first } }, data, storage, 2);
    const rebuilt = ownBackbone(3, names);
    expect(rebuilt.name).not.toBe(first.name);
    const resumed = (await fit({ ...base, initialModel: { backbone: rebuilt } }, data, storage)).outcome as typeof fitted;
    expect(resumed.reports.at(-1)!.info!.resumedFrom).toBe(2);
    expect(Array.from(resumed.predictProba(data.targetTest.X).data)).toEqual(expected);
    resumed.dispose();
    first.dispose();
    rebuilt.dispose();
  });
  it('refuses a damaged checkpoint (cut short, or its arrays cut off) with INVALID_ARTIFACT naming the key and the fixes (determinism review finding 2)', async () => {
    for (const keep of [(bytes: Uint8Array) => bytes.subarray(0, 10), (bytes: Uint8Array) => bytes.subarray(0, bytes.length - 64)]) {
      const storage = memoryStorage();
      await fit(base, task(64), storage, 2);
      const bytes = (await storage.read('run/ckpt'))!;
      await storage.write('run/ckpt', keep(bytes));
      const before = tf.memory().numTensors;
      const rerun = await fit(base, task(64), storage);
      const error = rerun.outcome as TlkitError;
      expect(error).toBeInstanceOf(TlkitError);
      expect(error.code).toBe('INVALID_ARTIFACT');
      expect(error.message).toMatch(/^\[INVALID_ARTIFACT\] checkpoint 'run\/ckpt' is damaged \(.+\); .*delete 'run\/ckpt' from the run's storage, or set checkpoint\.resume: false/);
      expect(rerun.phases).not.toContain('epoch');
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('resumes when the rerun writes out a backbone default the first run left out, and still refuses another value of it', async () => {
    const data = task(64);
    const whole = await fit(base, data, memoryStorage());
    const fitted = whole.outcome as Awaited<ReturnType<ReturnType<typeof compose>['fit']>>;
    const expected = Array.from(fitted.predictProba(data.targetTest.X).data);
    fitted.dispose();
    const storage = memoryStorage();
    await fit(base, data, storage, 2);
    const explicit = { ...base, backbone: { activation: 'relu', use: 'mlp', hidden: [8] } };
    const resumed = (await fit(explicit, data, storage)).outcome as typeof fitted;
    expect(resumed.reports.at(-1)!.info!.resumedFrom).toBe(2);
    expect(Array.from(resumed.predictProba(data.targetTest.X).data)).toEqual(expected);
    resumed.dispose();
    const error = await rerunChanged({ options: base, data }, { options: { ...base, backbone: { use: 'mlp', hidden: [8], activation: 'tanh' } }, data });
    expect(error.details).toMatchObject({ differs: ['options', 'starting weights'] }); // another activation layer: another architecture
  });
});

describe('a network the user brings (initialModel; review byom findings 2, 9, 10)', () => {
  /** Backbone 4 → 5 relu with fixed weights. */
  function backboneModel() {
    const input = tf.input({ shape: [4] });
    const output = tf.layers.dense({ units: 5, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 11 }), name: 'own_features' }).apply(input) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: output, name: 'own_backbone' });
  }
  const headKernel = Array.from({ length: 5 * 2 }, (_, i) => Math.sin(3 * i + 1));
  const headBias = [0.3, -0.2];
  type HeadEnd =
    | 'linear'
    | 'dense-softmax'
    | 'activation-softmax'
    | 'softmax-layer'
    | 'sigmoid'
    | 'relu-layer'
    // Followed by layers that are the identity at inference (review s17 finding 6):
    | 'dense-softmax dropout'
    | 'softmax-layer gaussian-noise linear-activation'
    | 'nested dense-softmax, alpha-dropout gaussian-dropout'
    | 'sigmoid dropout'
    // Probabilities fed to other layers:
    | 'dense-softmax reshape'
    | 'dense-softmax dropout expand flatten'
    | 'softmax-layer dense';
  /** A 5 → 2 head with fixed weights ending as `end` says (the class layer 'own_classes', then the layers named). */
  function headModel(end: HeadEnd) {
    const input = tf.input({ shape: [5], name: 'own_head_input' });
    const first = end.split(' ')[0];
    const dense = tf.layers.dense({ units: 2, name: 'own_classes', activation: /dense-softmax/.test(end) ? 'softmax' : first === 'sigmoid' ? 'sigmoid' : 'linear' });
    // 'nested': the class layer inside a nested Sequential, the identity layers after it in the outer model.
    const inner = first === 'nested' ? tf.sequential({ name: 'own_inner', layers: [tf.layers.inputLayer({ inputShape: [5] }), dense] }) : undefined;
    let output = (inner ?? dense).apply(input) as tf.SymbolicTensor;
    const after = end.replace(/^nested [^,]*, /, '').split(' ').slice(first === 'nested' ? 0 : 1);
    if (end === 'activation-softmax') output = tf.layers.activation({ activation: 'softmax', name: 'own_softmax' }).apply(output) as tf.SymbolicTensor;
    if (first === 'softmax-layer') output = tf.layers.softmax({ name: 'own_softmax' }).apply(output) as tf.SymbolicTensor;
    if (end === 'relu-layer') output = tf.layers.reLU({ name: 'own_relu' }).apply(output) as tf.SymbolicTensor;
    const next: Record<string, () => tf.layers.Layer> = {
      dropout: () => tf.layers.dropout({ rate: 0.5, seed: 7, name: 'own_dropout' }),
      'gaussian-noise': () => tf.layers.gaussianNoise({ stddev: 0.3, name: 'own_noise' }),
      'linear-activation': () => tf.layers.activation({ activation: 'linear', name: 'own_linear' }),
      'alpha-dropout': () => tf.layers.alphaDropout({ rate: 0.2, name: 'own_alpha_dropout' }),
      'gaussian-dropout': () => tf.layers.gaussianDropout({ rate: 0.2, name: 'own_gaussian_dropout' }),
      reshape: () => tf.layers.reshape({ targetShape: [2], name: 'own_reshape' }),
      expand: () => tf.layers.reshape({ targetShape: [2, 1], name: 'own_expand' }),
      flatten: () => tf.layers.flatten({ name: 'own_flatten' }),
      dense: () => tf.layers.dense({ units: 2, name: 'own_after', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }),
    };
    for (const name of after) {
      if (!(name in next)) continue;
      output = next[name]().apply(output) as tf.SymbolicTensor;
    }
    const model = tf.model({ inputs: input, outputs: output, name: 'own_head' });
    dense.setWeights([tf.tensor2d(headKernel, [5, 2]), tf.tensor1d(headBias)].map((tensor) => tf.keep(tensor)));
    return model;
  }

  /** Records the run's source head outputs on the training rows at setup (the copy the run uses). */
  const seen = new Map<string, number[]>();
  const sourceHeadProbe = definePlugin({
    name: 'test-source-head-probe',
    kind: 'parameter',
    role: 'training',
    description: 'test: records the source head outputs',
    needs: { problems: ['classification'], targetLabels: 'never', acceptsSampleWeights: false },
    configSchema: z.object({ id: z.string() }).strict(),
    create: (options) => ({
      doCreateHooks: (): TrainingHooks => ({
        setup(context) {
          const rows = tf.tensor2d(Float32Array.from(context.source.X.data), [context.source.X.rows, context.source.X.cols]);
          const out = tf.tidy(() => context.pretrained!.head!.apply(context.model.backbone.apply(rows)) as tf.Tensor);
          seen.set(options.id, Array.from(out.dataSync()));
          tf.dispose([rows, out]);
        },
      }),
    }),
  });

  it.each([
    'dense-softmax',
    'activation-softmax',
    'softmax-layer',
    'dense-softmax dropout',
    'softmax-layer gaussian-noise linear-activation',
    'nested dense-softmax, alpha-dropout gaussian-dropout',
  ] as const)(
    'a head ending in a softmax (%s) is copied to output its logits: the same outputs as its linear twin; the user model is not modified',
    async (end) => {
      const backbone = backboneModel();
      const [head, twin] = [headModel(end), headModel('linear')];
      const topology = JSON.stringify(head.toJSON(null, false));
      const weights = head.weights.map((weight) => Array.from(weight.read().dataSync()));
      const data = task(40);
      const before = tf.memory().numTensors;
      const predictions: (Int32Array | Float64Array)[] = [];
      for (const [id, model] of [[`${end}-softmax`, head], [`${end}-linear`, twin]] as const) {
        const fitted = await compose(sourceHeadProbe.create({ id }), trainer({ epochs: 1, batchSize: 16, initialModel: { backbone, head: model } })).fit(data, { seed: 3 });
        predictions.push(predictWithHead(fitted, data.targetTest.X, 'source'));
        fitted.dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
      // Independent computation of the logits: relu(x·W_b + b_b)·W_h + b_h in float64.
      const [kernelB, biasB] = backbone.weights.map((weight) => Array.from(weight.read().dataSync()));
      const expected = data.source.X.flatMap((row) => {
        const features = [0, 1, 2, 3, 4].map((j) => Math.max(0, biasB[j] + row.reduce((sum, x, k) => sum + x * kernelB[k * 5 + j], 0)));
        return [0, 1].map((c) => headBias[c] + features.reduce((sum, f, k) => sum + f * headKernel[k * 2 + c], 0));
      });
      const logits = seen.get(`${end}-softmax`)!;
      expect(logits).toEqual(seen.get(`${end}-linear`));
      logits.forEach((value, index) => expect(value).toBeCloseTo(expected[index], 5));
      expect(predictions[0]).toEqual(predictions[1]);
      // The user's head is as it was: same topology, weights, and softmax outputs.
      expect(JSON.stringify(head.toJSON(null, false))).toBe(topology);
      expect(head.weights.map((weight) => Array.from(weight.read().dataSync()))).toEqual(weights);
      const probabilities = tf.tidy(() => Array.from((head.predict(tf.ones([1, 5])) as tf.Tensor).dataSync()));
      expect(probabilities[0] + probabilities[1]).toBeCloseTo(1, 6);
      for (const model of [backbone, head, twin]) model.dispose();
    },
  );

  /** The error of a one-epoch fit from `initialModel` that must be refused, after checking it freed every tensor it made. */
  async function refusedFit(initialModel: { backbone: tf.LayersModel; head?: tf.LayersModel }, data: Parameters<ReturnType<typeof compose>['fit']>[0] = task(20)): Promise<TlkitError> {
    const before = tf.memory().numTensors;
    const failure = await compose(trainer({ epochs: 1, initialModel }))
      .fit(data, { seed: 1 })
      .catch((error: unknown) => error);
    expect(tf.memory().numTensors).toBe(before);
    expect(failure).toBeInstanceOf(TlkitError);
    return failure as TlkitError;
  }

  it.each(['sigmoid', 'relu-layer', 'sigmoid dropout'] as const)('a classification head ending in another non-linear activation (%s) is rejected with INVALID_CONFIG naming initialModel.head', async (end) => {
    const backbone = backboneModel();
    const head = headModel(end);
    const failure = await refusedFit({ backbone, head });
    expect((failure as TlkitError).code).toBe('INVALID_CONFIG');
    expect((failure as TlkitError).message).toMatch(/^\[INVALID_CONFIG\] initialModel\.head ends in a '(sigmoid|relu)' activation \(layer 'own_(classes|relu)'\), but the trainer needs the source head's class scores as logits .*: give a head whose last layer is linear or softmax\.$/);
    expect((failure as TlkitError).details).toMatchObject({ argument: 'initialModel.head' });
    backbone.dispose();
    head.dispose();
  });

  it('a head whose softmax feeds a layer that computes with the probabilities (a Dense giving linear scores) is accepted and copied as it is (fix review s17 problem 1)', async () => {
    const backbone = backboneModel();
    const head = headModel('softmax-layer dense');
    const before = tf.memory().numTensors;
    const fitted = await compose(trainer({ epochs: 1, initialModel: { backbone, head } })).fit(task(20), { seed: 1 });
    fitted.dispose();
    expect(tf.memory().numTensors).toBe(before);
    backbone.dispose();
    head.dispose();
  });

  it.each(['dense-softmax reshape', 'dense-softmax dropout expand flatten'] as const)(
    'a classification head whose output is its softmax\'s probabilities reshaped (%s) is rejected with INVALID_CONFIG naming initialModel.head and the softmax layer (review s17 finding 6)',
    async (end) => {
      const backbone = backboneModel();
      const head = headModel(end);
      const failure = await refusedFit({ backbone, head });
      expect((failure as TlkitError).code).toBe('INVALID_CONFIG');
      const softmaxLayer = end.startsWith('softmax-layer') ? 'own_softmax' : 'own_classes';
      const outputLayer = { 'dense-softmax reshape': "'own_reshape', Reshape", 'dense-softmax dropout expand flatten': "'own_flatten', Flatten" }[end];
      expect((failure as TlkitError).message).toBe(
        `[INVALID_CONFIG] initialModel.head applies a softmax in layer '${softmaxLayer}' and its output is those probabilities reshaped (layer ${outputLayer}), but the trainer needs the source head's class scores as logits, and removes a softmax only when nothing but layers that do nothing at inference (Dropout, SpatialDropout1D, GaussianNoise, GaussianDropout, AlphaDropout, a linear Activation) follow it: give a head whose softmax comes last (such layers may follow it), or one that ends in linear class scores.`,
      );
      expect((failure as TlkitError).details).toMatchObject({ argument: 'initialModel.head', layer: softmaxLayer });
      backbone.dispose();
      head.dispose();
    },
  );

  it.each(['dense-softmax', 'activation-softmax', 'dense-softmax dropout'] as const)('a whole classifier (ending in %s) as initialModel.backbone is rejected with INVALID_CONFIG: cut it at a feature layer', async (end) => {
    const features = backboneModel();
    const head = headModel(end);
    const input = tf.input({ shape: [4] });
    const classifier = tf.model({ inputs: input, outputs: head.apply(features.apply(input)) as tf.SymbolicTensor });
    const failure = await refusedFit({ backbone: classifier });
    expect((failure as TlkitError).code).toBe('INVALID_CONFIG');
    expect((failure as TlkitError).message).toMatch(
      /^\[INVALID_CONFIG\] initialModel\.backbone ends in a softmax \(layer 'own_(classes|softmax)'\): it gives class probabilities, not features\. Cut it at a feature layer \(cutAtLayer\(.*\) of @tlkit\/models\), or pass the classifier part as initialModel\.head\.$/,
    );
    expect((failure as TlkitError).details).toMatchObject({ argument: 'initialModel.backbone' });
    classifier.dispose();
  });

  it('a backbone taking flat rows on an image task: DIMENSION_MISMATCH saying to give the task no shape, not to cut the model', async () => {
    const input = tf.input({ shape: [16] });
    const flat = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 3, activation: 'relu' }).apply(input) as tf.SymbolicTensor });
    const rng = createRng(5);
    const X = Array.from({ length: 20 }, () => Array.from({ length: 16 }, () => rng.normal()));
    const y = X.map((_, i) => i % 2);
    const images = { source: { X, y, shape: [4, 4, 1] as [number, number, number] }, target: { X, shape: [4, 4, 1] as [number, number, number] }, problem: 'classification' as const };
    const failure = await refusedFit({ backbone: flat }, images);
    expect((failure as TlkitError).code).toBe('DIMENSION_MISMATCH');
    expect((failure as TlkitError).message).toBe(
      "[DIMENSION_MISMATCH] initialModel.backbone takes flat rows [16], but the task's samples are images [4x4x1]: give the task no shape (leave out the domains' shape, or meta.json \"shape\"), so the samples stay flat rows of 16 values, or give the model a Reshape/Flatten input that takes [4x4x1].",
    );
    expect((failure as TlkitError).message).not.toMatch(/flatten or pooling/);
    // Without the shape, the same rows train.
    const fitted = await compose(trainer({ epochs: 1, initialModel: { backbone: flat } })).fit(
      { source: { X, y }, target: { X }, problem: 'classification' },
      { seed: 1 },
    );
    fitted.dispose();
    flat.dispose();
  });
});
