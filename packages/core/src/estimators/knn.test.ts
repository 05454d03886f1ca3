import { describe, expect, it } from 'vitest';
import { Matrix } from '../matrix';
import { compose } from '../pipeline';
import { definePlugin } from '../plugin';
import { createRng } from '../rng';
import * as z from 'zod';
import { fitKnn, knn, knnPlugin } from './knn';
import { loadOfficeDomain, officeAvailable } from './test-data/office';
import { fitSaveRestore } from './test-data/pipeline';

/** Brute force: every distance computed directly, sorted by (distance, index). */
function bruteForceNeighbors(train: Matrix, query: Matrix, k: number): { indices: number[][]; distances: number[][] } {
  const indices: number[][] = [];
  const distances: number[][] = [];
  for (let q = 0; q < query.rows; q++) {
    const all = Array.from({ length: train.rows }, (_, j) => {
      let sum = 0;
      for (let c = 0; c < train.cols; c++) sum += (query.get(q, c) - train.get(j, c)) ** 2;
      return { j, sum };
    });
    all.sort((a, b) => a.sum - b.sum || a.j - b.j);
    indices.push(all.slice(0, k).map((entry) => entry.j));
    distances.push(all.slice(0, k).map((entry) => Math.sqrt(entry.sum)));
  }
  return { indices, distances };
}

describe('fitKnn', () => {
  it('classifies a hand-worked case with k = 1 and k = 3', () => {
    // Class 0 near the origin, class 1 near (5, 5).
    const X = Matrix.fromRows([
      [0, 0],
      [1, 0],
      [0, 1],
      [5, 5],
      [6, 5],
    ]);
    const y = [0, 0, 0, 1, 1];
    const query = Matrix.fromRows([
      [0.2, 0.1],
      [4, 4],
      [3, 3],
    ]);
    // (3, 3): distances² to the five points are 18, 13, 13, 8, 13 → nearest (5, 5), class 1; its
    // 3 nearest are index 3 (8), then index 1 and 2 (13, tie; index 4 at 13 loses to lower indices).
    expect(Array.from(fitKnn(X, y, { k: 1 }).predict(query))).toEqual([0, 1, 1]);
    const three = fitKnn(X, y, { k: 3 });
    const { indices, distances } = three.kneighbors(query);
    expect(Array.from(indices.subarray(6, 9))).toEqual([3, 1, 2]);
    expect(Array.from(distances.subarray(6, 9))).toEqual([Math.sqrt(8), Math.sqrt(13), Math.sqrt(13)]);
    expect(Array.from(three.predict(query))).toEqual([0, 1, 0]);
    // Vote fractions: query (3, 3) sees one class-1 and two class-0 neighbours.
    expect(Array.from(three.predictProba(query).row(2))).toEqual([2 / 3, 1 / 3]);
    expect(Array.from(three.predictProba(query).row(1))).toEqual([1 / 3, 2 / 3]);
  });

  it('gives an exact distance tie to the LOWER training index', () => {
    // Query (1, 2); (6, 2) and (4, 6) are both at squared distance 25 exactly.
    const query = Matrix.fromRows([[1, 2]]);
    const first = fitKnn(
      Matrix.fromRows([
        [6, 2],
        [4, 6],
      ]),
      [1, 0],
    );
    expect(Array.from(first.predict(query))).toEqual([1]);
    const swapped = fitKnn(
      Matrix.fromRows([
        [4, 6],
        [6, 2],
      ]),
      [1, 0],
    );
    expect(Array.from(swapped.predict(query))).toEqual([1]);
    expect(Array.from(swapped.kneighbors(query).indices)).toEqual([0]);
  });

  it('keeps exact ties and the exact order where ‖x‖² + ‖y‖² − 2xᵀy rounds badly (large offsets)', () => {
    // Coordinates near 1e8: ‖x‖² ≈ 2e16, so the expanded form loses several units, while the
    // direct differences are exact small integers. Same ties as above, plus a point at distance² 26.
    const offset = 1e8;
    const shift = (rows: number[][]) => Matrix.fromRows(rows.map((row) => row.map((value) => value + offset)));
    const train = shift([
      [7, 1], // distance² 36 + 1 = 37
      [6, 3], // 25 + 1 = 26
      [6, 2], // 25: tie, lower index
      [4, 6], // 25: tie, higher index
      [1, 2], // 0 ... except the query below is not here
    ]);
    const query = shift([[1, 3]]);
    // Distances² from (1, 3): 36 + 4 = 40, 25 + 0 = 25, 25 + 1 = 26, 9 + 9 = 18, 0 + 1 = 1.
    const model = fitKnn(train, [0, 1, 2, 3, 4], { k: 5 });
    expect(Array.from(model.kneighbors(query).indices)).toEqual([4, 3, 1, 2, 0]);
    const tie = fitKnn(shift([[6, 2], [4, 6], [5, 5]]), [0, 1, 2], { k: 3 });
    // From (1, 2): 25, 25, 16 + 9 = 25: a three-way tie, ordered by index. (The expanded form
    // evaluates these three as 32, 24, 16 in float64, which would reverse the order.)
    expect(Array.from(tie.kneighbors(shift([[1, 2]])).indices)).toEqual([0, 1, 2]);
  });

  it('agrees with brute force on random integer data with many ties, across several query blocks', () => {
    // 2100 queries x 2000 training rows exceed one block of 4e6 distances, so two blocks run.
    // Offsets of 1e7 make the expanded form ‖x‖² + ‖y‖² − 2xᵀy err by about 0.1 on distances² that
    // are small integers, so the exact re-check decides the many ties.
    const rng = createRng(11);
    const draw = (rows: number) => {
      const m = new Matrix(rows, 3);
      for (let index = 0; index < m.data.length; index++) m.data[index] = rng.int(5) + 1e7;
      return m;
    };
    const train = draw(2000);
    const query = draw(2100);
    const labels = Int32Array.from({ length: 2000 }, () => rng.int(4));
    const model = fitKnn(train, labels, { k: 4 });
    const found = model.kneighbors(query);
    // Brute force on a sample of queries (all of them would be slow in a test).
    const sample = Array.from({ length: 60 }, (_, t) => t * 35);
    const expected = bruteForceNeighbors(train, query.selectRows(sample), 4);
    sample.forEach((q, t) => {
      expect(Array.from(found.indices.subarray(q * 4, q * 4 + 4))).toEqual(expected.indices[t]);
      expect(Array.from(found.distances.subarray(q * 4, q * 4 + 4))).toEqual(expected.distances[t]);
    });
  });

  it('breaks a vote tie in favour of the nearest neighbour among the tied classes', () => {
    const X = Matrix.fromRows([[0], [3], [-1.5], [10]]);
    const y = [1, 0, 0, 1];
    // Query 1: neighbours (k = 2) are index 0 (distance 1, class 1) and index 2 (2.5, class 0): 1–1 tie → class 1.
    // Query −1: index 2 (0.5, class 0) and index 0 (1, class 1) → class 0.
    const model = fitKnn(X, y, { k: 2 });
    expect(Array.from(model.predict(Matrix.fromRows([[1], [-1]])))).toEqual([1, 0]);
    expect(Array.from(model.predictProba(Matrix.fromRows([[1]])).data)).toEqual([0.5, 0.5]);
  });

  it("weights votes by 1/distance with weights: 'distance', and lets zero-distance neighbours decide", () => {
    const X = Matrix.fromRows([[0], [1], [4]]);
    const y = [0, 1, 1];
    const model = fitKnn(X, y, { k: 3, weights: 'distance' });
    // Query 0.5: distances 0.5, 0.5, 3.5 → votes class 0: 2, class 1: 2 + 1/3.5.
    const proba = model.predictProba(Matrix.fromRows([[0.5]]));
    const total = 2 + 2 + 1 / 3.5;
    expect(proba.get(0, 0)).toBeCloseTo(2 / total, 15);
    expect(proba.get(0, 1)).toBeCloseTo((2 + 1 / 3.5) / total, 15);
    expect(Array.from(model.predict(Matrix.fromRows([[0.5]])))).toEqual([1]);
    // Query on a training point: only it votes.
    expect(Array.from(model.predictProba(Matrix.fromRows([[0]])).data)).toEqual([1, 0]);
    // Uniform votes would pick class 1 at 0.2 (two of three); distance votes pick class 0.
    expect(Array.from(fitKnn(X, y, { k: 3 }).predict(Matrix.fromRows([[0.2]])))).toEqual([1]);
    expect(Array.from(model.predict(Matrix.fromRows([[0.2]])))).toEqual([0]);
  });

  it('rejects features whose distances overflow float64 instead of voting for class -1 (review D5)', () => {
    // Before: squared distances were Infinity/NaN, the distance vote NaN, and predict returned -1.
    const huge = Matrix.fromRows([[1e200], [2e200], [-1e200]]);
    let caught: unknown;
    try {
      fitKnn(huge, [0, 1, 1], { k: 2, weights: 'distance' });
    } catch (error) {
      caught = error;
    }
    expect((caught as { code?: string }).code).toBe('NUMERICAL_ERROR');
    expect(String((caught as Error).message)).toMatch(/squared norm of X row 0 .*standardise/);
    // A fitted model checks its queries the same way; large but safe values still classify.
    const model = fitKnn(Matrix.fromRows([[1e150], [2e150], [-1e150]]), [0, 1, 1], { k: 2, weights: 'distance' });
    expect(Array.from(model.predict(Matrix.fromRows([[1.9e150]])))).toEqual([1]);
    expect(() => model.predict(Matrix.fromRows([[5e200]]))).toThrow(/NUMERICAL_ERROR.*k-NN/);
    expect(() => model.kneighbors(Matrix.fromRows([[5e200]]))).toThrow(/NUMERICAL_ERROR/);
  });

  it('rejects bad input', () => {
    const X = Matrix.fromRows([[0], [1]]);
    expect(() => fitKnn(X, [0, 1], { k: 3 })).toThrow(/TOO_FEW_SAMPLES.*k = 3/);
    expect(() => fitKnn(X, [0, 1], { k: 0 })).toThrow(/INVALID_CONFIG.*k/);
    expect(() => fitKnn(X, [0, 1], { weights: 'cosine' as never })).toThrow(/INVALID_CONFIG.*weights/);
    expect(() => fitKnn(X, [0, 1.5])).toThrow(/LABEL_NOT_INTEGER/);
    expect(() => fitKnn(X, [0, 1]).predict(Matrix.fromRows([[1, 2]]))).toThrow(/DIMENSION_MISMATCH/);
    expect(() => knn({ k: -1 })).toThrow(/INVALID_CONFIG.*\bk\b/);
  });
});

describe("the 'knn' plugin", () => {
  it('declares no sample weights, so a weighting step before it is rejected', () => {
    expect(knnPlugin.needs.acceptsSampleWeights).toBe(false);
    const uniformWeights = definePlugin({
      name: 'test-uniform-weights',
      kind: 'instance',
      role: 'weighting',
      description: 'All weights 1 (test only).',
      needs: { problems: ['classification'], targetLabels: 'never', acceptsSampleWeights: false },
      configSchema: z.object({}).strict(),
      create: () => ({ doFitWeights: async (input) => ({ weights: new Float64Array(input.source.X.rows).fill(1) }) }),
    });
    expect(() => compose(uniformWeights.create(), knn())).toThrow(/UNUSED_SAMPLE_WEIGHTS/);
  });

  it('restores from its saved state with identical predictions', async () => {
    const rng = createRng(5);
    const X = Array.from({ length: 40 }, () => [rng.normal(), rng.normal()]);
    const y = X.map(([a, b]) => (a + b > 0 ? 1 : 0));
    const query = Array.from({ length: 25 }, () => [rng.normal(), rng.normal()]);
    const task = { source: { X, y }, target: { X: query }, problem: 'classification' as const };
    const { fitted, restored } = await fitSaveRestore(knnPlugin, knn({ k: 3, weights: 'distance' }), task);
    expect(restored.predict(query)).toEqual(fitted.predict(query));
    expect(restored.predictProba(query).data).toEqual(fitted.predictProba(query).data);
  });
});

// Office-Caltech10 SURF, caltech → amazon: the 1-NN baseline of
// /work/shared/fixtures/office_C_to_A.json, `baselines.1nn_acc` = 23.695198329853863 % (227 of 958).
describe.skipIf(!officeAvailable())('Office-Caltech10 C → A (needs packages/datasets/data/office_caltech10_surf)', () => {
  it('reproduces the published 1-NN accuracy 23.70 % sample for sample', () => {
    const source = loadOfficeDomain('caltech');
    const target = loadOfficeDomain('amazon');
    const predicted = fitKnn(source.X, source.y, { k: 1, numClasses: 10 }).predict(target.X);
    let correct = 0;
    for (let i = 0; i < predicted.length; i++) if (predicted[i] === target.y[i]) correct++;
    expect(correct).toBe(227);
  });
});
