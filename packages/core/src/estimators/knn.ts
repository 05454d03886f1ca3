/**
 * k-nearest-neighbour classification with Euclidean distance and exact, deterministic tie rules.
 */
import * as z from 'zod';
import { TlkitError } from '../errors';
import { matmulTransposeB } from '../linalg';
import { Matrix } from '../matrix';
import { definePlugin } from '../plugin';
import { type JsonValue, readArray, readJson, readMatrix, type StepState, storeArray, storeMatrix } from '../state';
import type { FittedEstimator } from '../strategy';
import { checkClassLabels, checkFeatures, checkPositiveInteger, checkQuery, requireProblem } from './validation';

/** How neighbours vote: `'uniform'` (one vote each) or `'distance'` (a vote of 1/distance). */
export type KnnWeighting = 'uniform' | 'distance';

/** Options of {@link fitKnn}. */
export interface KnnFitOptions {
  /** Number of neighbours k. Default 1. */
  k?: number;
  /**
   * `'uniform'` (default): each neighbour casts one vote. `'distance'`: a vote of 1/distance; when
   * some neighbours are at distance 0, only those vote, one vote each (as scikit-learn).
   */
  weights?: KnnWeighting;
  /** Number of classes (default `max(y) + 1`, at least 2): the width of `predictProba`. */
  numClasses?: number;
}

/** The k nearest training samples of each query, nearest first. */
export interface KnnNeighbors {
  readonly k: number;
  /** Training row indices, `n x k` row-major. */
  readonly indices: Int32Array;
  /** Euclidean distances, `n x k` row-major (non-decreasing within a row). */
  readonly distances: Float64Array;
}

/** A fitted k-NN classifier (see {@link fitKnn}). It keeps the training set. */
export interface KnnModel {
  readonly k: number;
  readonly weights: KnnWeighting;
  readonly numClasses: number;
  readonly featureCount: number;
  /** The training features (not copied: do not modify). */
  readonly trainX: Matrix;
  /** The training labels. */
  readonly trainY: Int32Array;
  /**
   * The k nearest training samples of each row of `X`: distance order, ties to the lowest index.
   * Throws `NUMERICAL_ERROR` for a query row whose squared norm exceeds 1e307 (distances would overflow).
   */
  kneighbors(X: Matrix): KnnNeighbors;
  /** Vote fractions per class, `n x numClasses` (rows sum to 1). */
  predictProba(X: Matrix): Matrix;
  /** The class with the most votes; a tie goes to the tied class of the nearest neighbour. */
  predict(X: Matrix): Int32Array;
}

const EPSILON = 2 ** -52;
/** Distance entries per block of queries (about 32 MB of float64). */
const BLOCK_ENTRIES = 4_000_000;

function squaredNorms(X: Matrix): Float64Array {
  const { rows, cols, data } = X;
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let sum = 0;
    const offset = i * cols;
    for (let j = 0; j < cols; j++) sum += data[offset + j] * data[offset + j];
    out[i] = sum;
  }
  return out;
}

/**
 * Largest squared norm k-NN accepts: every sum it forms (‖q‖² + ‖t‖², Σ(qⱼ − tⱼ)² ≤ 2(‖q‖² + ‖t‖²))
 * stays finite in float64 below it.
 */
const MAX_SQUARED_NORM = 1e307;

/** Throws `NUMERICAL_ERROR` when a row's squared norm overflows, before any distance is formed. */
function checkNorms(norms: Float64Array, argument: string, function_: string): void {
  for (let i = 0; i < norms.length; i++) {
    if (!(norms[i] <= MAX_SQUARED_NORM)) {
      throw new TlkitError(
        'NUMERICAL_ERROR',
        `${function_}: the squared norm of ${argument} row ${i} is ${norms[i]}, so its distances overflow float64 (features of about 1e153 or more); standardise the features (or divide them by a constant) first.`,
        { argument, index: i },
      );
    }
  }
}

/** Σⱼ (a[j] − b[j])², summed left to right: the distance every tie rule refers to. */
function squaredDistance(a: Float64Array, aOffset: number, b: Float64Array, bOffset: number, d: number): number {
  let sum = 0;
  for (let j = 0; j < d; j++) {
    const difference = a[aOffset + j] - b[bOffset + j];
    sum += difference * difference;
  }
  return sum;
}

class KnnModelImpl implements KnnModel {
  readonly featureCount: number;
  private readonly trainNorms: Float64Array;

  constructor(
    readonly trainX: Matrix,
    readonly trainY: Int32Array,
    readonly k: number,
    readonly weights: KnnWeighting,
    readonly numClasses: number,
  ) {
    this.featureCount = trainX.cols;
    this.trainNorms = squaredNorms(trainX);
    checkNorms(this.trainNorms, 'X', 'fitKnn');
  }

  /**
   * Neighbour search. Squared distances are first computed for a block of queries as
   * ‖q‖² + ‖t‖² − 2 qᵀt (one matrix product), whose rounding error is below
   * e = 4(d + 4)·ε·(‖q‖² + ‖t‖²) (the dot-product bound γ_d of Higham, *Accuracy and Stability of
   * Numerical Algorithms*, §3.1, with a margin). Every training point whose lower bound could
   * reach the k-th smallest upper bound is a candidate; candidates get their distance
   * recomputed directly as Σ (qⱼ − tⱼ)² and are ordered by (distance, index). So the result is the
   * one a direct computation gives, exact ties included: the lower training index wins.
   */
  kneighbors(X: Matrix): KnnNeighbors {
    checkQuery(X, this.featureCount, 'k-NN');
    const { k, trainX, trainNorms } = this;
    const n = trainX.rows;
    const d = trainX.cols;
    const queries = X.rows;
    const indices = new Int32Array(queries * k);
    const distances = new Float64Array(queries * k);
    const slack = 4 * (d + 4) * EPSILON;
    const queryNorms = squaredNorms(X);
    checkNorms(queryNorms, 'X', 'k-NN');
    const blockRows = Math.max(1, Math.min(queries, Math.floor(BLOCK_ENTRIES / Math.max(1, n))));
    const smallestUpper = new Float64Array(k);
    let candidates = new Int32Array(Math.max(16, 4 * k));
    let candidateDistances = new Float64Array(candidates.length);
    const order: number[] = [];
    for (let start = 0; start < queries; start += blockRows) {
      const end = Math.min(queries, start + blockRows);
      const block = new Matrix(end - start, d, X.data.subarray(start * d, end * d));
      const products = matmulTransposeB(block, trainX).data; // (end − start) x n
      for (let q = start; q < end; q++) {
        const rowOffset = (q - start) * n;
        const queryNorm = queryNorms[q];
        // Pass 1: the k smallest upper bounds (kept sorted ascending).
        smallestUpper.fill(Infinity);
        for (let j = 0; j < n; j++) {
          const total = queryNorm + trainNorms[j];
          const upper = total - 2 * products[rowOffset + j] + slack * total;
          if (upper < smallestUpper[k - 1]) {
            let position = k - 1;
            while (position > 0 && smallestUpper[position - 1] > upper) {
              smallestUpper[position] = smallestUpper[position - 1];
              position--;
            }
            smallestUpper[position] = upper;
          }
        }
        const threshold = smallestUpper[k - 1];
        // Pass 2: candidates whose lower bound reaches the threshold, with exact distances.
        let count = 0;
        for (let j = 0; j < n; j++) {
          const total = queryNorm + trainNorms[j];
          const lower = total - 2 * products[rowOffset + j] - slack * total;
          if (lower <= threshold) {
            if (count === candidates.length) {
              const grown = new Int32Array(2 * count);
              grown.set(candidates);
              candidates = grown;
              const grownDistances = new Float64Array(2 * count);
              grownDistances.set(candidateDistances);
              candidateDistances = grownDistances;
            }
            candidates[count] = j;
            candidateDistances[count] = squaredDistance(X.data, q * d, trainX.data, j * d, d);
            count++;
          }
        }
        order.length = count;
        for (let c = 0; c < count; c++) order[c] = c;
        order.sort((a, b) => candidateDistances[a] - candidateDistances[b] || candidates[a] - candidates[b]);
        for (let m = 0; m < k; m++) {
          indices[q * k + m] = candidates[order[m]];
          distances[q * k + m] = Math.sqrt(candidateDistances[order[m]]);
        }
      }
    }
    return { k, indices, distances };
  }

  /** Votes per class for each query, and the predicted class. */
  private vote(X: Matrix): { votes: Float64Array; predicted: Int32Array } {
    const { k, numClasses: K, trainY } = this;
    const { indices, distances } = this.kneighbors(X);
    const votes = new Float64Array(X.rows * K);
    const predicted = new Int32Array(X.rows);
    for (let q = 0; q < X.rows; q++) {
      const offset = q * k;
      const row = q * K;
      const exact = this.weights === 'distance' && distances[offset] === 0;
      for (let m = 0; m < k; m++) {
        const distance = distances[offset + m];
        let vote = 1;
        if (this.weights === 'distance') vote = exact ? (distance === 0 ? 1 : 0) : 1 / distance;
        votes[row + trainY[indices[offset + m]]] += vote;
      }
      let best = -Infinity;
      for (let c = 0; c < K; c++) if (votes[row + c] > best) best = votes[row + c];
      // Tie between classes: the tied class of the nearest neighbour wins.
      let winner = -1;
      for (let m = 0; m < k && winner < 0; m++) {
        const label = trainY[indices[offset + m]];
        if (votes[row + label] === best) winner = label;
      }
      predicted[q] = winner;
    }
    return { votes, predicted };
  }

  predictProba(X: Matrix): Matrix {
    const { votes } = this.vote(X);
    const K = this.numClasses;
    for (let q = 0; q < X.rows; q++) {
      let total = 0;
      for (let c = 0; c < K; c++) total += votes[q * K + c];
      for (let c = 0; c < K; c++) votes[q * K + c] /= total;
    }
    return new Matrix(X.rows, K, votes);
  }

  predict(X: Matrix): Int32Array {
    return this.vote(X).predicted;
  }
}

/**
 * Fits a k-nearest-neighbour classifier (Cover & Hart, "Nearest neighbor pattern
 * classification", IEEE Trans. Inf. Theory 13(1), 1967) with Euclidean distance.
 *
 * Tie rules, deterministic: neighbours are ordered by distance Σⱼ(qⱼ − tⱼ)² and, at equal
 * distance, by training index (the lower index wins, so 1-NN results match references sample for
 * sample); a tie in the vote goes to the tied class of the nearest neighbour. Distances are
 * computed in blocks with one matrix product and recomputed exactly for the candidates, so
 * rounding cannot reorder exact ties (see {@link KnnModel.kneighbors}).
 *
 * @param X - training features, `n x d` (kept by the model, not copied).
 * @param y - class ids `0..K-1`.
 * @param options - `k` (default 1, at most n), `weights` (`'uniform'` | `'distance'`), `numClasses`.
 * @throws TlkitError `TOO_FEW_SAMPLES` when k > n, `INVALID_CONFIG`, `INVALID_ARGUMENT`,
 * `DIMENSION_MISMATCH`, `NON_FINITE_INPUT`, `LABEL_NOT_INTEGER`, `LABEL_OUT_OF_RANGE`;
 * `NUMERICAL_ERROR` when a row's squared norm exceeds 1e307 (its distances would overflow float64;
 * queries are checked the same way).
 *
 * @example
 * ```ts
 * const model = fitKnn(Matrix.fromRows([[0, 0], [1, 1], [5, 5]]), [0, 0, 1], { k: 1 });
 * model.predict(Matrix.fromRows([[4, 4]])); // Int32Array [1]
 * ```
 */
export function fitKnn(X: Matrix, y: ArrayLike<number>, options: KnnFitOptions = {}): KnnModel {
  const name = 'fitKnn';
  const k = checkPositiveInteger(options.k ?? 1, 'k', name);
  const weights = options.weights ?? 'uniform';
  if (weights !== 'uniform' && weights !== 'distance') {
    throw new TlkitError('INVALID_CONFIG', `${name}: weights must be 'uniform' or 'distance', got ${JSON.stringify(weights)}.`, {
      argument: 'weights',
    });
  }
  checkFeatures(X, 'X', name);
  const { labels, numClasses } = checkClassLabels(y, X.rows, options.numClasses, name);
  if (k > X.rows) {
    throw new TlkitError('TOO_FEW_SAMPLES', `${name}: k = ${k} neighbours requested but only ${X.rows} training samples; lower k.`, {
      argument: 'k',
    });
  }
  return new KnnModelImpl(X, labels, k, weights, numClasses);
}

/** Options of the `'knn'` plugin ({@link knn}). */
export const knnConfigSchema = z
  .object({
    /** Number of neighbours. */
    k: z.number().int().positive().default(1),
    /** Vote weighting: 'uniform' or 'distance'. */
    weights: z.enum(['uniform', 'distance']).default('uniform'),
  })
  .strict();

/** Options of {@link knn}: `k` (default 1), `weights` (`'uniform'` default, or `'distance'`). */
export type KnnOptions = z.input<typeof knnConfigSchema>;

function fittedEstimator(model: KnnModel): FittedEstimator {
  const info: Record<string, JsonValue> = { k: model.k, weights: model.weights, trainingSamples: model.trainX.rows };
  return {
    predict: (X) => model.predict(X),
    predictProba: (X) => model.predictProba(X),
    info,
    saveState: (): StepState => ({
      json: { k: model.k, weights: model.weights, numClasses: model.numClasses },
      arrays: { trainX: storeMatrix(model.trainX), trainY: storeArray(model.trainY) },
    }),
  };
}

/**
 * The `'knn'` plugin: k-nearest-neighbour classification (see {@link fitKnn}). It does not accept
 * sample weights (`acceptsSampleWeights: false`), so the orchestrator rejects a weighting step
 * placed before it instead of dropping the weights silently.
 */
export const knnPlugin = definePlugin({
  name: 'knn',
  kind: 'base',
  role: 'estimator',
  description: 'k-nearest-neighbour classifier (Euclidean; exact ties to the lowest training index; uniform or distance votes).',
  reference: 'T. Cover and P. Hart, Nearest neighbor pattern classification, IEEE Trans. Information Theory 13(1), 1967.',
  needs: { problems: ['classification'], targetLabels: 'never', acceptsSampleWeights: false },
  configSchema: knnConfigSchema,
  create: (options) => ({
    probabilities: true,
    async doFit(input, context) {
      requireProblem(context.problem, 'classification', 'knn');
      const { X, y } = input.train;
      return fittedEstimator(fitKnn(X, y, { k: options.k, weights: options.weights, numClasses: context.numClasses }));
    },
    doRestore(state) {
      const json = readJson<{ k: number; weights: KnnWeighting; numClasses: number }>(state);
      const trainX = readMatrix(state, 'trainX');
      const trainY = Int32Array.from(readArray(state, 'trainY').data);
      if (trainY.length !== trainX.rows) {
        throw new TlkitError('INVALID_ARTIFACT', `knn state: ${trainY.length} labels for ${trainX.rows} training rows.`);
      }
      return fittedEstimator(new KnnModelImpl(trainX, trainY, json.k, json.weights, json.numClasses));
    },
  }),
});

/**
 * k-nearest-neighbour classification as a pipeline step (registry name `'knn'`).
 *
 * @example
 * ```ts
 * const fitted = await compose(tca({ dim: 30 }), knn({ k: 1 })).fit(task);
 * ```
 */
export const knn = (options?: KnnOptions) => knnPlugin.create(options);
