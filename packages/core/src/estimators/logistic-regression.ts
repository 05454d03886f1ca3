/**
 * Multinomial (softmax) logistic regression with an L2 penalty, fitted by L-BFGS in float64.
 */
import * as z from 'zod';
import { TlkitError } from '../errors';
import { matmulTransposeA, matmulTransposeB } from '../linalg';
import { Matrix } from '../matrix';
import { definePlugin } from '../plugin';
import { type JsonValue, readArray, readJson, readMatrix, type StepState, storeArray, storeMatrix } from '../state';
import type { FittedEstimator } from '../strategy';
import { type LbfgsStopReason, minimizeLbfgs } from './lbfgs';
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

/** Options of {@link fitLogisticRegression}. */
export interface LogisticRegressionFitOptions {
  /** C, the inverse regularisation strength: the weight of the data term against ½‖W‖²_F. Default 1. */
  C?: number;
  /** One non-negative weight per sample (default all 1). Weight 0 drops a sample; weight 2 counts it twice. */
  weights?: ArrayLike<number>;
  /** Number of classes K (default `max(y) + 1`, at least 2). Classes absent from `y` still get a column. */
  numClasses?: number;
  /** L-BFGS stops when ‖∇f‖∞ ≤ tolerance · ‖∇f(0)‖∞ (relative, whatever the scale C gives the objective). Default 1e-6. */
  tolerance?: number;
  /** Most L-BFGS iterations. Default 1000. */
  maxIterations?: number;
  /** Called after every L-BFGS iteration (progress, abort by throwing). */
  onIteration?: (iteration: number, objective: number, gradientNorm: number) => void;
}

/** A fitted multinomial logistic regression (see {@link fitLogisticRegression}). */
export interface LogisticRegressionModel {
  readonly numClasses: number;
  readonly featureCount: number;
  /** W, `numClasses x featureCount`: row k holds class k's weights. */
  readonly coefficients: Matrix;
  /** b, one intercept per class, shifted to sum to 0 (softmax is unchanged by a common shift). */
  readonly intercept: Float64Array;
  /** The objective ½‖W‖²_F + C Σᵢ wᵢ CE(softmax(W xᵢ + b), yᵢ) at the solution. */
  readonly objective: number;
  /** L-BFGS iterations used. */
  readonly iterations: number;
  /** True when L-BFGS met its gradient tolerance. */
  readonly converged: boolean;
  /** Why L-BFGS stopped. */
  readonly stopReason: LbfgsStopReason;
  /** The class scores W x + b, `n x numClasses`. */
  decisionFunction(X: Matrix): Matrix;
  /** Softmax probabilities, `n x numClasses` (rows sum to 1). */
  predictProba(X: Matrix): Matrix;
  /** The most probable class per row; ties go to the lowest class id. */
  predict(X: Matrix): Int32Array;
}

class LogisticRegressionModelImpl implements LogisticRegressionModel {
  readonly numClasses: number;
  readonly featureCount: number;

  constructor(
    readonly coefficients: Matrix,
    readonly intercept: Float64Array,
    readonly objective: number,
    readonly iterations: number,
    readonly converged: boolean,
    readonly stopReason: LbfgsStopReason,
  ) {
    this.numClasses = coefficients.rows;
    this.featureCount = coefficients.cols;
  }

  decisionFunction(X: Matrix): Matrix {
    checkQuery(X, this.featureCount, 'logistic regression');
    const scores = X.rows === 0 ? new Matrix(0, this.numClasses) : matmulTransposeB(X, this.coefficients);
    const K = this.numClasses;
    for (let i = 0; i < X.rows; i++) for (let k = 0; k < K; k++) scores.data[i * K + k] += this.intercept[k];
    return scores;
  }

  predictProba(X: Matrix): Matrix {
    const scores = this.decisionFunction(X);
    const K = this.numClasses;
    const data = scores.data;
    for (let i = 0; i < scores.rows; i++) {
      const offset = i * K;
      let maximum = -Infinity;
      for (let k = 0; k < K; k++) if (data[offset + k] > maximum) maximum = data[offset + k];
      let total = 0;
      for (let k = 0; k < K; k++) {
        const value = Math.exp(data[offset + k] - maximum);
        data[offset + k] = value;
        total += value;
      }
      for (let k = 0; k < K; k++) data[offset + k] /= total;
    }
    return scores;
  }

  predict(X: Matrix): Int32Array {
    const scores = this.decisionFunction(X);
    const out = new Int32Array(X.rows);
    for (let i = 0; i < X.rows; i++) out[i] = argmax(scores.data, i * this.numClasses, this.numClasses);
    return out;
  }
}

/**
 * The penalised, weighted softmax cross-entropy and its gradient, for parameters packed as
 * `[W (K x d, row-major), b (K)]`. @internal
 */
function makeObjective(X: Matrix, labels: Int32Array, weights: Float64Array, C: number, K: number) {
  const n = X.rows;
  const d = X.cols;
  // Rows with weight 0 contribute nothing: leave them out (exactly as if dropped).
  const kept: number[] = [];
  for (let i = 0; i < n; i++) if (weights[i] > 0) kept.push(i);
  const features = kept.length === n ? X : X.selectRows(kept);
  const keptLabels = Int32Array.from(kept, (i) => labels[i]);
  const keptWeights = Float64Array.from(kept, (i) => weights[i]);
  const rows = kept.length;
  const W = new Matrix(K, d);
  const residual = new Matrix(rows, K);
  return (theta: Float64Array, gradient: Float64Array): number => {
    W.data.set(theta.subarray(0, K * d));
    const bias = theta.subarray(K * d);
    const scores = matmulTransposeB(features, W); // rows x K
    const s = scores.data;
    const r = residual.data;
    let loss = 0;
    const biasGradient = gradient.subarray(K * d);
    biasGradient.fill(0);
    for (let i = 0; i < rows; i++) {
      const offset = i * K;
      let maximum = -Infinity;
      for (let k = 0; k < K; k++) {
        s[offset + k] += bias[k];
        if (s[offset + k] > maximum) maximum = s[offset + k];
      }
      let total = 0;
      for (let k = 0; k < K; k++) {
        const value = Math.exp(s[offset + k] - maximum);
        r[offset + k] = value;
        total += value;
      }
      const scale = C * keptWeights[i];
      const label = keptLabels[i];
      // CE = log Σ exp(s) − s_y, computed stably.
      loss += scale * (maximum + Math.log(total) - s[offset + label]);
      for (let k = 0; k < K; k++) {
        const value = scale * (r[offset + k] / total - (k === label ? 1 : 0));
        r[offset + k] = value;
        biasGradient[k] += value;
      }
    }
    const weightGradient = matmulTransposeA(residual, features); // K x d
    let penalty = 0;
    for (let index = 0; index < K * d; index++) {
      const w = theta[index];
      penalty += w * w;
      gradient[index] = weightGradient.data[index] + w;
    }
    return 0.5 * penalty + loss;
  };
}

/**
 * Fits a multinomial logistic regression: one weight vector per class, softmax probabilities.
 *
 * Minimises ½‖W‖²_F + C · Σᵢ wᵢ · CE(softmax(W xᵢ + b), yᵢ) with an unpenalised intercept b, by
 * L-BFGS from W = 0, b = 0 (Nocedal & Wright, *Numerical Optimization*, 2006, Alg. 7.5, with a
 * strong-Wolfe line search). This is the objective of scikit-learn's
 * `LogisticRegression(C, multi_class='multinomial', solver='lbfgs')` with `sample_weight = w`.
 * The objective is strictly convex in W, so W is unique; b is unique up to a common shift and is
 * reported with Σₖ bₖ = 0. Deterministic.
 *
 * @param X - training features, `n x d`.
 * @param y - class ids `0..K-1`, one per row.
 * @param options - `C` (default 1), `weights`, `numClasses`, `tolerance` (1e-6), `maxIterations` (1000).
 * @returns the fitted model (`predict`, `predictProba`, `decisionFunction`).
 * @throws TlkitError `INVALID_ARGUMENT`, `DIMENSION_MISMATCH`, `NON_FINITE_INPUT`,
 * `LABEL_NOT_INTEGER`, `LABEL_OUT_OF_RANGE`, `INVALID_CONFIG` (C ≤ 0 ...).
 *
 * @example
 * ```ts
 * const model = fitLogisticRegression(Matrix.fromRows([[0], [1], [2], [3]]), [0, 0, 1, 1], { C: 10 });
 * model.predict(Matrix.fromRows([[0.2], [2.8]])); // Int32Array [0, 1]
 * ```
 */
export function fitLogisticRegression(X: Matrix, y: ArrayLike<number>, options: LogisticRegressionFitOptions = {}): LogisticRegressionModel {
  const name = 'fitLogisticRegression';
  const C = checkPositive(options.C ?? 1, 'C', name);
  const tolerance = checkPositive(options.tolerance ?? 1e-6, 'tolerance', name);
  const maxIterations = checkPositiveInteger(options.maxIterations ?? 1000, 'maxIterations', name);
  checkFeatures(X, 'X', name);
  const { labels, numClasses } = checkClassLabels(y, X.rows, options.numClasses, name);
  const weights = checkSampleWeights(options.weights, X.rows, name);
  const K = numClasses;
  const d = X.cols;
  const objective = makeObjective(X, labels, weights, C, K);
  // The gradient's rounding level: each of its entries sums n terms of size up to C·wᵢ·max(1, |x|),
  // so 1e-12 of that total is far below any gradient the tolerance asks for and far above float
  // noise (a start that is optimal up to rounding, e.g. balanced classes and x = 0, converges at once).
  let weightTotal = 0;
  for (let i = 0; i < X.rows; i++) weightTotal += weights[i];
  let largest = 1;
  for (const value of X.data) largest = Math.max(largest, Math.abs(value));
  const result = minimizeLbfgs(objective, new Float64Array(K * (d + 1)), {
    tolerance,
    gradientFloor: 1e-12 * C * weightTotal * largest,
    maxIterations,
    ...(options.onIteration ? { onIteration: options.onIteration } : {}),
  });
  if (!Number.isFinite(result.value)) {
    throw new TlkitError('NUMERICAL_ERROR', `${name}: the objective became non-finite; scale the features (e.g. z-score) or lower C.`);
  }
  const coefficients = new Matrix(K, d, result.x.slice(0, K * d));
  const intercept = result.x.slice(K * d);
  let mean = 0;
  for (let k = 0; k < K; k++) mean += intercept[k];
  mean /= K;
  for (let k = 0; k < K; k++) intercept[k] -= mean;
  return new LogisticRegressionModelImpl(coefficients, intercept, result.value, result.iterations, result.converged, result.reason);
}

/** Options of the `'logreg'` plugin ({@link logisticRegression}). */
export const logisticRegressionConfigSchema = z
  .object({
    /** C, the inverse regularisation strength (weight of the data term). */
    C: z.number().positive().finite().default(1),
    /** L-BFGS gradient tolerance, relative to the gradient at the start. */
    tolerance: z.number().positive().finite().default(1e-6),
    /** Most L-BFGS iterations. */
    maxIterations: z.number().int().positive().default(1000),
  })
  .strict();

/** Options of {@link logisticRegression}: `C` (default 1), `tolerance` (1e-6), `maxIterations` (1000). */
export type LogisticRegressionOptions = z.input<typeof logisticRegressionConfigSchema>;

function fittedEstimator(model: LogisticRegressionModel): FittedEstimator {
  const info: Record<string, JsonValue> = {
    objective: model.objective,
    iterations: model.iterations,
    converged: model.converged,
    stopReason: model.stopReason,
  };
  return {
    predict: (X) => model.predict(X),
    predictProba: (X) => model.predictProba(X),
    info,
    saveState: (): StepState => ({
      json: { ...info, numClasses: model.numClasses, featureCount: model.featureCount },
      arrays: { coefficients: storeMatrix(model.coefficients), intercept: storeArray(model.intercept) },
    }),
  };
}

/**
 * The `'logreg'` plugin: multinomial logistic regression (see {@link fitLogisticRegression}).
 * Classification only; uses sample weights from weighting steps.
 */
export const logisticRegressionPlugin = definePlugin({
  name: 'logreg',
  kind: 'base',
  role: 'estimator',
  description: 'Multinomial logistic regression (softmax, L2 penalty, unpenalised intercept, sample weights), fitted by L-BFGS.',
  reference: 'J. Nocedal and S. J. Wright, Numerical Optimization, 2nd ed., Springer 2006, ch. 7 (L-BFGS).',
  needs: { problems: ['classification'], targetLabels: 'never', acceptsSampleWeights: true },
  configSchema: logisticRegressionConfigSchema,
  create: (options) => ({
    probabilities: true,
    async doFit(input, context) {
      requireProblem(context.problem, 'classification', 'logreg');
      const { X, y, weights } = input.train;
      const model = fitLogisticRegression(X, y, {
        C: options.C,
        tolerance: options.tolerance,
        maxIterations: options.maxIterations,
        numClasses: context.numClasses,
        ...(weights ? { weights } : {}),
        onIteration: (iteration, objective, gradientNorm) => {
          context.throwIfAborted();
          if (iteration % 10 === 0) {
            context.progress({ phase: 'iteration', current: iteration, total: options.maxIterations, metrics: { objective, gradientNorm } });
          }
        },
      });
      return fittedEstimator(model);
    },
    doRestore(state) {
      const json = readJson<{ objective: number; iterations: number; converged: boolean; stopReason: string }>(state);
      const coefficients = readMatrix(state, 'coefficients');
      const intercept = Float64Array.from(readArray(state, 'intercept').data);
      if (intercept.length !== coefficients.rows) {
        throw new TlkitError('INVALID_ARTIFACT', `logreg state: ${intercept.length} intercepts for ${coefficients.rows} classes.`);
      }
      return fittedEstimator(
        new LogisticRegressionModelImpl(
          coefficients,
          intercept,
          json.objective,
          json.iterations,
          json.converged,
          json.stopReason as LbfgsStopReason,
        ),
      );
    },
  }),
});

/**
 * Multinomial logistic regression as a pipeline step (registry name `'logreg'`).
 *
 * @example
 * ```ts
 * const fitted = await compose(coral(), logisticRegression({ C: 1 })).fit(task);
 * ```
 */
export const logisticRegression = (options?: LogisticRegressionOptions) => logisticRegressionPlugin.create(options);
