/**
 * Bench section: float64 linear algebra of @tlkit/core.
 *
 * - GEMM throughput of `matmul` (GFLOP/s = 2n³ / seconds) at n = 512 and 1024, plus Cholesky and
 *   LU `solve` at n = 1000 (n³/3 and 2n³/3 flops).
 * - Top-30 generalised eigenpairs `generalizedEigen(A, B, 30)` at n = 500, 1000, 2000 on a
 *   TCA-shaped pencil: X is two 32-dimensional Gaussian domains (n/2 samples each, the target
 *   shifted and scaled), K the RBF kernel with bandwidth σ² = 32, A = H K H (the centred kernel,
 *   H = I − 11ᵀ/n) and B = K L K + μ I with the MMD matrix L = e eᵀ (e = 1/n_s on source rows,
 *   −1/n_t on target rows) and μ = 1, i.e. B = (K e)(K e)ᵀ + I.
 * - The full `symmetricEigen` (values and vectors) of that A at n = 500 and 800, with its
 *   accuracy (max |A V − V Λ| / max|λ| and max |VᵀV − I|).
 * - CORAL's eigen-decompositions: a covariance plus identity with a 400-fold eigenvalue 1
 *   (400 samples in 800 dimensions, C = XᵀX / 400 + I), its `symmetricEigen` (with accuracy),
 *   `sqrtmSymmetric` and `inverseSqrtmSymmetric`.
 * - `thinSvd` of a 2081 x 800 Gaussian matrix (the shape of Office-Caltech10 SURF: 958 + 1123
 *   samples, 800 features): rank 30 (Lanczos on the Gram matrix) and full, with max |UᵀU − I|.
 *
 * `quick` shrinks every size (CI smoke test). Every timing is the best of a few runs.
 */
import {
  Matrix,
  cholesky,
  createRng,
  generalizedEigen,
  gram,
  inverseSqrtmSymmetric,
  matmul,
  matmulTransposeA,
  matmulTransposeB,
  solve,
  sqrtmSymmetric,
  symmetricEigen,
  thinSvd,
  topEigen,
} from '@tlkit/core';
import type { BenchContext, BenchFigures, BenchSection } from './types';

/** Best wall-clock seconds of `repeats` runs of `action`. */
function bestSeconds(action: () => unknown, repeats: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < repeats; run++) {
    const start = performance.now();
    action();
    best = Math.min(best, (performance.now() - start) / 1000);
  }
  return best;
}

function randomMatrix(rows: number, cols: number, seed: number): Matrix {
  const rng = createRng(seed);
  const out = new Matrix(rows, cols);
  for (let index = 0; index < out.data.length; index++) out.data[index] = rng.normal();
  return out;
}

/** The TCA-shaped pencil described in the module notes. */
export function tcaShapedPencil(n: number, seed: number): { a: Matrix; b: Matrix } {
  const dimension = 32;
  const sourceCount = Math.floor(n / 2);
  const x = randomMatrix(n, dimension, seed);
  for (let i = sourceCount; i < n; i++) {
    for (let j = 0; j < dimension; j++) x.data[i * dimension + j] = 1.5 * x.data[i * dimension + j] + (j < 4 ? 1 : 0);
  }
  const squaredNorms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < dimension; j++) sum += x.data[i * dimension + j] ** 2;
    squaredNorms[i] = sum;
  }
  const inner = matmulTransposeB(x, x);
  const kernel = new Matrix(n, n);
  const bandwidth = 2 * dimension;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const distance = Math.max(squaredNorms[i] + squaredNorms[j] - 2 * inner.data[i * n + j], 0);
      kernel.data[i * n + j] = Math.exp(-distance / bandwidth);
    }
  }
  // A = H K H: subtract row and column means, add back the grand mean.
  const rowMeans = new Float64Array(n);
  let grandMean = 0;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < n; j++) sum += kernel.data[i * n + j];
    rowMeans[i] = sum / n;
    grandMean += sum;
  }
  grandMean /= n * n;
  const a = new Matrix(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) a.data[i * n + j] = kernel.data[i * n + j] - rowMeans[i] - rowMeans[j] + grandMean;
  }
  // B = (K e)(K e)ᵀ + μ I.
  const e = new Float64Array(n);
  for (let i = 0; i < n; i++) e[i] = i < sourceCount ? 1 / sourceCount : -1 / (n - sourceCount);
  const ke = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < n; j++) sum += kernel.data[i * n + j] * e[j];
    ke[i] = sum;
  }
  const mu = 1;
  const b = new Matrix(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) b.data[i * n + j] = ke[i] * ke[j] + (i === j ? mu : 0);
  }
  return { a, b };
}

/** Largest |A v − λ B v| over the returned pairs, relative to max |A v|. */
function relativeResidual(a: Matrix, b: Matrix, values: Float64Array, vectors: Matrix): number {
  const av = matmul(a, vectors);
  const bv = matmul(b, vectors);
  let worst = 0;
  let scale = 0;
  for (let index = 0; index < av.data.length; index++) {
    const column = index % vectors.cols;
    worst = Math.max(worst, Math.abs(av.data[index] - values[column] * bv.data[index]));
    scale = Math.max(scale, Math.abs(av.data[index]));
  }
  return worst / scale;
}

/** max |A V − V Λ| / max |λ| and max |VᵀV − I| of an eigendecomposition. */
function eigenAccuracy(a: Matrix, values: Float64Array, vectors: Matrix): { residual: number; orthogonality: number } {
  const av = matmul(a, vectors);
  let worst = 0;
  let scale = 0;
  for (let index = 0; index < av.data.length; index++) {
    worst = Math.max(worst, Math.abs(av.data[index] - values[index % vectors.cols] * vectors.data[index]));
  }
  for (const value of values) scale = Math.max(scale, Math.abs(value));
  return { residual: worst / scale, orthogonality: orthogonalityDefect(vectors) };
}

/** max |MᵀM − I|. */
function orthogonalityDefect(m: Matrix): number {
  const product = matmulTransposeA(m, m);
  let worst = 0;
  for (let i = 0; i < m.cols; i++) {
    for (let j = 0; j < m.cols; j++) worst = Math.max(worst, Math.abs(product.data[i * m.cols + j] - (i === j ? 1 : 0)));
  }
  return worst;
}

export const benchLinalg: BenchSection = async (context: BenchContext): Promise<BenchFigures> => {
  const quick = context.quick;
  const repeats = quick ? 1 : 2;
  context.log(`linalg (float64, single thread${quick ? ', quick sizes' : ''})`);

  const gemm: { n: number; seconds: number; gflops: number }[] = [];
  for (const n of quick ? [128, 256] : [512, 1024]) {
    const a = randomMatrix(n, n, 1);
    const b = randomMatrix(n, n, 2);
    matmul(a, b); // warm-up (JIT)
    const seconds = bestSeconds(() => matmul(a, b), repeats + 1);
    const gflops = (2 * n ** 3) / seconds / 1e9;
    gemm.push({ n, seconds, gflops });
    context.log(`  matmul       n=${String(n).padStart(4)}  ${seconds.toFixed(3)} s  ${gflops.toFixed(2)} GFLOP/s`);
  }

  const factorSize = quick ? 200 : 1000;
  const spdSource = randomMatrix(factorSize, factorSize, 3);
  const spd = matmul(spdSource, spdSource.transpose());
  for (let i = 0; i < factorSize; i++) spd.data[i * factorSize + i] += factorSize;
  const choleskySeconds = bestSeconds(() => cholesky(spd), repeats);
  const solveSeconds = bestSeconds(() => solve(spdSource, spdSource.column(0)), repeats);
  context.log(
    `  cholesky     n=${String(factorSize).padStart(4)}  ${choleskySeconds.toFixed(3)} s  ${(factorSize ** 3 / 3 / choleskySeconds / 1e9).toFixed(2)} GFLOP/s`,
  );
  context.log(
    `  solve (LU)   n=${String(factorSize).padStart(4)}  ${solveSeconds.toFixed(3)} s  ${((2 * factorSize ** 3) / 3 / solveSeconds / 1e9).toFixed(2)} GFLOP/s`,
  );

  const generalized: {
    n: number;
    k: number;
    seconds: number;
    multiplications: number;
    relativeResidual: number;
    topSeconds: number;
  }[] = [];
  const k = 30;
  for (const n of quick ? [100, 200] : [500, 1000, 2000]) {
    const { a, b } = tcaShapedPencil(n, 7);
    let result = generalizedEigen(a, b, k, { seed: 0 });
    const seconds = bestSeconds(() => {
      result = generalizedEigen(a, b, k, { seed: 0 });
    }, n >= 2000 ? 1 : repeats);
    let multiplications = 0;
    const topSeconds = bestSeconds(() => {
      multiplications = topEigen(a, k, { seed: 0 }).multiplications;
    }, 1);
    const residual = relativeResidual(a, b, result.values, result.vectors);
    generalized.push({ n, k, seconds, multiplications, relativeResidual: residual, topSeconds });
    context.log(
      `  generalizedEigen top-${k}  n=${String(n).padStart(4)}  ${seconds.toFixed(3)} s  (residual ${residual.toExponential(1)}; ` +
        `standard topEigen(A) ${topSeconds.toFixed(3)} s, ${multiplications} products)`,
    );
  }

  const eigen: { n: number; seconds: number; valuesOnlySeconds: number; residual: number; orthogonality: number }[] = [];
  for (const n of quick ? [150, 240] : [500, 800]) {
    const { a: fullMatrix } = tcaShapedPencil(n, 8);
    let result = symmetricEigen(fullMatrix);
    const seconds = bestSeconds(() => {
      result = symmetricEigen(fullMatrix);
    }, repeats);
    const valuesOnlySeconds = bestSeconds(() => symmetricEigen(fullMatrix, { vectors: false }), repeats);
    const { residual, orthogonality } = eigenAccuracy(fullMatrix, result.values, result.vectors);
    eigen.push({ n, seconds, valuesOnlySeconds, residual, orthogonality });
    context.log(
      `  symmetricEigen full n=${String(n).padStart(4)}  ${seconds.toFixed(3)} s  (values only ${valuesOnlySeconds.toFixed(3)} s; ` +
        `residual ${residual.toExponential(1)}, orthogonality ${orthogonality.toExponential(1)})`,
    );
  }

  // CORAL: covariance of 400 samples in 800 dimensions plus I (eigenvalue 1 with multiplicity 400).
  const coralDimension = quick ? 200 : 800;
  const samples = randomMatrix(coralDimension / 2, coralDimension, 9);
  const covariance = gram(samples);
  for (let index = 0; index < covariance.data.length; index++) covariance.data[index] /= samples.rows;
  for (let i = 0; i < coralDimension; i++) covariance.data[i * coralDimension + i] += 1;
  let coralResult = symmetricEigen(covariance);
  const coralEigenSeconds = bestSeconds(() => {
    coralResult = symmetricEigen(covariance);
  }, repeats);
  const coralAccuracy = eigenAccuracy(covariance, coralResult.values, coralResult.vectors);
  const sqrtSeconds = bestSeconds(() => sqrtmSymmetric(covariance), repeats);
  const inverseSqrtSeconds = bestSeconds(() => inverseSqrtmSymmetric(covariance), repeats);
  context.log(
    `  covariance + I n=${coralDimension} (${coralDimension / 2}-fold eigenvalue 1): symmetricEigen ${coralEigenSeconds.toFixed(3)} s ` +
      `(residual ${coralAccuracy.residual.toExponential(1)}, orthogonality ${coralAccuracy.orthogonality.toExponential(1)}), ` +
      `sqrtm ${sqrtSeconds.toFixed(3)} s, inverse sqrtm ${inverseSqrtSeconds.toFixed(3)} s`,
  );

  // thinSvd of a 2081 x 800 matrix, rank 30 and full.
  const svdRows = quick ? 520 : 2081;
  const svdCols = quick ? 200 : 800;
  const svdInput = randomMatrix(svdRows, svdCols, 10);
  const svdRank = 30;
  let truncated = thinSvd(svdInput, { rank: svdRank });
  const truncatedSeconds = bestSeconds(() => {
    truncated = thinSvd(svdInput, { rank: svdRank });
  }, repeats);
  let complete = thinSvd(svdInput);
  const completeSeconds = bestSeconds(() => {
    complete = thinSvd(svdInput);
  }, repeats);
  const truncatedOrthogonality = Math.max(orthogonalityDefect(truncated.U), orthogonalityDefect(truncated.V));
  const completeOrthogonality = Math.max(orthogonalityDefect(complete.U), orthogonalityDefect(complete.V));
  context.log(
    `  thinSvd ${svdRows}x${svdCols}  rank ${svdRank} ${truncatedSeconds.toFixed(3)} s (orthogonality ${truncatedOrthogonality.toExponential(1)}), ` +
      `full (rank ${complete.S.length}) ${completeSeconds.toFixed(3)} s (orthogonality ${completeOrthogonality.toExponential(1)})`,
  );

  return {
    gemm,
    cholesky: { n: factorSize, seconds: choleskySeconds },
    solve: { n: factorSize, seconds: solveSeconds },
    generalizedTop30: generalized,
    symmetricEigenFull: eigen,
    coral: {
      n: coralDimension,
      eigenSeconds: coralEigenSeconds,
      residual: coralAccuracy.residual,
      orthogonality: coralAccuracy.orthogonality,
      sqrtSeconds,
      inverseSqrtSeconds,
    },
    thinSvd: {
      rows: svdRows,
      cols: svdCols,
      rank30: { seconds: truncatedSeconds, orthogonality: truncatedOrthogonality },
      full: { rank: complete.S.length, seconds: completeSeconds, orthogonality: completeOrthogonality },
    },
    problem:
      'A = H K H (centred RBF kernel, σ² = 32, two 32-d Gaussian domains), B = (K e)(K e)ᵀ + I (= K L K + μI, μ = 1)',
  };
};
