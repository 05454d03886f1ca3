/**
 * Bench section: training throughput of @tlkit/models' backbones with a 10-class head, through
 * core's `trainer` (Adam, softmax cross-entropy), per tfjs backend:
 *
 * - `lenet` (LeNet-5, LeCun et al. 1998) on 28×28×1, batch 64;
 * - `resnet18` small (He et al. 2016; `width` 16, `stem: 'cifar'` — 3×3/1 stem, no max-pool:
 *   16-32-64-128 channels) on 28×28×1 and on 16×16×1, batch 32.
 *
 * Inputs are seeded uniform noise with labels i mod 10 (throughput does not depend on the pixel
 * values). Timing uses only the public API: two fits of the same pipeline, one with 1 batch and one
 * with k + 1 batches (one epoch each); samples/s = batch · k / (t(k + 1) − t(1)), so model
 * building, set-up and the first (warm-up) step cancel out.
 *
 * Backends: `wasm` — tlkit's default Node set-up (`setupNodeBackend`, threads on the idle cores);
 * `cpu` — tfjs's stock cpu backend, whose convolution gradients are scalar loops. cpu runs only when
 * it fits the budget (20 s per network): a 1-step batch-2 probe must finish within it, and networks
 * after LeNet are estimated first from LeNet's cpu cost per FLOP; otherwise the figure is `null`
 * with the reason.
 *
 * FLOP/sample counts the multiply-adds ×2 of convolutions and dense layers (head included) for
 * forward, weight gradient and input gradient (no input gradient for the first layer); batch
 * normalisation, pooling, activations and the optimiser are not counted. `--quick` runs fewer steps.
 */
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { type BackboneConfig, compose, createRng, Matrix, registerBackbone, setupBackend, trainer } from '@tlkit/core';
import { setupNodeBackend } from '@tlkit/core/node';
import { modelBackbones } from '@tlkit/models';
import type { BenchContext, BenchFigures, BenchSection } from './types';

const CLASSES = 10;
const CPU_BUDGET_SECONDS = 20;
const CPU_BATCH = 2;

interface NetworkSpec {
  readonly key: string;
  readonly label: string;
  readonly backbone: BackboneConfig;
  readonly side: number;
  readonly batch: number;
  readonly steps: number;
  readonly quickSteps: number;
}

const NETWORKS: readonly NetworkSpec[] = [
  { key: 'lenet28', label: 'lenet 28×28', backbone: { use: 'lenet' }, side: 28, batch: 64, steps: 20, quickSteps: 3 },
  { key: 'resnet18w16_28', label: 'resnet18 w16 28×28', backbone: { use: 'resnet18', width: 16, stem: 'cifar' }, side: 28, batch: 32, steps: 6, quickSteps: 1 },
  { key: 'resnet18w16_16', label: 'resnet18 w16 16×16', backbone: { use: 'resnet18', width: 16, stem: 'cifar' }, side: 16, batch: 32, steps: 8, quickSteps: 1 },
];

/** Training FLOPs of one sample: backbone convolutions and dense layers plus the 10-class head. */
function trainingFlopsPerSample(spec: NetworkSpec): number {
  const definition = modelBackbones.find((backbone) => backbone.name === spec.backbone.use)!;
  const { use: _use, ...options } = spec.backbone;
  const model = definition.build(definition.configSchema.parse(options) as never, { inputShape: [spec.side, spec.side, 1], seed: 0, namePrefix: 'flops_' });
  const layerFlops: number[] = [];
  for (const layer of model.layers) {
    const kernel = layer.getWeights()[0];
    if (layer.getClassName() === 'Conv2D') {
      const [, height, width] = layer.outputShape as number[];
      layerFlops.push(2 * height * width * kernel.size);
    } else if (layer.getClassName() === 'Dense') {
      layerFlops.push(2 * kernel.size);
    }
  }
  layerFlops.push(2 * (model.outputs[0].shape[1] as number) * CLASSES);
  model.dispose();
  return layerFlops.reduce((sum, flops, index) => sum + flops * (index === 0 ? 2 : 3), 0);
}

function syntheticTask(side: number, count: number) {
  const rng = createRng(11);
  const X = new Matrix(count, side * side);
  for (let index = 0; index < X.data.length; index++) X.data[index] = rng.float();
  const shape = [side, side, 1] as const;
  return { source: { X, y: Array.from({ length: count }, (_, index) => index % CLASSES), shape }, target: { X, shape }, problem: 'classification' as const };
}

/** Wall-clock seconds of one epoch of `steps` batches (model building and set-up included). */
async function fitSeconds(spec: NetworkSpec, batch: number, steps: number): Promise<number> {
  const task = syntheticTask(spec.side, batch * steps);
  const pipeline = compose(trainer({ backbone: spec.backbone, epochs: 1, batchSize: batch }));
  const started = performance.now();
  const fitted = await pipeline.fit(task, { seed: 5 });
  const seconds = (performance.now() - started) / 1000;
  fitted.dispose();
  return seconds;
}

/** Samples/s of steps 2..k+1: the difference of a (k+1)-step and a 1-step fit. */
async function samplesPerSecond(spec: NetworkSpec, batch: number, steps: number): Promise<{ samplesPerSec: number; oneStepSeconds: number }> {
  const oneStepSeconds = await fitSeconds(spec, batch, 1);
  const manySeconds = await fitSeconds(spec, batch, steps + 1);
  return { samplesPerSec: (batch * steps) / Math.max(manySeconds - oneStepSeconds, 1e-9), oneStepSeconds };
}

export const benchModels: BenchSection = async (context: BenchContext): Promise<BenchFigures> => {
  registerBackbone(modelBackbones);
  const figures: Record<string, unknown> = {};
  const wasmInfo = await setupNodeBackend({ backend: 'wasm', log: false });
  context.log(
    `@tlkit/models backbones + 10-class head, core's trainer (Adam)${context.quick ? ', quick' : ''}; wasm on ${wasmInfo.threads} thread(s); load average ${loadavg()[0].toFixed(1)}`,
  );
  const wasm: Record<string, number> = {};
  for (const spec of NETWORKS) {
    const steps = context.quick ? spec.quickSteps : spec.steps;
    wasm[spec.key] = (await samplesPerSecond(spec, spec.batch, steps)).samplesPerSec;
  }

  await setupBackend({ backend: 'cpu', log: false });
  const cpu: Record<string, number | null> = {};
  const cpuSkipped: Record<string, string> = {};
  let cpuSecondsPerFlop: number | null = null;
  for (const spec of NETWORKS) {
    const flops = trainingFlopsPerSample(spec);
    // Two fits of 1 and 2 steps at batch 2 (≈ 3 steps): estimate before running anything big.
    const estimate = cpuSecondsPerFlop === null ? null : 3 * CPU_BATCH * flops * cpuSecondsPerFlop;
    if (estimate !== null && estimate > CPU_BUDGET_SECONDS) {
      cpu[spec.key] = null;
      cpuSkipped[spec.key] = `estimated ${estimate.toFixed(0)} s on stock cpu (from LeNet's cpu cost per FLOP) > ${CPU_BUDGET_SECONDS} s budget`;
      continue;
    }
    const probe = await fitSeconds(spec, CPU_BATCH, 1);
    if (probe > CPU_BUDGET_SECONDS / 2) {
      cpu[spec.key] = null;
      cpuSkipped[spec.key] = `a 1-step batch-${CPU_BATCH} fit took ${probe.toFixed(1)} s on stock cpu`;
      continue;
    }
    const measured = await samplesPerSecond(spec, CPU_BATCH, 1);
    cpu[spec.key] = measured.samplesPerSec;
    cpuSecondsPerFlop ??= 1 / (measured.samplesPerSec * flops);
  }
  await setupNodeBackend({ backend: 'wasm', log: false });

  for (const spec of NETWORKS) {
    const flops = trainingFlopsPerSample(spec);
    const cpuText = cpu[spec.key] === null ? `cpu skipped (${cpuSkipped[spec.key]})` : `cpu ${cpu[spec.key]!.toFixed(2)} (batch ${CPU_BATCH})`;
    context.log(
      `  ${spec.label.padEnd(19)} wasm ${wasm[spec.key].toFixed(1).padStart(7)} samples/s (batch ${spec.batch}) = ${((wasm[spec.key] * flops) / 1e9).toFixed(1)} GFLOP/s at ${(flops / 1e6).toFixed(1)} MFLOP/sample;  ${cpuText}`,
    );
    figures[spec.key] = {
      backbone: spec.backbone,
      inputShape: [spec.side, spec.side, 1],
      batch: spec.batch,
      mflopPerSample: flops / 1e6,
      samplesPerSec: { wasm: wasm[spec.key], cpu: cpu[spec.key] },
      gflops: { wasm: (wasm[spec.key] * flops) / 1e9, cpu: cpu[spec.key] === null ? null : (cpu[spec.key]! * flops) / 1e9 },
      ...(cpuSkipped[spec.key] ? { cpuSkipped: cpuSkipped[spec.key] } : {}),
    };
  }
  return { ...figures, wasmThreads: wasmInfo.threads, loadAverage: loadavg()[0] };
};
