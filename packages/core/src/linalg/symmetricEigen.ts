/**
 * Full eigendecomposition of a dense symmetric matrix: Householder tridiagonalisation followed by
 * the implicitly shifted QL iteration on the tridiagonal matrix (Golub & Van Loan, Matrix
 * Computations, 4th ed., §8.3: Algorithm 8.3.1 for the reduction, §8.3.3–8.3.5 for the implicit
 * shifted iteration with a Wilkinson shift; the QL ordering of the sweep is that of Bowdler,
 * Martin, Reinsch & Wilkinson, "The QR and QL algorithms for symmetric matrices", Numer. Math. 11,
 * 1968).
 *
 * Eigenvectors are kept as ROWS of a row-major work array (`R = (Q Z)ᵀ`), so every Householder
 * and Givens update runs along contiguous memory.
 */
import { TlkitError } from '../errors';
import { Matrix } from '../matrix';
import { requireFinite, requireMatrix, requireSquare, requireSymmetric } from './validation';

/** The result of a symmetric eigendecomposition. */
export interface SymmetricEigenResult {
  /** Eigenvalues, in descending order. */
  readonly values: Float64Array;
  /** Unit-norm, mutually orthogonal eigenvectors as COLUMNS (column j belongs to `values[j]`). */
  readonly vectors: Matrix;
}

/** Options of {@link symmetricEigen}. */
export interface SymmetricEigenOptions {
  /** Also compute the eigenvectors. Default `true`; `false` returns an empty `0 x 0` `vectors`. */
  readonly vectors?: boolean;
}

/** Largest number of QL sweeps spent on one eigenvalue before giving up. */
const MAX_SWEEPS_PER_VALUE = 60;

/**
 * All eigenvalues (descending) and orthonormal eigenvectors of a symmetric matrix, `A = V Λ Vᵀ`.
 * Cost about `9 n³` flops with vectors (`4/3 n³` without); for only a few eigenpairs of a large
 * matrix use {@link topEigen}.
 *
 * Reference: Golub & Van Loan, Matrix Computations, 4th ed., §8.3 (Householder
 * tridiagonalisation, implicit symmetric QR/QL with Wilkinson shift).
 *
 * @param a - a symmetric `n x n` matrix (checked to relative tolerance `1e-8`).
 * @param options - {@link SymmetricEigenOptions}: `vectors` (default `true`).
 * @returns `{ values, vectors }`: `values` descending, `vectors` with unit-norm columns.
 * @throws TlkitError `INVALID_ARGUMENT` when `a` is not symmetric, `DIMENSION_MISMATCH` when not
 *   square, `NON_FINITE_INPUT` on NaN/Infinity, `NUMERICAL_ERROR` if the iteration does not
 *   converge (not expected for finite input).
 * @example
 * ```ts
 * const { values, vectors } = symmetricEigen(Matrix.fromRows([[2, 1], [1, 2]]));
 * values; // Float64Array [3, 1]
 * vectors.column(0); // ±[0.7071, 0.7071]
 * ```
 */
export function symmetricEigen(a: Matrix, options: SymmetricEigenOptions = {}): SymmetricEigenResult {
  requireMatrix(a, 'a', 'symmetricEigen');
  requireSquare(a, 'a', 'symmetricEigen');
  requireFinite(a.data, 'a', 'symmetricEigen');
  requireSymmetric(a, 'a', 'symmetricEigen');
  return symmetricEigenUnchecked(a.data, a.rows, options.vectors ?? true);
}

/** {@link symmetricEigen} without argument checks, on a row-major array (not modified). @internal */
export function symmetricEigenUnchecked(data: Float64Array, n: number, withVectors: boolean): SymmetricEigenResult {
  if (n === 0) return { values: new Float64Array(0), vectors: new Matrix(0, 0) };
  const work = data.slice();
  const { diagonal, offDiagonal, betas } = tridiagonalize(work, n);
  let rows: Float64Array | null = null;
  if (withVectors) rows = householderProductTranspose(work, betas, n);
  tridiagonalQl(diagonal, offDiagonal, rows, n);
  const order = descendingOrder(diagonal);
  const values = new Float64Array(n);
  for (let j = 0; j < n; j++) values[j] = diagonal[order[j]];
  if (!rows) return { values, vectors: new Matrix(0, 0) };
  const vectors = new Matrix(n, n);
  const target = vectors.data;
  for (let j = 0; j < n; j++) {
    const source = order[j] * n;
    for (let i = 0; i < n; i++) target[i * n + j] = rows[source + i];
  }
  return { values, vectors };
}

/** Indices that sort `values` in descending order. @internal */
export function descendingOrder(values: ArrayLike<number>): Int32Array {
  const order = Int32Array.from({ length: values.length }, (_, index) => index);
  order.sort((first, second) => values[second] - values[first]);
  return order;
}

/** The tridiagonal form `T = Qᵀ A Q` and the Householder data that define Q. @internal */
export interface Tridiagonal {
  /** `T[i][i]`, length n. */
  readonly diagonal: Float64Array;
  /** `T[i][i + 1]`, length n (the last entry is 0). */
  readonly offDiagonal: Float64Array;
  /** `β_k` of reflector `H_k = I − β_k v_k v_kᵀ`; `v_k` lies in row k of the work array, right of the diagonal. */
  readonly betas: Float64Array;
}

/**
 * Householder tridiagonalisation in place (GvL Algorithm 8.3.1). Step k zeroes row/column k
 * beyond the first off-diagonal with `H_k = I − β v vᵀ` acting on indices `k+1..n−1`, using
 * `p = β A₂₂ v`, `w = p − (β pᵀv / 2) v`, `A₂₂ ← A₂₂ − v wᵀ − w vᵀ`. The vectors `v_k` are left in
 * row k of `work` (entries `k+1..n−1`). @internal
 */
export function tridiagonalize(work: Float64Array, n: number): Tridiagonal {
  const diagonal = new Float64Array(n);
  const offDiagonal = new Float64Array(n);
  const betas = new Float64Array(n);
  const p = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    const rowK = k * n;
    const start = k + 1;
    // x = A[k, k+1 : n] (equal to the column below the diagonal by symmetry).
    let scale = 0;
    for (let j = start; j < n; j++) scale = Math.max(scale, Math.abs(work[rowK + j]));
    diagonal[k] = work[rowK + k];
    if (scale === 0) {
      offDiagonal[k] = 0;
      betas[k] = 0;
      continue;
    }
    let normSquared = 0;
    for (let j = start; j < n; j++) {
      const value = work[rowK + j] / scale;
      normSquared += value * value;
    }
    const x0 = work[rowK + start];
    const norm = scale * Math.sqrt(normSquared);
    const alpha = x0 > 0 ? -norm : norm;
    // v = x − α e₁; β = 2 / vᵀv = 1 / (α² − α x₀).
    work[rowK + start] = x0 - alpha;
    const beta = 1 / (alpha * alpha - alpha * x0);
    offDiagonal[k] = alpha;
    betas[k] = beta;
    if (!Number.isFinite(beta)) {
      betas[k] = 0;
      offDiagonal[k] = x0;
      work[rowK + start] = x0;
      continue;
    }
    // p = β A₂₂ v, with A₂₂ = work[start:n, start:n] (full symmetric storage).
    let pv = 0;
    for (let i = start; i < n; i++) {
      const rowI = i * n;
      let sum0 = 0;
      let sum1 = 0;
      let j = start;
      for (; j + 1 < n; j += 2) {
        sum0 += work[rowI + j] * work[rowK + j];
        sum1 += work[rowI + j + 1] * work[rowK + j + 1];
      }
      if (j < n) sum0 += work[rowI + j] * work[rowK + j];
      const value = beta * (sum0 + sum1);
      p[i] = value;
      pv += value * work[rowK + i];
    }
    // w = p − (β pᵀv / 2) v, stored over p.
    const correction = 0.5 * beta * pv;
    for (let i = start; i < n; i++) p[i] -= correction * work[rowK + i];
    // A₂₂ ← A₂₂ − v wᵀ − w vᵀ.
    for (let i = start; i < n; i++) {
      const rowI = i * n;
      const vi = work[rowK + i];
      const wi = p[i];
      for (let j = start; j < n; j++) work[rowI + j] -= vi * p[j] + wi * work[rowK + j];
    }
  }
  if (n >= 2) {
    diagonal[n - 2] = work[(n - 2) * n + n - 2];
    offDiagonal[n - 2] = work[(n - 2) * n + n - 1];
  }
  diagonal[n - 1] = work[n * n - 1];
  offDiagonal[n - 1] = 0;
  return { diagonal, offDiagonal, betas };
}

/**
 * `Qᵀ` (row-major) for `Q = H_0 H_1 ⋯ H_{n−3}` from {@link tridiagonalize}'s output, by backward
 * accumulation (GvL §5.1.6): start from I and apply `H_{n−3}, …, H_0` on the left, each touching
 * only the trailing block. The result's rows are the columns of Q. @internal
 */
export function householderProductTranspose(work: Float64Array, betas: Float64Array, n: number): Float64Array {
  // Accumulate Q itself (Q = H_0 (H_1 (… H_{n−3}))), then transpose.
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  const u = new Float64Array(n);
  for (let k = n - 3; k >= 0; k--) {
    const beta = betas[k];
    if (beta === 0) continue;
    const rowK = k * n;
    const start = k + 1;
    // u = vᵀ Q[start:n, start:n]
    u.fill(0, start, n);
    for (let i = start; i < n; i++) {
      const vi = work[rowK + i];
      if (vi === 0) continue;
      const rowI = i * n;
      for (let j = start; j < n; j++) u[j] += vi * q[rowI + j];
    }
    // Q[start:n, start:n] -= β v uᵀ
    for (let i = start; i < n; i++) {
      const factor = beta * work[rowK + i];
      if (factor === 0) continue;
      const rowI = i * n;
      for (let j = start; j < n; j++) q[rowI + j] -= factor * u[j];
    }
  }
  // Transpose in place.
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const swap = q[i * n + j];
      q[i * n + j] = q[j * n + i];
      q[j * n + i] = swap;
    }
  }
  return q;
}

/**
 * Implicit QL iteration with Wilkinson shifts on a symmetric tridiagonal matrix (GvL §8.3.5;
 * Bowdler et al., 1968). On return `diagonal` holds the eigenvalues (unsorted). When `rows` is
 * given (row-major n x n), every Givens rotation acting on the columns (i, i+1) of the
 * eigenvector matrix is applied to rows i and i+1 of `rows`, so rows that start as `Qᵀ` end as
 * the eigenvectors of `Q T Qᵀ` (row i belongs to `diagonal[i]`). `offDiagonal` is destroyed.
 * @internal
 */
export function tridiagonalQl(
  diagonal: Float64Array,
  offDiagonal: Float64Array,
  rows: Float64Array | null,
  n: number,
): void {
  for (let low = 0; low < n; low++) {
    let sweeps = 0;
    for (;;) {
      // The first negligible off-diagonal entry at or after `low` splits the matrix.
      let high = low;
      while (high < n - 1) {
        const size = Math.abs(diagonal[high]) + Math.abs(diagonal[high + 1]);
        if (Math.abs(offDiagonal[high]) <= Number.EPSILON * size) break;
        high++;
      }
      if (high === low) break;
      if (++sweeps > MAX_SWEEPS_PER_VALUE) {
        throw new TlkitError(
          'NUMERICAL_ERROR',
          `symmetricEigen: the QL iteration did not converge for eigenvalue ${low} after ${MAX_SWEEPS_PER_VALUE} sweeps; check the input for extreme scaling.`,
          { index: low },
        );
      }
      // Wilkinson shift: the eigenvalue of the leading 2 x 2 block closer to diagonal[low].
      let g = (diagonal[low + 1] - diagonal[low]) / (2 * offDiagonal[low]);
      let radius = Math.hypot(g, 1);
      g = diagonal[high] - diagonal[low] + offDiagonal[low] / (g + (g >= 0 ? radius : -radius));
      let sine = 1;
      let cosine = 1;
      let shiftAccumulated = 0;
      let underflow = false;
      for (let i = high - 1; i >= low; i--) {
        const f = sine * offDiagonal[i];
        const b = cosine * offDiagonal[i];
        radius = Math.hypot(f, g);
        offDiagonal[i + 1] = radius;
        if (radius === 0) {
          // The bulge vanished: deflate and restart the sweep.
          diagonal[i + 1] -= shiftAccumulated;
          offDiagonal[high] = 0;
          underflow = true;
          break;
        }
        sine = f / radius;
        cosine = g / radius;
        g = diagonal[i + 1] - shiftAccumulated;
        radius = (diagonal[i] - g) * sine + 2 * cosine * b;
        shiftAccumulated = sine * radius;
        diagonal[i + 1] = g + shiftAccumulated;
        g = cosine * radius - b;
        if (rows) {
          const first = i * n;
          const second = first + n;
          for (let column = 0; column < n; column++) {
            const upper = rows[first + column];
            const lower = rows[second + column];
            rows[second + column] = sine * upper + cosine * lower;
            rows[first + column] = cosine * upper - sine * lower;
          }
        }
      }
      if (underflow) continue;
      diagonal[low] -= shiftAccumulated;
      offDiagonal[low] = g;
      offDiagonal[high] = 0;
    }
  }
}
