import { compose, createRng, gram, knn, Matrix, matmulTransposeA, symmetricEigen } from '@tlkit/core';
import { describe, expect, it } from 'vitest';
import { countEqual, officePair } from '../test/office';
import { published } from '../test/published';
import { pca } from './pca';

function gaussian(rows: number, cols: number, seed: number): Matrix {
  const rng = createRng(seed);
  const out = new Matrix(rows, cols);
  // Decreasing spread per column, so the principal axes are well separated.
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out.data[i * cols + j] = (cols - j) * rng.normal() + j;
  return out;
}

/** Principal axes of the pooled rows from the dense eigendecomposition of their covariance. */
function referenceAxes(X: Matrix): { values: Float64Array; vectors: Matrix } {
  const { rows: n, cols: d } = X;
  const centred = X.clone();
  for (let j = 0; j < d; j++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += X.get(i, j) / n;
    for (let i = 0; i < n; i++) centred.set(i, j, X.get(i, j) - mean);
  }
  const covariance = gram(centred);
  for (let index = 0; index < covariance.data.length; index++) covariance.data[index] /= n - 1;
  return symmetricEigen(covariance);
}

describe('pca', () => {
  for (const [name, sourceRows, targetRows, cols] of [
    ['more samples than features', 30, 25, 6],
    ['fewer samples than features', 5, 4, 12],
  ] as const) {
    it(`${name}: axes and variances of the pooled covariance, projections orthogonal`, async () => {
      const source = gaussian(sourceRows, cols, 1);
      const target = gaussian(targetRows, cols, 2);
      const dim = 3;
      const fitted = await compose(pca({ dim }), knn({ k: 1 })).fit(
        { source: { X: source, y: Array.from({ length: sourceRows }, (_, i) => i % 2) }, target: { X: target }, problem: 'classification' },
        { seed: 0 },
      );
      const reference = referenceAxes(Matrix.vstack([source, target]));
      const variances = fitted.reports[0].info?.variances as number[];
      for (let j = 0; j < dim; j++) expect(variances[j]).toBeCloseTo(reference.values[j], 9);
      // Each projected coordinate is the centred sample along a reference axis (up to sign).
      const Z = fitted.transform(target, 'target');
      const pooled = Matrix.vstack([source, target]);
      const mean = new Float64Array(cols);
      for (let i = 0; i < pooled.rows; i++) for (let k = 0; k < cols; k++) mean[k] += pooled.get(i, k) / pooled.rows;
      for (let j = 0; j < dim; j++) {
        const along = (i: number) => {
          let sum = 0;
          for (let k = 0; k < cols; k++) sum += (target.get(i, k) - mean[k]) * reference.vectors.get(k, j);
          return sum;
        };
        const sign = Math.sign(Z.get(0, j)) * Math.sign(along(0));
        for (let i = 0; i < targetRows; i++) expect(Z.get(i, j)).toBeCloseTo(sign * along(i), 9);
      }
      // The projections of the pooled samples are uncorrelated (Zᵀ Z diagonal).
      const all = Matrix.vstack([fitted.transform(source, 'source'), Z]);
      const cross = matmulTransposeA(all, all);
      for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) if (i !== j) expect(Math.abs(cross.get(i, j))).toBeLessThan(1e-8 * cross.get(0, 0));
    });
  }

  it('Office C→A: PCA (dim 30) + 1-NN gives the published 39.5 (MEDA Table 2)', async () => {
    const [source, target] = await officePair('caltech', 'amazon');
    const fitted = await compose(pca(), knn({ k: 1 })).fit({ source, target: { X: target.X }, problem: 'classification' }, { seed: 0 });
    const correct = countEqual(fitted.predict(target.X), target.y);
    expect(correct).toBe(378); // 39.46 %
    expect(Math.abs((100 * correct) / target.y.length - published('pca', 'C→A'))).toBeLessThan(0.7);
  });
});
