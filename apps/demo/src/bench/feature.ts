/**
 * Bench section: the shallow feature-based strategies of @tlkit/feature.
 *
 * - TCA (defaults: linear kernel, dim 30, μ = 1) fit + transform of the target on Office-Caltech10
 *   SURF C→A (1123 + 958 = 2081 samples x 800 features, standard preprocessing), then 1-NN;
 * - JDA (T = 10 rounds, 1-NN pseudo-labels) on the same pair;
 * - exact RBF TCA (γ = 1) on the same pair, PCA and CORAL for reference;
 * - Nyström RBF TCA (γ = 1, `landmarks` landmarks, dim 30) on 50,000 synthetic samples
 *   (covariate shift, 20 features, 25,000 per domain): fit, then transform of the 25,000 target rows.
 *
 * `quick` uses the small pair D→W (157 + 295 samples) and 5,000 synthetic samples. Timings are the
 * best of a few runs (one for the long ones), single-threaded float64.
 */
import { compose, createRng, knn, type Matrix, type StepContext, type Strategy } from '@tlkit/core';
import { covariateShift, preprocess } from '@tlkit/datasets';
import { loadShippedDataset } from '@tlkit/datasets/node';
import { coral, jda, pca, tca } from '@tlkit/feature';
import type { BenchContext, BenchFigures, BenchSection } from './types';

/** Landmarks of the low-rank TCA, here and in the Office comparison (configs/full/feature-tca-lowrank.json). */
const LANDMARKS = 1000;

function context(seed: number): StepContext {
  return {
    seed,
    rng: createRng(seed),
    problem: 'classification',
    numClasses: 10,
    progress: () => {},
    throwIfAborted: () => {},
    storage: undefined as never,
  };
}

/** Seconds of CPU time (user + system) this process has used: the wall time of an idle machine. */
function cpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/** Best wall-clock and best CPU seconds of `repeats` runs. */
async function timed<T>(action: () => Promise<T>, repeats: number): Promise<{ seconds: number; cpu: number; value: T }> {
  let best = Number.POSITIVE_INFINITY;
  let bestCpu = Number.POSITIVE_INFINITY;
  let value: T | undefined;
  for (let run = 0; run < repeats; run++) {
    const start = performance.now();
    const startCpu = cpuSeconds();
    value = await action();
    best = Math.min(best, (performance.now() - start) / 1000);
    bestCpu = Math.min(bestCpu, cpuSeconds() - startCpu);
  }
  return { seconds: best, cpu: bestCpu, value: value as T };
}

const show = (run: { seconds: number; cpu: number }) => `${run.seconds.toFixed(2)} s (cpu ${run.cpu.toFixed(2)} s)`;

function accuracy(predicted: ArrayLike<number>, truth: ArrayLike<number>): number {
  let correct = 0;
  for (let i = 0; i < truth.length; i++) if (predicted[i] === truth[i]) correct++;
  return (100 * correct) / truth.length;
}

export const benchFeature: BenchSection = async (bench: BenchContext): Promise<BenchFigures> => {
  const quick = bench.quick;
  const [sourceName, targetName] = quick ? ['dslr', 'webcam'] : ['caltech', 'amazon'];
  const office = await loadShippedDataset('office_caltech10_surf', { domains: [sourceName, targetName] });
  const [source, target] = preprocess('office_caltech10_surf', [office.domains[sourceName], office.domains[targetName]], 'standard');
  const pair = `${sourceName[0].toUpperCase()}→${targetName[0].toUpperCase()}`;
  const input = { source: { X: source.X, y: source.y as Int32Array }, target: { X: target.X } };
  const task = { source: { X: source.X, y: source.y }, target: { X: target.X }, problem: 'classification' as const };
  bench.log(`feature (float64, single thread; ${pair}: ${source.X.rows} + ${target.X.rows} samples x ${source.X.cols} features${quick ? ', quick sizes' : ''})`);

  // Fit + out-of-sample transform of the target, as a user calls them.
  const fitAndTransform = async (strategy: Strategy) => {
    if (strategy.role !== 'mapping') throw new Error('a mapping step is expected');
    const mapping = await strategy.doFit(input, context(0));
    return mapping.transform(target.X, 'target');
  };
  const tcaRun = await timed(() => fitAndTransform(tca()), quick ? 1 : 3);
  const tcaAccuracy = accuracy((await compose(tca(), knn({ k: 1 })).fit(task, { seed: 0 })).predict(target.X), target.y);
  bench.log(`  TCA linear, dim 30, fit + transform   ${show(tcaRun)}   (+ 1-NN: ${tcaAccuracy.toFixed(2)} %)`);

  const jdaRun = await timed(async () => (await compose(jda({ iterations: 10 }), knn({ k: 1 })).fit(task, { seed: 0 })).predict(target.X), quick ? 1 : 2);
  bench.log(`  JDA linear, T = 10 (+ 1-NN)           ${show(jdaRun)}   (${accuracy(jdaRun.value, target.y).toFixed(2)} %)`);

  const rbfRun = await timed(() => fitAndTransform(tca({ kernel: 'rbf', gamma: 1 })), 1);
  bench.log(`  TCA RBF exact, fit + transform        ${show(rbfRun)}`);
  const pcaRun = await timed(() => fitAndTransform(pca()), quick ? 1 : 2);
  bench.log(`  PCA dim 30, fit + transform           ${show(pcaRun)}`);
  const coralRun = await timed(async () => {
    const mapping = await coral().doFit(input, context(0));
    return mapping.transform(source.X, 'source') as Matrix;
  }, 1);
  bench.log(`  CORAL λ = 1, fit + transform source   ${show(coralRun)}`);

  const size = quick ? 5000 : 50000;
  const synthetic = covariateShift({ nSource: size / 2, nTarget: size / 2, nTest: 10, dim: 20, seed: 0 });
  const landmarks = quick ? 200 : LANDMARKS;
  const step = tca({ kernel: 'rbf', gamma: 1, approximation: 'nystrom', landmarks });
  if (step.role !== 'mapping') throw new Error('tca is a mapping');
  const fitStart = performance.now();
  const fitStartCpu = cpuSeconds();
  const lowRank = await step.doFit(
    { source: { X: synthetic.source.X, y: Int32Array.from(synthetic.source.y as ArrayLike<number>) }, target: { X: synthetic.target.X } },
    { ...context(0), numClasses: 2 },
  );
  const fitSeconds = (performance.now() - fitStart) / 1000;
  const fitCpu = cpuSeconds() - fitStartCpu;
  const transformStart = performance.now();
  lowRank.transform(synthetic.target.X, 'target');
  const transformSeconds = (performance.now() - transformStart) / 1000;
  bench.log(
    `  TCA RBF Nyström, n = ${size}, ${landmarks} landmarks: fit ${fitSeconds.toFixed(2)} s (cpu ${fitCpu.toFixed(2)} s), transform ${size / 2} rows ${transformSeconds.toFixed(2)} s (${String(lowRank.info?.method)})`,
  );

  return {
    pair,
    note: 'seconds are wall-clock; cpuSeconds the process CPU time (equal to wall time on an idle machine)',
    tcaLinearFitTransformSeconds: tcaRun.seconds,
    tcaLinearFitTransformCpuSeconds: tcaRun.cpu,
    tcaLinearOneNnAccuracy: tcaAccuracy,
    jdaTenRoundsSeconds: jdaRun.seconds,
    jdaTenRoundsCpuSeconds: jdaRun.cpu,
    jdaOneNnAccuracy: accuracy(jdaRun.value, target.y),
    tcaRbfExactFitTransformSeconds: rbfRun.seconds,
    tcaRbfExactFitTransformCpuSeconds: rbfRun.cpu,
    pcaFitTransformSeconds: pcaRun.seconds,
    pcaFitTransformCpuSeconds: pcaRun.cpu,
    coralFitTransformSeconds: coralRun.seconds,
    coralFitTransformCpuSeconds: coralRun.cpu,
    nystrom: { samples: size, landmarks, fitSeconds, fitCpuSeconds: fitCpu, transformSeconds, method: String(lowRank.info?.method) },
  };
};
