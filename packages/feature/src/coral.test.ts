import { compose, createRng, gram, knn, logisticRegression, Matrix, matmul, matmulTransposeA, sqrtmSymmetric } from '@tlkit/core';
import { describe, expect, it } from 'vitest';
import office from '../../core/test/fixtures/office_C_to_A.json';
import synthetic from '../../core/test/fixtures/synthetic_small.json';
import { countEqual, officePair } from '../test/office';
import { coral, covariancePower } from './coral';

function gaussian(rows: number, cols: number, seed: number, scale = 1): Matrix {
  const rng = createRng(seed);
  const out = new Matrix(rows, cols);
  for (let index = 0; index < out.data.length; index++) out.data[index] = scale * rng.normal() + (index % cols);
  return out;
}

/** Unbiased covariance. */
function covariance(X: Matrix): Matrix {
  const { rows: n, cols: d } = X;
  const centred = X.clone();
  for (let j = 0; j < d; j++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += X.get(i, j) / n;
    for (let i = 0; i < n; i++) centred.set(i, j, X.get(i, j) - mean);
  }
  const out = gram(centred);
  for (let index = 0; index < out.data.length; index++) out.data[index] /= n - 1;
  return out;
}

describe('coral', () => {
  it('matches the reference CORAL on the synthetic fixture (λ = 1)', async () => {
    const task = { source: { X: synthetic.Xs, y: synthetic.ys }, target: { X: synthetic.Xt }, problem: 'classification' as const };
    const fitted = await compose(coral(), logisticRegression()).fit(task, { seed: 0 });
    const transformed = fitted.transform(Matrix.fromRows(synthetic.Xs), 'source');
    synthetic.coral_lamb1_Xs_new.forEach((row, i) => row.forEach((value, j) => expect(transformed.get(i, j)).toBeCloseTo(value, 12)));
    // Target samples are left unchanged.
    const target = fitted.transform(Matrix.fromRows(synthetic.Xt), 'target');
    synthetic.Xt.forEach((row, i) => row.forEach((value, j) => expect(target.get(i, j)).toBe(value)));
  });

  it('aligns covariances: cov(Xs T) + λ TᵀT = C_t + λI, so cov(Xs T) → C_t as λ → 0', async () => {
    const source = gaussian(60, 4, 1, 0.5);
    const target = gaussian(50, 4, 2, 2);
    for (const lambda of [1, 1e-8]) {
      const fitted = await compose(coral({ lambda }), logisticRegression()).fit(
        { source: { X: source, y: Array.from({ length: 60 }, (_, i) => i % 2) }, target: { X: target }, problem: 'classification' },
        { seed: 0 },
      );
      const moved = fitted.transform(source, 'source');
      const T = fitted.transform(Matrix.identity(4), 'source'); // the 4 x 4 transform itself
      const left = covariance(moved);
      const ridge = matmulTransposeA(T, T);
      const right = covariance(target);
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 4; j++) {
          const expected = right.get(i, j) + (i === j ? lambda : 0);
          expect(left.get(i, j) + lambda * ridge.get(i, j)).toBeCloseTo(expected, 9);
          if (lambda < 1e-6) expect(left.get(i, j)).toBeCloseTo(right.get(i, j), 6);
        }
      }
    }
  });

  it('the low-rank path (n − 1 < d) equals the dense matrix function', () => {
    const X = gaussian(5, 9, 3);
    const C = covariance(X);
    const dense = sqrtmSymmetric(C, { ridge: 0.3 });
    const lowRank = covariancePower(X, 0.3, 0.5);
    for (let index = 0; index < dense.data.length; index++) expect(lowRank.data[index]).toBeCloseTo(dense.data[index], 10);
    const inverse = covariancePower(X, 0.3, -0.5);
    const product = matmul(matmul(inverse, inverse), C); // (C + 0.3 I)^{-1} C
    const identity = matmul(inverse, inverse);
    for (let i = 0; i < 9; i++) {
      for (let j = 0; j < 9; j++) expect(product.get(i, j) + 0.3 * identity.get(i, j)).toBeCloseTo(i === j ? 1 : 0, 9);
    }
  });

  it('Office C→A: transformed source and 1-NN accuracy as the fixture', async () => {
    const [source, target] = await officePair('caltech', 'amazon');
    const fitted = await compose(coral(), knn({ k: 1 })).fit({ source, target: { X: target.X }, problem: 'classification' }, { seed: 0 });
    const moved = fitted.transform(source.X, 'source');
    office.coral.Xs_new_row0_first5.forEach((value, j) => expect(moved.get(0, j)).toBeCloseTo(value, 9));
    let squares = 0;
    for (const value of moved.data) squares += value * value;
    expect(squares / office.coral.Xs_new_sum_of_squares).toBeCloseTo(1, 10);
    const accuracy = (100 * countEqual(fitted.predict(target.X), target.y)) / target.y.length;
    expect(accuracy).toBeCloseTo(office.coral.coral_1nn_acc, 8);
  });

  it("Office C→A: logistic regression (C = 1) on the CORAL-aligned source gives the fixture's 48.96 %", async () => {
    const [source, target] = await officePair('caltech', 'amazon');
    const fitted = await compose(coral(), logisticRegression({ C: 1 })).fit({ source, target: { X: target.X }, problem: 'classification' }, { seed: 0 });
    const accuracy = (100 * countEqual(fitted.predict(target.X), target.y)) / target.y.length;
    expect(accuracy).toBeCloseTo(office.coral.coral_lr_C1_acc, 8);
    fitted.dispose();
  });
});
