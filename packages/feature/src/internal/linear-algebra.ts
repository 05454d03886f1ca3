/**
 * Small float64 helpers shared by the feature strategies: row normalisation, symmetrisation,
 * factors of positive semidefinite matrices and triangular inverses.
 *
 * `pivotedCholesky` is a general routine that may belong in `@tlkit/core` (see the package
 * README's notes for the lead).
 */
import { cholesky, isTlkitError, Matrix, solveTriangular } from '@tlkit/core';

/**
 * Each row divided by its Euclidean norm (rows of norm 0 stay 0), as a new matrix. This is the
 * sample normalisation of the TCA/JDA reference code (`X /= norm(X, axis=0)` on columns there).
 */
export function normalizeRows(X: Matrix): Matrix {
  const { rows, cols } = X;
  const out = new Matrix(rows, cols);
  const source = X.data;
  const target = out.data;
  for (let i = 0; i < rows; i++) {
    const offset = i * cols;
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += source[offset + j] * source[offset + j];
    const scale = sum > 0 ? 1 / Math.sqrt(sum) : 0;
    for (let j = 0; j < cols; j++) target[offset + j] = source[offset + j] * scale;
  }
  return out;
}

/** In place: every row of `X` divided by its Euclidean norm (zero rows stay zero). Returns `X`. */
export function normalizeRowsInPlace(X: Matrix): Matrix {
  const { rows, cols, data } = X;
  for (let i = 0; i < rows; i++) {
    const offset = i * cols;
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += data[offset + j] * data[offset + j];
    if (sum > 0) {
      const scale = 1 / Math.sqrt(sum);
      for (let j = 0; j < cols; j++) data[offset + j] *= scale;
    }
  }
  return X;
}

/** In place: `A ← (A + Aᵀ) / 2` for a square matrix. Returns `A`. */
export function symmetrizeInPlace(A: Matrix): Matrix {
  const n = A.rows;
  const data = A.data;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const mean = 0.5 * (data[i * n + j] + data[j * n + i]);
      data[i * n + j] = mean;
      data[j * n + i] = mean;
    }
  }
  return A;
}

/** Column sums `Xᵀ 1` of an `n x p` matrix. */
export function columnSums(X: Matrix): Float64Array {
  const { rows, cols, data } = X;
  const out = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const offset = i * cols;
    for (let j = 0; j < cols; j++) out[j] += data[offset + j];
  }
  return out;
}

/** `Fᵀ v` for an `p x q` matrix F and a vector of length p. */
export function transposeTimesVector(F: Matrix, vector: Float64Array): Float64Array {
  const { rows, cols, data } = F;
  const out = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const value = vector[i];
    if (value === 0) continue;
    const offset = i * cols;
    for (let j = 0; j < cols; j++) out[j] += value * data[offset + j];
  }
  return out;
}

/** The result of {@link pivotedCholesky}. */
export interface PivotedCholesky {
  /** `p x rank`, rows in the ORIGINAL order: `G ≈ F Fᵀ`. */
  readonly factor: Matrix;
  /** The pivot order; the first `rank` entries are the rows/columns that were factored. */
  readonly pivots: Int32Array;
  /** Number of columns kept. */
  readonly rank: number;
}

/**
 * Cholesky factorisation with complete (diagonal) pivoting of a symmetric positive semidefinite
 * matrix, stopped when the largest remaining diagonal of the Schur complement falls to
 * `tolerance · max diag(G)` (Higham, "Analysis of the Cholesky decomposition of a semi-definite
 * matrix", 1990; LAPACK `dpstrf`). Returns F (`p x rank`) with `G ≈ F Fᵀ`: the error is at most
 * the trace of the part left out.
 *
 * One pivot at a time; row i of F is stored contiguously, so each new entry
 * F[i][k] = (G[i][pivot] − ⟨F[i][0:k], F[pivot][0:k]⟩) / F[pivot][k] is a contiguous dot product.
 * Only rows not yet pivoted are updated: about `p³/6` multiply–adds for a full-rank G.
 */
export function pivotedCholesky(G: Matrix, tolerance = 1e-12): PivotedCholesky {
  const p = G.rows;
  const g = G.data;
  const diagonal = new Float64Array(p);
  let largest = 0;
  for (let i = 0; i < p; i++) {
    diagonal[i] = g[i * p + i];
    if (diagonal[i] > largest) largest = diagonal[i];
  }
  const pivots = new Int32Array(p);
  for (let i = 0; i < p; i++) pivots[i] = i;
  const rows = new Float64Array(p * p); // rows[i * p + k] = F[i][k], original row order
  const threshold = tolerance * largest;
  let rank = 0;
  for (let k = 0; k < p; k++) {
    let best = k;
    for (let position = k + 1; position < p; position++) {
      if (diagonal[pivots[position]] > diagonal[pivots[best]]) best = position;
    }
    const pivot = pivots[best];
    const remaining = diagonal[pivot];
    if (!(remaining > threshold) || remaining <= 0) break;
    pivots[best] = pivots[k];
    pivots[k] = pivot;
    const root = Math.sqrt(remaining);
    const pivotOffset = pivot * p;
    rows[pivotOffset + k] = root;
    diagonal[pivot] = 0;
    const inverse = 1 / root;
    for (let position = k + 1; position < p; position++) {
      const i = pivots[position];
      const offset = i * p;
      let dot = 0;
      for (let j = 0; j < k; j++) dot += rows[offset + j] * rows[pivotOffset + j];
      const value = (g[offset + pivot] - dot) * inverse;
      rows[offset + k] = value;
      diagonal[i] -= value * value;
    }
    rank = k + 1;
  }
  const factor = new Matrix(p, rank);
  for (let i = 0; i < p; i++) factor.data.set(rows.subarray(i * p, i * p + rank), i * rank);
  return { factor, pivots, rank };
}

/**
 * A factor F with `F Fᵀ = G` of a symmetric positive semidefinite `p x p` matrix: the plain
 * Cholesky factor of `@tlkit/core` when G is positive definite (fast, blocked), otherwise the
 * pivoted factor of {@link pivotedCholesky} (rank-revealing, for singular G).
 */
export function semidefiniteFactor(G: Matrix): Matrix {
  try {
    return cholesky(G);
  } catch (error) {
    if (!isTlkitError(error, 'NUMERICAL_ERROR')) throw error;
    return pivotedCholesky(G).factor;
  }
}

/**
 * The plain (blocked, fast) Cholesky factor of `@tlkit/core` when every pivot L_kk² is at least
 * `tolerance · max diag(G)`, i.e. when no column would be dropped as numerically redundant;
 * otherwise `null` (use {@link pivotedCholesky}).
 */
export function wellConditionedCholesky(G: Matrix, tolerance: number): Matrix | null {
  const n = G.rows;
  let largest = 0;
  for (let i = 0; i < n; i++) largest = Math.max(largest, G.data[i * n + i]);
  let L: Matrix;
  try {
    L = cholesky(G);
  } catch (error) {
    if (isTlkitError(error, 'NUMERICAL_ERROR')) return null;
    throw error;
  }
  for (let i = 0; i < n; i++) if (!(L.data[i * n + i] ** 2 >= tolerance * largest)) return null;
  return L;
}

/** The inverse of a lower-triangular `r x r` matrix with a non-zero diagonal. */
export function inverseLowerTriangular(L: Matrix): Matrix {
  return solveTriangular(L, Matrix.identity(L.rows), { lower: true });
}
