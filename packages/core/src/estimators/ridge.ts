/**
 * Weighted ridge regression in closed form (Cholesky), primal or dual.
 */
import * as z from 'zod';
import { isTlkitError, TlkitError } from '../errors';
import { cholesky, choleskySolve, gram, matmulTransposeB, matvec, matvecTranspose } from '../linalg';
import { Matrix } from '../matrix';
import { definePlugin } from '../plugin';
import { type JsonValue, readArray, readJson, type StepState, storeArray } from '../state';
import type { FittedEstimator } from '../strategy';
import { checkFeatures, checkPositive, checkQuery, checkSampleWeights, checkTargets, requireProblem } from './validation';

/** Which linear system {@link fitRidge} solves: d x d (`'primal'`), n x n (`'dual'`), or the smaller (`'auto'`). */
export type RidgeSolver = 'auto' | 'primal' | 'dual';

/** Options of {@link fitRidge}. */
export interface RidgeFitOptions {
  /** α, the weight of the penalty ‖β‖² (≥ 0). Default 1. */
  alpha?: number;
  /** One non-negative weight per sample (default all 1). Weight 0 drops a sample; weight 2 counts it twice. */
  weights?: ArrayLike<number>;
  /** `'auto'` (default): the dual when there are fewer (positively weighted) samples than features. */
  solver?: RidgeSolver;
}

/** A fitted ridge regression (see {@link fitRidge}). */
export interface RidgeModel {
  readonly featureCount: number;
  /** β, one coefficient per feature. */
  readonly coefficients: Float64Array;
  /** The unpenalised intercept b. */
  readonly intercept: number;
  readonly alpha: number;
  /** The system that was solved. */
  readonly solver: 'primal' | 'dual';
  /** Xβ + b. */
  predict(X: Matrix): Float64Array;
}

class RidgeModelImpl implements RidgeModel {
  readonly featureCount: number;

  constructor(
    readonly coefficients: Float64Array,
    readonly intercept: number,
    readonly alpha: number,
    readonly solver: 'primal' | 'dual',
  ) {
    this.featureCount = coefficients.length;
  }

  predict(X: Matrix): Float64Array {
    checkQuery(X, this.featureCount, 'ridge');
    if (X.rows === 0) return new Float64Array(0);
    const out = matvec(X, this.coefficients);
    for (let i = 0; i < out.length; i++) out[i] += this.intercept;
    return out;
  }
}

/**
 * Fits weighted ridge regression: min over β, b of Σᵢ wᵢ (yᵢ − xᵢᵀβ − b)² + α‖β‖², with the
 * intercept b unpenalised (Hoerl & Kennard, Technometrics 12(1), 1970; the weighted, centred form
 * of Hastie, Tibshirani & Friedman, *The Elements of Statistical Learning*, 2nd ed., §3.4.1).
 *
 * Centring with the weighted means x̄, ȳ removes b; with Z = W^½(X − 1x̄ᵀ) and t = W^½(y − ȳ):
 * primal β = (ZᵀZ + αI)⁻¹ Zᵀt, or dual β = Zᵀ(ZZᵀ + αI)⁻¹ t (the same β, cheaper when n < d);
 * each solved by Cholesky. Then b = ȳ − x̄ᵀβ.
 *
 * @param X - features, `n x d`.
 * @param y - real targets, one per row.
 * @param options - `alpha` (default 1), `weights`, `solver` (`'auto'`).
 * @throws TlkitError `NUMERICAL_ERROR` when α = 0 and the system is singular (raise α),
 * `INVALID_CONFIG`, `INVALID_ARGUMENT`, `DIMENSION_MISMATCH`, `NON_FINITE_INPUT`.
 *
 * @example
 * ```ts
 * const model = fitRidge(Matrix.fromRows([[0], [1], [2]]), [1, 3, 5], { alpha: 0 });
 * model.coefficients; // Float64Array [2]; model.intercept ≈ 1
 * ```
 */
export function fitRidge(X: Matrix, y: ArrayLike<number>, options: RidgeFitOptions = {}): RidgeModel {
  const name = 'fitRidge';
  const alpha = checkPositive(options.alpha ?? 1, 'alpha', name, true);
  const solverOption = options.solver ?? 'auto';
  if (solverOption !== 'auto' && solverOption !== 'primal' && solverOption !== 'dual') {
    throw new TlkitError('INVALID_CONFIG', `${name}: solver must be 'auto', 'primal' or 'dual', got ${JSON.stringify(solverOption)}.`, {
      argument: 'solver',
    });
  }
  checkFeatures(X, 'X', name);
  const targets = checkTargets(y, X.rows, name);
  const weights = checkSampleWeights(options.weights, X.rows, name);
  const d = X.cols;
  // Samples of weight 0 are left out: exactly the same as dropping them.
  const kept: number[] = [];
  for (let i = 0; i < X.rows; i++) if (weights[i] > 0) kept.push(i);
  const n = kept.length;
  let weightTotal = 0;
  for (const i of kept) weightTotal += weights[i];
  const featureMean = new Float64Array(d);
  let targetMean = 0;
  for (const i of kept) {
    const share = weights[i] / weightTotal;
    const offset = i * d;
    for (let j = 0; j < d; j++) featureMean[j] += share * X.data[offset + j];
    targetMean += share * targets[i];
  }
  const Z = new Matrix(n, d);
  const t = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const i = kept[r];
    const root = Math.sqrt(weights[i]);
    const offset = i * d;
    for (let j = 0; j < d; j++) Z.data[r * d + j] = root * (X.data[offset + j] - featureMean[j]);
    t[r] = root * (targets[i] - targetMean);
  }
  const solver = solverOption === 'auto' ? (n < d ? 'dual' : 'primal') : solverOption;
  let coefficients: Float64Array;
  try {
    if (solver === 'primal') {
      const system = gram(Z); // ZᵀZ, d x d
      for (let j = 0; j < d; j++) system.data[j * d + j] += alpha;
      coefficients = choleskySolve(cholesky(system), matvecTranspose(Z, t));
    } else {
      const system = matmulTransposeB(Z, Z); // ZZᵀ, n x n
      for (let r = 0; r < n; r++) system.data[r * n + r] += alpha;
      coefficients = matvecTranspose(Z, choleskySolve(cholesky(system), t));
    }
  } catch (error) {
    if (isTlkitError(error, 'NUMERICAL_ERROR')) {
      throw new TlkitError(
        'NUMERICAL_ERROR',
        `${name}: the ${solver} ridge system is singular with alpha = ${alpha}; use alpha > 0 (e.g. 1e-6 times the feature variance).`,
        { argument: 'alpha' },
      );
    }
    throw error;
  }
  let intercept = targetMean;
  for (let j = 0; j < d; j++) intercept -= featureMean[j] * coefficients[j];
  return new RidgeModelImpl(coefficients, intercept, alpha, solver);
}

/** Options of the `'ridge'` plugin ({@link ridge}). */
export const ridgeConfigSchema = z
  .object({
    /** α, the penalty weight (≥ 0). */
    alpha: z.number().nonnegative().finite().default(1),
    solver: z.enum(['auto', 'primal', 'dual']).default('auto'),
  })
  .strict();

/** Options of {@link ridge}: `alpha` (default 1), `solver` (`'auto'`). */
export type RidgeOptions = z.input<typeof ridgeConfigSchema>;

function fittedEstimator(model: RidgeModel): FittedEstimator {
  const info: Record<string, JsonValue> = { alpha: model.alpha, solver: model.solver, intercept: model.intercept };
  return {
    predict: (X) => model.predict(X),
    info,
    saveState: (): StepState => ({ json: info, arrays: { coefficients: storeArray(model.coefficients) } }),
  };
}

/** The `'ridge'` plugin: weighted ridge regression (see {@link fitRidge}). Regression only. */
export const ridgePlugin = definePlugin({
  name: 'ridge',
  kind: 'base',
  role: 'estimator',
  description: 'Ridge regression (weighted, unpenalised intercept), closed form by Cholesky in the primal or the dual.',
  reference: 'A. E. Hoerl and R. W. Kennard, Ridge regression: biased estimation for nonorthogonal problems, Technometrics 12(1), 1970.',
  needs: { problems: ['regression'], targetLabels: 'never', acceptsSampleWeights: true },
  configSchema: ridgeConfigSchema,
  create: (options) => ({
    probabilities: false,
    async doFit(input, context) {
      requireProblem(context.problem, 'regression', 'ridge');
      const { X, y, weights } = input.train;
      return fittedEstimator(fitRidge(X, y, { alpha: options.alpha, solver: options.solver, ...(weights ? { weights } : {}) }));
    },
    doRestore(state) {
      const json = readJson<{ alpha: number; solver: 'primal' | 'dual'; intercept: number }>(state);
      const coefficients = Float64Array.from(readArray(state, 'coefficients').data);
      return fittedEstimator(new RidgeModelImpl(coefficients, json.intercept, json.alpha, json.solver));
    },
  }),
});

/**
 * Ridge regression as a pipeline step (registry name `'ridge'`).
 *
 * @example
 * ```ts
 * const fitted = await compose(kmm(), ridge({ alpha: 0.1 })).fit(regressionTask);
 * ```
 */
export const ridge = (options?: RidgeOptions) => ridgePlugin.create(options);
