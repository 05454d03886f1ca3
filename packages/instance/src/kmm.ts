/**
 * Kernel mean matching (KMM): source weights whose weighted kernel mean embedding matches the
 * target's.
 */
import { definePlugin, type JsonValue, Matrix, medianHeuristic, type StepContext, type StepFitInput, TlkitError, type WeightingResult } from '@tlkit/core';
import * as z from 'zod';
import { type BoxSumQp, type BoxSumQpSolution, solveBoxSumQp } from './internal/box-sum-qp';
import { type LowRankBoxSumQp, solveLowRankBoxSumQp } from './internal/low-rank-box-sum-qp';
import { rbfDomainKernels, symmetricMultiply } from './internal/kernel-blocks';
import { nystromMap } from './internal/nystrom';
import { effectiveSampleSize } from './internal/weights';

/** Options of the `'kmm'` plugin. */
export const kmmConfigSchema = z
  .object({
    /** B, the upper bound of every weight (0 ≤ βᵢ ≤ B). */
    B: z.number().positive().finite().default(1000),
    /** ε of the sum constraint |Σβ − ns| ≤ ns·ε; default (√ns − 1)/√ns. */
    epsilon: z.number().nonnegative().finite().optional(),
    /** γ of the RBF kernel exp(−γ‖x − y‖²), or 'median' (σ = median pooled distance, γ = 1/(2σ²)). */
    gamma: z.union([z.number().positive().finite(), z.literal('median')]).default('median'),
    /** The median heuristic is exact up to this many pooled rows, and uses a seeded subsample of this size above. */
    medianMaxRows: z.number().int().min(2).default(4000),
    /** Nyström landmark count m (drawn from the pooled rows); absent = the exact kernel matrix. */
    landmarks: z.number().int().positive().optional(),
    /** Stopping tolerance of the QP solver (gradient mapping, relative to ‖κ‖∞). */
    tolerance: z.number().positive().finite().default(1e-6),
    /** Most solver iterations (one kernel-matrix product each). */
    maxIterations: z.number().int().positive().default(10000),
  })
  .strict();

/**
 * Options of {@link kmm}:
 * - `B` — upper bound of every weight (default 1000);
 * - `epsilon` — ε, the allowed relative deviation of Σβ from ns (default (√ns − 1)/√ns);
 * - `gamma` — RBF γ, or `'median'` (default): σ = median pairwise distance of the pooled samples, γ = 1/(2σ²);
 * - `medianMaxRows` — exact median up to this many pooled rows, a seeded subsample above (default 4000);
 * - `landmarks` — m, switches to the Nyström approximation with m landmarks (default: exact);
 * - `tolerance` — solver tolerance (default 1e-6, enough to reproduce the reference weights of
 *   the C→A fixture to 3e-5 relative or better); `maxIterations` (default 10000). Low-dimensional data make the QP nearly
 *   degenerate (the RBF Gram matrix is numerically low-rank) and slow to converge to a tight
 *   tolerance; 1e-4 gives the same MMD and downstream results there at a fraction of the cost.
 */
export type KmmOptions = z.input<typeof kmmConfigSchema>;
type KmmConfig = z.output<typeof kmmConfigSchema>;

/** KMM's QP data: the quadratic operator, κ, and what the biased weighted MMD² needs. */
interface KmmProblem {
  readonly qp: BoxSumQp;
  /** The same QP as low rank + diagonal (Nyström), solved by the low-rank solver. */
  readonly lowRank?: LowRankBoxSumQp;
  readonly kappa: Float64Array;
  readonly gamma: number;
  readonly sigma: number;
  readonly medianSubsampled: boolean;
  /**
   * The biased MMD² between the β-weighted source and the target in the kernel the QP uses, the
   * source embedding normalised by Σβ (`byWeightSum`, as core's `mmd2` with `sourceWeights`) or
   * by ns (KMM's own criterion, `‖Σβᵢφ(xsᵢ)/ns − mean_t φ‖²`).
   */
  weightedMmd2(beta: Float64Array, byWeightSum: boolean): number;
  readonly extraInfo: Record<string, JsonValue>;
}

function sumBounds(ns: number, epsilon: number): { lower: number; upper: number } {
  return { lower: Math.max(0, ns * (1 - epsilon)), upper: ns * (1 + epsilon) };
}

function exactProblem(Xs: Matrix, Xt: Matrix, config: KmmConfig, context: StepContext, bounds: { lower: number; upper: number }): KmmProblem {
  const ns = Xs.rows;
  const nt = Xt.rows;
  const kernels = rbfDomainKernels(Xs, Xt, config.gamma, config.medianMaxRows, context.seed);
  const kappa = new Float64Array(ns);
  for (let i = 0; i < ns; i++) kappa[i] = (ns / nt) * kernels.sourceTargetRowSums[i];
  const K = kernels.sourceGram;
  const scratch = new Float64Array(ns);
  return {
    qp: {
      size: ns,
      multiply: (x, out) => symmetricMultiply(K, x, out),
      linear: kappa,
      upper: config.B,
      sumLower: bounds.lower,
      sumUpper: bounds.upper,
    },
    kappa,
    gamma: kernels.gamma,
    sigma: kernels.sigma,
    medianSubsampled: kernels.medianSubsampled,
    weightedMmd2(beta, byWeightSum) {
      symmetricMultiply(K, beta, scratch);
      let total = 0;
      let quadratic = 0;
      let cross = 0;
      for (let i = 0; i < ns; i++) {
        total += beta[i];
        quadratic += beta[i] * scratch[i];
        cross += beta[i] * kernels.sourceTargetRowSums[i];
      }
      if (!byWeightSum) total = ns;
      return quadratic / (total * total) - (2 * cross) / (total * nt) + kernels.targetTargetSum / (nt * nt);
    },
    extraInfo: { method: 'exact' },
  };
}

function nystromProblem(
  Xs: Matrix,
  Xt: Matrix,
  config: KmmConfig & { landmarks: number },
  context: StepContext,
  bounds: { lower: number; upper: number },
): KmmProblem {
  const ns = Xs.rows;
  const nt = Xt.rows;
  const m = config.landmarks;
  let gamma: number;
  let medianSubsampled = false;
  if (config.gamma === 'median') {
    medianSubsampled = ns + nt > config.medianMaxRows;
    gamma = medianHeuristic(Xs, Xt, medianSubsampled ? { maxRows: config.medianMaxRows, seed: context.seed } : {}).gamma;
  } else {
    gamma = config.gamma;
  }
  // Landmarks: m distinct rows of the pooled sample, drawn with the step's generator.
  const picks = context.rng.fork('kmm-landmarks').sample(ns + nt, m);
  const landmarks = new Matrix(m, Xs.cols);
  for (let k = 0; k < m; k++) {
    const index = picks[k];
    landmarks.data.set(index < ns ? Xs.row(index) : Xt.row(index - ns), k * Xs.cols);
  }
  const map = nystromMap(landmarks, gamma);
  const sourceFeatures = map.features(Xs);
  const targetMean = map.meanFeature(Xt);
  // κᵢ = (ns/nt) Σⱼ φ(xsᵢ)ᵀφ(xtⱼ) = ns · φ(xsᵢ)ᵀ mean_t; diagonal correction dᵢ = k(x,x) − ‖φ(xsᵢ)‖² = 1 − ‖φᵢ‖².
  const kappa = new Float64Array(ns);
  const diagonal = new Float64Array(ns);
  for (let i = 0; i < ns; i++) {
    const offset = i * m;
    let dot = 0;
    let norm = 0;
    for (let k = 0; k < m; k++) {
      const value = sourceFeatures.data[offset + k];
      dot += value * targetMean[k];
      norm += value * value;
    }
    kappa[i] = ns * dot;
    diagonal[i] = Math.max(0, 1 - norm);
  }
  const projected = new Float64Array(m);
  const phi = sourceFeatures.data;
  const multiply = (x: Float64Array, out: Float64Array) => {
    projected.fill(0);
    for (let i = 0; i < ns; i++) {
      const scale = x[i];
      if (scale === 0) continue;
      const offset = i * m;
      for (let k = 0; k < m; k++) projected[k] += scale * phi[offset + k];
    }
    for (let i = 0; i < ns; i++) {
      const offset = i * m;
      let sum = 0;
      for (let k = 0; k < m; k++) sum += phi[offset + k] * projected[k];
      out[i] = sum + diagonal[i] * x[i];
    }
  };
  return {
    qp: { size: ns, multiply, linear: kappa, upper: config.B, sumLower: bounds.lower, sumUpper: bounds.upper },
    lowRank: { features: sourceFeatures, diagonal, linear: kappa, upper: config.B, sumLower: bounds.lower, sumUpper: bounds.upper },
    kappa,
    gamma,
    sigma: 1 / Math.sqrt(2 * gamma),
    medianSubsampled,
    weightedMmd2(beta, byWeightSum) {
      // ‖Σ βᵢ φ(xsᵢ)/Σβ − mean_t‖² (or /ns) in the Nyström feature space.
      const mean = new Float64Array(m);
      let total = 0;
      for (let i = 0; i < ns; i++) {
        total += beta[i];
        const offset = i * m;
        for (let k = 0; k < m; k++) mean[k] += beta[i] * phi[offset + k];
      }
      if (!byWeightSum) total = ns;
      let value = 0;
      for (let k = 0; k < m; k++) value += (mean[k] / total - targetMean[k]) ** 2;
      return value;
    },
    extraInfo: { method: 'nystrom', landmarks: m, nystromJitter: map.jitter },
  };
}

/**
 * Computes KMM weights for `input.source` against `input.target` (see {@link kmm}). @internal
 */
export function fitKmmWeights(input: StepFitInput, context: StepContext, config: KmmConfig): WeightingResult {
  const Xs = input.source.X;
  const Xt = input.target.X;
  const ns = Xs.rows;
  const epsilon = config.epsilon ?? (Math.sqrt(ns) - 1) / Math.sqrt(ns);
  const bounds = sumBounds(ns, epsilon);
  if (bounds.lower > ns * config.B) {
    throw new TlkitError(
      'INVALID_CONFIG',
      `kmm: B = ${config.B} with epsilon = ${epsilon} is infeasible (Σβ ≥ ${bounds.lower} needs B ≥ ${(bounds.lower / ns).toPrecision(4)}); raise B or epsilon.`,
      { argument: 'B' },
    );
  }
  if (config.landmarks !== undefined && config.landmarks > ns + Xt.rows) {
    throw new TlkitError(
      'TOO_FEW_SAMPLES',
      `kmm: landmarks = ${config.landmarks} exceeds the ${ns + Xt.rows} pooled samples; use at most that many (or drop 'landmarks' for the exact kernel).`,
      { argument: 'landmarks' },
    );
  }
  context.throwIfAborted();
  const started = performance.now();
  const problem =
    config.landmarks !== undefined
      ? nystromProblem(Xs, Xt, config as KmmConfig & { landmarks: number }, context, bounds)
      : exactProblem(Xs, Xt, config, context, bounds);
  const kernelSeconds = (performance.now() - started) / 1000;
  const solverOptions = {
    tolerance: config.tolerance,
    maxIterations: config.maxIterations,
    onIteration: (iteration: number, residual: number) => {
      context.throwIfAborted();
      context.progress({ phase: 'iteration', current: iteration, total: config.maxIterations, metrics: { residual } });
    },
  };
  const solution: BoxSumQpSolution = problem.lowRank ? solveLowRankBoxSumQp(problem.lowRank, solverOptions) : solveBoxSumQp(problem.qp, solverOptions);
  if (!solution.converged) {
    context.progress({
      phase: 'warning',
      message: `kmm: the QP solver stopped after ${solution.iterations} iterations before reaching tolerance ${config.tolerance} (residual ${solution.residual.toExponential(2)}); raise maxIterations.`,
    });
  }
  const beta = solution.x;
  let atZero = 0;
  let atUpper = 0;
  let sum = 0;
  for (let i = 0; i < ns; i++) {
    if (beta[i] === 0) atZero++;
    if (beta[i] === config.B) atUpper++;
    sum += beta[i];
  }
  const uniform = new Float64Array(ns).fill(1);
  const info: Record<string, JsonValue> = {
    ...problem.extraInfo,
    gamma: problem.gamma,
    sigma: problem.sigma,
    medianSubsampled: problem.medianSubsampled,
    B: config.B,
    epsilon,
    sumLower: bounds.lower,
    sumUpper: bounds.upper,
    sum,
    objective: solution.objective,
    iterations: solution.iterations,
    converged: solution.converged,
    kktResidual: solution.residual,
    atZero,
    atUpper,
    effectiveSampleSize: effectiveSampleSize(beta),
    mmd2Uniform: problem.weightedMmd2(uniform, true),
    mmd2Weighted: problem.weightedMmd2(beta, true),
    mmd2Criterion: problem.weightedMmd2(beta, false),
    kernelSeconds,
    solverSeconds: (performance.now() - started) / 1000 - kernelSeconds,
  };
  return { weights: beta, info };
}

/**
 * The `'kmm'` plugin: kernel mean matching (Huang, Smola, Gretton, Borgwardt & Schölkopf,
 * *Correcting Sample Selection Bias by Unlabeled Data*, NIPS 2006 (proceedings 2007)).
 */
export const kmmPlugin = definePlugin({
  name: 'kmm',
  kind: 'instance',
  role: 'weighting',
  description:
    'Kernel mean matching: source weights β minimising the RBF-kernel MMD to the target (a box- and sum-constrained QP), exact or with Nyström landmarks.',
  reference:
    'J. Huang, A. Smola, A. Gretton, K. Borgwardt and B. Schölkopf, Correcting Sample Selection Bias by Unlabeled Data, NIPS 19 (2006), MIT Press 2007.',
  needs: { problems: ['classification', 'regression'], targetLabels: 'never', acceptsSampleWeights: false },
  configSchema: kmmConfigSchema,
  create: (config) => ({
    async doFitWeights(input: StepFitInput, context: StepContext) {
      return fitKmmWeights(input, context, config);
    },
  }),
});

/**
 * Kernel mean matching as a pipeline step (registry name `'kmm'`).
 *
 * Solves the QP of Huang et al. (2007, eq. 9):
 * `min_β ½ βᵀKβ − κᵀβ` subject to `0 ≤ βᵢ ≤ B` and `|Σᵢ βᵢ − ns| ≤ ns·ε`, with
 * `K_ij = k(xsᵢ, xsⱼ)` and `κᵢ = (ns/nt) Σⱼ k(xsᵢ, xtⱼ)` for the RBF kernel
 * `k(x, y) = exp(−γ‖x − y‖²)`. This is, up to a constant and the factor ns², the squared MMD
 * between the β-weighted source and the target. The QP is solved by gradient projection with
 * conjugate gradients on faces (GPCG, Moré & Toraldo 1991, extended to the sum constraint; its
 * projected-gradient phase is FISTA with adaptive restart and an exact projection onto the
 * box ∩ sum constraint); each iteration costs one product with K (O(ns²), or O(ns·m) with Nyström).
 *
 * With `landmarks: m`, K is replaced by its Nyström approximation `ΦΦᵀ + diag(d)` from m pooled
 * landmarks (Williams & Seeger, NIPS 2001), where `dᵢ = k(xᵢ, xᵢ) − ‖φ(xᵢ)‖²` restores the exact
 * diagonal, and κ by `ns · Φ_s mean(Φ_t)`; total cost O((ns + nt)·m·d + ns·m² + iterations·ns·m).
 * The Nyström QP is solved by ADMM whose linear step uses the Woodbury identity with an m x m
 * Cholesky factor (Boyd et al., Found. Trends Mach. Learn. 3(1), 2011), to the same stopping rule
 * as GPCG (which finishes from the ADMM point if ADMM stalls): the low-rank-plus-small-diagonal
 * matrix is too ill-conditioned for GPCG's conjugate gradients on low-dimensional data.
 *
 * `info` reports γ and σ, the sum bounds, Σβ, the objective, solver iterations and KKT residual,
 * how many weights sit at 0 and at B, the effective sample size (Σβ)²/Σβ², and the biased MMD²
 * (in the kernel used) before (`mmd2Uniform`) and after (`mmd2Weighted`) weighting.
 *
 * @param options - {@link KmmOptions}.
 * @example
 * ```ts
 * const fitted = await compose(kmm(), logisticRegression()).fit(task);
 * fitted.sourceWeights; // β, one per source sample
 * const big = kmm({ landmarks: 500 }); // Nyström for tens of thousands of samples
 * ```
 * CLI: `{ "use": "kmm", "B": 1000, "gamma": "median" }`.
 */
export const kmm = (options?: KmmOptions) => kmmPlugin.create(options);
