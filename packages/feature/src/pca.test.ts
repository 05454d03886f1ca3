import { compose, createRng, gram, knn, Matrix, matmulTransposeA, symmetricEigen, TlkitError } from '@tlkit/core';
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

  describe('rank-deficient samples: one rule (variance above 1e-8 × the largest) in both branches', () => {
    /** Rows a·u + b·v (+ c·w) + offset, u, v, w fixed per `cols`, random a, b, c: the centred samples span u, v (and w). */
    function lowRank(rows: number, cols: number, seed: number, smallScale = 0): Matrix {
      const directionRng = createRng(100 + cols);
      const directions = Array.from({ length: 3 }, () => Array.from({ length: cols }, () => directionRng.normal()));
      const rng = createRng(seed);
      const out = new Matrix(rows, cols);
      for (let i = 0; i < rows; i++) {
        const [a, b, c] = [2 * rng.normal(), rng.normal(), smallScale * rng.normal()];
        for (let j = 0; j < cols; j++) out.data[i * cols + j] = a * directions[0][j] + b * directions[1][j] + c * directions[2][j] + j;
      }
      return out;
    }
    const fit = (source: Matrix, target: Matrix, dim: number) =>
      compose(pca({ dim }), knn({ k: 1 })).fit(
        { source: { X: source, y: Array.from({ length: source.rows }, (_, i) => i % 2) }, target: { X: target }, problem: 'classification' },
        { seed: 0 },
      );

    for (const [name, sourceRows, targetRows, cols] of [
      ['more samples than features', 12, 10, 5],
      ['fewer samples than features', 5, 4, 12],
    ] as const) {
      it(`${name}: rank 2, dim 3 or 4 fails naming dim and the rank; dim 2 gives the two variances`, async () => {
        const source = lowRank(sourceRows, cols, 3);
        const target = lowRank(targetRows, cols, 4);
        for (const dim of [3, 4]) {
          const error = await fit(source, target, dim).then(
            () => undefined,
            (thrown: unknown) => thrown,
          );
          expect(error).toBeInstanceOf(TlkitError);
          expect(error).toMatchObject({ code: 'TOO_FEW_SAMPLES', details: { argument: 'dim', dim, rank: 2 } });
          expect((error as TlkitError).message).toContain(`pca: dim = ${dim}, but the pooled, centred samples have rank 2`);
          expect((error as TlkitError).message).toContain('lower dim to 2 or fewer');
        }
        const fitted = await fit(source, target, 2);
        const reference = referenceAxes(Matrix.vstack([source, target]));
        expect(reference.values[2]).toBeLessThan(1e-12 * reference.values[0]); // the reference sees rank 2 too
        const variances = fitted.reports[0].info?.variances as number[];
        for (let j = 0; j < 2; j++) expect(variances[j]).toBeCloseTo(reference.values[j], 9);
        fitted.dispose();
      });
    }

    it('keeps a small but real third direction (variance about 1e-6 × the largest)', async () => {
      const source = lowRank(15, 5, 5, 2e-3);
      const target = lowRank(15, 5, 6, 2e-3);
      const reference = referenceAxes(Matrix.vstack([source, target]));
      expect(reference.values[2] / reference.values[0]).toBeGreaterThan(1e-7);
      expect(reference.values[2] / reference.values[0]).toBeLessThan(1e-5);
      const fitted = await fit(source, target, 3);
      const variances = fitted.reports[0].info?.variances as number[];
      expect(variances[2]).toBeCloseTo(reference.values[2], 12);
      fitted.dispose();
    });

    it('identical samples have rank 0', async () => {
      const same = Matrix.fromRows(Array.from({ length: 6 }, () => [1, 2, 3]));
      await expect(fit(same, same, 1)).rejects.toMatchObject({ code: 'TOO_FEW_SAMPLES', details: { dim: 1, rank: 0 } });
    });
  });

  it('Office C→A: PCA (dim 30) + 1-NN gives the published 39.5 (MEDA Table 2)', async () => {
    const [source, target] = await officePair('caltech', 'amazon');
    const fitted = await compose(pca(), knn({ k: 1 })).fit({ source, target: { X: target.X }, problem: 'classification' }, { seed: 0 });
    const correct = countEqual(fitted.predict(target.X), target.y);
    expect(correct).toBe(378); // 39.46 %
    expect(Math.abs((100 * correct) / target.y.length - published('pca', 'C→A'))).toBeLessThan(0.7);
  });
});
