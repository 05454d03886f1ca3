import { createRng, Matrix } from '@tlkit/core';
import { describeStrategyConformance } from '@tlkit/core/testing';
import { describe, expect, it } from 'vitest';
import { errorCode, stepContext } from '../test/helpers';
import { decisionTree, decisionTreePlugin, fitDecisionTree, predictDecisionTree, predictDecisionTreeProba } from './decision-tree';

const column = (values: number[]) => Matrix.fromRows(values.map((value) => [value]));

describe('decision-tree', () => {
  it('a stump puts the threshold where the weighted Gini impurity is lowest (hand-worked)', () => {
    // x = 1..6, y = 0 0 0 1 1 0. Candidate thresholds 3.5 (left {0,0,0}, right {1,1,0}: W·Gini = 0 + 3·(1 − 5/9) = 4/3)
    // and 5.5 (left {0,0,0,1,1}: 5·(1 − 13/25) = 12/5, right {0}: 0) → 3.5 wins.
    const X = column([1, 2, 3, 4, 5, 6]);
    const y = [0, 0, 0, 1, 1, 0];
    const stump = fitDecisionTree(X, y, { numClasses: 2, maxDepth: 1 });
    expect(stump.feature[0]).toBe(0);
    expect(stump.threshold[0]).toBe(3.5);
    expect(Array.from(predictDecisionTree(stump, X))).toEqual([0, 0, 0, 1, 1, 1]);
    // Right leaf proportions: weights 1, 1, 1 on classes 1, 1, 0 → (1/3, 2/3).
    const proba = predictDecisionTreeProba(stump, column([6]));
    expect(proba.get(0, 0)).toBeCloseTo(1 / 3, 15);
    expect(proba.get(0, 1)).toBeCloseTo(2 / 3, 15);
  });

  it('sample weights move the split: a heavy last sample makes 5.5 the best threshold', () => {
    // Weight 10 on x = 6 (class 0): threshold 3.5 → right {1,1,0×10}: W = 12, Σw_k² = 4 + 100, 12 − 104/12 = 10/3;
    // 4.5 → left {0,0,0,1}: 3/2, right {1,0×10}: 11 − 101/11 = 20/11, total ≈ 3.32;
    // 5.5 → left {0,0,0,1,1}: 12/5 = 2.4, right pure → 2.4 is the lowest, so 5.5 wins.
    const stump = fitDecisionTree(column([1, 2, 3, 4, 5, 6]), [0, 0, 0, 1, 1, 0], {
      numClasses: 2,
      maxDepth: 1,
      weights: [1, 1, 1, 1, 1, 10],
    });
    expect(stump.threshold[0]).toBe(5.5);
  });

  it('regression splits minimise the weighted squared error and leaves hold weighted means', () => {
    // y = 1, 1, 5, 5, 6 on x = 0..4: the best cut is between 1 and 2 (SSE 0 + 2/3 over {5,5,6}).
    const X = column([0, 1, 2, 3, 4]);
    const tree = fitDecisionTree(X, [1, 1, 5, 5, 6], { numClasses: 0, maxDepth: 1 });
    expect(tree.threshold[0]).toBe(1.5);
    expect(Array.from(predictDecisionTree(tree, column([0, 4])))).toEqual([1, 16 / 3]);
    const weighted = fitDecisionTree(X, [1, 1, 5, 5, 6], { numClasses: 0, maxDepth: 1, weights: [1, 1, 1, 1, 2] });
    expect(predictDecisionTree(weighted, column([4]))[0]).toBeCloseTo((5 + 5 + 12) / 4, 12);
  });

  it('respects maxDepth and minSamplesLeaf, and interpolates when deep enough', () => {
    const rng = createRng(3);
    const n = 64;
    const X = new Matrix(n, 2, Float64Array.from({ length: 2 * n }, () => rng.normal()));
    const y = Int32Array.from({ length: n }, () => rng.int(3));
    for (const depth of [1, 2, 3]) {
      const tree = fitDecisionTree(X, y, { numClasses: 3, maxDepth: depth });
      expect(tree.depth).toBeLessThanOrEqual(depth);
      expect(tree.leaves).toBeLessThanOrEqual(2 ** depth);
    }
    const leafy = fitDecisionTree(X, y, { numClasses: 3, maxDepth: 20, minSamplesLeaf: 5 });
    const counts = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      let node = 0;
      while (leafy.feature[node] >= 0) node = X.get(i, leafy.feature[node]) <= leafy.threshold[node] ? leafy.left[node] : leafy.right[node];
      counts.set(node, (counts.get(node) ?? 0) + 1);
    }
    expect(Math.min(...counts.values())).toBeGreaterThanOrEqual(5);
    const deep = fitDecisionTree(X, y, { numClasses: 3, maxDepth: 30 });
    expect(Array.from(predictDecisionTree(deep, X))).toEqual(Array.from(y));
  });

  it('leaves out weight-0 samples exactly', () => {
    const X = column([1, 2, 3, 4]);
    const withZero = fitDecisionTree(X, [0, 1, 0, 1], { numClasses: 2, maxDepth: 2, weights: [1, 0, 1, 1] });
    const dropped = fitDecisionTree(column([1, 3, 4]), [0, 0, 1], { numClasses: 2, maxDepth: 2 });
    expect(Array.from(predictDecisionTree(withZero, column([0, 2.5, 3.6, 5])))).toEqual(Array.from(predictDecisionTree(dropped, column([0, 2.5, 3.6, 5]))));
  });

  it('rejects bad options and inputs', async () => {
    expect(await errorCode(() => decisionTree({ maxDepth: 0 }))).toBe('INVALID_CONFIG');
    expect(await errorCode(() => fitDecisionTree(column([1, 2]), [0], { numClasses: 2 }))).toBe('DIMENSION_MISMATCH');
    expect(await errorCode(() => fitDecisionTree(column([1, 2]), [0, 1], { numClasses: 2, weights: [0, 0] }))).toBe('INVALID_ARGUMENT');
    const tree = fitDecisionTree(column([1, 2]), [0, 1], { numClasses: 2 });
    expect(await errorCode(() => predictDecisionTree(tree, Matrix.fromRows([[1, 2]])))).toBe('DIMENSION_MISMATCH');
  });
});

describe('decision-tree: a matrix edited in place between fits', () => {
  it('refits it like a fresh matrix with the new values (no stale sort order)', async () => {
    // x = 1..6 with labels 0 0 0 1 1 1: the stump cuts at 3.5. Negated in place, x = −1..−6 with the same
    // labels: the cut moves to −3.5 and class 1 is now on the left (x ≤ −3.5).
    const X = column([1, 2, 3, 4, 5, 6]);
    const y = Int32Array.from([0, 0, 0, 1, 1, 1]);
    const step = decisionTree({ maxDepth: 1 });
    const fit = () => step.doFit({ source: { X, y }, target: { X }, train: { X, y }, trainingSteps: [] }, stepContext());
    const before = await fit();
    expect(before.info).toEqual({ depth: 1, leaves: 2 });
    expect(Array.from(before.predict(X))).toEqual([0, 0, 0, 1, 1, 1]);
    for (let i = 0; i < X.data.length; i++) X.data[i] = -X.data[i];
    const after = await fit();
    expect(after.info).toEqual({ depth: 1, leaves: 2 });
    expect(Array.from(after.predict(X))).toEqual([0, 0, 0, 1, 1, 1]);
    expect(Array.from(after.predict(column([-3.4, -3.6])))).toEqual([0, 1]);
    const direct = fitDecisionTree(X, y, { numClasses: 2, maxDepth: 1 });
    const fresh = fitDecisionTree(column([-1, -2, -3, -4, -5, -6]), y, { numClasses: 2, maxDepth: 1 });
    expect(direct.threshold[0]).toBe(-3.5);
    expect(direct).toEqual(fresh);
  });
});

describeStrategyConformance({
  plugin: decisionTreePlugin,
  options: { maxDepth: 3 },
  invalidOptions: [{ options: { maxDepth: 1.5 }, field: 'maxDepth' }],
});
