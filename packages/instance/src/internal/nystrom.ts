/**
 * Nyström feature maps for the RBF kernel (Williams & Seeger, *Using the Nyström method to speed
 * up kernel machines*, NIPS 2001): with landmarks `L` (m rows), `W = k(L, L)` and its Cholesky
 * factor `W + δI = R Rᵀ`, the features `φ(x) = R⁻¹ k(L, x)` satisfy
 * `φ(x)ᵀφ(y) = k(x, L) W⁻¹ k(L, y) ≈ k(x, y)`. Cost O(n·m·d + n·m²) for n rows.
 *
 * @internal Not exported from the package.
 */
import { cholesky, isTlkitError, Matrix, matmulTransposeB, rbfKernel, solveTriangular, TlkitError } from '@tlkit/core';

/** A fitted Nyström map. */
export interface NystromMap {
  /** Number of landmarks m. */
  readonly landmarks: number;
  /** The lower Cholesky factor R of `W + δI`. */
  readonly factor: Matrix;
  /** The jitter δ added to W's diagonal. */
  readonly jitter: number;
  /** The features of the rows of `X` (n x m). */
  features(X: Matrix): Matrix;
  /**
   * The mean feature `mean_i φ(xᵢ) = R⁻¹ mean_i k(L, xᵢ)` of the rows of `X` (m entries): one
   * triangular solve after averaging the kernel rows, O(n·m·d + m²) instead of the O(n·m²) of
   * `features`.
   */
  meanFeature(X: Matrix): Float64Array;
}

/**
 * Builds a Nyström map from landmark rows. The jitter starts at 1e-10 · trace(W)/m and grows
 * tenfold until the Cholesky factorisation succeeds.
 */
export function nystromMap(landmarks: Matrix, gamma: number): NystromMap {
  const m = landmarks.rows;
  const W = rbfKernel(landmarks, landmarks, gamma);
  let jitter = 1e-10;
  let factor: Matrix | undefined;
  for (let attempt = 0; attempt < 10 && !factor; attempt++) {
    try {
      factor = cholesky(W, { jitter });
    } catch (error) {
      if (!isTlkitError(error, 'NUMERICAL_ERROR')) throw error;
      jitter *= 10;
    }
  }
  if (!factor) {
    throw new TlkitError('NUMERICAL_ERROR', `Nyström: the landmark kernel matrix (${m} x ${m}) is not positive definite even with jitter ${jitter}; use fewer landmarks.`);
  }
  // Φ = k(X, L) R⁻ᵀ, as one matrix product with the explicit inverse of the triangular factor.
  const inverseFactor = solveTriangular(factor, Matrix.identity(m), { lower: true });
  return {
    landmarks: m,
    factor,
    jitter,
    features: (X: Matrix): Matrix => matmulTransposeB(rbfKernel(X, landmarks, gamma), inverseFactor),
    meanFeature: (X: Matrix): Float64Array => {
      const mean = new Float64Array(m);
      const blockRows = 4096;
      for (let start = 0; start < X.rows; start += blockRows) {
        const rows = Array.from({ length: Math.min(blockRows, X.rows - start) }, (_, k) => start + k);
        const block = rbfKernel(X.selectRows(rows), landmarks, gamma).data;
        for (let r = 0; r < rows.length; r++) {
          const offset = r * m;
          for (let k = 0; k < m; k++) mean[k] += block[offset + k];
        }
      }
      for (let k = 0; k < m; k++) mean[k] /= X.rows;
      return solveTriangular(factor, mean, { lower: true });
    },
  };
}
