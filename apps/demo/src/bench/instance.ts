/**
 * Bench section: kernel mean matching (@tlkit/instance).
 *
 * - Exact KMM at the fixture's tolerance: first the 200 + 200 rows of
 *   packages/core/test/fixtures/office_C_to_A.json (largest relative weight error against the
 *   fixture, both γ settings), then the whole caltech → amazon pair (n_s + n_t = 2081, d = 800,
 *   standard preprocessing, median-heuristic γ, default B and ε). Target: under 10 s.
 * - Nyström KMM (`landmarks: 500`, solver tolerance 1e-4) on a synthetic covariate shift with n_s = n_t = 25,000
 *   (`covariateShift({ dim: 4, sourceStd: 0.6, targetStd: 0.4 })` of @tlkit/datasets, seed 1).
 *   Target: under 60 s.
 * - Exact against Nyström KMM on the first 5,000 source and 5,000 target rows of that task, each
 *   followed by logistic regression, scored on 5,000 independent target-test rows: the two
 *   accuracies must be within 1 point.
 *
 * `quick` shrinks the synthetic sizes (CI smoke test of the bench itself).
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { accuracy, compose, logisticRegression, type StepReport, type TransferTask } from '@tlkit/core';
import { covariateShift, preprocess, selectDomainRows } from '@tlkit/datasets';
import { loadShippedDataset } from '@tlkit/datasets/node';
import { kmm, type KmmOptions } from '@tlkit/instance';
import type { BenchContext, BenchFigures, BenchSection } from './types';

interface KmmRun {
  /** Wall seconds of the KMM step (as the pipeline reports it). */
  readonly seconds: number;
  /** CPU seconds of the whole fit (KMM + the estimator; the estimator is one iteration unless scoring). */
  readonly cpuSeconds: number;
  readonly info: Record<string, number | string | boolean>;
  readonly weights: Float64Array;
  readonly accuracy?: number;
}

/** KMM followed by logistic regression (which consumes the weights); returns the KMM step's figures. */
async function runKmm(task: TransferTask, options: KmmOptions, scoreOn?: { X: TransferTask['source']['X']; y: ArrayLike<number> }): Promise<KmmRun> {
  const cpuBefore = process.cpuUsage();
  const fitted = await compose(kmm(options), logisticRegression({ maxIterations: scoreOn ? 1000 : 1 })).fit(task, { seed: 0 });
  const cpu = process.cpuUsage(cpuBefore);
  const report = fitted.reports[0] as StepReport;
  const run: KmmRun = {
    seconds: report.seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    info: report.info as Record<string, number | string | boolean>,
    weights: fitted.sourceWeights ?? new Float64Array(0),
    ...(scoreOn ? { accuracy: accuracy(scoreOn.y, fitted.predict(scoreOn.X)) } : {}),
  };
  fitted.dispose();
  return run;
}

function fixturePath(): string {
  return fileURLToPath(new URL('../../../../packages/core/test/fixtures/office_C_to_A.json', import.meta.url));
}

async function officeFigures(context: BenchContext): Promise<BenchFigures> {
  const office = await loadShippedDataset('office_caltech10_surf', { domains: ['caltech', 'amazon'] });
  const [caltech, amazon] = preprocess('office_caltech10_surf', [office.domains.caltech, office.domains.amazon], 'standard');
  const fixture = JSON.parse(readFileSync(fixturePath(), 'utf8')).kmm as {
    source_rows: number[];
    target_rows: number[];
    gamma_1_over_d: { gamma: number; first10_weights: number[]; objective: number };
    gamma_median: { first10_weights: number[]; objective: number };
  };
  const subsample: TransferTask = {
    source: { X: selectDomainRows(caltech, fixture.source_rows).X, y: selectDomainRows(caltech, fixture.source_rows).y },
    target: { X: selectDomainRows(amazon, fixture.target_rows).X },
    problem: 'classification',
    numClasses: 10,
  };
  const figures: BenchFigures = {};
  for (const [label, gamma, block] of [
    ['fixtureGammaOneOverD', fixture.gamma_1_over_d.gamma, fixture.gamma_1_over_d],
    ['fixtureGammaMedian', 'median', fixture.gamma_median],
  ] as const) {
    const run = await runKmm(subsample, { gamma });
    const relativeError = Math.max(...block.first10_weights.map((expected, i) => Math.abs(run.weights[i] - expected) / expected));
    const objectiveError = Math.abs((run.info.objective as number) - block.objective) / Math.abs(block.objective);
    context.log(
      `KMM C→A fixture rows (200 + 200), γ ${gamma === 'median' ? 'median' : '1/d'}: ${run.seconds.toFixed(3)} s, ${run.info.iterations} products, max rel. weight error ${relativeError.toExponential(2)}, rel. objective error ${objectiveError.toExponential(2)}`,
    );
    figures[label] = { seconds: run.seconds, iterations: run.info.iterations, maxRelativeWeightError: relativeError, relativeObjectiveError: objectiveError };
  }
  const full: TransferTask = { source: { X: caltech.X, y: caltech.y }, target: { X: amazon.X }, problem: 'classification', numClasses: 10 };
  const run = await runKmm(full, {});
  context.log(
    `KMM C→A full pair (1123 + 958, d = 800): ${run.seconds.toFixed(2)} s wall, ${run.cpuSeconds.toFixed(2)} s CPU (kernel ${(run.info.kernelSeconds as number).toFixed(2)} s, solver ${(run.info.solverSeconds as number).toFixed(2)} s, ${run.info.iterations} products), KKT residual ${(run.info.kktResidual as number).toExponential(2)}, ESS ${(run.info.effectiveSampleSize as number).toFixed(0)}`,
  );
  figures.fullPair = {
    seconds: run.seconds,
    cpuSeconds: run.cpuSeconds,
    kernelSeconds: run.info.kernelSeconds,
    solverSeconds: run.info.solverSeconds,
    iterations: run.info.iterations,
    kktResidual: run.info.kktResidual,
    effectiveSampleSize: run.info.effectiveSampleSize,
    underTenSeconds: run.seconds < 10,
  };
  return figures;
}

async function syntheticFigures(context: BenchContext): Promise<BenchFigures> {
  const large = context.quick ? 4000 : 25000;
  const small = context.quick ? 1000 : 5000;
  const landmarks = context.quick ? 200 : 500;
  const data = covariateShift({ problem: 'classification', dim: 4, sourceStd: 0.6, targetStd: 0.4, nSource: large, nTarget: large, nTest: small, seed: 1 });
  const test = { X: data.targetTest.X, y: data.targetTest.y };
  const bigTask: TransferTask = { source: data.source, target: { X: data.target.X }, problem: 'classification', numClasses: 2 };
  // Solver tolerance 1e-4 (the default is 1e-6): on 4-dimensional data the RBF Gram matrix is
  // numerically low-rank, the QP nearly degenerate, and the last digits cost thousands of products
  // without changing the weights' MMD or the downstream accuracy. Exact and Nyström use the same.
  const tolerance = 1e-4;
  const nystrom = await runKmm(bigTask, { landmarks, tolerance });
  context.log(
    `KMM Nyström (${landmarks} landmarks, tolerance ${tolerance}), n_s = n_t = ${large}, d = 4: ${nystrom.seconds.toFixed(1)} s wall, ${nystrom.cpuSeconds.toFixed(1)} s CPU (kernel ${(nystrom.info.kernelSeconds as number).toFixed(1)} s, solver ${(nystrom.info.solverSeconds as number).toFixed(1)} s, ${nystrom.info.iterations} products), converged ${nystrom.info.converged}, KKT residual ${(nystrom.info.kktResidual as number).toExponential(2)}, objective ${(nystrom.info.objective as number).toPrecision(12)}`,
  );
  const rows = Array.from({ length: small }, (_, i) => i);
  const subTask: TransferTask = {
    source: { X: data.source.X.selectRows(rows), y: data.source.y.slice(0, small) },
    target: { X: data.target.X.selectRows(rows) },
    problem: 'classification',
    numClasses: 2,
  };
  const exact = await runKmm(subTask, { tolerance }, test);
  const approximate = await runKmm(subTask, { landmarks, tolerance }, test);
  const plain = await compose(logisticRegression()).fit(subTask, { seed: 0 });
  const plainAccuracy = accuracy(test.y, plain.predict(test.X));
  plain.dispose();
  const gap = 100 * Math.abs((exact.accuracy as number) - (approximate.accuracy as number));
  context.log(
    `n_s = n_t = ${small} (tolerance ${tolerance}): exact KMM ${exact.seconds.toFixed(1)} s wall, ${exact.cpuSeconds.toFixed(1)} s CPU, ${exact.info.iterations} products → logreg ${(100 * (exact.accuracy as number)).toFixed(2)} %; Nyström ${approximate.seconds.toFixed(1)} s wall, ${approximate.cpuSeconds.toFixed(1)} s CPU, ${approximate.info.iterations} products → ${(100 * (approximate.accuracy as number)).toFixed(2)} % (gap ${gap.toFixed(2)} points); logreg alone ${(100 * plainAccuracy).toFixed(2)} %`,
  );
  return {
    nystromLarge: { n: large, landmarks, tolerance, seconds: nystrom.seconds, cpuSeconds: nystrom.cpuSeconds, kernelSeconds: nystrom.info.kernelSeconds, solverSeconds: nystrom.info.solverSeconds, iterations: nystrom.info.iterations, converged: nystrom.info.converged, kktResidual: nystrom.info.kktResidual, objective: nystrom.info.objective, underSixtySeconds: nystrom.seconds < 60, underSixtyCpuSeconds: nystrom.cpuSeconds < 60 },
    subsample: {
      n: small,
      exactSeconds: exact.seconds,
      exactAccuracy: exact.accuracy,
      nystromSeconds: approximate.seconds,
      nystromAccuracy: approximate.accuracy,
      gapPoints: gap,
      withinOnePoint: gap <= 1,
      logregAloneAccuracy: plainAccuracy,
      exactIterations: exact.info.iterations,
      nystromIterations: approximate.info.iterations,
    },
  };
}

/** KMM timings: the Office fixture and full pair, and Nyström at 25,000 samples per domain. */
export const benchInstance: BenchSection = async (context) => {
  const loadBefore = loadavg();
  context.log(`load average before: ${loadBefore.map((value) => value.toFixed(2)).join(' ')} (wall times grow with the load; CPU seconds do not)`);
  const office = await officeFigures(context);
  const synthetic = await syntheticFigures(context);
  const loadAfter = loadavg();
  context.log(`load average after: ${loadAfter.map((value) => value.toFixed(2)).join(' ')}`);
  return { office, synthetic, loadAverage: { before: loadBefore, after: loadAfter } };
};
