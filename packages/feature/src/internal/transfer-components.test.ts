import { createRng, generalizedEigen, Matrix, matmul, matmulTransposeB } from '@tlkit/core';
import { describe, expect, it } from 'vitest';
import { buildTransferSetup } from './kernel-problem';
import { normalizeRows, pivotedCholesky, semidefiniteFactor } from './linear-algebra';
import { marginalFactor, normalizeMmdFactor } from './mmd-matrix';
import { solveTransferComponents } from './transfer-components';

function gaussian(rows: number, cols: number, seed: number, shift = 0): Matrix {
  const rng = createRng(seed);
  const out = new Matrix(rows, cols);
  for (let index = 0; index < out.data.length; index++) out.data[index] = rng.normal() + shift;
  return out;
}

/** The full n x n pencil K H K, K M K + μI of TCA, built entry by entry. */
function fullPencil(K: Matrix, E: Matrix, mu: number): { a: Matrix; b: Matrix } {
  const n = K.rows;
  const H = new Matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) H.data[i * n + j] = (i === j ? 1 : 0) - 1 / n;
  const M = matmulTransposeB(E, E);
  const a = matmul(matmul(K, H), K);
  const b = matmul(matmul(K, M), K);
  for (let i = 0; i < n; i++) b.data[i * n + i] += mu;
  const symmetric = (m: Matrix) => {
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) m.data[i * n + j] = m.data[j * n + i] = 0.5 * (m.data[i * n + j] + m.data[j * n + i]);
    return m;
  };
  return { a: symmetric(a), b: symmetric(b) };
}

describe('the reduced TCA eigenproblem', () => {
  // Each construction against core's dense generalised eigen-solver on the full n x n pencil.
  const cases: { name: string; rows: number; cols: number; kernel: 'linear' | 'rbf' }[] = [
    { name: 'linear, n > d (Cholesky row space)', rows: 40, cols: 6, kernel: 'linear' },
    { name: 'linear, n ≤ d (kernel matrix)', rows: 12, cols: 20, kernel: 'linear' },
    { name: 'rbf (kernel matrix)', rows: 30, cols: 4, kernel: 'rbf' },
  ];
  for (const { name, rows, cols, kernel } of cases) {
    it(`${name}: θ equal the leading eigenvalues of K H K w = θ (K M K + μI) w`, () => {
      const X = Matrix.vstack([gaussian(rows / 2, cols, 1), gaussian(rows / 2, cols, 2, 0.7)]);
      const spec = kernel === 'linear' ? ({ type: 'linear' } as const) : ({ type: 'rbf', gamma: 0.5 } as const);
      const setup = buildTransferSetup(X, {
        kernel: spec,
        form: 'dual',
        approximation: 'exact',
        landmarks: 0,
        normalizeSamples: true,
        normalizeEmbedding: false,
        rng: createRng(0),
      });
      const E = normalizeMmdFactor(marginalFactor(rows / 2, rows / 2), 'frobenius');
      const dim = 3;
      const solution = solveTransferComponents(setup.problem, E, { dim, mu: 0.7, scaling: 'unit', seed: 0 });
      const normalised = normalizeRows(X);
      const K =
        kernel === 'linear'
          ? matmulTransposeB(normalised, normalised)
          : (() => {
              const out = new Matrix(rows, rows);
              for (let i = 0; i < rows; i++)
                for (let j = 0; j < rows; j++) {
                  let sum = 0;
                  for (let k = 0; k < cols; k++) sum += (normalised.get(i, k) - normalised.get(j, k)) ** 2;
                  out.data[i * rows + j] = Math.exp(-0.5 * sum);
                }
              return out;
            })();
      const { a, b } = fullPencil(K, E, 0.7);
      const reference = generalizedEigen(a, b, dim);
      for (let j = 0; j < dim; j++) expect(solution.values[j]).toBeCloseTo(reference.values[j], 8);
      // The training embedding must be Z = K w for the unit-norm n-dimensional solutions w of the
      // full pencil (up to sign).
      const Z = setup.finish(solution.vectors).training;
      const unit = reference.vectors.clone();
      for (let j = 0; j < dim; j++) {
        let norm = 0;
        for (let i = 0; i < rows; i++) norm += unit.get(i, j) ** 2;
        for (let i = 0; i < rows; i++) unit.set(i, j, unit.get(i, j) / Math.sqrt(norm));
      }
      const expected = matmul(K, unit);
      for (let j = 0; j < dim; j++) {
        const sign = Math.sign(Z.get(0, j)) * Math.sign(expected.get(0, j));
        for (let i = 0; i < rows; i++) expect(Z.get(i, j)).toBeCloseTo(sign * expected.get(i, j), 7);
      }
    });
  }

  it('closed form: orthonormal samples (K = I) give θ = 1/μ, components orthogonal to the MMD direction', () => {
    // With K = I: H w = θ (ê êᵀ + μI) w. ê (unit MMD vector) has Hê = ê (its entries sum to 0),
    // so θ(ê) = 1/(1 + μ); 1/√n has θ = 0; every w ⟂ {ê, 1} has θ = 1/μ (multiplicity n − 2).
    const ns = 3;
    const nt = 4;
    const n = ns + nt;
    const mu = 0.5;
    const X = new Matrix(n, n + 2);
    for (let i = 0; i < n; i++) X.set(i, i, 1);
    const setup = buildTransferSetup(X, {
      kernel: { type: 'linear' },
      form: 'dual',
      approximation: 'exact',
      landmarks: 0,
      normalizeSamples: false,
      normalizeEmbedding: false,
      rng: createRng(0),
    });
    const E = normalizeMmdFactor(marginalFactor(ns, nt), 'frobenius');
    const dim = n - 1;
    const solution = solveTransferComponents(setup.problem, E, { dim, mu, scaling: 'unit', seed: 0 });
    for (let j = 0; j < n - 2; j++) expect(solution.values[j]).toBeCloseTo(1 / mu, 10);
    expect(solution.values[n - 2]).toBeCloseTo(1 / (1 + mu), 10);
    // The n − 2 leading components: embedded domain means coincide (no MMD left) and the
    // embedding has zero mean (w ⟂ 1).
    const Z = setup.finish(solution.vectors).training;
    for (let j = 0; j < n - 2; j++) {
      let sourceMean = 0;
      let targetMean = 0;
      for (let i = 0; i < ns; i++) sourceMean += Z.get(i, j) / ns;
      for (let i = ns; i < n; i++) targetMean += Z.get(i, j) / nt;
      expect(sourceMean).toBeCloseTo(targetMean, 12);
      expect(ns * sourceMean + nt * targetMean).toBeCloseTo(0, 12);
    }
  });

  it('solves A a = θ (μI + V Vᵀ) a: residual identity on random SPD matrices, both scalings', () => {
    // A reduced problem given directly: RᵀR from a random 50 x 12 R, V = RᵀE for a random E.
    const R = gaussian(50, 12, 7);
    const E = gaussian(50, 3, 8);
    const problem = {
      size: 12,
      sampleCount: 50,
      gram: matmul(R.transpose(), R),
      columnSums: Float64Array.from({ length: 12 }, (_, j) => R.column(j).reduce((sum, value) => sum + value, 0)),
      projectTranspose: (M: Matrix) => matmul(R.transpose(), M),
    };
    const mu = 0.3;
    const V = problem.projectTranspose(E);
    const H = new Matrix(50, 50);
    for (let i = 0; i < 50; i++) for (let j = 0; j < 50; j++) H.data[i * 50 + j] = (i === j ? 1 : 0) - 1 / 50;
    const A = matmul(matmul(R.transpose(), H), R);
    const B = matmulTransposeB(V, V);
    for (let i = 0; i < 12; i++) B.data[i * 12 + i] += mu;
    for (const scaling of ['unit', 'b-orthonormal'] as const) {
      const { values, vectors } = solveTransferComponents(problem, E, { dim: 4, mu, scaling, seed: 3 });
      const left = matmul(A, vectors);
      const right = matmul(B, vectors);
      for (let j = 0; j < 4; j++) {
        for (let i = 0; i < 12; i++) expect(left.get(i, j)).toBeCloseTo(values[j] * right.get(i, j), 8);
        let norm = 0;
        for (let i = 0; i < 12; i++) norm += vectors.get(i, j) ** 2;
        if (scaling === 'unit') expect(norm).toBeCloseTo(1, 12);
      }
      if (scaling === 'b-orthonormal') {
        const gramB = matmul(vectors.transpose(), right);
        for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(gramB.get(i, j)).toBeCloseTo(i === j ? 1 : 0, 10);
      }
      for (let j = 1; j < 4; j++) expect(values[j]).toBeLessThanOrEqual(values[j - 1]);
    }
  });

  it('pivoted Cholesky factors a singular matrix exactly and reveals its rank', () => {
    const B = gaussian(7, 3, 5);
    const G = matmulTransposeB(B, B); // rank 3
    const { factor, rank } = pivotedCholesky(G);
    expect(rank).toBe(3);
    const product = matmulTransposeB(factor, factor);
    for (let index = 0; index < G.data.length; index++) expect(product.data[index]).toBeCloseTo(G.data[index], 12);
    // semidefiniteFactor falls back to it when the plain Cholesky fails.
    const fallback = semidefiniteFactor(G);
    const again = matmulTransposeB(fallback, fallback);
    for (let index = 0; index < G.data.length; index++) expect(again.data[index]).toBeCloseTo(G.data[index], 12);
  });
});
