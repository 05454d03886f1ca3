/**
 * Builds the reduced eigenproblem of TCA/JDA (see `transfer-components.ts`) from the pooled
 * samples for each kernel and form, and the map that embeds new samples afterwards.
 *
 * - Linear kernel, dual form (the reference code's `kernel_type='linear'`): with n > p features,
 *   R = X F where F Fᵀ = XᵀX (Cholesky), so every product is p x p; with n ≤ p, R = K = X Xᵀ.
 *   Both are the exact n x n dual problem, solved in the data's row space.
 * - Primal form (`kernel_type='primal'`): R = X, the p x p problem X H Xᵀ w = θ (X M Xᵀ + μI) w
 *   of the reference code. Not the same problem as the dual (μI acts on ℝᵖ instead of ℝⁿ).
 * - RBF / polynomial kernels, exact: R = K (n x n).
 * - Nyström (Williams & Seeger, "Using the Nyström method to speed up kernel machines", NIPS
 *   2001): m landmarks drawn uniformly without replacement from the pooled samples,
 *   K ≈ Φ Φᵀ with Φ = K_nm L⁻ᵀ and L Lᵀ = K_mm (Cholesky; when a pivot falls below 1e-10 of the
 *   largest kernel value, the pivoted factorisation instead, which drops such landmarks as
 *   numerically redundant); then the linear dual on Φ, so the cost is O(n m²) instead of O(n³).
 */
import { kernelMatrix, type KernelSpec, Matrix, matmul, matmulTransposeA, matmulTransposeB, type Rng, gram } from '@tlkit/core';
import {
  columnSums,
  inverseLowerTriangular,
  normalizeRows,
  normalizeRowsInPlace,
  pivotedCholesky,
  semidefiniteFactor,
  symmetrizeInPlace,
  transposeTimesVector,
  wellConditionedCholesky,
} from './linear-algebra';
import type { ReducedProblem } from './transfer-components';

/** Which problem is solved. */
export type TransferForm = 'dual' | 'primal';
/** Exact kernel or a Nyström approximation. */
export type KernelApproximation = 'exact' | 'nystrom';

/** What a fitted TCA/JDA keeps to embed new samples: z = features(x) · coefficients. */
export interface EmbeddingMap {
  readonly kernel: KernelSpec;
  /** Rows the kernel is evaluated against (training samples or landmarks); null: features = x. */
  readonly basis: Matrix | null;
  /** `features x dim`. */
  readonly coefficients: Matrix;
  /** L2-normalise each input row before the kernel. */
  readonly normalizeSamples: boolean;
  /** L2-normalise each embedded row. */
  readonly normalizeEmbedding: boolean;
}

/** Landmarks whose Cholesky pivot is below this fraction of the largest kernel value are dropped. */
const PIVOT_TOLERANCE = 1e-10;

/** Rows per block when a kernel against the basis is evaluated for many samples. */
const EMBED_BLOCK = 4096;

/** Embeds rows of X with a fitted map. */
export function embed(map: EmbeddingMap, X: Matrix): Matrix {
  const input = map.normalizeSamples ? normalizeRows(X) : X;
  const dim = map.coefficients.cols;
  let Z: Matrix;
  if (!map.basis) {
    Z = matmul(input, map.coefficients);
  } else {
    Z = new Matrix(input.rows, dim);
    for (let start = 0; start < input.rows; start += EMBED_BLOCK) {
      const end = Math.min(input.rows, start + EMBED_BLOCK);
      const block = new Matrix(end - start, input.cols, input.data.subarray(start * input.cols, end * input.cols));
      const part = matmul(kernelMatrix(block, map.basis, map.kernel), map.coefficients);
      Z.data.set(part.data, start * dim);
    }
  }
  if (map.normalizeEmbedding) normalizeRowsInPlace(Z);
  return Z;
}

/** Options of {@link buildTransferSetup}. */
export interface TransferSetupOptions {
  readonly kernel: KernelSpec;
  readonly form: TransferForm;
  readonly approximation: KernelApproximation;
  /** Number of Nyström landmarks (capped at n). */
  readonly landmarks: number;
  readonly normalizeSamples: boolean;
  readonly normalizeEmbedding: boolean;
  /** Draws the landmarks. */
  readonly rng: Rng;
}

/** The reduced problem plus how to turn its solution into an embedding. */
export interface TransferSetup {
  readonly problem: ReducedProblem;
  /** Which construction was used (reported in `info`). */
  readonly method: string;
  /** Number of landmarks kept (Nyström only). */
  readonly landmarksUsed?: number;
  /** The map for coefficients a (`q x dim`) and the training samples' embedding (rows normalised per options). */
  finish(a: Matrix): { readonly map: EmbeddingMap; readonly training: Matrix };
}

/** The reduced problem for R = K, a dense symmetric n x n kernel matrix. */
function denseProblem(K: Matrix): ReducedProblem {
  return {
    size: K.rows,
    sampleCount: K.rows,
    gram: gram(K), // KᵀK = K²
    columnSums: columnSums(K),
    projectTranspose: (E) => matmulTransposeA(K, E),
  };
}

/**
 * The linear dual on explicit features Φ = Ψ T (n x p; T = I when omitted), touching Ψ only
 * through ΨᵀΨ, Ψᵀv and Ψ·(small matrix) so that Φ is never formed. Returns the problem and the
 * map from a to the feature-space coefficients P (p x dim, z = φ(x)ᵀ P), plus the training
 * embedding Φ P.
 */
function featureDual(
  base: Matrix,
  right?: Matrix,
): {
  problem: ReducedProblem;
  toFeatureSpace: (a: Matrix) => Matrix;
  trainingEmbedding: (P: Matrix, a: Matrix) => Matrix;
  method: string;
} {
  const n = base.rows;
  const p = right ? right.cols : base.cols;
  // Φᵀ V = Tᵀ (Ψᵀ V) and Φ P = Ψ (T P).
  const featuresTranspose = (V: Matrix) => (right ? matmulTransposeA(right, matmulTransposeA(base, V)) : matmulTransposeA(base, V));
  const featuresTimes = (P: Matrix) => matmul(base, right ? matmul(right, P) : P);
  if (n > p) {
    const baseGram = gram(base);
    const featureGram = right ? symmetrizeInPlace(matmul(matmulTransposeA(right, baseGram), right)) : baseGram;
    const F = semidefiniteFactor(featureGram); // F Fᵀ = ΦᵀΦ, p x q
    const W = gram(F); // FᵀF, symmetric
    const baseSums = columnSums(base);
    const sums = transposeTimesVector(F, right ? transposeTimesVector(right, baseSums) : baseSums);
    return {
      problem: {
        size: F.cols,
        sampleCount: n,
        gram: gram(W), // WᵀW = W² = (ΦF)ᵀ(ΦF)
        columnSums: sums,
        projectTranspose: (E) => matmulTransposeA(F, featuresTranspose(E)),
      },
      toFeatureSpace: (a) => matmul(F, a),
      trainingEmbedding: (P) => featuresTimes(P),
      method: F.cols === p ? 'row space (Cholesky)' : `row space (pivoted Cholesky, rank ${F.cols})`,
    };
  }
  const features = right ? matmul(base, right) : base;
  const K = matmulTransposeB(features, features);
  return {
    problem: denseProblem(K),
    toFeatureSpace: (a) => matmulTransposeA(features, a),
    trainingEmbedding: (_P, a) => matmul(K, a),
    method: 'kernel matrix (n ≤ features)',
  };
}

/** Builds the reduced problem for the pooled samples X (source rows first). */
export function buildTransferSetup(pooled: Matrix, options: TransferSetupOptions): TransferSetup {
  const X = options.normalizeSamples ? normalizeRows(pooled) : pooled;
  const { kernel, normalizeSamples, normalizeEmbedding } = options;
  const finishRows = (Z: Matrix) => (normalizeEmbedding ? normalizeRowsInPlace(Z) : Z);
  const linearMap = (P: Matrix): EmbeddingMap => ({ kernel: { type: 'linear' }, basis: null, coefficients: P, normalizeSamples, normalizeEmbedding });

  if (options.form === 'primal') {
    return {
      problem: {
        size: X.cols,
        sampleCount: X.rows,
        gram: gram(X),
        columnSums: columnSums(X),
        projectTranspose: (E) => matmulTransposeA(X, E),
      },
      method: 'primal',
      finish: (a) => ({ map: linearMap(a), training: finishRows(matmul(X, a)) }),
    };
  }

  if (options.approximation === 'nystrom') {
    const n = X.rows;
    const m = Math.min(options.landmarks, n);
    const chosen = Array.from(options.rng.sample(n, m)).sort((left, right) => left - right);
    const landmarks = X.selectRows(chosen);
    const landmarkKernel = kernelMatrix(landmarks, landmarks, kernel);
    let basis = landmarks;
    let lower = wellConditionedCholesky(landmarkKernel, PIVOT_TOLERANCE); // m x m, or null
    if (!lower) {
      const { factor, pivots, rank } = pivotedCholesky(landmarkKernel, PIVOT_TOLERANCE);
      const kept = Array.from(pivots.subarray(0, rank));
      basis = landmarks.selectRows(kept);
      lower = factor.selectRows(kept); // r x r, lower triangular in pivot order
    }
    const rank = lower.rows;
    const inverseTranspose = inverseLowerTriangular(lower).transpose(); // L⁻ᵀ
    // Φ = K_nr L⁻ᵀ is used only through K_nr (n x r), kept in memory; Φ itself is never formed.
    const cross = new Matrix(n, rank);
    for (let start = 0; start < n; start += EMBED_BLOCK) {
      const end = Math.min(n, start + EMBED_BLOCK);
      const block = new Matrix(end - start, X.cols, X.data.subarray(start * X.cols, end * X.cols));
      cross.data.set(kernelMatrix(block, basis, kernel).data, start * rank);
    }
    const dual = featureDual(cross, inverseTranspose);
    return {
      problem: dual.problem,
      method: `Nyström (${rank} of ${m} landmarks), ${dual.method}`,
      landmarksUsed: rank,
      finish: (a) => {
        const P = dual.toFeatureSpace(a);
        return {
          map: { kernel, basis, coefficients: matmul(inverseTranspose, P), normalizeSamples, normalizeEmbedding },
          training: finishRows(dual.trainingEmbedding(P, a)),
        };
      },
    };
  }

  if (kernel.type === 'linear') {
    const dual = featureDual(X);
    return {
      problem: dual.problem,
      method: dual.method,
      finish: (a) => {
        const P = dual.toFeatureSpace(a);
        return { map: linearMap(P), training: finishRows(dual.trainingEmbedding(P, a)) };
      },
    };
  }

  const K = kernelMatrix(X, X, kernel);
  return {
    problem: denseProblem(K),
    method: 'kernel matrix',
    finish: (a) => ({
      map: { kernel, basis: X, coefficients: a, normalizeSamples, normalizeEmbedding },
      training: finishRows(matmul(K, a)),
    }),
  };
}
