import * as tf from '@tensorflow/tfjs';
import { compose, createRng, generalizedEigen, knn, logisticRegression, Matrix, matmul, matmulTransposeB, TlkitError } from '@tlkit/core';
import { describe, expect, it } from 'vitest';
import office from '../../core/test/fixtures/office_C_to_A.json';
import synthetic from '../../core/test/fixtures/synthetic_small.json';
import { countEqual, officePair } from '../test/office';
import { published } from '../test/published';
import { jointFactor, normalizeMmdFactor } from './internal/mmd-matrix';
import { fitJda, jda, type JdaOptions, jdaPlugin } from './jda';
import { tca } from './tca';

const noProgress = { progress: () => {}, throwIfAborted: () => {}, storage: undefined as never };

/**
 * Three Gaussian classes in 4 features (class c centred at 2·c on feature c), the target shifted by
 * `shift` in every feature and spread 1.3 times wider.
 */
function threeClasses(rows: number, seed: number, shift: number, spread: number): { X: Matrix; y: Int32Array } {
  const rng = createRng(seed);
  const X = new Matrix(rows, 4);
  const y = Int32Array.from({ length: rows }, (_, i) => i % 3);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < 4; j++) X.set(i, j, spread * rng.normal() + shift + (j === y[i] ? 2 * y[i] : 0));
  }
  return { X, y };
}

/**
 * Every column of `actual` equals ± the same column of `expected` (components are defined up to
 * sign; the sign is taken from their inner product), to `tolerance` times the column's largest entry.
 */
function expectSameComponents(actual: Matrix, expected: Matrix, tolerance: number): void {
  expect([actual.rows, actual.cols]).toEqual([expected.rows, expected.cols]);
  for (let j = 0; j < expected.cols; j++) {
    let inner = 0;
    let scale = 0;
    for (let i = 0; i < expected.rows; i++) {
      inner += actual.get(i, j) * expected.get(i, j);
      scale = Math.max(scale, Math.abs(expected.get(i, j)));
    }
    const sign = Math.sign(inner);
    for (let i = 0; i < expected.rows; i++) expect(Math.abs(actual.get(i, j) - sign * expected.get(i, j))).toBeLessThan(tolerance * scale);
  }
}

/**
 * JDA as the paper writes it (Long et al. 2013, eq. 8: M = M₀ + Σ_c M_c, no normalisation), computed
 * densely and independently of the package: linear kernel K = X Xᵀ of the pooled samples (no
 * sample normalisation), M built entry by entry from the labels, H = I − 11ᵀ/n, the `dim` largest θ
 * of K H K w = θ (K M K + μI) w from core's dense generalised eigen-solver (Cholesky + full
 * symmetric eigendecomposition for n ≤ 64), unit-norm w, Z = K W, and a 1-NN written here.
 */
function paperJda(source: { X: Matrix; y: Int32Array }, target: Matrix, dim: number, mu: number, rounds: number) {
  const ns = source.X.rows;
  const nt = target.rows;
  const n = ns + nt;
  const X = Matrix.vstack([source.X, target]);
  const K = matmulTransposeB(X, X);
  const H = new Matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) H.set(i, j, (i === j ? 1 : 0) - 1 / n);
  const a = matmul(matmul(K, H), K);
  const classes = [...new Set(source.y)].sort((left, right) => left - right);
  const roundLabels: Int32Array[] = [];
  let pseudoLabels: Int32Array | undefined;
  let values: Float64Array = new Float64Array(0);
  let Z = new Matrix(0, 0);
  for (let round = 0; round < rounds; round++) {
    // M = Σ over the MMD vectors e (e₀, then one e_c per class once pseudo-labels exist) of e eᵀ.
    const vectors: Float64Array[] = [];
    const marginal = new Float64Array(n);
    for (let i = 0; i < n; i++) marginal[i] = i < ns ? 1 / ns : -1 / nt;
    vectors.push(marginal);
    if (pseudoLabels) {
      const labels = pseudoLabels;
      for (const c of classes) {
        const sourceRows = source.y.filter((label) => label === c).length;
        const targetRows = labels.filter((label) => label === c).length;
        const e = new Float64Array(n);
        for (let i = 0; i < ns; i++) if (source.y[i] === c) e[i] = 1 / sourceRows;
        for (let i = 0; i < nt; i++) if (labels[i] === c) e[ns + i] = -1 / targetRows;
        vectors.push(e);
      }
    }
    const M = new Matrix(n, n);
    for (const e of vectors) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) M.data[i * n + j] += e[i] * e[j];
    const b = matmul(matmul(K, M), K);
    for (let i = 0; i < n; i++) b.data[i * n + i] += mu;
    for (const m of [a, b]) for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) m.data[i * n + j] = m.data[j * n + i] = 0.5 * (m.data[i * n + j] + m.data[j * n + i]);
    const solution = generalizedEigen(a, b, dim, { normalization: 'unit' });
    values = solution.values;
    Z = matmul(K, solution.vectors);
    const next = new Int32Array(nt);
    for (let t = 0; t < nt; t++) {
      let best = Infinity;
      for (let s = 0; s < ns; s++) {
        let distance = 0;
        for (let j = 0; j < dim; j++) distance += (Z.get(ns + t, j) - Z.get(s, j)) ** 2;
        if (distance < best) {
          best = distance;
          next[t] = source.y[s];
        }
      }
    }
    roundLabels.push(next);
    const settled = pseudoLabels !== undefined && next.every((label, t) => label === pseudoLabels?.[t]);
    pseudoLabels = next;
    if (settled) break;
  }
  return { values, Z, roundLabels };
}

describe('jda', () => {
  it("builds M = C·M₀ + Σ_c M_c for 'frobenius' (reference code) and M₀ + Σ_c M_c for 'none' (paper, eq. 8) (hand-worked, 2 classes)", () => {
    // Source labels [0, 0, 1], target pseudo-labels [1, 0, 1, 1]: ns = 3, nt = 4, C = 2.
    const e0 = [1 / 3, 1 / 3, 1 / 3, -1 / 4, -1 / 4, -1 / 4, -1 / 4];
    const e1 = [1 / 2, 1 / 2, 0, 0, -1, 0, 0]; // class 0: two source rows, one target row
    const e2 = [0, 0, 1, -1 / 3, 0, -1 / 3, -1 / 3]; // class 1: one source row, three target rows
    for (const [normalization, marginalWeight] of [['frobenius', 2], ['none', 1]] as const) {
      const E = jointFactor([0, 0, 1], [1, 0, 1, 1], 4, 2, normalization);
      const M = matmulTransposeB(E, E);
      for (let i = 0; i < 7; i++) {
        for (let j = 0; j < 7; j++) expect(M.get(i, j)).toBeCloseTo(marginalWeight * e0[i] * e0[j] + e1[i] * e1[j] + e2[i] * e2[j], 14);
      }
    }
    // Frobenius normalisation: ‖M / ‖M‖_F‖_F = 1; 'none' leaves the factor as it is.
    const N = normalizeMmdFactor(jointFactor([0, 0, 1], [1, 0, 1, 1], 4, 2, 'frobenius'), 'frobenius');
    const MN = matmulTransposeB(N, N);
    let squared = 0;
    for (const value of MN.data) squared += value * value;
    expect(Math.sqrt(squared)).toBeCloseTo(1, 14);
    const unscaled = jointFactor([0, 0, 1], [1, 0, 1, 1], 4, 2, 'none');
    expect(Array.from(normalizeMmdFactor(unscaled.clone(), 'none').data)).toEqual(Array.from(unscaled.data));
    // A class without pseudo-labelled target rows keeps only its source part.
    const lonely = jointFactor([0, 1], [1, 1], 2, 2, 'frobenius');
    expect(Array.from(lonely.column(1))).toEqual([1, 0, 0, 0]);
  });

  it('its first round is TCA', async () => {
    const task = { source: { X: synthetic.Xs, y: synthetic.ys }, target: { X: synthetic.Xt }, problem: 'classification' as const };
    const first = await compose(jda({ dim: 2, iterations: 1 }), knn({ k: 1 })).fit(task, { seed: 0 });
    const plain = await compose(tca({ dim: 2 }), knn({ k: 1 })).fit(task, { seed: 0 });
    const target = Matrix.fromRows(synthetic.Xt);
    const a = first.transform(target).data;
    const b = plain.transform(target).data;
    for (let index = 0; index < a.length; index++) expect(a[index]).toBeCloseTo(b[index], 12);
  });

  it("with mmdNormalization 'none' its first round is TCA with 'none' (paper's M = M₀; no factor C)", async () => {
    const source = threeClasses(30, 1, 0, 1);
    const target = threeClasses(24, 2, 0.8, 1.3);
    const task = { source: { X: source.X, y: source.y }, target: { X: target.X }, problem: 'classification' as const };
    const common = { dim: 3, normalizeSamples: false, normalizeEmbedding: false, mmdNormalization: 'none' } as const;
    const tensorsBefore = tf.memory().numTensors;
    const first = await compose(jda({ ...common, iterations: 1 }), knn({ k: 1 })).fit(task, { seed: 0 });
    const plain = await compose(tca(common), knn({ k: 1 })).fit(task, { seed: 0 });
    const jdaValues = first.reports[0].info?.eigenvalues as number[];
    const tcaValues = plain.reports[0].info?.eigenvalues as number[];
    tcaValues.forEach((value, j) => expect(jdaValues[j] / value).toBeCloseTo(1, 10));
    expectSameComponents(first.transform(target.X, 'target'), plain.transform(target.X, 'target'), 1e-9);
    first.dispose();
    plain.dispose();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it("with mmdNormalization 'none', several rounds equal an independent dense computation of the paper's M₀ + Σ_c M_c", async () => {
    const source = threeClasses(30, 3, 0, 1);
    const target = threeClasses(24, 4, 0.8, 1.3);
    const dim = 3;
    const mu = 0.5;
    const rounds = 5;
    const observed: Int32Array[] = [];
    const fitted = await fitJda(
      { source: { X: source.X, y: source.y }, target: { X: target.X } },
      { seed: 0, rng: createRng(0), problem: 'classification', numClasses: 3, ...noProgress },
      jdaPlugin.configSchema.parse({ dim, mu, iterations: rounds, normalizeSamples: false, normalizeEmbedding: false, mmdNormalization: 'none' }),
      knn({ k: 1 }),
      (_round, labels) => observed.push(labels),
    );
    const reference = paperJda(source, target.X, dim, mu, rounds);
    // The same pseudo-labels in every round (the data are chosen so that they change after round 1).
    expect(observed.map((labels) => Array.from(labels))).toEqual(reference.roundLabels.map((labels) => Array.from(labels)));
    expect(observed.length).toBeGreaterThan(2);
    expect(observed[1]).not.toEqual(observed[0]);
    // The last round's eigenvalues and embedding (up to the sign of each component).
    const values = fitted.info?.eigenvalues as number[];
    reference.values.forEach((value, j) => expect(values[j] / value).toBeCloseTo(1, 9));
    expectSameComponents(Matrix.vstack([fitted.fitted?.source as Matrix, fitted.fitted?.target as Matrix]), reference.Z, 1e-8);
  });

  it('Office C→A: accuracy of all 10 rounds as the reference, 413 / 958 (43.11 %) after the last (fixture)', async () => {
    const [source, target] = await officePair('caltech', 'amazon');
    const accuracies: number[] = [];
    let last: Int32Array = new Int32Array(0);
    await fitJda(
      { source: { X: source.X, y: source.y }, target: { X: target.X } },
      { seed: 0, rng: createRng(0), problem: 'classification', numClasses: 10, ...noProgress },
      jdaPlugin.configSchema.parse({}),
      knn({ k: 1 }),
      (_round, labels) => {
        accuracies.push((100 * countEqual(labels, target.y)) / target.y.length);
        last = labels;
      },
    );
    expect(accuracies).toHaveLength(office.jda.acc_per_iteration.length);
    accuracies.forEach((value, round) => expect(value).toBeCloseTo(office.jda.acc_per_iteration[round], 10));
    expect(countEqual(last, target.y)).toBe(office.jda.n_correct);
    expect((100 * countEqual(last, target.y)) / target.y.length).toBeCloseTo(office.jda.acc, 10);
  });

  for (const [source, target, pair] of [['webcam', 'dslr', 'W→D'], ['dslr', 'webcam', 'D→W']] as const) {
    it(`${pair}: within 0.7 points of the published ${published('jda', pair)} (MEDA paper, Table 2)`, async () => {
      const [s, t] = await officePair(source, target);
      const fitted = await compose(jda(), knn({ k: 1 })).fit({ source: s, target: { X: t.X }, problem: 'classification' }, { seed: 0 });
      const accuracy = (100 * countEqual(fitted.predict(t.X), t.y)) / t.y.length;
      expect(Math.abs(accuracy - published('jda', pair))).toBeLessThan(0.7);
    });
  }

  it('stops early when the pseudo-labels settle and reports each round', async () => {
    const task = { source: { X: synthetic.Xs, y: synthetic.ys }, target: { X: synthetic.Xt }, problem: 'classification' as const };
    const events: number[] = [];
    const fitted = await compose(jda({ dim: 2, iterations: 10 }), knn({ k: 1 })).fit(task, {
      seed: 0,
      onProgress: (event) => {
        if (event.phase === 'iteration') events.push(event.metrics?.changedPseudoLabels ?? -1);
      },
    });
    const info = fitted.reports[0].info as { iterations: number; changedPseudoLabels: number[] };
    expect(info.changedPseudoLabels).toEqual(events);
    expect(events[0]).toBe(5); // every target sample gets its first pseudo-label
    expect(events[events.length - 1]).toBe(0);
    expect(info.iterations).toBeLessThan(10);
  });

  it("pseudo-labels with a classifier given by name exactly as with the strategy (core's estimators need no registration)", async () => {
    const task = { source: { X: synthetic.Xs, y: synthetic.ys }, target: { X: synthetic.Xt }, problem: 'classification' as const };
    const embedding = async (classifier?: JdaOptions['classifier']) => {
      const fitted = await compose(jda({ dim: 2, iterations: 3, ...(classifier ? { classifier } : {}) }), knn({ k: 1 })).fit(task, { seed: 0 });
      const Z = fitted.transform(Matrix.fromRows(synthetic.Xt), 'target');
      fitted.dispose();
      return Array.from(Z.data);
    };
    const byName = await embedding({ use: 'logreg', C: 1e-4 });
    expect(byName).toEqual(await embedding(logisticRegression({ C: 1e-4 })));
    // A very strongly regularised logistic regression (C = 1e-4) pseudo-labels differently from the default 1-NN.
    expect(byName).not.toEqual(await embedding());
    expect(await embedding({ use: 'knn', k: 1 })).toEqual(await embedding());
  });

  it('takes a nested classifier by config and refuses regression', async () => {
    expect(jda({ classifier: { use: 'logreg', C: 0.5 } }).config.classifier).toEqual({ use: 'logreg', C: 0.5 });
    const regression = { source: { X: synthetic.Xs, y: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6] }, target: { X: synthetic.Xt }, problem: 'regression' as const };
    const step = jda({ dim: 2 });
    await expect(
      step.doFit({ source: { X: Matrix.fromRows(regression.source.X), y: Float64Array.from(regression.source.y) }, target: { X: Matrix.fromRows(regression.target.X) } }, {
        seed: 0,
        rng: createRng(0),
        problem: 'regression',
        numClasses: 0,
        ...noProgress,
      }),
    ).rejects.toBeInstanceOf(TlkitError);
  });
});
