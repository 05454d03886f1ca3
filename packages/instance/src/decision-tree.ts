/**
 * A weighted CART decision tree of bounded depth (a stump at depth 1): a base learner for the
 * boosting strategies that does not interpolate a small labelled set.
 */
import {
  definePlugin,
  type FittedEstimator,
  type JsonValue,
  Matrix,
  readArray,
  readJson,
  type StepState,
  storeArray,
  TlkitError,
} from '@tlkit/core';
import * as z from 'zod';
import { sortOrders } from './internal/sort-orders';

/** Options of {@link fitDecisionTree}. */
export interface DecisionTreeFitOptions {
  /** Deepest level (1 = a decision stump). Default 3. */
  readonly maxDepth?: number;
  /** Fewest samples in a leaf. Default 1. */
  readonly minSamplesLeaf?: number;
  /** Split only when the weighted impurity drops by more than this (in units of the node's weight). Default 0. */
  readonly minImpurityDecrease?: number;
  /** Non-negative sample weights (default all 1); weight-0 samples are left out. */
  readonly weights?: ArrayLike<number>;
  /** Number of classes (classification); 0 for regression. */
  readonly numClasses: number;
}

/** A fitted tree: parallel arrays over nodes, node 0 the root. */
export interface DecisionTreeModel {
  /** Split feature per node, −1 for a leaf. */
  readonly feature: Int32Array;
  /** Split threshold per node: go left when `x[feature] ≤ threshold`. */
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** Per node: class proportions (`numClasses` values) or the mean target (1 value). */
  readonly value: Float64Array;
  /** 0 for regression. */
  readonly numClasses: number;
  readonly featureCount: number;
  /** Depth actually reached. */
  readonly depth: number;
  readonly leaves: number;
}

interface NodeStats {
  weight: number;
  count: number;
  /** Classification: weighted class totals; regression: [Σw y, Σw y²]. */
  totals: Float64Array;
}

function impurityTimesWeight(stats: { weight: number; totals: Float64Array }, numClasses: number): number {
  if (stats.weight <= 0) return 0;
  if (numClasses > 0) {
    let squares = 0;
    for (let k = 0; k < numClasses; k++) squares += stats.totals[k] * stats.totals[k];
    return stats.weight - squares / stats.weight; // W · Gini
  }
  return stats.totals[1] - (stats.totals[0] * stats.totals[0]) / stats.weight; // weighted SSE
}

/**
 * Fits a CART tree (Breiman, Friedman, Olshen & Stone, *Classification and Regression Trees*,
 * 1984) greedily, level by level: each split minimises the weighted Gini impurity
 * (classification) or the weighted squared error (regression) over all features and all
 * thresholds halfway between consecutive distinct values. Leaves hold weighted class proportions
 * or the weighted mean. Deterministic (ties go to the lower feature index, then the lower threshold).
 *
 * @param X - features, `n x d`.
 * @param y - class ids `0..numClasses-1` or real targets.
 * @example
 * ```ts
 * const stump = fitDecisionTree(X, y, { numClasses: 2, maxDepth: 1 });
 * predictDecisionTree(stump, X); // Float64Array of class ids
 * ```
 */
export function fitDecisionTree(X: Matrix, y: ArrayLike<number>, options: DecisionTreeFitOptions): DecisionTreeModel {
  const maxDepth = options.maxDepth ?? 3;
  const minSamplesLeaf = options.minSamplesLeaf ?? 1;
  const minDecrease = options.minImpurityDecrease ?? 0;
  const numClasses = options.numClasses;
  const { rows, cols, data } = X;
  if (y.length !== rows) {
    throw new TlkitError('DIMENSION_MISMATCH', `decision-tree: y has ${y.length} values but X has ${rows} rows.`, { argument: 'y' });
  }
  const weights = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const w = options.weights ? options.weights[i] : 1;
    if (!(w >= 0) || !Number.isFinite(w)) {
      throw new TlkitError('INVALID_ARGUMENT', `decision-tree: weights[${i}] = ${w}; weights must be finite and ≥ 0.`, { argument: 'weights' });
    }
    weights[i] = w;
  }
  const width = numClasses > 0 ? numClasses : 2;
  const accumulate = (stats: NodeStats, i: number, sign: number) => {
    const w = weights[i] * sign;
    stats.weight += w;
    stats.count += sign;
    if (numClasses > 0) stats.totals[y[i]] += w;
    else {
      stats.totals[0] += w * y[i];
      stats.totals[1] += w * y[i] * y[i];
    }
  };
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const nodeStats: NodeStats[] = [];
  const newNode = (): number => {
    feature.push(-1);
    threshold.push(0);
    left.push(-1);
    right.push(-1);
    nodeStats.push({ weight: 0, count: 0, totals: new Float64Array(width) });
    return feature.length - 1;
  };
  // nodeOf[i]: the current leaf of sample i (−1 = left out: weight 0).
  const nodeOf = new Int32Array(rows).fill(-1);
  const root = newNode();
  for (let i = 0; i < rows; i++) {
    if (weights[i] > 0) {
      nodeOf[i] = root;
      accumulate(nodeStats[root], i, 1);
    }
  }
  if (nodeStats[root].count === 0) {
    throw new TlkitError('INVALID_ARGUMENT', 'decision-tree: every sample has weight 0; give some samples a positive weight.', { argument: 'weights' });
  }
  // Reused across the rounds of a boosting run (which lends its merged matrix), else sorted afresh.
  const orders = sortOrders(X);
  let frontier = [root];
  let depth = 0;
  for (let level = 0; level < maxDepth && frontier.length > 0; level++) {
    // Candidate leaves: not pure, with room for two leaves.
    const candidates = frontier.filter((node) => {
      const stats = nodeStats[node];
      return stats.count >= 2 * minSamplesLeaf && impurityTimesWeight(stats, numClasses) > 1e-12 * stats.weight;
    });
    if (candidates.length === 0) break;
    const slot = new Int32Array(feature.length).fill(-1);
    candidates.forEach((node, index) => {
      slot[node] = index;
    });
    const c = candidates.length;
    const bestGain = new Float64Array(c).fill(-Infinity);
    const bestFeature = new Int32Array(c).fill(-1);
    const bestThreshold = new Float64Array(c);
    const parentImpurity = Float64Array.from(candidates, (node) => impurityTimesWeight(nodeStats[node], numClasses));
    const leftStats: NodeStats[] = candidates.map(() => ({ weight: 0, count: 0, totals: new Float64Array(width) }));
    const rightTotals = candidates.map(() => new Float64Array(width));
    const previousValue = new Float64Array(c);
    const seen = new Uint8Array(c);
    for (let j = 0; j < cols; j++) {
      for (let s = 0; s < c; s++) {
        const stats = leftStats[s];
        stats.weight = 0;
        stats.count = 0;
        stats.totals.fill(0);
        seen[s] = 0;
      }
      const order = orders[j];
      for (let r = 0; r < rows; r++) {
        const i = order[r];
        const node = nodeOf[i];
        if (node < 0) continue;
        const s = slot[node];
        if (s < 0) continue;
        const value = data[i * cols + j];
        const leftSide = leftStats[s];
        if (seen[s] && value > previousValue[s] && leftSide.count >= minSamplesLeaf) {
          const parent = nodeStats[node];
          if (parent.count - leftSide.count >= minSamplesLeaf) {
            const rightSide = rightTotals[s];
            for (let k = 0; k < width; k++) rightSide[k] = parent.totals[k] - leftSide.totals[k];
            const gain =
              parentImpurity[s] -
              impurityTimesWeight(leftSide, numClasses) -
              impurityTimesWeight({ weight: parent.weight - leftSide.weight, totals: rightSide }, numClasses);
            if (gain > bestGain[s] + 1e-12 * parent.weight) {
              bestGain[s] = gain;
              bestFeature[s] = j;
              bestThreshold[s] = 0.5 * (previousValue[s] + value);
            }
          }
        }
        accumulate(leftSide, i, 1);
        previousValue[s] = value;
        seen[s] = 1;
      }
    }
    const nextFrontier: number[] = [];
    for (let s = 0; s < c; s++) {
      const node = candidates[s];
      if (bestFeature[s] < 0 || !(bestGain[s] > minDecrease * nodeStats[node].weight)) continue;
      feature[node] = bestFeature[s];
      threshold[node] = bestThreshold[s];
      left[node] = newNode();
      right[node] = newNode();
      nextFrontier.push(left[node], right[node]);
    }
    if (nextFrontier.length === 0) break;
    for (let i = 0; i < rows; i++) {
      const node = nodeOf[i];
      if (node < 0 || feature[node] < 0) continue;
      const child = data[i * cols + feature[node]] <= threshold[node] ? left[node] : right[node];
      nodeOf[i] = child;
      accumulate(nodeStats[child], i, 1);
    }
    frontier = nextFrontier;
    depth = level + 1;
  }
  const nodes = feature.length;
  const valueWidth = numClasses > 0 ? numClasses : 1;
  const value = new Float64Array(nodes * valueWidth);
  for (let node = 0; node < nodes; node++) {
    const stats = nodeStats[node];
    if (numClasses > 0) for (let k = 0; k < numClasses; k++) value[node * valueWidth + k] = stats.totals[k] / stats.weight;
    else value[node] = stats.totals[0] / stats.weight;
  }
  let leaves = 0;
  for (let node = 0; node < nodes; node++) if (feature[node] < 0) leaves++;
  return {
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    value,
    numClasses,
    featureCount: cols,
    depth,
    leaves,
  };
}

function leafOf(model: DecisionTreeModel, X: Matrix, i: number): number {
  let node = 0;
  const offset = i * X.cols;
  while (model.feature[node] >= 0) node = X.data[offset + model.feature[node]] <= model.threshold[node] ? model.left[node] : model.right[node];
  return node;
}

function checkQuery(model: DecisionTreeModel, X: Matrix): void {
  if (X.cols !== model.featureCount) {
    throw new TlkitError('DIMENSION_MISMATCH', `decision-tree: X has ${X.cols} features but the tree was fitted on ${model.featureCount}.`, {
      argument: 'X',
      expected: model.featureCount,
      actual: X.cols,
    });
  }
}

/** Leaf class proportions, `n x numClasses` (classification trees). */
export function predictDecisionTreeProba(model: DecisionTreeModel, X: Matrix): Matrix {
  checkQuery(model, X);
  const K = model.numClasses;
  const out = new Matrix(X.rows, K);
  for (let i = 0; i < X.rows; i++) {
    const leaf = leafOf(model, X, i);
    out.data.set(model.value.subarray(leaf * K, (leaf + 1) * K), i * K);
  }
  return out;
}

/** Class ids (the largest leaf proportion, ties to the lowest id) or regression values. */
export function predictDecisionTree(model: DecisionTreeModel, X: Matrix): Int32Array | Float64Array {
  checkQuery(model, X);
  const K = model.numClasses;
  if (K === 0) return Float64Array.from({ length: X.rows }, (_, i) => model.value[leafOf(model, X, i)]);
  const out = new Int32Array(X.rows);
  for (let i = 0; i < X.rows; i++) {
    const offset = leafOf(model, X, i) * K;
    let best = 0;
    for (let k = 1; k < K; k++) if (model.value[offset + k] > model.value[offset + best]) best = k;
    out[i] = best;
  }
  return out;
}

/** Options of the `'decision-tree'` plugin. */
export const decisionTreeConfigSchema = z
  .object({
    /** Deepest level; 1 is a decision stump. */
    maxDepth: z.number().int().min(1).max(30).default(3),
    /** Fewest samples in a leaf. */
    minSamplesLeaf: z.number().int().min(1).default(1),
    /** Minimum weighted impurity decrease (per unit of node weight) for a split. */
    minImpurityDecrease: z.number().nonnegative().finite().default(0),
  })
  .strict();

/** Options of {@link decisionTree}: `maxDepth` (default 3; 1 = stump), `minSamplesLeaf` (1), `minImpurityDecrease` (0). */
export type DecisionTreeOptions = z.input<typeof decisionTreeConfigSchema>;

function fittedTree(model: DecisionTreeModel): FittedEstimator {
  const info: Record<string, JsonValue> = { depth: model.depth, leaves: model.leaves };
  return {
    predict: (X) => predictDecisionTree(model, X),
    ...(model.numClasses > 0 ? { predictProba: (X: Matrix) => predictDecisionTreeProba(model, X) } : {}),
    info,
    saveState: (): StepState => ({
      json: { numClasses: model.numClasses, featureCount: model.featureCount, depth: model.depth, leaves: model.leaves },
      arrays: {
        feature: storeArray(model.feature),
        threshold: storeArray(model.threshold),
        left: storeArray(model.left),
        right: storeArray(model.right),
        value: storeArray(model.value),
      },
    }),
  };
}

/** The `'decision-tree'` plugin: weighted CART, classification and regression. */
export const decisionTreePlugin = definePlugin({
  name: 'decision-tree',
  kind: 'base',
  role: 'estimator',
  description: 'Weighted CART decision tree of bounded depth (depth 1 = decision stump): Gini or squared-error splits, sample weights.',
  reference: 'L. Breiman, J. Friedman, R. Olshen and C. Stone, Classification and Regression Trees, Wadsworth 1984.',
  needs: { problems: ['classification', 'regression'], targetLabels: 'never', acceptsSampleWeights: true },
  configSchema: decisionTreeConfigSchema,
  create: (options) => ({
    probabilities: true,
    async doFit(input, context) {
      const { X, y, weights } = input.train;
      return fittedTree(
        fitDecisionTree(X, y, {
          maxDepth: options.maxDepth,
          minSamplesLeaf: options.minSamplesLeaf,
          minImpurityDecrease: options.minImpurityDecrease,
          numClasses: context.problem === 'classification' ? context.numClasses : 0,
          ...(weights ? { weights } : {}),
        }),
      );
    },
    doRestore(state) {
      const json = readJson<{ numClasses: number; featureCount: number; depth: number; leaves: number }>(state);
      const feature = Int32Array.from(readArray(state, 'feature').data);
      const nodes = feature.length;
      const value = Float64Array.from(readArray(state, 'value').data);
      if (value.length !== nodes * Math.max(1, json.numClasses)) {
        throw new TlkitError('INVALID_ARTIFACT', `decision-tree state: ${value.length} leaf values for ${nodes} nodes.`);
      }
      return fittedTree({
        feature,
        threshold: Float64Array.from(readArray(state, 'threshold').data),
        left: Int32Array.from(readArray(state, 'left').data),
        right: Int32Array.from(readArray(state, 'right').data),
        value,
        numClasses: json.numClasses,
        featureCount: json.featureCount,
        depth: json.depth,
        leaves: json.leaves,
      });
    },
  }),
});

/**
 * A weighted CART tree as a pipeline step (registry name `'decision-tree'`): a base learner for
 * TrAdaBoost / TrAdaBoost.R2 that cannot interpolate a few labelled samples when shallow.
 *
 * @example
 * ```ts
 * tradaboost({ base: decisionTree({ maxDepth: 1 }) }); // boosting decision stumps
 * ```
 * CLI: `{ "use": "decision-tree", "maxDepth": 3 }`.
 */
export const decisionTree = (options?: DecisionTreeOptions) => decisionTreePlugin.create(options);
