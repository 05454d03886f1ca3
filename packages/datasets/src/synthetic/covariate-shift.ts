import { createRng, Matrix, type Rng, TlkitError } from '@tlkit/core';
import {
  formatVector,
  integerOption,
  numberOption,
  type SyntheticDomain,
  type SyntheticSizeOptions,
  type SyntheticTask,
  sizeOptions,
  vectorOption,
} from './common';

/** Options of {@link covariateShift}. */
export interface CovariateShiftOptions extends SyntheticSizeOptions {
  /** `'classification'` (labels 0/1) or `'regression'` (real targets). Default `'classification'`. */
  readonly problem?: 'classification' | 'regression';
  /** Number of features `d`. Default 1. */
  readonly dim?: number;
  /** Source mean `μ_s`: a number (the same in every coordinate) or `d` numbers. Default 0.5. */
  readonly sourceMean?: number | readonly number[];
  /** Source standard deviation `σ_s` (isotropic). Default 0.5. */
  readonly sourceStd?: number;
  /** Target mean `μ_t`. Default 0. */
  readonly targetMean?: number | readonly number[];
  /** Target standard deviation `σ_t` (isotropic). Default 0.3. */
  readonly targetStd?: number;
  /** Standard deviation `σ_ε` of the additive noise `ε`. Default 0.3. */
  readonly noise?: number;
}

/** What {@link covariateShift} knows. */
export interface CovariateShiftTruth {
  /** The importance weight `w(x_i) = p_t(x_i) / p_s(x_i)` of every source row (also `p_t(x, y) / p_s(x, y)`, since `p(y | x)` is shared). */
  readonly sourceWeights: Float64Array;
  /** `w(x) = p_t(x) / p_s(x)` at any point (closed form below). */
  densityRatio(x: ArrayLike<number>): number;
  /** The noise-free labelling function `f(x) = x₁³ − x₁` (only the first feature matters). */
  labellingFunction(x: ArrayLike<number>): number;
  readonly sourceMean: Float64Array;
  readonly sourceStd: number;
  readonly targetMean: Float64Array;
  readonly targetStd: number;
  readonly noiseStd: number;
}

/** The labelling function shared by both domains: `f(x) = x₁³ − x₁`. */
function cubic(x: ArrayLike<number>): number {
  const first = x[0];
  return first * first * first - first;
}

/**
 * Covariate shift: the input distribution moves, the conditional `p(y | x)` does not
 * (Shimodaira, *Improving predictive inference under covariate shift by weighting the
 * log-likelihood function*, J. Stat. Plan. Inference 90, 2000).
 *
 * Model, with `f(x) = x₁³ − x₁` and `ε ~ N(0, σ_ε²)` drawn independently per sample:
 * - source `x ~ N(μ_s, σ_s² I)`, target and target test `x ~ N(μ_t, σ_t² I)`;
 * - regression: `y = f(x) + ε`; classification: `y = 1[f(x) + ε > 0]` (so
 *   `p(y = 1 | x) = Φ(f(x) / σ_ε)` in both domains; with `noise: 0` the label is `1[f(x) > 0]`).
 *
 * Because `f` is non-linear, a linear model fitted on the source is wrong on the target
 * (a misspecified model, the case where covariate shift matters); weighting the source loss by
 * the true importance `w(x) = p_t(x) / p_s(x)` corrects it:
 * `log w(x) = d · log(σ_s / σ_t) − ‖x − μ_t‖² / (2σ_t²) + ‖x − μ_s‖² / (2σ_s²)`.
 * The default input distributions (`μ_s = 0.5, σ_s = 0.5, μ_t = 0, σ_t = 0.3`, `d = 1`) and the
 * cubic `f` are those of the polynomial-regression example of that paper, often reused in the
 * importance-weighting literature (up to an additive constant in `f`); the noise default
 * `σ_ε = 0.3` is this package's choice.
 *
 * @param options - sizes, seed, `problem`, `dim`, means, standard deviations and `noise`
 *   (defaults above; 200 samples per part, seed 0).
 * @returns a task whose `truth.sourceWeights` are the exact importance weights.
 * @throws TlkitError `INVALID_ARGUMENT` naming the bad option.
 * @example
 * ```ts
 * const task = covariateShift({ problem: 'regression', seed: 1 });
 * task.truth.sourceWeights; // w(x_i) for each source row
 * ```
 */
export function covariateShift(
  options: CovariateShiftOptions & { readonly problem: 'regression' },
): SyntheticTask<CovariateShiftTruth, Float64Array>;
export function covariateShift(
  options?: CovariateShiftOptions & { readonly problem?: 'classification' },
): SyntheticTask<CovariateShiftTruth, Int32Array>;
export function covariateShift(
  options: CovariateShiftOptions = {},
): SyntheticTask<CovariateShiftTruth, Int32Array> | SyntheticTask<CovariateShiftTruth, Float64Array> {
  const problem = options.problem ?? 'classification';
  if (problem !== 'classification' && problem !== 'regression') {
    throw new TlkitError('INVALID_ARGUMENT', `options.problem must be 'classification' or 'regression', got ${JSON.stringify(problem)}.`, {
      argument: 'options.problem',
    });
  }
  const { nSource, nTarget, nTest, seed } = sizeOptions(options, 'covariateShift', ['problem', 'dim', 'sourceMean', 'sourceStd', 'targetMean', 'targetStd', 'noise']);
  const dim = integerOption(options.dim, 1, 'dim', 1);
  const sourceMean = vectorOption(options.sourceMean, 0.5, 'sourceMean', dim);
  const targetMean = vectorOption(options.targetMean, 0, 'targetMean', dim);
  const sourceStd = numberOption(options.sourceStd, 0.5, 'sourceStd', 'positive');
  const targetStd = numberOption(options.targetStd, 0.3, 'targetStd', 'positive');
  const noiseStd = numberOption(options.noise, 0.3, 'noise', 'nonNegative');

  const logNormaliser = dim * Math.log(sourceStd / targetStd);
  const densityRatio = (x: ArrayLike<number>): number => {
    let toTarget = 0;
    let toSource = 0;
    for (let j = 0; j < dim; j++) {
      toTarget += (x[j] - targetMean[j]) ** 2;
      toSource += (x[j] - sourceMean[j]) ** 2;
    }
    return Math.exp(logNormaliser - toTarget / (2 * targetStd * targetStd) + toSource / (2 * sourceStd * sourceStd));
  };

  const rng = createRng(seed);
  const draw = (n: number, mean: Float64Array, std: number, stream: Rng, name: string) => {
    const X = new Matrix(n, dim);
    for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) X.data[i * dim + j] = mean[j] + std * stream.normal();
    const targets = new Float64Array(n);
    for (let i = 0; i < n; i++) targets[i] = cubic(X.row(i)) + noiseStd * stream.normal();
    if (problem === 'regression') return { X, y: targets, name };
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) labels[i] = targets[i] > 0 ? 1 : 0;
    return { X, y: labels, name };
  };
  const source = draw(nSource, sourceMean, sourceStd, rng.fork('source'), 'source');
  const target = draw(nTarget, targetMean, targetStd, rng.fork('target'), 'target');
  const targetTest = draw(nTest, targetMean, targetStd, rng.fork('targetTest'), 'targetTest');
  const sourceWeights = new Float64Array(nSource);
  for (let i = 0; i < nSource; i++) sourceWeights[i] = densityRatio(source.X.row(i));

  const labelRule = problem === 'regression' ? 'y = f(x) + ε' : 'y = 1[f(x) + ε > 0]';
  return {
    source: source as SyntheticDomain<Int32Array>,
    target: target as SyntheticDomain<Int32Array>,
    targetTest: targetTest as SyntheticDomain<Int32Array>,
    problem,
    ...(problem === 'classification' ? { numClasses: 2 } : {}),
    truth: {
      sourceWeights,
      densityRatio,
      labellingFunction: cubic,
      sourceMean,
      sourceStd,
      targetMean,
      targetStd,
      noiseStd,
    },
    description: `covariate shift (d = ${dim}): source x ~ N(${formatVector(sourceMean)}, ${sourceStd}² I), target x ~ N(${formatVector(targetMean)}, ${targetStd}² I); ${labelRule} with f(x) = x₁³ − x₁, ε ~ N(0, ${noiseStd}²)`,
  } as SyntheticTask<CovariateShiftTruth, Int32Array>;
}
