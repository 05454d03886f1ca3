/**
 * Linear support vector machines, one-vs-rest, solved in the dual by coordinate descent.
 */
import * as z from 'zod';
import { TlkitError } from '../errors';
import { matmulTransposeB } from '../linalg';
import { Matrix } from '../matrix';
import { definePlugin } from '../plugin';
import { createRng, type Rng } from '../rng';
import { type JsonValue, readArray, readJson, readMatrix, type StepState, storeArray, storeMatrix } from '../state';
import type { FittedEstimator } from '../strategy';
import {
  argmax,
  checkClassLabels,
  checkFeatures,
  checkPositive,
  checkPositiveInteger,
  checkQuery,
  checkSampleWeights,
  requireProblem,
} from './validation';

/**
 * The loss of a linear SVM:
 * - `'squared-hinge'` (L2-loss, LIBLINEAR's default `-s 1`, L2R_L2LOSS_SVC_DUAL): Σᵢ cᵢ max(0, 1 − yᵢ wᵀxᵢ)²;
 * - `'hinge'` (L1-loss, LIBLINEAR `-s 3`, L2R_L1LOSS_SVC_DUAL): Σᵢ cᵢ max(0, 1 − yᵢ wᵀxᵢ).
 */
export type SvmLoss = 'squared-hinge' | 'hinge';

/** The default grid of C for `C: 'source-cv'`: 10⁻³, 10⁻², …, 10³. */
export const SVM_C_GRID: readonly number[] = [1e-3, 1e-2, 1e-1, 1, 10, 100, 1000];

/** wᵀ X[row] for the row starting at `offset`. */
function dotRow(w: Float64Array, data: Float64Array, offset: number, d: number): number {
  let sum = 0;
  for (let j = 0; j < d; j++) sum += w[j] * data[offset + j];
  return sum;
}

/** w += step · X[row] for the row starting at `offset`. */
function addScaledRow(w: Float64Array, step: number, data: Float64Array, offset: number, d: number): void {
  for (let j = 0; j < d; j++) w[j] += step * data[offset + j];
}

/** Options of {@link solveLinearSvmDual}. */
export interface LinearSvmDualOptions {
  /** Default `'squared-hinge'`. */
  loss?: SvmLoss;
  /**
   * The constant feature B appended to every sample (LIBLINEAR's `-B`, scikit-learn's
   * `intercept_scaling`): the intercept is B·w_B and is penalised like the other weights.
   * 0 fits no intercept. Default 1.
   */
  interceptScaling?: number;
  /**
   * Stop when the projected-gradient spread max PG − min PG over a pass ≤ tolerance (LIBLINEAR's
   * test). Default 1e-2 (LIBLINEAR's default is 0.1, scikit-learn's `LinearSVC` passes 1e-4).
   */
  tolerance?: number;
  /** Most passes over the data. Default 1000. */
  maxIterations?: number;
  /** Seed of the per-pass random order of the coordinates. Default 0. */
  seed?: number;
  /** Called once per pass (e.g. to abort by throwing). */
  onIteration?: (iteration: number) => void;
  /**
   * A start point for α (warm start, e.g. the solution for a smaller C: Chu, Lin et al., "Warm
   * Start for Parameter Selection of Linear Classifiers", KDD 2015). Clipped to [0, Uᵢ]. Default 0.
   */
  initialAlpha?: Float64Array;
}

/** The solution of one binary SVM (see {@link solveLinearSvmDual}). */
export interface LinearSvmDualSolution {
  /** w, one weight per feature. */
  readonly weights: Float64Array;
  /** The intercept b = B · w_B (0 without an intercept). */
  readonly intercept: number;
  /** The dual variables αᵢ; w = Σᵢ αᵢ yᵢ xᵢ (with xᵢ extended by B). */
  readonly alpha: Float64Array;
  /** Passes over the data. */
  readonly iterations: number;
  /** True when the projected-gradient test was met before `maxIterations`. */
  readonly converged: boolean;
}

/**
 * Solves one binary L2-regularised linear SVM,
 * min_w ½‖w‖² + Σᵢ cᵢ ℓ(yᵢ wᵀxᵢ), by dual coordinate descent with shrinking
 * (C.-J. Hsieh, K.-W. Chang, C.-J. Lin, S. S. Keerthi, S. Sundararajan, "A Dual Coordinate Descent
 * Method for Large-scale Linear SVM", ICML 2008, Algorithm 1 and §3.2 shrinking; the method of
 * LIBLINEAR). The dual is min_α ½αᵀQ̄α − Σα, 0 ≤ αᵢ ≤ Uᵢ, with Q̄ = Q + D, Qᵢⱼ = yᵢyⱼxᵢᵀxⱼ and
 * (hinge) Uᵢ = cᵢ, Dᵢᵢ = 0 or (squared hinge) Uᵢ = ∞, Dᵢᵢ = 1/(2cᵢ). Samples with cᵢ = 0 are
 * left out. Each pass visits the active coordinates in a seeded random order.
 *
 * @param X - features, `n x d` (finite; checked by the callers).
 * @param signs - yᵢ ∈ {−1, +1}, one per row.
 * @param costs - cᵢ ≥ 0, one per row (C times the sample weight).
 * @param options - see {@link LinearSvmDualOptions}.
 */
export function solveLinearSvmDual(
  X: Matrix,
  signsInput: ArrayLike<number>,
  costsInput: ArrayLike<number>,
  options: LinearSvmDualOptions = {},
): LinearSvmDualSolution {
  const signs = Float64Array.from(signsInput);
  const costs = Float64Array.from(costsInput);
  const loss = options.loss ?? 'squared-hinge';
  const B = options.interceptScaling ?? 1;
  const tolerance = options.tolerance ?? 1e-2;
  const maxIterations = options.maxIterations ?? 1000;
  const rng = createRng(options.seed === undefined ? 0 : options.seed);
  const n = X.rows;
  const d = X.cols;
  const data = X.data;
  const w = new Float64Array(d);
  let wB = 0; // the weight of the constant feature B
  const alpha = new Float64Array(n);
  const upper = new Float64Array(n);
  const diagonal = new Float64Array(n);
  const qDiagonal = new Float64Array(n);
  const index: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!(costs[i] > 0)) continue;
    index.push(i);
    upper[i] = loss === 'hinge' ? costs[i] : Infinity;
    diagonal[i] = loss === 'hinge' ? 0 : 1 / (2 * costs[i]);
    let norm = B * B;
    const offset = i * d;
    for (let j = 0; j < d; j++) norm += data[offset + j] * data[offset + j];
    qDiagonal[i] = norm + diagonal[i];
  }
  if (options.initialAlpha) {
    for (const i of index) {
      const value = Math.min(Math.max(options.initialAlpha[i], 0), upper[i]);
      if (!(value > 0)) continue;
      alpha[i] = value;
      const step = value * signs[i];
      addScaledRow(w, step, data, i * d, d);
      wB += step * B;
    }
  }
  const total = index.length;
  let activeSize = total;
  let previousMaximum = Infinity;
  let previousMinimum = -Infinity;
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    let maximum = -Infinity;
    let minimum = Infinity;
    for (let s = 0; s < activeSize; s++) {
      const swap = s + rng.int(activeSize - s);
      const held = index[s];
      index[s] = index[swap];
      index[swap] = held;
    }
    for (let s = 0; s < activeSize; s++) {
      const i = index[s];
      const sign = signs[i];
      const offset = i * d;
      const margin = dotRow(w, data, offset, d) + wB * B;
      const gradient = sign * margin - 1 + diagonal[i] * alpha[i];
      let projected = 0;
      if (alpha[i] === 0) {
        if (gradient > previousMaximum) {
          // Shrink: at the lower bound and likely to stay there (Hsieh et al. §3.2).
          activeSize--;
          index[s] = index[activeSize];
          index[activeSize] = i;
          s--;
          continue;
        }
        if (gradient < 0) projected = gradient;
      } else if (alpha[i] === upper[i]) {
        if (gradient < previousMinimum) {
          activeSize--;
          index[s] = index[activeSize];
          index[activeSize] = i;
          s--;
          continue;
        }
        if (gradient > 0) projected = gradient;
      } else {
        projected = gradient;
      }
      if (projected > maximum) maximum = projected;
      if (projected < minimum) minimum = projected;
      if (Math.abs(projected) > 1e-12) {
        const old = alpha[i];
        let updated = qDiagonal[i] > 0 ? old - gradient / qDiagonal[i] : upper[i];
        if (updated < 0) updated = 0;
        if (updated > upper[i]) updated = upper[i];
        alpha[i] = updated;
        const step = (updated - old) * sign;
        if (step !== 0) {
          addScaledRow(w, step, data, offset, d);
          wB += step * B;
        }
      }
    }
    iterations++;
    options.onIteration?.(iterations);
    if (activeSize === 0 || maximum - minimum <= tolerance) {
      if (activeSize === total) {
        converged = true;
        break;
      }
      // Converged on the active set: check every coordinate again without shrinking.
      activeSize = total;
      previousMaximum = Infinity;
      previousMinimum = -Infinity;
      continue;
    }
    previousMaximum = maximum > 0 ? maximum : Infinity;
    previousMinimum = minimum < 0 ? minimum : -Infinity;
  }
  return { weights: w, intercept: wB * B, alpha, iterations, converged };
}

/** Options of {@link fitLinearSvm}. */
export interface LinearSvmFitOptions extends Omit<LinearSvmDualOptions, 'onIteration'> {
  /**
   * C, the weight of the loss against ½‖w‖² (default 1), or `'source-cv'`: choose C from `cGrid`
   * by stratified `cvFolds`-fold cross-validation on the training data (weighted accuracy when
   * sample weights are given), smallest C on ties, then refit on all of it.
   */
  C?: number | 'source-cv';
  /** One non-negative weight per sample (default all 1): sample i's cost is C · weights[i]. */
  weights?: ArrayLike<number>;
  /** Number of classes K (default `max(y) + 1`, at least 2). */
  numClasses?: number;
  /** The C values tried by `'source-cv'`. Default {@link SVM_C_GRID} (10⁻³ … 10³). */
  cGrid?: readonly number[];
  /** Folds of `'source-cv'`. Default 5. */
  cvFolds?: number;
  /** Called once per pass of the solver (e.g. to abort by throwing). */
  onIteration?: () => void;
}

/** The cross-validation record of `C: 'source-cv'`. */
export interface SvmCrossValidation {
  /** The C values tried. */
  readonly grid: readonly number[];
  /** Mean held-out (weighted) accuracy per C, in [0, 1]. */
  readonly accuracy: readonly number[];
  readonly folds: number;
}

/** A fitted one-vs-rest linear SVM (see {@link fitLinearSvm}). */
export interface LinearSvmModel {
  readonly numClasses: number;
  readonly featureCount: number;
  /** Per-class weights, `numClasses x featureCount`. */
  readonly coefficients: Matrix;
  /** Per-class intercepts. */
  readonly intercept: Float64Array;
  /** The C used (the chosen one with `'source-cv'`). */
  readonly C: number;
  readonly loss: SvmLoss;
  /** The most passes any binary problem needed. */
  readonly iterations: number;
  /** True when every binary problem met the tolerance. */
  readonly converged: boolean;
  /** Present when C was chosen by cross-validation. */
  readonly crossValidation?: SvmCrossValidation;
  /** Per-class scores wₖᵀx + bₖ, `n x numClasses`. */
  decisionFunction(X: Matrix): Matrix;
  /** The class with the highest score; ties go to the lowest class id. */
  predict(X: Matrix): Int32Array;
}

class LinearSvmModelImpl implements LinearSvmModel {
  readonly numClasses: number;
  readonly featureCount: number;

  constructor(
    readonly coefficients: Matrix,
    readonly intercept: Float64Array,
    readonly C: number,
    readonly loss: SvmLoss,
    readonly iterations: number,
    readonly converged: boolean,
    readonly crossValidation?: SvmCrossValidation,
  ) {
    this.numClasses = coefficients.rows;
    this.featureCount = coefficients.cols;
  }

  decisionFunction(X: Matrix): Matrix {
    checkQuery(X, this.featureCount, 'linear SVM');
    const K = this.numClasses;
    const scores = X.rows === 0 ? new Matrix(0, K) : matmulTransposeB(X, this.coefficients);
    for (let i = 0; i < X.rows; i++) for (let k = 0; k < K; k++) scores.data[i * K + k] += this.intercept[k];
    return scores;
  }

  predict(X: Matrix): Int32Array {
    const scores = this.decisionFunction(X);
    const out = new Int32Array(X.rows);
    for (let i = 0; i < X.rows; i++) out[i] = argmax(scores.data, i * this.numClasses, this.numClasses);
    return out;
  }
}

interface SolverSettings {
  readonly loss: SvmLoss;
  readonly interceptScaling: number;
  readonly tolerance: number;
  readonly maxIterations: number;
  readonly seed: number;
  readonly onIteration?: () => void;
}

/** One-vs-rest training for a fixed C (inputs already checked); `warmStart` holds α per binary problem. */
function trainOneVsRest(
  X: Matrix,
  labels: Int32Array,
  weights: Float64Array,
  K: number,
  C: number,
  settings: SolverSettings,
  warmStart?: readonly Float64Array[],
): { model: LinearSvmModelImpl; alphas: Float64Array[] } {
  const n = X.rows;
  const d = X.cols;
  const costs = new Float64Array(n);
  for (let i = 0; i < n; i++) costs[i] = C * weights[i];
  const coefficients = new Matrix(K, d);
  const intercept = new Float64Array(K);
  const signs = new Float64Array(n);
  const alphas: Float64Array[] = [];
  let iterations = 0;
  let converged = true;
  // Two classes: one binary problem (class 1 positive); class 0's scores are its negation,
  // which is exactly what the second one-vs-rest problem would give.
  const problems = K === 2 ? [1] : Array.from({ length: K }, (_, k) => k);
  for (const [position, positive] of problems.entries()) {
    for (let i = 0; i < n; i++) signs[i] = labels[i] === positive ? 1 : -1;
    const initialAlpha = warmStart?.[position];
    const solution = solveLinearSvmDual(X, signs, costs, {
      loss: settings.loss,
      interceptScaling: settings.interceptScaling,
      tolerance: settings.tolerance,
      maxIterations: settings.maxIterations,
      seed: (settings.seed + positive) >>> 0, // one stream per class, wrapping at 2^32 (seeds are 32-bit)
      ...(settings.onIteration ? { onIteration: settings.onIteration } : {}),
      ...(initialAlpha ? { initialAlpha } : {}),
    });
    coefficients.data.set(solution.weights, positive * d);
    intercept[positive] = solution.intercept;
    alphas.push(solution.alpha);
    iterations = Math.max(iterations, solution.iterations);
    converged &&= solution.converged;
  }
  if (K === 2) {
    for (let j = 0; j < d; j++) coefficients.data[j] = -coefficients.data[d + j];
    intercept[0] = -intercept[1];
  }
  return { model: new LinearSvmModelImpl(coefficients, intercept, C, settings.loss, iterations, converged), alphas };
}

/**
 * Stratified fold assignment: each class's samples are shuffled (seeded) and dealt to the folds in
 * turn, continuing the turn across classes, so fold sizes differ by at most one. @internal
 */
export function stratifiedFolds(labels: Int32Array, numClasses: number, folds: number, rng: Rng): Int32Array {
  const assignment = new Int32Array(labels.length);
  let turn = 0;
  for (let k = 0; k < numClasses; k++) {
    const members: number[] = [];
    for (let i = 0; i < labels.length; i++) if (labels[i] === k) members.push(i);
    rng.shuffle(members);
    for (const i of members) {
      assignment[i] = turn;
      turn = (turn + 1) % folds;
    }
  }
  return assignment;
}

/**
 * Fits a one-vs-rest L2-regularised linear SVM: for each class k, the binary SVM of class k
 * against the rest, min ½‖wₖ‖² + Σᵢ C·sᵢ·ℓ(yᵢ wₖᵀxᵢ) with sample weights sᵢ, solved by dual
 * coordinate descent ({@link solveLinearSvmDual}; Hsieh et al., ICML 2008, as in LIBLINEAR).
 * Predicts the class of highest score (ties: lowest class id). The intercept is penalised, as
 * in LIBLINEAR (a constant feature `interceptScaling` = 1 is appended).
 *
 * With `C: 'source-cv'`, C is chosen from `cGrid` (default 10⁻³ … 10³) by stratified `cvFolds`-fold
 * (default 5) cross-validation on the given training data only: the largest mean held-out
 * accuracy wins (weighted by the sample weights when given, i.e. importance-weighted
 * cross-validation, Sugiyama, Krauledat & Müller, JMLR 2007), the smallest C on ties. Folds
 * and solver order are seeded by `seed`.
 *
 * @param X - training features, `n x d`.
 * @param y - class ids `0..K-1`.
 * @param options - `C` (1), `loss` ('squared-hinge'), `weights`, `numClasses`, `interceptScaling` (1),
 * `tolerance` (1e-2), `maxIterations` (1000), `seed` (0), `cGrid`, `cvFolds` (5).
 * @throws TlkitError `INVALID_CONFIG` (C ≤ 0, bad grid), `INVALID_ARGUMENT`, `DIMENSION_MISMATCH`,
 * `NON_FINITE_INPUT`, `LABEL_NOT_INTEGER`, `LABEL_OUT_OF_RANGE`, `TOO_FEW_SAMPLES` (cross-validation).
 *
 * @example
 * ```ts
 * const model = fitLinearSvm(Matrix.fromRows([[0, 0], [0, 1], [3, 3], [3, 4]]), [0, 0, 1, 1], { C: 1 });
 * model.predict(Matrix.fromRows([[0.5, 0.5], [3, 3.5]])); // Int32Array [0, 1]
 * ```
 */
export function fitLinearSvm(X: Matrix, y: ArrayLike<number>, options: LinearSvmFitOptions = {}): LinearSvmModel {
  const name = 'fitLinearSvm';
  const requested = options.C ?? 1;
  if (requested !== 'source-cv') checkPositive(requested, 'C', name);
  const loss = options.loss ?? 'squared-hinge';
  if (loss !== 'squared-hinge' && loss !== 'hinge') {
    throw new TlkitError('INVALID_CONFIG', `${name}: loss must be 'squared-hinge' or 'hinge', got ${JSON.stringify(loss)}.`, { argument: 'loss' });
  }
  const settings: SolverSettings = {
    loss,
    interceptScaling: checkPositive(options.interceptScaling ?? 1, 'interceptScaling', name, true),
    tolerance: checkPositive(options.tolerance ?? 1e-2, 'tolerance', name),
    maxIterations: checkPositiveInteger(options.maxIterations ?? 1000, 'maxIterations', name),
    seed: options.seed === undefined ? 0 : options.seed,
    ...(options.onIteration ? { onIteration: options.onIteration } : {}),
  };
  const grid = options.cGrid ?? SVM_C_GRID;
  const folds = options.cvFolds ?? 5;
  if (requested === 'source-cv') {
    if (!Array.isArray(grid) || grid.length === 0) {
      throw new TlkitError('INVALID_CONFIG', `${name}: cGrid must be a non-empty array of positive numbers.`, { argument: 'cGrid' });
    }
    grid.forEach((value, position) => checkPositive(value, `cGrid[${position}]`, name));
    if (!Number.isInteger(folds) || folds < 2) {
      throw new TlkitError('INVALID_CONFIG', `${name}: cvFolds must be an integer ≥ 2, got ${folds}.`, { argument: 'cvFolds' });
    }
  }
  createRng(settings.seed); // validates the seed
  checkFeatures(X, 'X', name);
  const { labels, numClasses } = checkClassLabels(y, X.rows, options.numClasses, name);
  const weights = checkSampleWeights(options.weights, X.rows, name);
  if (requested !== 'source-cv') return trainOneVsRest(X, labels, weights, numClasses, requested, settings).model;

  if (X.rows < folds) {
    throw new TlkitError('TOO_FEW_SAMPLES', `${name}: ${X.rows} samples cannot be split into cvFolds = ${folds} folds; lower cvFolds or pass a number as C.`, {
      argument: 'cvFolds',
    });
  }
  const assignment = stratifiedFolds(labels, numClasses, folds, createRng(settings.seed).fork('svm-cv-folds'));
  // Each fold walks the grid from the smallest C up, warm-starting from the previous solution
  // (feasible for a larger C); results are the same up to the solver tolerance, in less time.
  const ascending = grid.map((_, position) => position).sort((a, b) => grid[a] - grid[b]);
  const correct = new Float64Array(grid.length);
  const total = new Float64Array(grid.length);
  for (let fold = 0; fold < folds; fold++) {
    const trainRows: number[] = [];
    const testRows: number[] = [];
    for (let i = 0; i < X.rows; i++) (assignment[i] === fold ? testRows : trainRows).push(i);
    const trainWeights = Float64Array.from(trainRows, (i) => weights[i]);
    if (testRows.length === 0 || !trainWeights.some((value) => value > 0)) continue;
    const trainX = X.selectRows(trainRows);
    const trainLabels = Int32Array.from(trainRows, (i) => labels[i]);
    const testX = X.selectRows(testRows);
    let warmStart: Float64Array[] | undefined;
    for (const position of ascending) {
      const trained = trainOneVsRest(trainX, trainLabels, trainWeights, numClasses, grid[position], settings, warmStart);
      warmStart = trained.alphas;
      const predicted = trained.model.predict(testX);
      for (let t = 0; t < testRows.length; t++) {
        const weight = weights[testRows[t]];
        total[position] += weight;
        if (predicted[t] === labels[testRows[t]]) correct[position] += weight;
      }
    }
  }
  const accuracy = Array.from(grid, (_, position) => (total[position] > 0 ? correct[position] / total[position] : 0));
  let best = 0;
  for (let position = 1; position < grid.length; position++) {
    const better = accuracy[position] > accuracy[best] || (accuracy[position] === accuracy[best] && grid[position] < grid[best]);
    if (better) best = position;
  }
  const { model } = trainOneVsRest(X, labels, weights, numClasses, grid[best], settings);
  return new LinearSvmModelImpl(model.coefficients, model.intercept, model.C, loss, model.iterations, model.converged, {
    grid: [...grid],
    accuracy,
    folds,
  });
}

/** Options of the `'svm'` plugin ({@link svm}). */
export const svmConfigSchema = z
  .object({
    /** C (positive), or 'source-cv' to choose it by cross-validation on the source. */
    C: z.union([z.number().positive().finite(), z.literal('source-cv')]).default(1),
    loss: z.enum(['squared-hinge', 'hinge']).default('squared-hinge'),
    interceptScaling: z.number().nonnegative().finite().default(1),
    tolerance: z.number().positive().finite().default(1e-2),
    maxIterations: z.number().int().positive().default(1000),
    cGrid: z.array(z.number().positive().finite()).min(1).default([...SVM_C_GRID]),
    cvFolds: z.number().int().min(2).default(5),
  })
  .strict();

/**
 * Options of {@link svm}: `C` (1, or `'source-cv'`), `loss` ('squared-hinge' | 'hinge'),
 * `interceptScaling` (1), `tolerance` (1e-2), `maxIterations` (1000), `cGrid` (10⁻³…10³), `cvFolds` (5).
 */
export type SvmOptions = z.input<typeof svmConfigSchema>;

function fittedEstimator(model: LinearSvmModel): FittedEstimator {
  const info: Record<string, JsonValue> = {
    C: model.C,
    loss: model.loss,
    iterations: model.iterations,
    converged: model.converged,
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
      json: info,
      arrays: { coefficients: storeMatrix(model.coefficients), intercept: storeArray(model.intercept) },
    }),
  };
}

/**
 * The `'svm'` plugin: one-vs-rest linear SVM (see {@link fitLinearSvm}). Classification only;
 * uses sample weights (sample i's cost is C · weightᵢ). With `C: 'source-cv'` it picks C on the
 * source (training) data only, seeded by the step's seed.
 */
export const svmPlugin = definePlugin({
  name: 'svm',
  kind: 'base',
  role: 'estimator',
  description: 'One-vs-rest L2-regularised linear SVM (squared hinge or hinge) by dual coordinate descent; C fixed or chosen by source cross-validation.',
  reference:
    'C.-J. Hsieh, K.-W. Chang, C.-J. Lin, S. S. Keerthi, S. Sundararajan, A Dual Coordinate Descent Method for Large-scale Linear SVM, ICML 2008.',
  needs: { problems: ['classification'], targetLabels: 'never', acceptsSampleWeights: true },
  configSchema: svmConfigSchema,
  create: (options) => ({
    probabilities: false,
    async doFit(input, context) {
      requireProblem(context.problem, 'classification', 'svm');
      const { X, y, weights } = input.train;
      let passes = 0;
      const model = fitLinearSvm(X, y, {
        C: options.C,
        loss: options.loss,
        interceptScaling: options.interceptScaling,
        tolerance: options.tolerance,
        maxIterations: options.maxIterations,
        cGrid: options.cGrid,
        cvFolds: options.cvFolds,
        numClasses: context.numClasses,
        seed: context.seed,
        ...(weights ? { weights } : {}),
        onIteration: () => {
          passes++;
          if (passes % 50 === 0) context.throwIfAborted();
        },
      });
      return fittedEstimator(model);
    },
    doRestore(state) {
      const json = readJson<Record<string, JsonValue>>(state);
      const coefficients = readMatrix(state, 'coefficients');
      const intercept = Float64Array.from(readArray(state, 'intercept').data);
      if (intercept.length !== coefficients.rows) {
        throw new TlkitError('INVALID_ARTIFACT', `svm state: ${intercept.length} intercepts for ${coefficients.rows} classes.`);
      }
      const crossValidation = Array.isArray(json.cvGrid)
        ? { grid: json.cvGrid as number[], accuracy: json.cvAccuracy as number[], folds: json.cvFolds as number }
        : undefined;
      return fittedEstimator(
        new LinearSvmModelImpl(
          coefficients,
          intercept,
          json.C as number,
          json.loss as SvmLoss,
          json.iterations as number,
          json.converged as boolean,
          crossValidation,
        ),
      );
    },
  }),
});

/**
 * A one-vs-rest linear SVM as a pipeline step (registry name `'svm'`).
 *
 * @example
 * ```ts
 * const fitted = await compose(coral(), svm({ C: 'source-cv' })).fit(task, { seed: 0 });
 * ```
 */
export const svm = (options?: SvmOptions) => svmPlugin.create(options);
