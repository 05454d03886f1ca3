/**
 * Thin singular value decomposition `X = U Σ Vᵀ` through the eigendecomposition of the smaller
 * Gram matrix (`XᵀX` when X is tall, `X Xᵀ` when wide), followed by re-orthogonalisation of the
 * recovered factor (Golub & Van Loan, Matrix Computations, 4th ed., §8.6.1 on the relation
 * between the SVD and the symmetric eigenproblem; §5.2.8 for Gram–Schmidt).
 *
 * Accuracy: squaring X squares its condition number. Singular values are accurate to about
 * `ε · σ₁² / σᵢ` in absolute terms, so values below roughly `√ε · σ₁ ≈ 1.5e-8 · σ₁` carry no
 * reliable digits; they are dropped from the default rank. The returned U and V are orthonormal
 * to about `1e-13`; for well-separated σᵢ above that threshold, `X V ≈ U Σ` to about `ε · σ₁`.
 */
import { TlkitError } from '../errors';
import { Matrix } from '../matrix';
import { gram, matmul, matmulTransposeA } from './products';
import { symmetricEigenUnchecked } from './symmetricEigen';
import { topEigen } from './topEigen';
import { requireFinite, requireInteger, requireMatrix } from './validation';

/** Options of {@link thinSvd}. */
export interface ThinSvdOptions {
  /**
   * How many leading singular triplets to return, `1 ≤ rank ≤ min(n, d)`. Default: every
   * singular value above `√(max(n, d) · ε) · σ₁` (the ones the Gram approach resolves).
   */
  readonly rank?: number;
}

/** The result of {@link thinSvd}: `X ≈ U diag(S) Vᵀ`. */
export interface ThinSvdResult {
  /** `n x r`, orthonormal columns (left singular vectors). */
  readonly U: Matrix;
  /** The `r` singular values, descending. */
  readonly S: Float64Array;
  /** `d x r`, orthonormal columns (right singular vectors). */
  readonly V: Matrix;
}

/**
 * The leading singular triplets of an `n x d` matrix of either shape, `X ≈ U diag(S) Vᵀ`.
 *
 * Reference: Golub & Van Loan, Matrix Computations, 4th ed., §8.6.1.
 *
 * @param x - an `n x d` matrix (tall or wide).
 * @param options - {@link ThinSvdOptions}: `rank` (default: the numerical rank as seen through the
 *   Gram matrix, see the module notes on accuracy).
 * @returns {@link ThinSvdResult} with `r = rank` columns.
 * @throws TlkitError `INVALID_ARGUMENT` for a bad `rank` or an all-zero `x` with no `rank`,
 *   `NON_FINITE_INPUT` on NaN/Infinity.
 * @example
 * ```ts
 * const { U, S, V } = thinSvd(Matrix.fromRows([[3, 0], [0, 4], [0, 0]]));
 * S; // Float64Array [4, 3]
 * ```
 */
export function thinSvd(x: Matrix, options: ThinSvdOptions = {}): ThinSvdResult {
  const routine = 'thinSvd';
  requireMatrix(x, 'x', routine);
  const { rows: n, cols: d } = x;
  const size = Math.min(n, d);
  if (size === 0) {
    throw new TlkitError('INVALID_ARGUMENT', `${routine}: x is ${n} x ${d}; it needs at least one row and one column.`, { argument: 'x' });
  }
  if (options.rank !== undefined) requireInteger(options.rank, 'options.rank', routine, 1, size);
  requireFinite(x.data, 'x', routine);
  const tall = n >= d;
  // The smaller Gram matrix: XᵀX (d x d) when tall, X Xᵀ = (Xᵀ)ᵀ(Xᵀ) (n x n) when wide.
  const g = tall ? gram(x) : gram(x.transpose());
  let values: Float64Array;
  let vectors: Matrix; // eigenvectors of g as columns (size x count)
  if (options.rank !== undefined && 3 * options.rank < size && size > 64) {
    const top = topEigen(g, options.rank, { tolerance: 1e-12 });
    values = top.values;
    vectors = top.vectors;
  } else {
    const full = symmetricEigenUnchecked(g.data, size, true);
    values = full.values;
    vectors = full.vectors;
  }
  const largest = Math.sqrt(Math.max(values[0], 0));
  let rank = options.rank;
  if (rank === undefined) {
    const threshold = Math.sqrt(Math.max(n, d) * Number.EPSILON) * largest;
    rank = 0;
    while (rank < size && Math.sqrt(Math.max(values[rank], 0)) > threshold) rank++;
    if (rank === 0) {
      throw new TlkitError('INVALID_ARGUMENT', `${routine}: x is zero (numerically), so it has no singular vectors; pass options.rank to force some.`, {
        argument: 'x',
      });
    }
  }
  const singularValues = new Float64Array(rank);
  const known = new Matrix(size, rank); // the factor from the eigenvectors (V if tall, U if wide)
  for (let j = 0; j < rank; j++) {
    singularValues[j] = Math.sqrt(Math.max(values[j], 0));
    for (let i = 0; i < size; i++) known.data[i * rank + j] = vectors.data[i * vectors.cols + j];
  }
  // The other factor: U = X V Σ⁻¹ (tall) or V = Xᵀ U Σ⁻¹ (wide), then re-orthogonalised.
  const other = tall ? matmul(x, known) : matmulTransposeA(x, known);
  const otherRows = other.rows;
  for (let j = 0; j < rank; j++) {
    const scale = singularValues[j] > 0 ? 1 / singularValues[j] : 0;
    for (let i = 0; i < otherRows; i++) other.data[i * rank + j] *= scale;
  }
  orthonormalizeColumns(other);
  orthonormalizeColumns(known);
  return tall ? { U: other, S: singularValues, V: known } : { U: known, S: singularValues, V: other };
}

/**
 * Orthonormalises the columns of `m` in place, in order, by classical Gram–Schmidt applied twice
 * (Giraud, Langou & Rozložník, Comput. Math. Appl. 50, 2005). A column that vanishes (from a zero
 * singular value) is replaced by a unit vector orthogonal to the previous ones.
 */
function orthonormalizeColumns(m: Matrix): void {
  const { rows, cols } = m;
  const columns = m.transpose(); // rows of `columns` = columns of m, contiguous
  const c = columns.data;
  const coefficients = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    const offset = j * rows;
    let originalNorm = 0;
    for (let i = 0; i < rows; i++) originalNorm += c[offset + i] ** 2;
    originalNorm = Math.sqrt(originalNorm);
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < j; p++) {
        let dot = 0;
        for (let i = 0; i < rows; i++) dot += c[p * rows + i] * c[offset + i];
        coefficients[p] = dot;
      }
      for (let p = 0; p < j; p++) {
        const coefficient = coefficients[p];
        for (let i = 0; i < rows; i++) c[offset + i] -= coefficient * c[p * rows + i];
      }
    }
    let norm = 0;
    for (let i = 0; i < rows; i++) norm += c[offset + i] ** 2;
    norm = Math.sqrt(norm);
    if (norm <= 1e-8 * Math.max(originalNorm, 1e-300) || norm === 0) {
      // Replace with the first coordinate vector that is not in the span so far.
      for (let basisIndex = 0; basisIndex < rows; basisIndex++) {
        c.fill(0, offset, offset + rows);
        c[offset + basisIndex] = 1;
        for (let pass = 0; pass < 2; pass++) {
          for (let p = 0; p < j; p++) {
            let dot = 0;
            for (let i = 0; i < rows; i++) dot += c[p * rows + i] * c[offset + i];
            for (let i = 0; i < rows; i++) c[offset + i] -= dot * c[p * rows + i];
          }
        }
        norm = 0;
        for (let i = 0; i < rows; i++) norm += c[offset + i] ** 2;
        norm = Math.sqrt(norm);
        if (norm > 0.5) break;
      }
    }
    for (let i = 0; i < rows; i++) c[offset + i] /= norm;
  }
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) m.data[i * cols + j] = c[j * rows + i];
}
