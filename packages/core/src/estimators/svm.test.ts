import { describe, expect, it } from 'vitest';
import { Matrix } from '../matrix';
import { compose } from '../pipeline';
import { createRng, MAX_SEED } from '../rng';
import { fitLinearSvm, solveLinearSvmDual, stratifiedFolds, svm, SVM_C_GRID, svmPlugin } from './svm';
import { fitSaveRestore } from './test-data/pipeline';

/** Overlapping two-class data: class sign ±1 centred at ±(0.7, 0.3, 0). */
function overlapping(seed: number, n: number) {
  const rng = createRng(seed);
  const X = new Matrix(n, 3);
  const signs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    signs[i] = i % 2 === 0 ? 1 : -1;
    X.data[i * 3] = rng.normal() + 0.7 * signs[i];
    X.data[i * 3 + 1] = rng.normal() + 0.3 * signs[i];
    X.data[i * 3 + 2] = rng.normal();
  }
  return { X, signs, labels: Int32Array.from(signs, (s) => (s > 0 ? 1 : 0)) };
}

/** Three separated blobs in 2-D. */
function blobs(seed: number, perClass: number) {
  const rng = createRng(seed);
  const centres = [
    [0, 0],
    [6, 0],
    [0, 6],
  ];
  const rows: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < 3 * perClass; i++) {
    const c = i % 3;
    rows.push([centres[c][0] + 0.5 * rng.normal(), centres[c][1] + 0.5 * rng.normal()]);
    y.push(c);
  }
  return { X: Matrix.fromRows(rows), y: Int32Array.from(y) };
}

function margins(X: Matrix, signs: Float64Array, w: Float64Array, b: number): Float64Array {
  return Float64Array.from({ length: X.rows }, (_, i) => {
    let score = b;
    for (let j = 0; j < X.cols; j++) score += w[j] * X.get(i, j);
    return signs[i] * score;
  });
}

describe('solveLinearSvmDual', () => {
  for (const loss of ['hinge', 'squared-hinge'] as const) {
    it(`meets the KKT conditions at its solution (${loss})`, () => {
      const { X, signs } = overlapping(1, 80);
      const costs = Float64Array.from({ length: 80 }, (_, i) => 0.5 * (1 + (i % 3)));
      const solution = solveLinearSvmDual(X, signs, costs, { loss, tolerance: 1e-10, maxIterations: 100_000, seed: 4 });
      expect(solution.converged).toBe(true);
      // Primal–dual link: w = Σ αᵢ yᵢ xᵢ and b = B² Σ αᵢ yᵢ (B = 1).
      const w = new Float64Array(3);
      let b = 0;
      for (let i = 0; i < 80; i++) {
        for (let j = 0; j < 3; j++) w[j] += solution.alpha[i] * signs[i] * X.get(i, j);
        b += solution.alpha[i] * signs[i];
      }
      for (let j = 0; j < 3; j++) expect(solution.weights[j]).toBeCloseTo(w[j], 10);
      expect(solution.intercept).toBeCloseTo(b, 10);
      const m = margins(X, signs, solution.weights, solution.intercept);
      let bounded = 0;
      let free = 0;
      for (let i = 0; i < 80; i++) {
        const alpha = solution.alpha[i];
        expect(alpha).toBeGreaterThanOrEqual(0);
        if (loss === 'hinge') {
          expect(alpha).toBeLessThanOrEqual(costs[i]);
          if (alpha === 0) expect(m[i]).toBeGreaterThanOrEqual(1 - 1e-8);
          else if (alpha === costs[i]) {
            expect(m[i]).toBeLessThanOrEqual(1 + 1e-8);
            bounded++;
          } else {
            expect(Math.abs(m[i] - 1)).toBeLessThan(1e-8);
            free++;
          }
        } else {
          // Stationarity of the squared hinge: αᵢ = 2cᵢ max(0, 1 − mᵢ).
          expect(Math.abs(alpha - 2 * costs[i] * Math.max(0, 1 - m[i]))).toBeLessThan(1e-8);
        }
      }
      if (loss === 'hinge') {
        expect(bounded).toBeGreaterThan(0); // overlapping classes: some margin violators
        expect(free).toBeGreaterThan(0);
      }
    });
  }

  it('agrees with a brute-force grid minimiser of the primal on a tiny problem', () => {
    // Primal: ½(w₁² + w₂² + w_B²) + Σ cᵢ ℓ(yᵢ (wᵀxᵢ + w_B)), minimised by repeated grid refinement.
    const X = Matrix.fromRows([
      [1, 2],
      [2, 0.5],
      [-1, -1],
      [0, -2],
      [0.5, 0.5],
    ]);
    const signs = Float64Array.from([1, 1, -1, -1, -1]);
    const costs = Float64Array.from([1, 0.5, 1, 2, 1.5]);
    for (const loss of ['hinge', 'squared-hinge'] as const) {
      const primal = (p: number[]) => {
        let value = 0.5 * (p[0] ** 2 + p[1] ** 2 + p[2] ** 2);
        for (let i = 0; i < 5; i++) {
          const slack = Math.max(0, 1 - signs[i] * (p[0] * X.get(i, 0) + p[1] * X.get(i, 1) + p[2]));
          value += costs[i] * (loss === 'hinge' ? slack : slack * slack);
        }
        return value;
      };
      let centre = [0, 0, 0];
      let half = 4;
      for (let round = 0; round < 40; round++) {
        let best = centre;
        let bestValue = primal(centre);
        const steps = 10;
        for (let a = -steps; a <= steps; a++) {
          for (let b = -steps; b <= steps; b++) {
            for (let c = -steps; c <= steps; c++) {
              const point = [centre[0] + (a * half) / steps, centre[1] + (b * half) / steps, centre[2] + (c * half) / steps];
              const value = primal(point);
              if (value < bestValue) {
                bestValue = value;
                best = point;
              }
            }
          }
        }
        centre = best;
        half *= 0.5;
      }
      const solution = solveLinearSvmDual(X, signs, costs, { loss, tolerance: 1e-12, maxIterations: 100_000 });
      expect(solution.weights[0]).toBeCloseTo(centre[0], 6);
      expect(solution.weights[1]).toBeCloseTo(centre[1], 6);
      expect(solution.intercept).toBeCloseTo(centre[2], 6);
      expect(primal([solution.weights[0], solution.weights[1], solution.intercept])).toBeCloseTo(primal(centre), 10);
    }
  });
});

describe('fitLinearSvm', () => {
  it('accepts every seed of the contract, the largest included: each class draws from seed + class wrapped at 2^32', () => {
    // seed + 1 used to reach createRng as 2^32 and fail a seed the caller never passed.
    const X = Matrix.fromRows([[0, 0], [0, 1], [4, 4], [4, 5], [8, 0], [8, 1]]);
    const y = [0, 0, 1, 1, 2, 2];
    const largest = fitLinearSvm(X, y, { seed: MAX_SEED });
    const nextToLargest = fitLinearSvm(X, y, { seed: MAX_SEED - 1 });
    expect(Array.from(largest.predict(X))).toEqual(y);
    expect(Array.from(nextToLargest.predict(X))).toEqual(y);
  });

  it('classifies separable blobs perfectly (one-vs-rest, 3 classes)', () => {
    const train = blobs(2, 20);
    const test = blobs(3, 30);
    const model = fitLinearSvm(train.X, train.y, { C: 1 });
    expect(model.converged).toBe(true);
    expect(Array.from(model.predict(train.X))).toEqual(Array.from(train.y));
    expect(Array.from(model.predict(test.X))).toEqual(Array.from(test.y));
  });

  it('uses one binary problem for two classes, class 0 scoring its negation', () => {
    const { X, labels } = overlapping(5, 40);
    const model = fitLinearSvm(X, labels, { C: 1, tolerance: 1e-8 });
    for (let j = 0; j < 3; j++) expect(model.coefficients.get(0, j)).toBe(-model.coefficients.get(1, j));
    expect(model.intercept[0]).toBe(-model.intercept[1]);
    const signs = Float64Array.from(labels, (label) => (label === 1 ? 1 : -1));
    const binary = solveLinearSvmDual(X, signs, new Float64Array(40).fill(1), { tolerance: 1e-8, seed: 1 });
    for (let j = 0; j < 3; j++) expect(model.coefficients.get(1, j)).toBeCloseTo(binary.weights[j], 6);
  });

  it('treats weight 0 as dropping the sample and weight 2 as duplicating it', () => {
    const { X, labels } = overlapping(6, 50);
    const weights = new Float64Array(50).fill(1);
    weights[3] = 0;
    weights[10] = 0;
    weights[7] = 2;
    weights[8] = 2;
    const options = { C: 0.5, tolerance: 1e-10, maxIterations: 100_000 } as const;
    const weighted = fitLinearSvm(X, labels, { ...options, weights });
    const rows = [...Array.from({ length: 50 }, (_, i) => i).filter((i) => i !== 3 && i !== 10), 7, 8];
    const explicit = fitLinearSvm(X.selectRows(rows), Int32Array.from(rows, (i) => labels[i]), options);
    for (let index = 0; index < 6; index++) expect(weighted.coefficients.data[index]).toBeCloseTo(explicit.coefficients.data[index], 7);
    expect(weighted.intercept[1]).toBeCloseTo(explicit.intercept[1], 7);
    const unweighted = fitLinearSvm(X, labels, options);
    expect(Math.abs(unweighted.coefficients.data[0] - weighted.coefficients.data[0])).toBeGreaterThan(1e-4);
  });

  it("chooses C by stratified source cross-validation with C: 'source-cv'", () => {
    const { X, labels } = overlapping(7, 90);
    const weights = Float64Array.from({ length: 90 }, (_, i) => 0.5 + (i % 5) / 4);
    const model = fitLinearSvm(X, labels, { C: 'source-cv', weights, seed: 9 });
    const cv = model.crossValidation!;
    expect(cv.grid).toEqual(SVM_C_GRID);
    expect(cv.folds).toBe(5);
    const best = Math.max(...cv.accuracy);
    // The smallest C among the best wins, and the final model is the plain fit with that C.
    expect(model.C).toBe(cv.grid[cv.accuracy.indexOf(best)]);
    const refit = fitLinearSvm(X, labels, { C: model.C, weights, seed: 9 });
    expect(model.coefficients.data).toEqual(refit.coefficients.data);
    // Same seed, same result.
    expect(fitLinearSvm(X, labels, { C: 'source-cv', weights, seed: 9 }).crossValidation!.accuracy).toEqual(cv.accuracy);
  });

  it('reports the weighted held-out accuracy of an independent fold-by-fold computation', () => {
    const { X, labels } = overlapping(8, 47);
    const weights = Float64Array.from({ length: 47 }, (_, i) => (i % 4) / 2);
    const seed = 12;
    const model = fitLinearSvm(X, labels, { C: 'source-cv', cGrid: [0.3], cvFolds: 4, weights, seed });
    // The same folds, each fitted with the fixed C and scored by hand.
    const folds = stratifiedFolds(labels, 2, 4, createRng(seed).fork('svm-cv-folds'));
    let correct = 0;
    let total = 0;
    for (let fold = 0; fold < 4; fold++) {
      const train = Array.from({ length: 47 }, (_, i) => i).filter((i) => folds[i] !== fold);
      const test = Array.from({ length: 47 }, (_, i) => i).filter((i) => folds[i] === fold);
      const fitted = fitLinearSvm(X.selectRows(train), Int32Array.from(train, (i) => labels[i]), {
        C: 0.3,
        numClasses: 2,
        weights: Float64Array.from(train, (i) => weights[i]),
        seed,
      });
      const predicted = fitted.predict(X.selectRows(test));
      test.forEach((i, t) => {
        total += weights[i];
        if (predicted[t] === labels[i]) correct += weights[i];
      });
    }
    expect(model.crossValidation!.accuracy[0]).toBe(correct / total);
  });

  it('makes stratified folds whose class counts differ by at most one', () => {
    const labels = Int32Array.from({ length: 103 }, (_, i) => (i % 7 === 0 ? 2 : i % 2));
    const folds = stratifiedFolds(labels, 3, 5, createRng(1));
    for (let c = 0; c < 3; c++) {
      const counts = [0, 1, 2, 3, 4].map((fold) => labels.filter((label, i) => label === c && folds[i] === fold).length);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }
    const sizes = [0, 1, 2, 3, 4].map((fold) => folds.filter((f) => f === fold).length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  it('rejects bad input', () => {
    const { X, labels } = overlapping(1, 10);
    expect(() => fitLinearSvm(X, labels, { C: -1 })).toThrow(/INVALID_CONFIG.*\bC\b/);
    expect(() => fitLinearSvm(X, labels, { C: 'auto' as never })).toThrow(/INVALID_CONFIG.*\bC\b/);
    expect(() => fitLinearSvm(X, labels, { loss: 'log' as never })).toThrow(/INVALID_CONFIG.*loss/);
    expect(() => fitLinearSvm(X, labels, { C: 'source-cv', cvFolds: 1 })).toThrow(/INVALID_CONFIG.*cvFolds/);
    expect(() => fitLinearSvm(X, labels, { C: 'source-cv', cGrid: [1, -2] })).toThrow(/INVALID_CONFIG.*cGrid\[1\]/);
    expect(() => fitLinearSvm(X.selectRows([0, 1, 2]), [0, 1, 0], { C: 'source-cv' })).toThrow(/TOO_FEW_SAMPLES/);
    expect(() => fitLinearSvm(X, Float64Array.from(labels, (l) => l + 0.5))).toThrow(/LABEL_NOT_INTEGER/);
  });
});

describe("the 'svm' plugin", () => {
  it('rejects a negative C with INVALID_CONFIG naming C, and declares classification with weights', () => {
    expect(() => svm({ C: -1 })).toThrow(/INVALID_CONFIG.*\bC\b/);
    expect(() => svm({ C: 'cv' as never })).toThrow(/INVALID_CONFIG.*\bC\b/);
    expect(svmPlugin.needs.problems).toEqual(['classification']);
    expect(svmPlugin.needs.acceptsSampleWeights).toBe(true);
  });

  it('rejects a regression task', async () => {
    const task = { source: { X: [[0], [1]], y: [0.5, 1.5] }, target: { X: [[1]] }, problem: 'regression' as const };
    await expect(compose(svm()).fit(task)).rejects.toThrow(/UNSUPPORTED_PROBLEM/);
  });

  it('restores from its saved state with identical predictions (C from source-cv)', async () => {
    const train = blobs(4, 15);
    const query = blobs(5, 10).X;
    const task = { source: { X: train.X, y: train.y }, target: { X: query }, problem: 'classification' as const };
    const { fitted, restored } = await fitSaveRestore(svmPlugin, svm({ C: 'source-cv', cGrid: [0.01, 1], cvFolds: 3 }), task);
    expect(restored.predict(query)).toEqual(fitted.predict(query));
    expect(fitted.reports[0].info?.cvAccuracy).toHaveLength(2);
  });
});
