/**
 * The eigenproblem shared by TCA and JDA, solved exactly in a reduced space.
 *
 * TCA (Pan, Tsang, Kwok & Yang, IEEE TNN 22(2), 2011, eq. 7) and JDA (Long et al., ICCV 2013,
 * eq. 8) look for the `dim` leading solutions of the generalised symmetric eigenproblem
 *
 *     K H K w = θ (K M K + μ I) w,        w ∈ ℝⁿ,
 *
 * with K the n x n kernel matrix of the pooled samples, H = I − 11ᵀ/n the centring matrix, and
 * M = E Eᵀ the (low-rank, positive semidefinite) MMD matrix. The embedding of a sample x is
 * z(x) = Σᵢ wᵢ k(xᵢ, x).
 *
 * Write K = P W Pᵀ with P (n x q) orthonormal columns spanning the range of K (or any larger
 * space) and W (q x q) symmetric, and w = P a + w⊥. Every direction w⊥ orthogonal to the range
 * has θ = 0, and on the range the problem is exactly
 *
 *     Rᵀ H R a = θ (Rᵀ M R + μ I) a,      with R = P W (n x q), ‖w‖ = ‖a‖,
 *
 * so the leading solutions (θ > 0) of the n x n problem are those of a q x q one. Callers give
 * the reduced problem through `RᵀR`, `Rᵀ1` and `RᵀE`:
 * - linear kernel with n > p features: R = X F for any F with F Fᵀ = XᵀX (Cholesky), q = p;
 * - a dense kernel (or n ≤ p): P = I, R = K, q = n;
 * - the "primal" TCA of the reference code: R = X (not the dual; a different problem).
 *
 * Solution: with B = μI + V Vᵀ (V = RᵀE, q x k, k small), B^{-1/2} has the closed form
 * μ^{-1/2} I + U (diag((μ + σ²)^{-1/2}) − μ^{-1/2}) Uᵀ from the thin eigendecomposition
 * V Vᵀ = U diag(σ²) Uᵀ, so the pencil becomes the standard symmetric matrix
 * C = B^{-1/2} A B^{-1/2} (same eigenvalues θ; a = B^{-1/2} y for each eigenvector y of C). Its
 * leading eigenpairs come from `topEigen` of `@tlkit/core` (block Lanczos).
 */
import { Matrix, matmul, matmulTransposeA, symmetricEigen, TlkitError, topEigen } from '@tlkit/core';
import { symmetrizeInPlace } from './linear-algebra';

/** The reduced problem: everything the eigen-solver needs to know about the samples. */
export interface ReducedProblem {
  /** q, the size of the reduced space. */
  readonly size: number;
  /** Number of samples n (for the centring term). */
  readonly sampleCount: number;
  /** RᵀR, `q x q` symmetric. */
  readonly gram: Matrix;
  /** Rᵀ 1, length q. */
  readonly columnSums: Float64Array;
  /** Rᵀ E for an `n x k` matrix E. */
  projectTranspose(E: Matrix): Matrix;
}

/** How the eigenvectors a are scaled. */
export type EigenvectorScaling = 'unit' | 'b-orthonormal';

/** Options of {@link solveTransferComponents}. */
export interface TransferComponentOptions {
  /** Number of components. */
  readonly dim: number;
  /** μ > 0, the weight of the regulariser. */
  readonly mu: number;
  /** `'unit'` (the reference code: each eigenvector of Euclidean norm 1) or `'b-orthonormal'`. */
  readonly scaling: EigenvectorScaling;
  /** Seed of the Lanczos start block. */
  readonly seed: number;
  /** Lanczos convergence tolerance. Default 1e-10. */
  readonly tolerance?: number;
}

/** The solution: `dim` eigenvalues θ (descending) and the coefficient vectors a as columns. */
export interface TransferComponents {
  readonly values: Float64Array;
  /** `q x dim`. */
  readonly vectors: Matrix;
}

/** The centred part A = RᵀHR = RᵀR − (Rᵀ1)(Rᵀ1)ᵀ/n, as a new symmetric matrix. */
export function centredGram(problem: ReducedProblem): Matrix {
  const q = problem.size;
  const A = problem.gram.clone();
  const s = problem.columnSums;
  const scale = 1 / problem.sampleCount;
  const data = A.data;
  for (let i = 0; i < q; i++) {
    const si = s[i] * scale;
    for (let j = 0; j < q; j++) data[i * q + j] -= si * s[j];
  }
  return symmetrizeInPlace(A);
}

/** B^{-1/2} = c I + U D Uᵀ for B = μ I + V Vᵀ. */
interface InverseSquareRoot {
  readonly c: number;
  /** `q x r`, orthonormal columns. */
  readonly U: Matrix;
  /** length r. */
  readonly D: Float64Array;
}

function inverseSquareRootOfLowRankUpdate(V: Matrix, mu: number): InverseSquareRoot {
  const q = V.rows;
  const k = V.cols;
  const c = 1 / Math.sqrt(mu);
  if (k === 0) return { c, U: new Matrix(q, 0), D: new Float64Array(0) };
  const small = symmetrizeInPlace(matmulTransposeA(V, V)); // VᵀV = Y Σ² Yᵀ
  const { values, vectors } = symmetricEigen(small);
  const largest = Math.max(values[0], 0);
  const kept: number[] = [];
  for (let j = 0; j < k; j++) if (values[j] > 1e-13 * largest && values[j] > 0) kept.push(j);
  const r = kept.length;
  const Y = new Matrix(k, r);
  const D = new Float64Array(r);
  for (let column = 0; column < r; column++) {
    const j = kept[column];
    const sigma = Math.sqrt(values[j]);
    for (let i = 0; i < k; i++) Y.data[i * r + column] = vectors.data[i * k + j] / sigma;
    D[column] = 1 / Math.sqrt(mu + values[j]) - c;
  }
  return { c, U: matmul(V, Y), D };
}

/** `B^{-1/2} X` for a `q x m` matrix X. */
function applyInverseSquareRoot(root: InverseSquareRoot, X: Matrix): Matrix {
  const out = new Matrix(X.rows, X.cols);
  const { c, U, D } = root;
  for (let index = 0; index < X.data.length; index++) out.data[index] = c * X.data[index];
  if (D.length === 0) return out;
  const inner = matmulTransposeA(U, X); // r x m
  const r = D.length;
  const m = X.cols;
  for (let i = 0; i < r; i++) for (let j = 0; j < m; j++) inner.data[i * m + j] *= D[i];
  const update = matmul(U, inner);
  for (let index = 0; index < out.data.length; index++) out.data[index] += update.data[index];
  return out;
}

/**
 * The `dim` leading solutions of `A a = θ (μ I + V Vᵀ) a` with A = {@link centredGram} and
 * V = RᵀE. `centred` may be passed in when it is reused (JDA keeps A across iterations).
 */
export function solveTransferComponents(
  problem: ReducedProblem,
  E: Matrix,
  options: TransferComponentOptions,
  centred: Matrix = centredGram(problem),
): TransferComponents {
  const q = problem.size;
  const { dim, mu } = options;
  if (dim > q) {
    throw new TlkitError('TOO_FEW_SAMPLES', `dim = ${dim} components requested but the problem has only ${q} dimensions; lower dim.`, {
      argument: 'dim',
    });
  }
  const V = problem.projectTranspose(E);
  const root = inverseSquareRootOfLowRankUpdate(V, mu);
  // C = S A S with S = B^{-1/2}; S is symmetric, so S A S = S (S A)ᵀ.
  const left = applyInverseSquareRoot(root, centred); // S A
  const C = applyInverseSquareRoot(root, left.transpose()); // S (S A)ᵀ = S A S
  symmetrizeInPlace(C);
  const top = topEigen(C, dim, { seed: options.seed, tolerance: options.tolerance ?? 1e-10 });
  const vectors = applyInverseSquareRoot(root, top.vectors); // a = S y: B-orthonormal
  const k = vectors.cols;
  for (let j = 0; j < k; j++) {
    let norm = 0;
    let pivot = 0;
    for (let i = 0; i < q; i++) {
      const value = vectors.data[i * k + j];
      norm += value * value;
      if (Math.abs(value) > Math.abs(pivot)) pivot = value;
    }
    // Fix the sign (largest entry positive) so results do not depend on the solver's start.
    let scale = options.scaling === 'unit' ? 1 / Math.sqrt(norm) : 1;
    if (pivot < 0) scale = -scale;
    for (let i = 0; i < q; i++) vectors.data[i * k + j] *= scale;
  }
  return { values: top.values, vectors };
}
