import type { MatrixInput } from '../data';
import { TlkitError } from '../errors';
import { type DomainBlocks, squaredDistanceBlocksOf } from '../kernels/distances';
import { checkPositive, checkSameColumns, readMatrix } from '../kernels/checks';
import { type KernelSpec, checkKernelSpec, polynomialKernel } from '../kernels/kernels';
import { type MedianHeuristicOptions, medianHeuristic, medianHeuristicFromSquaredDistances } from '../kernels/median';
import { Matrix } from '../matrix';
import { assertSeed } from '../rng';

/** The estimator of MMD²: the V-statistic (`'biased'`) or the U-statistic (`'unbiased'`). */
export type MmdEstimator = 'biased' | 'unbiased';

/**
 * The kernel of {@link mmd2}: `'linear'`, `'rbf'` (γ from `gamma`), `'multi-rbf'` (a family of
 * RBF kernels, see {@link Mmd2Options.gammaMultipliers}), or any {@link KernelSpec}.
 */
export type MmdKernel = 'linear' | 'rbf' | 'multi-rbf' | KernelSpec;

/** Options of {@link mmd2FromKernels}. */
export interface MmdEstimatorOptions {
  /** `'biased'` (default) or `'unbiased'`. */
  readonly estimator?: MmdEstimator;
  /**
   * Non-negative weights of the source samples (length `ns`, positive sum). The source mean
   * embedding becomes `Σᵢ wᵢ φ(xᵢ) / Σᵢ wᵢ`; see {@link mmd2} for the exact estimators.
   */
  readonly sourceWeights?: ArrayLike<number>;
}

/** Options of {@link mmd2}. */
export interface Mmd2Options extends MmdEstimatorOptions {
  /** The kernel. Default `'rbf'`. */
  readonly kernel?: MmdKernel;
  /**
   * γ of `exp(−γ‖x − y‖²)` for `'rbf'`, or the base γ₀ of `'multi-rbf'`: a number > 0 or
   * `'median'` (the median heuristic over the pooled rows, {@link medianHeuristic}). Default
   * `'median'`. Not allowed with `'linear'` or a {@link KernelSpec} (the spec carries its own).
   */
  readonly gamma?: number | 'median';
  /**
   * `'multi-rbf'` only: the kernels' γ as multiples of the base γ₀. Default `[1/4, 1/2, 1, 2, 4]`
   * (five Gaussian kernels around the median-heuristic bandwidth, in the spirit of DAN).
   */
  readonly gammaMultipliers?: readonly number[];
  /** `'multi-rbf'` only: explicit γ values; overrides `gamma` and `gammaMultipliers`. */
  readonly gammas?: readonly number[];
  /**
   * `'multi-rbf'` only: how the kernels are combined — `'mean'` (default; the kernel
   * `Σᵤ kᵤ / m`, DAN's multi-kernel with equal weights βᵤ = 1/m) or `'sum'` (`Σᵤ kᵤ`).
   */
  readonly combine?: 'mean' | 'sum';
  /** Subsampling options of the median heuristic (default exact; see {@link MedianHeuristicOptions}). */
  readonly median?: MedianHeuristicOptions;
}

/** The default `'multi-rbf'` family: γᵤ = 2ᵘ γ₀ for u = −2..2. */
const DEFAULT_GAMMA_MULTIPLIERS = [0.25, 0.5, 1, 2, 4] as const;

function checkEstimator(estimator: unknown): MmdEstimator {
  if (estimator === undefined) return 'biased';
  if (estimator !== 'biased' && estimator !== 'unbiased') {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `options.estimator must be 'biased' or 'unbiased', got ${JSON.stringify(estimator)}.`,
      { argument: 'options.estimator' },
    );
  }
  return estimator;
}

/** Source weights normalised to sum 1 (uniform when none are given). */
function normalisedWeights(weights: ArrayLike<number> | undefined, count: number): Float64Array {
  const out = new Float64Array(count);
  if (weights === undefined) {
    out.fill(1 / count);
    return out;
  }
  if (weights === null || typeof weights !== 'object' || typeof weights.length !== 'number') {
    throw new TlkitError('INVALID_ARGUMENT', 'options.sourceWeights must be an array of numbers, one per source row.', {
      argument: 'options.sourceWeights',
    });
  }
  if (weights.length !== count) {
    throw new TlkitError(
      'DIMENSION_MISMATCH',
      `options.sourceWeights has ${weights.length} values but the source has ${count} rows; give one weight per source sample.`,
      { argument: 'options.sourceWeights', expected: count, actual: weights.length },
    );
  }
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const weight = weights[i];
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
      throw new TlkitError(
        typeof weight === 'number' && !Number.isFinite(weight) ? 'NON_FINITE_INPUT' : 'INVALID_ARGUMENT',
        `options.sourceWeights[${i}] = ${String(weight)}; weights must be finite and ≥ 0.`,
        { argument: 'options.sourceWeights', index: i },
      );
    }
    sum += weight;
  }
  if (!(sum > 0)) {
    throw new TlkitError('INVALID_ARGUMENT', 'options.sourceWeights sum to 0; at least one weight must be positive.', {
      argument: 'options.sourceWeights',
    });
  }
  for (let i = 0; i < count; i++) out[i] = weights[i] / sum;
  return out;
}

function sumOfSquares(values: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] * values[i];
  return sum;
}

/** `1 − Σ aᵢ²` for the unbiased within-domain term; throws when fewer than two weights are positive. */
function offDiagonalMass(weights: Float64Array, domain: 'source' | 'target'): number {
  let positive = 0;
  for (let i = 0; i < weights.length; i++) if (weights[i] > 0) positive++;
  if (positive < 2) {
    throw new TlkitError(
      'TOO_FEW_SAMPLES',
      `the unbiased MMD² estimator needs at least 2 ${domain} samples${domain === 'source' ? ' with positive weight' : ''}, got ${positive}; use estimator: 'biased' or add samples.`,
      { argument: domain === 'source' ? 'Xs' : 'Xt' },
    );
  }
  return 1 - sumOfSquares(weights);
}

/** `Σᵢ Σⱼ rowᵢ colⱼ K[i][j]`, optionally without `i = j`. */
function weightedSum(kernel: Matrix, rowWeights: Float64Array, colWeights: Float64Array, skipDiagonal: boolean): number {
  const { rows, cols, data } = kernel;
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const offset = i * cols;
    let rowSum = 0;
    for (let j = 0; j < cols; j++) rowSum += colWeights[j] * data[offset + j];
    if (skipDiagonal) rowSum -= colWeights[i] * data[offset + i];
    total += rowWeights[i] * rowSum;
  }
  return total;
}

/** MMD² from kernel blocks and normalised weights (no checks). */
function mmd2FromBlocks(
  kernels: DomainBlocks,
  sourceWeights: Float64Array,
  targetWeights: Float64Array,
  estimator: MmdEstimator,
): number {
  const cross = weightedSum(kernels.sourceTarget, sourceWeights, targetWeights, false);
  if (estimator === 'biased') {
    return (
      weightedSum(kernels.sourceSource, sourceWeights, sourceWeights, false) +
      weightedSum(kernels.targetTarget, targetWeights, targetWeights, false) -
      2 * cross
    );
  }
  const sourceMass = offDiagonalMass(sourceWeights, 'source');
  const targetMass = offDiagonalMass(targetWeights, 'target');
  return (
    weightedSum(kernels.sourceSource, sourceWeights, sourceWeights, true) / sourceMass +
    weightedSum(kernels.targetTarget, targetWeights, targetWeights, true) / targetMass -
    2 * cross
  );
}

function checkKernelBlocks(kernels: DomainBlocks): void {
  const { sourceSource, targetTarget, sourceTarget } = kernels ?? ({} as DomainBlocks);
  const blocks: [string, unknown][] = [
    ['kernels.sourceSource', sourceSource],
    ['kernels.targetTarget', targetTarget],
    ['kernels.sourceTarget', sourceTarget],
  ];
  for (const [name, block] of blocks) {
    if (!(block instanceof Matrix)) {
      throw new TlkitError('INVALID_ARGUMENT', `${name} must be a Matrix.`, { argument: name });
    }
    if (block.data.length === 0) {
      throw new TlkitError('EMPTY_DOMAIN', `${name} is empty; both domains need at least one sample.`, { argument: name });
    }
    for (let index = 0; index < block.data.length; index++) {
      if (!Number.isFinite(block.data[index])) {
        throw new TlkitError('NON_FINITE_INPUT', `${name} holds a non-finite value at flat index ${index}.`, {
          argument: name,
          index,
        });
      }
    }
  }
  const ns = sourceSource.rows;
  const nt = targetTarget.rows;
  if (sourceSource.cols !== ns || targetTarget.cols !== nt || sourceTarget.rows !== ns || sourceTarget.cols !== nt) {
    throw new TlkitError(
      'DIMENSION_MISMATCH',
      `kernel blocks must be ns x ns, nt x nt and ns x nt; got ${sourceSource.rows} x ${sourceSource.cols}, ${targetTarget.rows} x ${targetTarget.cols} and ${sourceTarget.rows} x ${sourceTarget.cols}.`,
      { argument: 'kernels' },
    );
  }
}

/**
 * MMD² from precomputed kernel blocks `K_ss`, `K_tt`, `K_st` (e.g. from {@link kernelMatrix}, or
 * the kernels a KMM/TCA step already holds). Same estimators as {@link mmd2}.
 *
 * @param kernels - `{ sourceSource: ns x ns, targetTarget: nt x nt, sourceTarget: ns x nt }`.
 * @param options - `estimator` (default `'biased'`) and optional `sourceWeights`.
 * @throws TlkitError `INVALID_ARGUMENT`, `EMPTY_DOMAIN`, `DIMENSION_MISMATCH`, `NON_FINITE_INPUT`,
 * `TOO_FEW_SAMPLES` (unbiased with fewer than 2 samples in a domain).
 *
 * @example
 * ```ts
 * const spec = { type: 'rbf', gamma: 0.5 } as const;
 * const value = mmd2FromKernels(
 *   { sourceSource: kernelMatrix(Xs, Xs, spec), targetTarget: kernelMatrix(Xt, Xt, spec), sourceTarget: kernelMatrix(Xs, Xt, spec) },
 *   { estimator: 'unbiased' },
 * );
 * ```
 */
export function mmd2FromKernels(kernels: DomainBlocks, options: MmdEstimatorOptions = {}): number {
  checkKernelBlocks(kernels);
  const estimator = checkEstimator(options.estimator);
  const sourceWeights = normalisedWeights(options.sourceWeights, kernels.sourceSource.rows);
  const targetWeights = normalisedWeights(undefined, kernels.targetTarget.rows);
  return mmd2FromBlocks(kernels, sourceWeights, targetWeights, estimator);
}

/**
 * Linear-kernel MMD² in O((ns + nt)·d), without kernel matrices: with `m_s = Σ aᵢ xᵢ` and
 * `m_t = Σ bⱼ tⱼ` (rows centred by the pooled mean first where that leaves the estimator
 * unchanged), biased = `‖m_s − m_t‖²`, unbiased =
 * `(‖m_s‖² − Σ aᵢ²‖xᵢ‖²)/(1 − Σ aᵢ²) + (‖m_t‖² − Σ bⱼ²‖tⱼ‖²)/(1 − Σ bⱼ²) − 2⟨m_s, m_t⟩`.
 */
function linearMmd2(
  source: Matrix,
  target: Matrix,
  sourceWeights: Float64Array,
  targetWeights: Float64Array,
  estimator: MmdEstimator,
  uniform: boolean,
): number {
  const d = source.cols;
  // Centring by the pooled mean reduces rounding and changes nothing when the estimator is
  // translation invariant: the biased one always, the unbiased one for uniform weights. The
  // weighted unbiased estimator with the (not translation-invariant) linear kernel is computed
  // on the data as given.
  const centre = new Float64Array(d);
  const centred = estimator === 'biased' || uniform;
  for (const part of centred ? [source, target] : []) {
    for (let i = 0; i < part.rows; i++) {
      const offset = i * d;
      for (let j = 0; j < d; j++) centre[j] += part.data[offset + j];
    }
  }
  if (centred) for (let j = 0; j < d; j++) centre[j] /= source.rows + target.rows;
  const embed = (part: Matrix, weights: Float64Array) => {
    const mean = new Float64Array(d);
    let weightedNorms = 0;
    for (let i = 0; i < part.rows; i++) {
      const offset = i * d;
      const weight = weights[i];
      let norm = 0;
      for (let j = 0; j < d; j++) {
        const value = part.data[offset + j] - centre[j];
        mean[j] += weight * value;
        norm += value * value;
      }
      weightedNorms += weight * weight * norm;
    }
    return { mean, weightedNorms };
  };
  const s = embed(source, sourceWeights);
  const t = embed(target, targetWeights);
  if (estimator === 'biased') {
    let sum = 0;
    for (let j = 0; j < d; j++) sum += (s.mean[j] - t.mean[j]) ** 2;
    return sum;
  }
  const sourceMass = offDiagonalMass(sourceWeights, 'source');
  const targetMass = offDiagonalMass(targetWeights, 'target');
  let sourceNorm = 0;
  let targetNorm = 0;
  let cross = 0;
  for (let j = 0; j < d; j++) {
    sourceNorm += s.mean[j] * s.mean[j];
    targetNorm += t.mean[j] * t.mean[j];
    cross += s.mean[j] * t.mean[j];
  }
  return (sourceNorm - s.weightedNorms) / sourceMass + (targetNorm - t.weightedNorms) / targetMass - 2 * cross;
}

/** `Σᵤ βᵤ exp(−γᵤ D)` entry-wise, as a new matrix. */
function gaussianFromDistances(distances: Matrix, gammas: readonly number[], scale: number): Matrix {
  const out = new Matrix(distances.rows, distances.cols);
  const source = distances.data;
  const target = out.data;
  for (let index = 0; index < source.length; index++) {
    const value = source[index];
    let sum = 0;
    for (let u = 0; u < gammas.length; u++) sum += Math.exp(-gammas[u] * value);
    target[index] = scale * sum;
  }
  return out;
}

/**
 * The squared maximum mean discrepancy between the source and target samples (Gretton, Borgwardt,
 * Rasch, Schölkopf & Smola, *A Kernel Two-Sample Test*, JMLR 13, 2012): the squared RKHS distance
 * between the two kernel mean embeddings, `MMD² = ‖μ_s − μ_t‖²_H`.
 *
 * With kernel `k`, normalised source weights `aᵢ = wᵢ / Σ w` (uniform `1/ns` by default) and
 * target weights `bⱼ = 1/nt`:
 * - **biased** (the V-statistic, Gretton et al. eq. 5 when unweighted; always ≥ 0 and exactly the
 *   squared distance between the empirical embeddings `Σ aᵢ φ(xᵢ)` and `Σ bⱼ φ(tⱼ)`):
 *   `Σᵢⱼ aᵢaⱼ k(xᵢ,xⱼ) + Σᵢⱼ bᵢbⱼ k(tᵢ,tⱼ) − 2 Σᵢⱼ aᵢbⱼ k(xᵢ,tⱼ)`;
 * - **unbiased** (the U-statistic, Gretton et al. Lemma 6 when unweighted; can be negative):
 *   `Σ_{i≠j} aᵢaⱼ k(xᵢ,xⱼ) / (1 − Σ aᵢ²) + Σ_{i≠j} bᵢbⱼ k(tᵢ,tⱼ) / (1 − Σ bᵢ²) − 2 Σᵢⱼ aᵢbⱼ k(xᵢ,tⱼ)`,
 *   i.e. the within-domain terms average over pairs of distinct samples with pair weights `aᵢaⱼ`
 *   (for uniform weights: `1/(ns(ns−1)) Σ_{i≠j} k(xᵢ,xⱼ)`).
 *
 * **Weighted MMD** (`sourceWeights`, e.g. importance weights from KMM or KLIEP): the source
 * embedding is `Σ wᵢ φ(xᵢ) / Σ wᵢ`, so the scale of the weights does not matter and integer
 * weights equal repeating rows (biased estimator). Note that KMM's own objective
 * (Huang et al., NIPS 2006) divides by `ns` instead of `Σ wᵢ`; the two agree when `Σ wᵢ = ns`.
 *
 * **Kernels**: `'linear'` (`⟨x, y⟩`, computed in O(n·d) from the weighted means, so any `n` is
 * cheap); `'rbf'` (`exp(−γ‖x − y‖²)`, γ a number or `'median'`); `'multi-rbf'`, the multi-kernel
 * MMD of DAN (Long, Cao, Wang & Jordan, *Learning Transferable Features with Deep Adaptation
 * Networks*, ICML 2015) with equal kernel weights: `k = (1/m) Σᵤ exp(−γᵤ‖x − y‖²)` for
 * `combine: 'mean'` (or the plain sum), whose MMD² is the mean (sum) of the single-kernel MMD²
 * values; or any {@link KernelSpec}. The RBF kernels need all pooled pair distances, one
 * `(ns + nt)² d / 2` multiply–add product; for large samples see {@link linearTimeMmd2}.
 *
 * @param Xs - `ns x d` source rows (a {@link Matrix}, nested arrays or a rank-2 tensor).
 * @param Xt - `nt x d` target rows.
 * @param options - `kernel` (default `'rbf'`), `gamma` (default `'median'`), `estimator` (default
 *   `'biased'`), `sourceWeights`, and the `'multi-rbf'` options `gammaMultipliers`, `gammas`,
 *   `combine`; `median` to subsample the median heuristic.
 * @throws TlkitError `EMPTY_DOMAIN`, `DIMENSION_MISMATCH`, `NON_FINITE_INPUT`, `INVALID_ARGUMENT`
 * (bad kernel, γ or weights), `TOO_FEW_SAMPLES` (unbiased with fewer than 2 samples in a domain),
 * `NUMERICAL_ERROR` (median heuristic of 0).
 *
 * @example
 * ```ts
 * mmd2(Xs, Xt);                                                   // RBF, median heuristic, biased
 * mmd2(Xs, Xt, { kernel: 'rbf', gamma: 1 / d, estimator: 'unbiased' });
 * mmd2(Xs, Xt, { kernel: 'linear', sourceWeights: kmmWeights });  // after reweighting
 * mmd2(Xs, Xt, { kernel: 'multi-rbf' });                          // DAN-style family around the median
 * ```
 */
export function mmd2(Xs: MatrixInput, Xt: MatrixInput, options: Mmd2Options = {}): number {
  if (options === null || typeof options !== 'object') {
    throw new TlkitError('INVALID_ARGUMENT', 'options must be an object, e.g. { kernel: "rbf", gamma: "median" }.', {
      argument: 'options',
    });
  }
  const kernel = options.kernel ?? 'rbf';
  const estimator = checkEstimator(options.estimator);
  const namedKernel = typeof kernel === 'string';
  if (namedKernel && kernel !== 'linear' && kernel !== 'rbf' && kernel !== 'multi-rbf') {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `options.kernel must be 'linear', 'rbf', 'multi-rbf' or a kernel spec, got ${JSON.stringify(kernel)}.`,
      { argument: 'options.kernel' },
    );
  }
  const spec = namedKernel ? undefined : checkKernelSpec(kernel, 'options.kernel');
  const usesGamma = kernel === 'rbf' || kernel === 'multi-rbf';
  if (!usesGamma && options.gamma !== undefined) {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `options.gamma applies to the 'rbf' and 'multi-rbf' kernels only${spec ? ' (a kernel spec carries its own gamma)' : ''}; remove it.`,
      { argument: 'options.gamma' },
    );
  }
  const gammaOption = options.gamma ?? 'median';
  if (usesGamma && gammaOption !== 'median') {
    checkPositive(gammaOption, 'options.gamma', "Pass a number > 0 or 'median'.");
  }
  if (kernel === 'multi-rbf') {
    if (options.gammas !== undefined) checkGammaList(options.gammas, 'options.gammas');
    if (options.gammaMultipliers !== undefined) checkGammaList(options.gammaMultipliers, 'options.gammaMultipliers');
    if (options.combine !== undefined && options.combine !== 'mean' && options.combine !== 'sum') {
      throw new TlkitError('INVALID_ARGUMENT', `options.combine must be 'mean' or 'sum', got ${JSON.stringify(options.combine)}.`, {
        argument: 'options.combine',
      });
    }
  }

  if (options.median !== undefined) checkMedianOptions(options.median);

  const source = readMatrix(Xs, 'Xs');
  const target = readMatrix(Xt, 'Xt');
  checkSameColumns(source, target, 'Xs', 'Xt');
  const sourceWeights = normalisedWeights(options.sourceWeights, source.rows);
  const targetWeights = normalisedWeights(undefined, target.rows);
  if (estimator === 'unbiased') {
    offDiagonalMass(sourceWeights, 'source');
    offDiagonalMass(targetWeights, 'target');
  }

  if (kernel === 'linear' || spec?.type === 'linear') {
    return linearMmd2(source, target, sourceWeights, targetWeights, estimator, options.sourceWeights === undefined);
  }
  if (spec?.type === 'poly') {
    const kernels: DomainBlocks = {
      sourceSource: polynomialKernel(source, source, spec),
      targetTarget: polynomialKernel(target, target, spec),
      sourceTarget: polynomialKernel(source, target, spec),
    };
    return mmd2FromBlocks(kernels, sourceWeights, targetWeights, estimator);
  }

  // Gaussian kernels: one set of pooled squared distances serves the bandwidth and every kernel.
  const distances = squaredDistanceBlocksOf(source, target);
  let gammas: readonly number[];
  let scale = 1;
  if (spec?.type === 'rbf') {
    gammas = [spec.gamma];
  } else if (kernel === 'multi-rbf' && options.gammas !== undefined) {
    gammas = options.gammas;
  } else {
    const base =
      gammaOption === 'median'
        ? medianGamma(distances, source, target, options.median)
        : (gammaOption as number);
    gammas = kernel === 'multi-rbf' ? (options.gammaMultipliers ?? DEFAULT_GAMMA_MULTIPLIERS).map((m) => m * base) : [base];
  }
  if (kernel === 'multi-rbf' && (options.combine ?? 'mean') === 'mean') scale = 1 / gammas.length;
  const kernels: DomainBlocks = {
    sourceSource: gaussianFromDistances(distances.sourceSource, gammas, scale),
    targetTarget: gaussianFromDistances(distances.targetTarget, gammas, scale),
    sourceTarget: gaussianFromDistances(distances.sourceTarget, gammas, scale),
  };
  return mmd2FromBlocks(kernels, sourceWeights, targetWeights, estimator);
}

function checkMedianOptions(median: MedianHeuristicOptions): void {
  const { maxRows, seed } = median;
  if (maxRows !== undefined && (!Number.isInteger(maxRows) || maxRows < 2)) {
    throw new TlkitError('INVALID_ARGUMENT', `options.median.maxRows must be an integer ≥ 2, got ${String(maxRows)}.`, {
      argument: 'options.median.maxRows',
    });
  }
  if (seed !== undefined) assertSeed(seed, 'options.median.seed');
}

function checkGammaList(values: unknown, argument: string): void {
  if (!Array.isArray(values) || values.length === 0) {
    throw new TlkitError('INVALID_ARGUMENT', `${argument} must be a non-empty array of numbers > 0.`, { argument });
  }
  values.forEach((value, index) => checkPositive(value, `${argument}[${index}]`));
}

/** γ from the median heuristic: exact from the blocks, or on a seeded subsample when asked. */
function medianGamma(
  distances: DomainBlocks,
  source: Matrix,
  target: Matrix,
  median: MedianHeuristicOptions | undefined,
): number {
  const total = source.rows + target.rows;
  if (median?.maxRows !== undefined && total > median.maxRows) {
    // A seeded subsample of the pooled rows (distances recomputed on those rows only).
    return medianHeuristic(source, target, median).gamma;
  }
  return medianHeuristicFromSquaredDistances(distances).gamma;
}
