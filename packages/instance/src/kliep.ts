/**
 * KLIEP: the Kullback–Leibler importance estimation procedure.
 */
import {
  cholesky,
  choleskySolve,
  definePlugin,
  matmulTransposeA,
  type JsonValue,
  Matrix,
  medianHeuristic,
  rbfKernel,
  type StepContext,
  type StepFitInput,
  TlkitError,
  type WeightingResult,
} from '@tlkit/core';
import * as z from 'zod';
import { effectiveSampleSize, weightSummary } from './internal/weights';

/** Options of the `'kliep'` plugin. */
export const kliepConfigSchema = z
  .object({
    /** b, the number of Gaussian centres, drawn from the target samples. */
    centers: z.number().int().positive().default(100),
    /** Candidate kernel widths σ; default: the median-heuristic σ times `sigmaMultipliers`. */
    sigmas: z.array(z.number().positive().finite()).min(1).optional(),
    /** Multipliers of the median-heuristic σ that form the candidate widths (when `sigmas` is absent). */
    sigmaMultipliers: z.array(z.number().positive().finite()).min(1).default([0.25, 0.5, 1, 2, 4]),
    /** Folds of the likelihood cross-validation over the target samples (1 = no CV: the first candidate). */
    folds: z.number().int().min(1).max(50).default(5),
    /** The median heuristic uses at most this many pooled rows (a seeded subsample above). */
    medianMaxRows: z.number().int().min(2).default(2000),
    /** Most interior-point iterations per fit. */
    maxIterations: z.number().int().positive().default(200),
    /** Interior-point tolerance on the dual residual and complementarity (relative). */
    tolerance: z.number().positive().finite().default(1e-9),
  })
  .strict();

/**
 * Options of {@link kliep}:
 * - `centers` — b, Gaussian centres drawn from the target (default 100);
 * - `sigmas` — candidate widths σ, or `sigmaMultipliers` (default [0.25, 0.5, 1, 2, 4]) × the median-heuristic σ;
 * - `folds` — likelihood cross-validation folds (default 5);
 * - `medianMaxRows` (2000), `maxIterations` (200), `tolerance` (1e-9).
 */
export type KliepOptions = z.input<typeof kliepConfigSchema>;
type KliepConfig = z.output<typeof kliepConfigSchema>;

/** Mean log of `A α` (−∞ when a value is 0). */
function meanLog(A: Matrix, alpha: Float64Array, values: Float64Array): number {
  const { rows, cols, data } = A;
  let total = 0;
  for (let j = 0; j < rows; j++) {
    let value = 0;
    const offset = j * cols;
    for (let l = 0; l < cols; l++) value += data[offset + l] * alpha[l];
    values[j] = value;
    if (!(value > 0)) return -Infinity;
    total += Math.log(value);
  }
  return total / rows;
}

/**
 * KLIEP's optimisation (Sugiyama et al. 2008, eq. 5): maximise `J(α) = (1/n) Σⱼ log (A α)ⱼ`
 * subject to `bᵀα = 1`, `α ≥ 0`. Because `J(cα) = J(α) + log c`, this equals maximising
 * `F(α) = J(α) − bᵀα` over `α ≥ 0` alone: along any ray the best scale gives `bᵀα = 1` (at any
 * stationary point `αᵀ∇J = 1 = bᵀα`). F is smooth and concave with bounds only, solved by a
 * primal–dual interior-point method (Nocedal & Wright, *Numerical Optimization*, 2nd ed., 2006,
 * §19.3): for `min f = −F` with multipliers z ≥ 0 of α ≥ 0, each iteration solves
 * `(∇²f + Z/X) dα = −∇f + μ/α` by Cholesky (`∇²f = (1/n) Aᵀ diag(1/(Aα)²) A`), targets
 * `μ = 0.1 · αᵀz/m`, keeps α and z positive (fraction to the boundary 0.995) and backtracks on
 * the barrier function. Stops when the dual residual `‖∇f − z‖∞` and the complementarity
 * `αᵀz/m` are both below `tolerance` (relative to the gradient scale); the result is rescaled to
 * `bᵀα = 1` exactly. @internal
 */
export function maximiseKliep(
  A: Matrix,
  b: Float64Array,
  options: { maxIterations: number; tolerance: number },
): { alpha: Float64Array; objective: number; iterations: number } {
  const m = A.cols;
  const { rows, cols, data } = A;
  let bSum = 0;
  let bMax = 0;
  for (const value of b) {
    bSum += value;
    bMax = Math.max(bMax, value);
  }
  let alpha = new Float64Array(m).fill(1 / bSum);
  let values = new Float64Array(rows);
  let trialValues = new Float64Array(rows);
  const start = meanLog(A, alpha, values);
  if (!Number.isFinite(start)) return { alpha, objective: start, iterations: 0 };
  const dotB = (x: Float64Array) => {
    let total = 0;
    for (let l = 0; l < m; l++) total += b[l] * x[l];
    return total;
  };
  // f = −F = −J + bᵀα and its gradient ∇f = b − (1/n) Aᵀ(1/v).
  const gradient = new Float64Array(m);
  const computeGradient = () => {
    gradient.set(b);
    for (let j = 0; j < rows; j++) {
      const scale = 1 / (values[j] * rows);
      const offset = j * cols;
      for (let l = 0; l < cols; l++) gradient[l] -= scale * data[offset + l];
    }
  };
  computeGradient();
  const z = Float64Array.from(gradient, (value) => Math.max(value, 1e-3 * bMax));
  let trial = new Float64Array(m);
  const scaled = new Matrix(rows, m);
  const rhs = new Float64Array(m);
  let f = -start + dotB(alpha);
  let iterations = 0;
  for (; iterations < options.maxIterations; iterations++) {
    let dual = 0;
    let complementarity = 0;
    for (let l = 0; l < m; l++) {
      dual = Math.max(dual, Math.abs(gradient[l] - z[l]));
      complementarity += alpha[l] * z[l];
    }
    complementarity /= m;
    if (dual <= options.tolerance * bMax && complementarity <= options.tolerance * bMax * (1 / bSum)) break;
    const mu = 0.1 * complementarity;
    // (∇²f + Z/X) dα = −∇f + μ/α, with ∇²f = SᵀS, S = diag(1/(vⱼ√n)) A.
    for (let j = 0; j < rows; j++) {
      const scale = 1 / (values[j] * Math.sqrt(rows));
      const offset = j * cols;
      for (let l = 0; l < m; l++) scaled.data[j * m + l] = scale * data[offset + l];
    }
    const system = matmulTransposeA(scaled, scaled);
    for (let l = 0; l < m; l++) {
      system.data[l * m + l] += z[l] / alpha[l];
      rhs[l] = -gradient[l] + mu / alpha[l];
    }
    const step = choleskySolve(cholesky(system, { jitter: 1e-14 * bMax }), rhs);
    const dz = Float64Array.from(step, (d, l) => mu / alpha[l] - z[l] - (z[l] / alpha[l]) * d);
    // Fraction to the boundary.
    let tAlpha = 1;
    let tZ = 1;
    for (let l = 0; l < m; l++) {
      if (step[l] < 0) tAlpha = Math.min(tAlpha, (-0.995 * alpha[l]) / step[l]);
      if (dz[l] < 0) tZ = Math.min(tZ, (-0.995 * z[l]) / dz[l]);
    }
    // Backtracking on the barrier function φ = f − μ Σ log α.
    let barrier = f;
    let slope = 0;
    for (let l = 0; l < m; l++) {
      barrier -= mu * Math.log(alpha[l]);
      slope += (gradient[l] - mu / alpha[l]) * step[l];
    }
    let t = tAlpha;
    let accepted = false;
    let trialF = f;
    for (let halving = 0; halving < 60; halving++) {
      for (let l = 0; l < m; l++) trial[l] = alpha[l] + t * step[l];
      const likelihood = meanLog(A, trial, trialValues);
      trialF = -likelihood + dotB(trial);
      let trialBarrier = trialF;
      for (let l = 0; l < m; l++) trialBarrier -= mu * Math.log(trial[l]);
      if (Number.isFinite(trialBarrier) && trialBarrier <= barrier + 1e-4 * t * slope) {
        accepted = true;
        break;
      }
      t *= 0.5;
    }
    if (!accepted) break;
    [alpha, trial] = [trial, alpha];
    [values, trialValues] = [trialValues, values];
    f = trialF;
    const zStep = Math.min(tZ, 1);
    for (let l = 0; l < m; l++) z[l] = Math.max(z[l] + zStep * dz[l], 1e-300);
    computeGradient();
  }
  // Rescale to bᵀα = 1 exactly (J shifts by −log(bᵀα), which is ≈ 0 at the solution).
  const scale = dotB(alpha);
  for (let l = 0; l < m; l++) alpha[l] /= scale;
  return { alpha, objective: meanLog(A, alpha, values), iterations };
}

/** Column means of `K(X, centres)` — the constraint vector b of KLIEP. */
function columnMeans(K: Matrix): Float64Array {
  const out = new Float64Array(K.cols);
  for (let i = 0; i < K.rows; i++) for (let l = 0; l < K.cols; l++) out[l] += K.data[i * K.cols + l];
  for (let l = 0; l < K.cols; l++) out[l] /= K.rows;
  return out;
}

/** Computes KLIEP weights (see {@link kliep}). @internal */
export function fitKliepWeights(input: StepFitInput, context: StepContext, config: KliepConfig): WeightingResult {
  const Xs = input.source.X;
  const Xt = input.target.X;
  const nt = Xt.rows;
  const folds = config.folds;
  if (folds > 1 && nt < 2 * folds) {
    throw new TlkitError(
      'TOO_FEW_SAMPLES',
      `kliep: folds = ${folds} needs at least ${2 * folds} target samples (got ${nt}); lower folds.`,
      { argument: 'folds' },
    );
  }
  const b = Math.min(config.centers, nt);
  const rng = context.rng.fork('kliep');
  const centres = Xt.selectRows(rng.sample(nt, b));
  let sigmas: number[];
  let medianSigma: number | null = null;
  if (config.sigmas) {
    sigmas = config.sigmas;
  } else {
    const pooled = Xs.rows + nt;
    medianSigma = medianHeuristic(Xs, Xt, pooled > config.medianMaxRows ? { maxRows: config.medianMaxRows, seed: context.seed } : {}).sigma;
    sigmas = config.sigmaMultipliers.map((multiplier) => multiplier * (medianSigma as number));
  }
  const gammaOf = (sigma: number) => 1 / (2 * sigma * sigma);
  const optimiserOptions = { maxIterations: config.maxIterations, tolerance: config.tolerance };
  // Likelihood cross-validation over the target samples (Sugiyama et al., §2.3).
  const scores: number[] = [];
  let chosen = 0;
  if (folds > 1 && sigmas.length > 1) {
    const order = rng.permutation(nt);
    const foldOf = new Int32Array(nt);
    for (let k = 0; k < nt; k++) foldOf[order[k]] = k % folds;
    for (const [index, sigma] of sigmas.entries()) {
      context.throwIfAborted();
      const gamma = gammaOf(sigma);
      const targetKernel = rbfKernel(Xt, centres, gamma);
      const constraint = columnMeans(rbfKernel(Xs, centres, gamma));
      let total = 0;
      for (let fold = 0; fold < folds; fold++) {
        const trainRows: number[] = [];
        const heldRows: number[] = [];
        for (let j = 0; j < nt; j++) (foldOf[j] === fold ? heldRows : trainRows).push(j);
        const { alpha, objective } = maximiseKliep(targetKernel.selectRows(trainRows), constraint, optimiserOptions);
        const held = Number.isFinite(objective) ? meanLog(targetKernel.selectRows(heldRows), alpha, new Float64Array(heldRows.length)) : -Infinity;
        total += held;
      }
      scores.push(total / folds);
      if (scores[index] > scores[chosen]) chosen = index;
      context.progress({ phase: 'width', current: index + 1, total: sigmas.length, metrics: { sigma, score: scores[index] } });
    }
    if (!Number.isFinite(scores[chosen])) {
      throw new TlkitError(
        'NUMERICAL_ERROR',
        `kliep: every candidate width gives a held-out log-likelihood of −∞ (the kernel underflows); pass larger sigmas.`,
        { argument: 'sigmas' },
      );
    }
  }
  const sigma = sigmas[chosen];
  const gamma = gammaOf(sigma);
  const sourceKernel = rbfKernel(Xs, centres, gamma);
  const { alpha, objective, iterations } = maximiseKliep(rbfKernel(Xt, centres, gamma), columnMeans(sourceKernel), optimiserOptions);
  if (!Number.isFinite(objective)) {
    throw new TlkitError('NUMERICAL_ERROR', `kliep: the kernel of width σ = ${sigma} underflows on the target samples; use a larger σ.`, {
      argument: 'sigmas',
    });
  }
  const weights = new Float64Array(Xs.rows);
  for (let i = 0; i < Xs.rows; i++) {
    let value = 0;
    for (let l = 0; l < b; l++) value += sourceKernel.data[i * b + l] * alpha[l];
    weights[i] = value;
  }
  const summary = weightSummary(weights);
  const info: Record<string, JsonValue> = {
    sigma,
    gamma,
    centers: b,
    sigmaCandidates: sigmas,
    cvScores: scores.map((score) => (Number.isFinite(score) ? score : null)),
    ...(medianSigma !== null ? { medianSigma } : {}),
    objective,
    iterations,
    activeCenters: alpha.reduce((count, value, _, all) => count + (value > 1e-6 * Math.max(...all) ? 1 : 0), 0),
    meanWeight: summary.mean,
    maxWeight: summary.max,
    effectiveSampleSize: effectiveSampleSize(weights),
  };
  return { weights, info };
}

/**
 * The `'kliep'` plugin: KLIEP (Sugiyama, Nakajima, Kashima, von Bünau & Kawanabe, *Direct
 * Importance Estimation with Model Selection and Its Application to Covariate Shift Adaptation*,
 * NIPS 2007 (proceedings 2008)).
 */
export const kliepPlugin = definePlugin({
  name: 'kliep',
  kind: 'instance',
  role: 'weighting',
  description:
    'KLIEP: importance weights w(x) = Σ α_l exp(−‖x − c_l‖²/(2σ²)) maximising the target log-likelihood, σ by likelihood cross-validation.',
  reference:
    'M. Sugiyama, S. Nakajima, H. Kashima, P. von Bünau and M. Kawanabe, Direct Importance Estimation with Model Selection and Its Application to Covariate Shift Adaptation, NIPS 20 (2007), 2008.',
  needs: { problems: ['classification', 'regression'], targetLabels: 'never', acceptsSampleWeights: false },
  configSchema: kliepConfigSchema,
  create: (config) => ({
    async doFitWeights(input: StepFitInput, context: StepContext) {
      return fitKliepWeights(input, context, config);
    },
  }),
});

/**
 * KLIEP as a pipeline step (registry name `'kliep'`).
 *
 * Models the importance as `ŵ(x) = Σ_l α_l K_σ(x, c_l)` with Gaussian kernels
 * `K_σ(x, c) = exp(−‖x − c‖²/(2σ²))` centred on b target samples (`centers`, drawn with the
 * step's seed), and maximises the log-likelihood of the target samples under `ŵ·p_s`:
 * `max_α Σⱼ log ŵ(xtⱼ)` subject to `(1/ns) Σᵢ ŵ(xsᵢ) = 1` and `α ≥ 0` (Sugiyama et al., eq. 5).
 * The paper's solver alternates a gradient step with a heuristic feasibility correction; this
 * one solves the same concave problem to its KKT conditions: the constraint `bᵀα = 1` is folded
 * into the objective (`max J(α) − bᵀα` over `α ≥ 0` has the same solution, since J shifts by
 * `log c` when α is scaled by c) and the bound-constrained problem is solved by a primal–dual
 * interior-point method. σ is chosen by the paper's
 * likelihood cross-validation: the target samples are split into `folds`, and the candidate with
 * the largest mean held-out `log ŵ` wins. The weights have mean exactly 1 over the source.
 *
 * `info`: the chosen σ (and γ = 1/(2σ²)), candidates and their CV scores, iterations, non-zero
 * coefficients, mean and largest weight, effective sample size.
 *
 * @param options - {@link KliepOptions}.
 * @example
 * ```ts
 * const fitted = await compose(kliep({ centers: 100 }), logisticRegression()).fit(task);
 * ```
 * CLI: `{ "use": "kliep", "centers": 100, "folds": 5 }`.
 */
export const kliep = (options?: KliepOptions) => kliepPlugin.create(options);
