/**
 * C-support vector classification with a linear kernel in LIBSVM's formulation: hinge loss, an
 * unpenalised bias, the dual solved by SMO with second-order working-set selection, one-vs-one
 * multi-class voting.
 */
import * as z from 'zod';
import { TlkitError } from '../errors';
import { gemmAccumulate, rowMajorView } from '../linalg/gemm';
import { matmulTransposeB, mirrorUpperToLower } from '../linalg/products';
import { Matrix } from '../matrix';
import { definePlugin } from '../plugin';
import { kFoldSplits } from '../protocols/splits';
import { createRng, deriveSeed } from '../rng';
import { type JsonValue, readArray, readJson, readMatrix, type StepState, storeArray, storeMatrix } from '../state';
import type { FittedEstimator } from '../strategy';
import {
  checkClassLabels,
  checkFeatures,
  checkPositive,
  checkPositiveInteger,
  checkQuery,
  checkSampleWeights,
  requireProblem,
} from './validation';

/**
 * The default grid of C for `C: 'source-cv'`: 10⁻³, 10⁻², …, 10⁴ — the grid of the CORAL reference
 * code's SVM wrapper (Sun, Feng & Saenko 2016), which picks C by cross-validation on the source.
 */
export const SVC_C_GRID: readonly number[] = [1e-3, 1e-2, 1e-1, 1, 10, 100, 1000, 10000];

/** LIBSVM's guard for a non-positive curvature a_ij in the two-variable step. */
const TAU = 1e-12;

/**
 * Above this many training samples the whole n x n Gram matrix is not precomputed (it would take
 * more than 128 MB); each binary problem then builds its own.
 */
const FULL_GRAM_LIMIT = 4000;

/** Above this many samples in one binary problem, kernel rows are computed on demand and cached. */
const DENSE_PROBLEM_LIMIT = 4000;

/** Bytes of kernel rows kept by the on-demand cache (LIBSVM's `-m` default is 100 MB). */
const ROW_CACHE_BYTES = 256 * 1024 * 1024;

/** Rows of a symmetric kernel matrix over the samples of one binary problem. @internal */
export interface KernelRows {
  readonly size: number;
  /** K[t][t]. */
  readonly diagonal: Float64Array;
  /** K[i][·], length `size`; valid until the next call. */
  row(i: number): Float64Array;
}

function denseKernelRows(kernel: Float64Array, size: number): KernelRows {
  const diagonal = new Float64Array(size);
  for (let t = 0; t < size; t++) diagonal[t] = kernel[t * size + t];
  return { size, diagonal, row: (i) => kernel.subarray(i * size, (i + 1) * size) };
}

/** X Xᵀ (upper triangle by gemm, then mirrored), row-major `n x n`. */
function linearGram(X: Matrix): Float64Array {
  const n = X.rows;
  const out = new Float64Array(n * n);
  gemmAccumulate(n, n, X.cols, 1, rowMajorView(X.data, X.cols), rowMajorView(X.data, X.cols, true), out, 0, n, true);
  mirrorUpperToLower(out, n);
  return out;
}

/**
 * Linear-kernel rows computed from the features when asked, keeping at most `cacheBytes` of rows
 * (at least two), least recently used evicted first. @internal
 */
export function cachedKernelRows(X: Matrix, cacheBytes = ROW_CACHE_BYTES): KernelRows {
  const size = X.rows;
  const d = X.cols;
  const data = X.data;
  const diagonal = new Float64Array(size);
  for (let t = 0; t < size; t++) {
    let sum = 0;
    for (let p = 0; p < d; p++) sum += data[t * d + p] * data[t * d + p];
    diagonal[t] = sum;
  }
  const capacity = Math.max(2, Math.floor(cacheBytes / (8 * size)));
  const cache = new Map<number, Float64Array>();
  return {
    size,
    diagonal,
    row(i) {
      const hit = cache.get(i);
      if (hit) {
        cache.delete(i);
        cache.set(i, hit);
        return hit;
      }
      let row: Float64Array;
      if (cache.size >= capacity) {
        const oldest = cache.keys().next().value as number;
        row = cache.get(oldest) as Float64Array;
        cache.delete(oldest);
      } else {
        row = new Float64Array(size);
      }
      const offset = i * d;
      for (let t = 0; t < size; t++) {
        let sum = 0;
        const other = t * d;
        for (let p = 0; p < d; p++) sum += data[offset + p] * data[other + p];
        row[t] = sum;
      }
      cache.set(i, row);
      return row;
    },
  };
}

/** Options of {@link solveSvcDual}. */
export interface SvcDualOptions {
  /**
   * Stop when the maximal KKT violation m(α) − M(α) < tolerance (LIBSVM's `-e`, default 1e-3;
   * Fan, Chen & Lin 2005, eq. (8)).
   */
  tolerance?: number;
  /** Most SMO iterations (two-variable updates). Default 10,000,000 (LIBSVM's floor). */
  maxIterations?: number;
  /**
   * Called every 1000 iterations with the iteration count (e.g. to abort by throwing); `fitSvc`
   * also calls it after each binary problem.
   */
  onIteration?: (iteration: number) => void;
}

/** The solution of one binary C-SVC dual (see {@link solveSvcDual}). */
export interface SvcDualSolution {
  /** The dual variables, 0 ≤ αᵢ ≤ Uᵢ. */
  readonly alpha: Float64Array;
  /** ρ: the decision value is f(x) = Σᵢ αᵢ yᵢ K(xᵢ, x) − ρ (so the bias is b = −ρ). */
  readonly rho: number;
  /** The dual gradient G = Qα − 1 at the solution. */
  readonly gradient: Float64Array;
  /** SMO iterations used. */
  readonly iterations: number;
  /** True when the stopping test was met before `maxIterations`. */
  readonly converged: boolean;
}

/**
 * The SMO loop on given kernel rows (inputs already checked).
 *
 * Working set (Fan, Chen & Lin, JMLR 2005, "WSS 3"): with sₜ = −yₜGₜ,
 * I_up = {t : yₜ = +1, αₜ < Uₜ or yₜ = −1, αₜ > 0}, I_low = {t : yₜ = +1, αₜ > 0 or yₜ = −1, αₜ < Uₜ},
 * i = argmax_{I_up} sₜ, j = argmin over t ∈ I_low with sₜ < sᵢ of −(sᵢ − sₜ)² / aᵢₜ where
 * aᵢₜ = Kᵢᵢ + Kₜₜ − 2Kᵢₜ (τ = 1e-12 when ≤ 0). Stops when max_{I_up} s − min_{I_low} s < tolerance.
 * The pair is then moved exactly to the minimum of the dual along the direction that keeps yᵀα
 * fixed, clipped to the box. @internal
 */
export function smo(kernel: KernelRows, signs: Float64Array, upper: Float64Array, options: SvcDualOptions): SvcDualSolution {
  const m = kernel.size;
  const tolerance = options.tolerance ?? 1e-3;
  const maxIterations = options.maxIterations ?? 10_000_000;
  const diagonal = kernel.diagonal;
  const alpha = new Float64Array(m);
  const gradient = new Float64Array(m).fill(-1);
  let iterations = 0;
  let converged = false;
  while (true) {
    // i: the maximal violating index in I_up.
    let maximumUp = -Infinity;
    let i = -1;
    for (let t = 0; t < m; t++) {
      const y = signs[t];
      if (y > 0 ? alpha[t] < upper[t] : alpha[t] > 0) {
        const score = -y * gradient[t];
        if (score >= maximumUp) {
          maximumUp = score;
          i = t;
        }
      }
    }
    // j: second-order choice in I_low; M(α) for the stopping test.
    let minimumLow = Infinity;
    let j = -1;
    let bestObjective = Infinity;
    const rowI = i >= 0 ? kernel.row(i) : undefined;
    for (let t = 0; t < m; t++) {
      const y = signs[t];
      if (!(y > 0 ? alpha[t] > 0 : alpha[t] < upper[t])) continue;
      const score = -y * gradient[t];
      if (score < minimumLow) minimumLow = score;
      const difference = maximumUp - score;
      if (rowI !== undefined && difference > 0) {
        const curvature = diagonal[i] + diagonal[t] - 2 * rowI[t];
        const objective = -(difference * difference) / (curvature > 0 ? curvature : TAU);
        if (objective <= bestObjective) {
          bestObjective = objective;
          j = t;
        }
      }
    }
    if (i < 0 || j < 0 || maximumUp - minimumLow < tolerance) {
      converged = true;
      break;
    }
    if (iterations >= maxIterations) break;
    iterations++;
    if (options.onIteration && iterations % 1000 === 0) options.onIteration(iterations);

    const row_i = kernel.row(i);
    let curvature = diagonal[i] + diagonal[j] - 2 * row_i[j];
    if (!(curvature > 0)) curvature = TAU;
    const oldI = alpha[i];
    const oldJ = alpha[j];
    let newI: number;
    let newJ: number;
    if (signs[i] !== signs[j]) {
      // αᵢ − αⱼ stays fixed: both move by δ.
      const step = (-gradient[i] - gradient[j]) / curvature;
      const low = Math.max(-oldI, -oldJ);
      const high = Math.min(upper[i] - oldI, upper[j] - oldJ);
      if (step <= low) {
        newI = oldI + low;
        newJ = oldJ + low;
        if (-oldI >= -oldJ) newI = 0;
        else newJ = 0;
      } else if (step >= high) {
        newI = oldI + high;
        newJ = oldJ + high;
        if (upper[i] - oldI <= upper[j] - oldJ) newI = upper[i];
        else newJ = upper[j];
      } else {
        newI = oldI + step;
        newJ = oldJ + step;
      }
    } else {
      // αᵢ + αⱼ stays fixed: αᵢ moves by −δ, αⱼ by +δ.
      const step = (gradient[i] - gradient[j]) / curvature;
      const low = Math.max(oldI - upper[i], -oldJ);
      const high = Math.min(oldI, upper[j] - oldJ);
      if (step <= low) {
        newI = oldI - low;
        newJ = oldJ + low;
        if (oldI - upper[i] >= -oldJ) newI = upper[i];
        else newJ = 0;
      } else if (step >= high) {
        newI = oldI - high;
        newJ = oldJ + high;
        if (oldI <= upper[j] - oldJ) newI = 0;
        else newJ = upper[j];
      } else {
        newI = oldI - step;
        newJ = oldJ + step;
      }
    }
    // Guard the box against rounding.
    newI = Math.min(Math.max(newI, 0), upper[i]);
    newJ = Math.min(Math.max(newJ, 0), upper[j]);
    alpha[i] = newI;
    alpha[j] = newJ;
    const changeI = (newI - oldI) * signs[i];
    const changeJ = (newJ - oldJ) * signs[j];
    const rowJ = kernel.row(j);
    const rowIAgain = kernel.row(i); // the cache may have recycled the first row's storage
    for (let t = 0; t < m; t++) gradient[t] += signs[t] * (rowIAgain[t] * changeI + rowJ[t] * changeJ);
  }
  // ρ as in LIBSVM: the mean of yₜGₜ over free αₜ, else the midpoint of the feasible interval.
  let upperBound = Infinity;
  let lowerBound = -Infinity;
  let freeSum = 0;
  let freeCount = 0;
  for (let t = 0; t < m; t++) {
    const value = signs[t] * gradient[t];
    if (alpha[t] >= upper[t]) {
      if (signs[t] < 0) upperBound = Math.min(upperBound, value);
      else lowerBound = Math.max(lowerBound, value);
    } else if (alpha[t] <= 0) {
      if (signs[t] > 0) upperBound = Math.min(upperBound, value);
      else lowerBound = Math.max(lowerBound, value);
    } else {
      freeSum += value;
      freeCount++;
    }
  }
  const rho = freeCount > 0 ? freeSum / freeCount : (upperBound + lowerBound) / 2;
  return { alpha, rho, gradient, iterations, converged };
}

function checkSigns(signs: unknown, rows: number, function_: string): Float64Array {
  if (!signs || typeof signs !== 'object' || typeof (signs as ArrayLike<number>).length !== 'number') {
    throw new TlkitError('INVALID_ARGUMENT', `${function_}: signs must be an array of +1 / −1.`, { argument: 'signs' });
  }
  const values = signs as ArrayLike<number>;
  if (values.length !== rows) {
    throw new TlkitError('DIMENSION_MISMATCH', `${function_}: signs has ${values.length} entries for ${rows} samples; give one per sample.`, {
      argument: 'signs',
      expected: rows,
      actual: values.length,
    });
  }
  const out = new Float64Array(rows);
  for (let t = 0; t < rows; t++) {
    if (values[t] !== 1 && values[t] !== -1) {
      throw new TlkitError('INVALID_ARGUMENT', `${function_}: signs[${t}] = ${values[t]}; every sign must be +1 or −1.`, { argument: 'signs', index: t });
    }
    out[t] = values[t];
  }
  return out;
}

/**
 * Solves one binary C-SVC dual, as LIBSVM's C-SVC does (Chang & Lin, "LIBSVM: a library for support
 * vector machines", ACM TIST 2011, §2.1 and §4):
 *
 *     min_α ½ αᵀQα − Σᵢ αᵢ   subject to  yᵀα = 0,  0 ≤ αᵢ ≤ Uᵢ,   Qᵢⱼ = yᵢ yⱼ Kᵢⱼ,
 *
 * the dual of min_{w,b} ½‖w‖² + Σᵢ Uᵢ max(0, 1 − yᵢ(wᵀφ(xᵢ) + b)) — hinge loss, bias b not
 * penalised (it is the multiplier of yᵀα = 0). Solved by SMO (Platt 1998) with the second-order
 * working-set selection of R.-E. Fan, P.-H. Chen, C.-J. Lin, "Working set selection using second
 * order information for training support vector machines", JMLR 6, 2005 (WSS 3), without
 * shrinking. ρ = −b is LIBSVM's: the average of yᵢGᵢ over the free αᵢ (0 < αᵢ < Uᵢ), or the
 * midpoint of the interval the KKT conditions allow when no α is free.
 *
 * @param kernel - the symmetric kernel matrix K, `m x m` (e.g. X Xᵀ for the linear kernel).
 * @param signs - yᵢ ∈ {−1, +1}, one per row.
 * @param upperBounds - Uᵢ > 0 per row (C times the sample's weight).
 * @param options - `tolerance` (1e-3), `maxIterations` (10⁷), `onIteration`.
 * @throws TlkitError `INVALID_ARGUMENT`, `DIMENSION_MISMATCH`, `NON_FINITE_INPUT`, `INVALID_CONFIG`.
 *
 * @example
 * ```ts
 * const X = Matrix.fromRows([[0, 0], [2, 2]]);
 * const { alpha, rho } = solveSvcDual(matmulTransposeB(X, X), [-1, 1], [10, 10]);
 * // alpha = [0.25, 0.25], rho = 1: f(x) = 0.5·x₁ + 0.5·x₂ − 1
 * ```
 */
export function solveSvcDual(
  kernel: Matrix,
  signs: ArrayLike<number>,
  upperBounds: ArrayLike<number>,
  options: SvcDualOptions = {},
): SvcDualSolution {
  const name = 'solveSvcDual';
  checkFeatures(kernel, 'kernel', name);
  if (kernel.rows !== kernel.cols) {
    throw new TlkitError('DIMENSION_MISMATCH', `${name}: kernel is ${kernel.rows} x ${kernel.cols}; it must be square (K[i][j] = k(xᵢ, xⱼ)).`, {
      argument: 'kernel',
    });
  }
  const m = kernel.rows;
  const y = checkSigns(signs, m, name);
  if (!upperBounds || typeof upperBounds !== 'object' || (upperBounds as ArrayLike<number>).length !== m) {
    throw new TlkitError('DIMENSION_MISMATCH', `${name}: upperBounds must hold one bound per sample (${m}).`, { argument: 'upperBounds' });
  }
  const upper = Float64Array.from(upperBounds);
  for (let t = 0; t < m; t++) {
    if (!Number.isFinite(upper[t]) || !(upper[t] > 0)) {
      throw new TlkitError('INVALID_ARGUMENT', `${name}: upperBounds[${t}] = ${upper[t]}; every upper bound must be finite and > 0 (leave samples with zero cost out).`, {
        argument: 'upperBounds',
        index: t,
      });
    }
  }
  checkPositive(options.tolerance ?? 1e-3, 'tolerance', name);
  checkPositiveInteger(options.maxIterations ?? 10_000_000, 'maxIterations', name);
  return smo(denseKernelRows(kernel.data, m), y, upper, options);
}

/** Options of {@link fitSvc}. */
export interface SvcFitOptions extends SvcDualOptions {
  /**
   * C, the weight of the hinge loss against ½‖w‖² (default 1, as LIBSVM's `-c`), or
   * `'source-cv'`: choose C from `cGrid` by stratified `cvFolds`-fold cross-validation on the
   * training data, then refit on all of it.
   */
  C?: number | 'source-cv';
  /**
   * One non-negative weight per sample (default all 1): sample i's bound is C · weights[i], as
   * LIBSVM's instance weights. Samples of weight 0 are left out.
   */
  weights?: ArrayLike<number>;
  /** Number of classes K (default `max(y) + 1`, at least 2). */
  numClasses?: number;
  /** The C values tried by `'source-cv'`. Default {@link SVC_C_GRID} (10⁻³ … 10⁴). */
  cGrid?: readonly number[];
  /** Folds of `'source-cv'`. Default 2 (as the CORAL reference code). */
  cvFolds?: number;
  /** Seed of the cross-validation folds. Default 0. */
  seed?: number;
}

/** The cross-validation record of `C: 'source-cv'`. */
export interface SvcCrossValidation {
  /** The C values tried. */
  readonly grid: readonly number[];
  /** Held-out (weighted) accuracy per C over all folds, in [0, 1]. */
  readonly accuracy: readonly number[];
  readonly folds: number;
}

/** A fitted one-vs-one linear C-SVC (see {@link fitSvc}). */
export interface SvcModel {
  readonly numClasses: number;
  readonly featureCount: number;
  /** The binary problems, one `[a, b]` (a < b, class a is the positive side) per row of `coefficients`. */
  readonly pairs: readonly (readonly [number, number])[];
  /** w of each binary problem, `pairs.length x featureCount`: w = Σᵢ αᵢ yᵢ xᵢ. */
  readonly coefficients: Matrix;
  /** ρ of each binary problem: f(x) = wᵀx − ρ. */
  readonly rho: Float64Array;
  /** The class predicted when no binary problem was trained (a single class in the data). */
  readonly fallbackClass: number;
  /** The C used (the chosen one with `'source-cv'`). */
  readonly C: number;
  /** SMO iterations, summed over the binary problems of the final fit. */
  readonly iterations: number;
  /** True when every binary problem met the tolerance. */
  readonly converged: boolean;
  /** Samples with αᵢ > 0 in at least one binary problem. */
  readonly supportVectorCount: number;
  /** Present when C was chosen by cross-validation. */
  readonly crossValidation?: SvcCrossValidation;
  /** Pairwise decision values f_ab(x) = w_abᵀx − ρ_ab, `n x pairs.length` (> 0 votes for a). */
  decisionFunction(X: Matrix): Matrix;
  /** One-vs-one voting: each pair votes a when f_ab(x) > 0, else b; ties go to the lowest class id. */
  predict(X: Matrix): Int32Array;
}

class SvcModelImpl implements SvcModel {
  readonly featureCount: number;

  constructor(
    readonly numClasses: number,
    readonly pairs: readonly (readonly [number, number])[],
    readonly coefficients: Matrix,
    readonly rho: Float64Array,
    readonly fallbackClass: number,
    readonly C: number,
    readonly iterations: number,
    readonly converged: boolean,
    readonly supportVectorCount: number,
    readonly crossValidation?: SvcCrossValidation,
  ) {
    this.featureCount = coefficients.cols;
  }

  decisionFunction(X: Matrix): Matrix {
    checkQuery(X, this.featureCount, 'svc');
    const P = this.pairs.length;
    if (X.rows === 0 || P === 0) return new Matrix(X.rows, P);
    const values = matmulTransposeB(X, this.coefficients);
    for (let i = 0; i < X.rows; i++) for (let p = 0; p < P; p++) values.data[i * P + p] -= this.rho[p];
    return values;
  }

  predict(X: Matrix): Int32Array {
    const values = this.decisionFunction(X);
    const P = this.pairs.length;
    const K = this.numClasses;
    const out = new Int32Array(X.rows);
    if (P === 0) return out.fill(this.fallbackClass);
    const votes = new Int32Array(K);
    for (let i = 0; i < X.rows; i++) {
      votes.fill(0);
      for (let p = 0; p < P; p++) {
        const [a, b] = this.pairs[p];
        votes[values.data[i * P + p] > 0 ? a : b]++;
      }
      let best = 0;
      for (let k = 1; k < K; k++) if (votes[k] > votes[best]) best = k;
      out[i] = best;
    }
    return out;
  }
}

interface SolverSettings {
  readonly tolerance: number;
  readonly maxIterations: number;
  readonly onIteration?: (iteration: number) => void;
}

/**
 * One-vs-one training for a fixed C on the rows `rows` of X (inputs already checked). `fullGram`,
 * when given, is X Xᵀ over all rows of X.
 */
function trainOneVsOne(
  X: Matrix,
  fullGram: Float64Array | undefined,
  rows: ArrayLike<number>,
  labels: Int32Array,
  weights: Float64Array,
  K: number,
  C: number,
  settings: SolverSettings,
): SvcModelImpl {
  const n = X.rows;
  const d = X.cols;
  const members: number[][] = Array.from({ length: K }, () => []);
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r];
    if (weights[i] > 0) members[labels[i]].push(i);
  }
  const present = members.flatMap((list, k) => (list.length > 0 ? [k] : []));
  const pairs: [number, number][] = [];
  for (let a = 0; a < present.length; a++) for (let b = a + 1; b < present.length; b++) pairs.push([present[a], present[b]]);
  const coefficients = new Matrix(pairs.length, d);
  const rho = new Float64Array(pairs.length);
  const support = new Uint8Array(n);
  let iterations = 0;
  let converged = true;
  for (const [p, [a, b]] of pairs.entries()) {
    const problem = [...members[a], ...members[b]].sort((u, v) => u - v);
    const m = problem.length;
    const signs = Float64Array.from(problem, (i) => (labels[i] === a ? 1 : -1));
    const upper = Float64Array.from(problem, (i) => C * weights[i]);
    let kernel: KernelRows;
    if (fullGram) {
      const local = new Float64Array(m * m);
      for (let u = 0; u < m; u++) {
        const offset = problem[u] * n;
        for (let v = 0; v < m; v++) local[u * m + v] = fullGram[offset + problem[v]];
      }
      kernel = denseKernelRows(local, m);
    } else if (m <= DENSE_PROBLEM_LIMIT) {
      kernel = denseKernelRows(linearGram(X.selectRows(problem)), m);
    } else {
      kernel = cachedKernelRows(X.selectRows(problem));
    }
    const solution = smo(kernel, signs, upper, settings);
    iterations += solution.iterations;
    converged &&= solution.converged;
    const w = coefficients.data.subarray(p * d, (p + 1) * d);
    for (let u = 0; u < m; u++) {
      const coefficient = solution.alpha[u] * signs[u];
      if (coefficient === 0) continue;
      support[problem[u]] = 1;
      const offset = problem[u] * d;
      for (let q = 0; q < d; q++) w[q] += coefficient * X.data[offset + q];
    }
    rho[p] = solution.rho;
    settings.onIteration?.(solution.iterations);
  }
  let supportVectorCount = 0;
  for (let i = 0; i < n; i++) supportVectorCount += support[i];
  return new SvcModelImpl(K, pairs, coefficients, rho, present[0] ?? 0, C, iterations, converged, supportVectorCount);
}

/**
 * Fits a linear-kernel C-SVC as LIBSVM does (`svm-train -s 0 -t 0`; Chang & Lin, ACM TIST 2011):
 * one binary problem per pair of classes (one-vs-one, Knerr et al. 1990; Hsu & Lin, IEEE TNN
 * 2002), each min_{w,b} ½‖w‖² + C Σᵢ sᵢ max(0, 1 − yᵢ(wᵀxᵢ + b)) with sample weights sᵢ and an
 * unpenalised bias, solved in the dual by SMO with second-order working-set selection
 * ({@link solveSvcDual}; Fan, Chen & Lin, JMLR 2005). The linear kernel is exploited: X Xᵀ is
 * computed once (up to 4000 samples) and shared by every binary problem and cross-validation
 * fold, and each pair is stored as its primal w = Σᵢ αᵢ yᵢ xᵢ, so prediction is one matrix
 * product. Prediction is by voting: pair (a, b) votes a when wᵀx − ρ > 0, else b; the class with
 * most votes wins, ties to the lowest class id (LIBSVM breaks ties by its internal class order,
 * the order of first appearance in the training labels).
 *
 * With `C: 'source-cv'`, C is chosen from `cGrid` (default 10⁻³ … 10⁴) by stratified `cvFolds`-fold
 * (default 2) cross-validation on the given training data only (seeded folds from core's
 * `kFoldSplits`): the highest held-out accuracy over all folds wins (weighted by the sample weights
 * when given), the smallest C on ties.
 *
 * @param X - training features, `n x d`.
 * @param y - class ids `0..K-1`.
 * @param options - `C` (1), `weights`, `numClasses`, `tolerance` (1e-3), `maxIterations` (10⁷ per
 * binary problem), `cGrid`, `cvFolds` (2), `seed` (0), `onIteration`.
 * @throws TlkitError `INVALID_CONFIG` (C ≤ 0, bad grid, folds, tolerance), `INVALID_ARGUMENT`,
 * `DIMENSION_MISMATCH`, `NON_FINITE_INPUT`, `LABEL_NOT_INTEGER`, `LABEL_OUT_OF_RANGE`,
 * `TOO_FEW_SAMPLES` (cross-validation).
 *
 * @example
 * ```ts
 * const model = fitSvc(Matrix.fromRows([[0, 0], [0, 1], [3, 3], [3, 4]]), [0, 0, 1, 1], { C: 1 });
 * model.predict(Matrix.fromRows([[0.5, 0.5], [3, 3.5]])); // Int32Array [0, 1]
 * ```
 */
export function fitSvc(X: Matrix, y: ArrayLike<number>, options: SvcFitOptions = {}): SvcModel {
  const name = 'fitSvc';
  const requested = options.C ?? 1;
  if (requested !== 'source-cv') checkPositive(requested, 'C', name);
  const settings: SolverSettings = {
    tolerance: checkPositive(options.tolerance ?? 1e-3, 'tolerance', name),
    maxIterations: checkPositiveInteger(options.maxIterations ?? 10_000_000, 'maxIterations', name),
    ...(options.onIteration ? { onIteration: options.onIteration } : {}),
  };
  const grid = options.cGrid ?? SVC_C_GRID;
  const folds = options.cvFolds ?? 2;
  const seed = options.seed === undefined ? 0 : options.seed;
  if (requested === 'source-cv') {
    if (!Array.isArray(grid) || grid.length === 0) {
      throw new TlkitError('INVALID_CONFIG', `${name}: cGrid must be a non-empty array of positive numbers.`, { argument: 'cGrid' });
    }
    grid.forEach((value, position) => checkPositive(value, `cGrid[${position}]`, name));
    if (!Number.isInteger(folds) || folds < 2) {
      throw new TlkitError('INVALID_CONFIG', `${name}: cvFolds must be an integer ≥ 2, got ${folds}.`, { argument: 'cvFolds' });
    }
  }
  createRng(seed); // validates the seed
  checkFeatures(X, 'X', name);
  const { labels, numClasses } = checkClassLabels(y, X.rows, options.numClasses, name);
  const weights = checkSampleWeights(options.weights, X.rows, name);
  if (requested === 'source-cv' && X.rows < folds) {
    throw new TlkitError('TOO_FEW_SAMPLES', `${name}: ${X.rows} samples cannot be split into cvFolds = ${folds} folds; lower cvFolds or pass a number as C.`, {
      argument: 'cvFolds',
    });
  }
  const fullGram = X.rows <= FULL_GRAM_LIMIT ? linearGram(X) : undefined;
  const allRows = Int32Array.from({ length: X.rows }, (_, i) => i);
  if (requested !== 'source-cv') return trainOneVsOne(X, fullGram, allRows, labels, weights, numClasses, requested, settings);

  const splits = kFoldSplits(X.rows, { k: folds, seed: deriveSeed(seed, 'svc-cv-folds'), stratify: labels });
  const correct = new Float64Array(grid.length);
  const total = new Float64Array(grid.length);
  for (const { train, test } of splits) {
    if (test.length === 0 || !train.some((i) => weights[i] > 0)) continue;
    const testX = X.selectRows(test);
    for (let position = 0; position < grid.length; position++) {
      const model = trainOneVsOne(X, fullGram, train, labels, weights, numClasses, grid[position], settings);
      const predicted = model.predict(testX);
      for (let t = 0; t < test.length; t++) {
        const weight = weights[test[t]];
        total[position] += weight;
        if (predicted[t] === labels[test[t]]) correct[position] += weight;
      }
    }
  }
  const accuracy = Array.from(grid, (_, position) => (total[position] > 0 ? correct[position] / total[position] : 0));
  let best = 0;
  for (let position = 1; position < grid.length; position++) {
    const better = accuracy[position] > accuracy[best] || (accuracy[position] === accuracy[best] && grid[position] < grid[best]);
    if (better) best = position;
  }
  const model = trainOneVsOne(X, fullGram, allRows, labels, weights, numClasses, grid[best], settings);
  return new SvcModelImpl(
    model.numClasses,
    model.pairs,
    model.coefficients,
    model.rho,
    model.fallbackClass,
    model.C,
    model.iterations,
    model.converged,
    model.supportVectorCount,
    { grid: [...grid], accuracy, folds },
  );
}

/** Options of the `'svc'` plugin ({@link svc}). */
export const svcConfigSchema = z
  .object({
    /** C (positive), or 'source-cv' to choose it by cross-validation on the source. */
    C: z.union([z.number().positive().finite(), z.literal('source-cv')]).default(1),
    cGrid: z.array(z.number().positive().finite()).min(1).default([...SVC_C_GRID]),
    cvFolds: z.number().int().min(2).default(2),
    tolerance: z.number().positive().finite().default(1e-3),
    maxIterations: z.number().int().positive().default(10_000_000),
  })
  .strict();

/**
 * Options of {@link svc}: `C` (1, or `'source-cv'`), `cGrid` (10⁻³…10⁴), `cvFolds` (2),
 * `tolerance` (1e-3), `maxIterations` (10⁷ per binary problem).
 */
export type SvcOptions = z.input<typeof svcConfigSchema>;

function fittedEstimator(model: SvcModel): FittedEstimator {
  const info: Record<string, JsonValue> = {
    C: model.C,
    iterations: model.iterations,
    converged: model.converged,
    supportVectors: model.supportVectorCount,
  };
  if (model.crossValidation) {
    info.cvGrid = [...model.crossValidation.grid];
    info.cvAccuracy = [...model.crossValidation.accuracy];
    info.cvFolds = model.crossValidation.folds;
  }
  return {
    predict: (X) => model.predict(X),
    info,
    saveState: (): StepState => ({
      json: {
        ...info,
        numClasses: model.numClasses,
        pairs: model.pairs.map(([a, b]) => [a, b]),
        fallbackClass: model.fallbackClass,
      },
      arrays: { coefficients: storeMatrix(model.coefficients), rho: storeArray(model.rho) },
    }),
  };
}

/**
 * The `'svc'` plugin: LIBSVM-style linear C-SVC, one-vs-one (see {@link fitSvc}). Classification
 * only; uses sample weights as per-sample C scaling (sample i's bound is C · weightᵢ). With
 * `C: 'source-cv'` it picks C on the source (training) data only, folds seeded by the step's seed.
 */
export const svcPlugin = definePlugin({
  name: 'svc',
  kind: 'base',
  role: 'estimator',
  description:
    'LIBSVM-style linear C-SVC: hinge loss, unpenalised bias, SMO with second-order working-set selection, one-vs-one voting; C fixed or chosen by source cross-validation.',
  reference:
    'C.-C. Chang, C.-J. Lin, LIBSVM: a library for support vector machines, ACM TIST 2011; R.-E. Fan, P.-H. Chen, C.-J. Lin, Working set selection using second order information for training SVM, JMLR 2005.',
  needs: { problems: ['classification'], targetLabels: 'never', acceptsSampleWeights: true },
  configSchema: svcConfigSchema,
  create: (options) => ({
    probabilities: false,
    async doFit(input, context) {
      requireProblem(context.problem, 'classification', 'svc');
      const { X, y, weights } = input.train;
      const model = fitSvc(X, y, {
        C: options.C,
        cGrid: options.cGrid,
        cvFolds: options.cvFolds,
        tolerance: options.tolerance,
        maxIterations: options.maxIterations,
        numClasses: context.numClasses,
        seed: context.seed,
        ...(weights ? { weights } : {}),
        onIteration: () => context.throwIfAborted(),
      });
      return fittedEstimator(model);
    },
    doRestore(state) {
      const json = readJson<Record<string, JsonValue>>(state);
      const coefficients = readMatrix(state, 'coefficients');
      const rho = Float64Array.from(readArray(state, 'rho').data);
      const pairs = json.pairs as [number, number][];
      const numClasses = json.numClasses as number;
      const validPairs =
        Array.isArray(pairs) &&
        pairs.length === coefficients.rows &&
        pairs.every((pair) => Array.isArray(pair) && pair.length === 2 && pair.every((k) => Number.isInteger(k) && k >= 0 && k < numClasses));
      const fallbackClass = json.fallbackClass as number;
      const validClasses = Number.isInteger(numClasses) && numClasses >= 2 && Number.isInteger(fallbackClass) && fallbackClass >= 0 && fallbackClass < numClasses;
      if (!validClasses || !validPairs || rho.length !== coefficients.rows) {
        throw new TlkitError('INVALID_ARTIFACT', `svc state: pairs, rho and coefficients disagree (${coefficients.rows} coefficient rows, ${rho.length} rho values).`);
      }
      const crossValidation = Array.isArray(json.cvGrid)
        ? { grid: json.cvGrid as number[], accuracy: json.cvAccuracy as number[], folds: json.cvFolds as number }
        : undefined;
      return fittedEstimator(
        new SvcModelImpl(
          numClasses,
          pairs.map(([a, b]) => [a, b] as const),
          coefficients,
          rho,
          fallbackClass,
          json.C as number,
          json.iterations as number,
          json.converged as boolean,
          json.supportVectors as number,
          crossValidation,
        ),
      );
    },
  }),
});

/**
 * A LIBSVM-style linear C-SVC as a pipeline step (registry name `'svc'`).
 *
 * @example
 * ```ts
 * const fitted = await compose(coral(), svc({ C: 'source-cv' })).fit(task, { seed: 0 });
 * ```
 */
export const svc = (options?: SvcOptions) => svcPlugin.create(options);
