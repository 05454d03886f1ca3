/**
 * Bench section: CNN training throughput of core's training loop (`trainer`, Adam, batch 64) per
 * tfjs backend, on two networks defined here so the figures stay comparable over time:
 *
 * - **LeNet-5** (LeCun et al., "Gradient-based learning applied to document recognition",
 *   Proc. IEEE 1998, with ReLU and max-pooling): 28×28×1 → conv 6@5×5 same + ReLU → max-pool 2 →
 *   conv 16@5×5 valid + ReLU → max-pool 2 → dense 120 + ReLU → dense 84 + ReLU → dense 10;
 * - **small-CNN** (the Keras MNIST example's convolutional part): 28×28×1 → conv 32@3×3 + ReLU →
 *   conv 64@3×3 + ReLU → max-pool 2 → dense 10.
 *
 * The last dense 10 is core's task head; the rest is a backbone registered under `bench-lenet5` /
 * `bench-small-cnn`. Inputs are seeded uniform noise with labels i mod 10 (throughput does not
 * depend on the pixel values). A training step of the bench (`bench-step-timer`) stamps the time at
 * every step's forward pass; on wasm, samples/s = batch × k / (t_{m+k} − t_m) over k steps after a
 * warm-up: m is the first stamp at least 1.5 s after t_1, so set-up, the whole first step (backward
 * pass included, where tlkit's WebAssembly loops are assembled and first run in V8's baseline tier:
 * until 2026-11-22 the window started at t_0, and small-CNN figures were up to a fifth low) and the
 * second or so in which V8 keeps compiling are excluded (until 2026-11-23 the window was
 * t_1 … t_{k+1}, still reported as `samplesPerSecFromSecondStep`). The cpu
 * reference keeps t_k − t_0 (one step there takes seconds; nothing is compiled). Only the two runs of the loss check also recompute and read back each step's
 * task loss (about ten kernels and a synchronous read per step, which the timed runs leave out).
 * Backends:
 *
 * - `wasm`: tlkit's default wasm set-up (`setupNodeBackend`: the idle cores); `wasmThreads1` and
 *   `wasmThreads<cores>`: one thread and every core, whatever the load;
 * - `cpu`: tfjs's stock cpu backend (no tlkit kernels; so slow on convolution gradients that it runs
 *   one timed step at batch 16 (LeNet-5) and 1 (small-CNN) — its cost per sample does not
 *   depend on the batch size there).
 *
 * Achieved GFLOP/s count the multiply-adds of the convolutions and dense layers (×2): forward,
 * input gradient (not for the first layer) and weight gradient; pooling, activations and the
 * optimiser are not counted. The fraction of BLAS divides by this run's `gemm` BLAS figure (numpy).
 * `lossCheck` is the largest relative difference between the cpu and wasm task losses on the steps
 * both ran (same seed, same data).
 */
import { availableParallelism, loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import {
  type BackboneBuildContext,
  compose,
  defineBackbone,
  definePlugin,
  deriveSeed,
  Matrix,
  createRng,
  registerBackbone,
  setupBackend,
  trainer,
  type TrainingHooks,
} from '@tlkit/core';
import { setupNodeBackend } from '@tlkit/core/node';
import * as z from 'zod';
import { blasGflops } from './gemm';
import type { BenchContext, BenchFigures } from './types';

type LayerSpec =
  | { kind: 'conv'; filters: number; size: number; padding: 'same' | 'valid' }
  | { kind: 'pool' }
  | { kind: 'flatten' }
  | { kind: 'dense'; units: number };

const INPUT: [number, number, number] = [28, 28, 1];
const CLASSES = 10;
const BATCH = 64;
/** Seconds a timed wasm run warms up before its window (see `timeTraining`). */
const WARM_UP_SECONDS = 1.5;
/** Batch sizes of the stock cpu backend (its cost per sample does not depend on the batch). */
const CPU_BATCH: Record<'lenet' | 'smallCnn', number> = { lenet: 16, smallCnn: 1 };

/** The backbones (core adds the dense-10 head). */
const NETWORKS = {
  lenet: {
    name: 'bench-lenet5',
    label: 'LeNet-5',
    layers: [
      { kind: 'conv', filters: 6, size: 5, padding: 'same' },
      { kind: 'pool' },
      { kind: 'conv', filters: 16, size: 5, padding: 'valid' },
      { kind: 'pool' },
      { kind: 'flatten' },
      { kind: 'dense', units: 120 },
      { kind: 'dense', units: 84 },
    ] as LayerSpec[],
  },
  smallCnn: {
    name: 'bench-small-cnn',
    label: 'small-CNN',
    layers: [
      { kind: 'conv', filters: 32, size: 3, padding: 'valid' },
      { kind: 'conv', filters: 64, size: 3, padding: 'valid' },
      { kind: 'pool' },
      { kind: 'flatten' },
    ] as LayerSpec[],
  },
} as const;

type NetworkKey = keyof typeof NETWORKS;

function buildNetwork(layers: readonly LayerSpec[], context: BackboneBuildContext): tf.LayersModel {
  const input = tf.input({ shape: [...context.inputShape], name: `${context.namePrefix}input` });
  let current: tf.SymbolicTensor = input;
  layers.forEach((layer, index) => {
    const name = `${context.namePrefix}${layer.kind}${index}`;
    const kernelInitializer = tf.initializers.glorotUniform({ seed: deriveSeed(context.seed, name) });
    if (layer.kind === 'conv') {
      current = tf.layers
        .conv2d({ filters: layer.filters, kernelSize: layer.size, padding: layer.padding, activation: 'relu', kernelInitializer, name })
        .apply(current) as tf.SymbolicTensor;
    } else if (layer.kind === 'pool') {
      current = tf.layers.maxPooling2d({ poolSize: 2, name }).apply(current) as tf.SymbolicTensor;
    } else if (layer.kind === 'flatten') {
      current = tf.layers.flatten({ name }).apply(current) as tf.SymbolicTensor;
    } else {
      current = tf.layers.dense({ units: layer.units, activation: 'relu', kernelInitializer, name }).apply(current) as tf.SymbolicTensor;
    }
  });
  return tf.model({ inputs: input, outputs: current, name: `${context.namePrefix}net` });
}

/**
 * Multiply-adds ×2 of one training sample as a direct convolution computes them: forward, weight
 * gradient, input gradient (not for the first layer). The usual "effective" count: layers that run
 * as Winograd's F(2 × 2, 3 × 3) on wasm (small-CNN's second layer) do 16 multiply-adds where this
 * counts 36, so GFLOP/s derived from it can exceed the arithmetic the machine performed.
 */
export function trainingFlopsPerSample(layers: readonly LayerSpec[]): number {
  let [height, width, channels] = INPUT;
  let features = 0;
  const layerFlops: number[] = [];
  for (const layer of layers) {
    if (layer.kind === 'conv') {
      if (layer.padding === 'valid') {
        height -= layer.size - 1;
        width -= layer.size - 1;
      }
      layerFlops.push(2 * height * width * layer.filters * layer.size * layer.size * channels);
      channels = layer.filters;
    } else if (layer.kind === 'pool') {
      height = Math.floor(height / 2);
      width = Math.floor(width / 2);
    } else if (layer.kind === 'flatten') {
      features = height * width * channels;
    } else {
      layerFlops.push(2 * features * layer.units);
      features = layer.units;
    }
  }
  layerFlops.push(2 * features * CLASSES); // core's head
  return layerFlops.reduce((sum, flops, index) => sum + flops * (index === 0 ? 2 : 3), 0);
}

function networkBackbone(key: NetworkKey) {
  return defineBackbone({
    name: NETWORKS[key].name,
    description: `bench: ${NETWORKS[key].label}`,
    configSchema: z.object({}).strict(),
    build: (_options, context) => buildNetwork(NETWORKS[key].layers, context),
  });
}

const backbones = { lenet: networkBackbone('lenet'), smallCnn: networkBackbone('smallCnn') };

/** Times and losses stamped by the step timer, and when it stops the run. */
interface StepRecord {
  /** Steps timed once the warm-up is over. */
  readonly steps: number;
  /** The warm-up lasts at least this many steps and this many milliseconds (from the end of the first step). */
  readonly warmUpSteps: number;
  readonly warmUpMs: number;
  /** Index of the stamp the timed window starts at, once the warm-up is over. */
  measureFrom: number | undefined;
  readonly times: number[];
  readonly losses: number[];
  /** Whether the timer recomputes and reads each step's task loss (the loss check); timed runs do not. */
  readonly recordLosses: boolean;
}

class StopRun extends Error {}

const records = new Map<string, StepRecord>();

/** A bench-only training step: stamps each step's forward pass, records its task loss, stops the run. */
const stepTimer = definePlugin({
  name: 'bench-step-timer',
  kind: 'parameter',
  role: 'training',
  description: 'bench: stamps the time and task loss of every training step',
  needs: { problems: ['classification'], targetLabels: 'never', acceptsSampleWeights: false },
  configSchema: z.object({ id: z.string() }).strict(),
  create: (options) => ({
    doCreateHooks(): TrainingHooks {
      return {
        name: 'timer',
        loss(batch, outputs) {
          const record = records.get(options.id)!;
          if (record.recordLosses) {
            record.losses.push(
              tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(batch.source.y, CLASSES), outputs.source.logits).dataSync()[0]),
            );
          }
          const now = performance.now();
          record.times.push(now);
          const stamp = record.times.length - 1;
          // Milliseconds count from the second stamp (the end of the first step, where the loops are compiled).
          const warmUpStart = record.times[Math.min(1, record.warmUpSteps)]!;
          if (record.measureFrom === undefined && stamp >= record.warmUpSteps && now - warmUpStart >= record.warmUpMs) {
            record.measureFrom = stamp;
          }
          if (record.measureFrom !== undefined && stamp >= record.measureFrom + record.steps) throw new StopRun();
          return undefined;
        },
      };
    },
  }),
});

function syntheticImages(count: number, seed: number) {
  const rng = createRng(seed);
  const size = INPUT[0] * INPUT[1] * INPUT[2];
  const X = new Matrix(count, size);
  for (let index = 0; index < X.data.length; index++) X.data[index] = rng.float();
  return { X, y: Array.from({ length: count }, (_, index) => index % CLASSES), shape: INPUT };
}

/** How long a timed run warms up before its window, and how many steps the window holds. */
interface TimingPlan {
  readonly steps: number;
  /** At least this many whole steps before the window (default 0). */
  readonly warmUpSteps?: number;
  /** And at least this many seconds from the end of the first step (default 0). */
  readonly warmUpSeconds?: number;
}

/** Batches in a timed run's synthetic data; the run goes over it epoch after epoch until the timer stops it. */
const DATA_BATCHES = 24;

/** What a timed run gives back. */
interface TimedRun {
  readonly samplesPerSec: number;
  readonly samplesPerSecFromSecondStep: number;
  /** Steps before the timed window (its first stamp's index). */
  readonly warmUpSteps: number;
  readonly losses: number[];
}

/**
 * Trains `batch`-sample steps on the active backend until the timer has `steps` steps after the
 * warm-up; returns samples/s over those steps (`samplesPerSec`) and over the window this bench
 * used until 2026-11-23, the `steps` steps after the first (`samplesPerSecFromSecondStep`; the
 * same as `samplesPerSec` for a run without a warm-up).
 *
 * The time stamps fall in each step's forward pass, so a warm-up of one step leaves the whole first
 * step out, backward pass included: on wasm that one assembles tlkit's per-shape WebAssembly loops
 * and runs them once in V8's baseline tier (small-CNN: 1.0–1.5 s against 0.3–0.6 s for a later
 * step). V8 keeps compiling for about a second after that (the JavaScript of tfjs's engine and
 * layers, and hot WebAssembly functions, on background threads; per-step times in
 * docs/backends.md, "Sixth pass"): a warm-up of 1.5 s after the first step leaves that out too, as
 * a training run of minutes does.
 */
async function timeTraining(network: NetworkKey, batch: number, plan: TimingPlan, recordLosses = false): Promise<TimedRun> {
  registerBackbone(backbones[network]);
  const id = `${network}-${tf.getBackend()}-${batch}-${plan.steps}-${Math.random()}`;
  const record: StepRecord = {
    steps: plan.steps,
    warmUpSteps: plan.warmUpSteps ?? 0,
    warmUpMs: 1000 * (plan.warmUpSeconds ?? 0),
    measureFrom: undefined,
    times: [],
    losses: [],
    recordLosses,
  };
  records.set(id, record);
  // Every class present (the head's width comes from the labels), even for a tiny cpu run.
  const source = syntheticImages(Math.max(batch * DATA_BATCHES, CLASSES), 11);
  const task = { source, target: { X: source.X, shape: INPUT }, problem: 'classification' as const };
  // Epochs enough for any warm-up: the timer ends the run.
  const pipeline = compose(stepTimer.create({ id }), trainer({ backbone: { use: NETWORKS[network].name }, epochs: 100_000, batchSize: batch }));
  tf.engine().startScope();
  try {
    await pipeline.fit(task, { seed: 5 });
  } catch (error) {
    // The timer stops the run once it has its stamps; anything else is a real failure.
    let cause: unknown = error;
    while (cause && !(cause instanceof StopRun)) cause = (cause as { cause?: unknown }).cause;
    if (!cause) throw error;
  } finally {
    tf.engine().endScope();
    records.delete(id);
  }
  const { times, measureFrom: from } = record;
  if (from === undefined || times.length <= from + plan.steps) {
    throw new Error(`bench: the ${network} run on ${tf.getBackend()} ended after ${times.length} steps, before its timed window`);
  }
  const perSecond = (first: number) => (batch * plan.steps) / ((times[first + plan.steps]! - times[first]!) / 1000);
  const samplesPerSec = perSecond(from);
  return { samplesPerSec, samplesPerSecFromSecondStep: from >= 1 ? perSecond(1) : samplesPerSec, warmUpSteps: from, losses: record.losses };
}

function largestRelativeDifference(a: readonly number[], b: readonly number[]): number {
  let worst = 0;
  for (let index = 0; index < Math.min(a.length, b.length); index++) {
    worst = Math.max(worst, Math.abs(a[index] - b[index]) / Math.max(Math.abs(b[index]), 1e-12));
  }
  return worst;
}

export async function benchTrain(context: BenchContext): Promise<BenchFigures> {
  const quick = context.quick;
  const blas = blasGflops(1024, quick ? 2 : 5).gflops;
  const cores = availableParallelism();
  const figures: Record<string, unknown> = {};
  let cpuSeconds = 0;
  context.log(
    `training throughput, core's loop (trainer, Adam), batch ${BATCH}${quick ? ', quick' : ''}; load average ${loadavg()[0].toFixed(1)} on ${cores} cores`,
  );
  for (const network of Object.keys(NETWORKS) as NetworkKey[]) {
    const { label, layers } = NETWORKS[network];
    const flops = trainingFlopsPerSample(layers);
    const plan: TimingPlan = { steps: network === 'lenet' ? (quick ? 6 : 60) : quick ? 3 : 15, warmUpSteps: 1, warmUpSeconds: quick ? 0 : WARM_UP_SECONDS };

    const byThreads = new Map<number, TimedRun>();
    for (const threads of [1, cores]) {
      if (byThreads.has(threads)) continue;
      await setupNodeBackend({ backend: 'wasm', threads, log: false });
      byThreads.set(threads, await timeTraining(network, BATCH, plan));
    }
    const defaultInfo = await setupNodeBackend({ backend: 'wasm', log: false });
    const defaultRun = byThreads.get(defaultInfo.threads) ?? (await timeTraining(network, BATCH, plan));
    const wasm = defaultRun.samplesPerSec;

    await setupBackend({ backend: 'cpu', log: false });
    // Stock cpu's convolution gradients cost the same per sample at any batch size (scalar loops
    // over batch × pixels; measured 4.4 LeNet-5 samples per CPU second at batch 16 and 64, 0.2
    // small-CNN samples at batch 1 and 2), so it runs small batches: the whole stock-cpu part of
    // the bench (with gemm's) stays within about a minute even on a loaded machine.
    const cpuBatch = CPU_BATCH[network];
    const cpuSteps = 1;
    const cpuStarted = performance.now();
    const cpu = await timeTraining(network, cpuBatch, { steps: cpuSteps }, true);
    cpuSeconds += (performance.now() - cpuStarted) / 1000;
    // The cpu run's losses against a wasm run on the same batches (same seed, same data).
    await setupNodeBackend({ backend: 'wasm', log: false });
    const wasmSameBatches = await timeTraining(network, cpuBatch, { steps: cpuSteps }, true);
    const lossCheck = largestRelativeDifference(wasmSameBatches.losses, cpu.losses);

    const gflopsOf = (samplesPerSec: number) => (samplesPerSec * flops) / 1e9;
    // { wasmThreads1: …, wasmThreads<cores>: … } of one figure of each thread count's run.
    const perThreads = <T>(figure: (run: TimedRun) => T) => Object.fromEntries([...byThreads].map(([threads, run]) => [`wasmThreads${threads}`, figure(run)]));
    const threadKeys = perThreads((run) => run.samplesPerSec);
    const threadKeysFromSecondStep = perThreads((run) => run.samplesPerSecFromSecondStep);
    context.log(
      `  ${label.padEnd(9)} wasm ${wasm.toFixed(0).padStart(6)} samples/s (default, ${defaultInfo.threads} thread${defaultInfo.threads > 1 ? 's' : ''})  ` +
        [...byThreads].map(([threads, run]) => `${threads} thread${threads > 1 ? 's' : ''} ${run.samplesPerSec.toFixed(0)}`).join('  ') +
        `  cpu ${cpu.samplesPerSec.toFixed(2)}${cpuBatch !== BATCH ? ` (batch ${cpuBatch})` : ''}`,
    );
    context.log(
      `  ${''.padEnd(9)} timed over ${plan.steps} steps after a warm-up of ${[...byThreads].map(([, run]) => run.warmUpSteps).join(' / ')} steps; ` +
        `from the second step on: ${[...byThreads].map(([, run]) => run.samplesPerSecFromSecondStep.toFixed(0)).join(' / ')} samples/s`,
    );
    context.log(
      `  ${''.padEnd(9)} ${(flops / 1e6).toFixed(2)} MFLOP/sample (direct count) → ${gflopsOf(wasm).toFixed(1)} GFLOP/s` +
        `${blas ? ` = ${((100 * gflopsOf(wasm)) / blas).toFixed(1)} % of BLAS (${blas.toFixed(0)} GFLOP/s)` : ''}; cpu/wasm loss difference ${lossCheck.toExponential(1)}`,
    );
    figures[network] = {
      samplesPerSec: { wasm, cpu: cpu.samplesPerSec, ...threadKeys },
      samplesPerSecFromSecondStep: { wasm: defaultRun.samplesPerSecFromSecondStep, ...threadKeysFromSecondStep },
      warmUp: { seconds: plan.warmUpSeconds, steps: { wasm: defaultRun.warmUpSteps, ...perThreads((run) => run.warmUpSteps) }, timedSteps: plan.steps },
      wasmThreads: defaultInfo.threads,
      cpuBatch,
      mflopPerSample: flops / 1e6,
      gflops: { wasm: gflopsOf(wasm), ...perThreads((run) => gflopsOf(run.samplesPerSec)) },
      fractionOfBlas: blas
        ? { wasm: gflopsOf(wasm) / blas, ...perThreads((run) => gflopsOf(run.samplesPerSec) / blas) }
        : null,
      lossCheck,
    };
  }
  await setupNodeBackend({ backend: 'wasm', log: false });
  context.log(`  stock cpu runs took ${cpuSeconds.toFixed(1)} s; load average now ${loadavg()[0].toFixed(1)}`);
  return { ...figures, blasGflops: blas, cpuSeconds, loadAverage: loadavg()[0] };
}
