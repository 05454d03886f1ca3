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
import { gemmAccumulate } from './gemm';
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
  if (options.rank !== undefined && 4 * options.rank < size && size > 64) {
    // A Krylov basis of about 4 · rank (twice SciPy's default) needs far fewer restarts when the
    // leading singular values are not well separated (e.g. a 2081 x 800 Gaussian: 7 vs 36).
    const subspaceSize = Math.min(size, Math.max(4 * options.rank, options.rank + 32));
    const top = topEigen(g, options.rank, { tolerance: 1e-12, subspaceSize });
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
  // The eigenvectors are orthonormal already (to ~ε·n); only the recovered factor needs it.
  orthonormalizeColumns(other);
  return tall ? { U: other, S: singularValues, V: known } : { U: known, S: singularValues, V: other };
}

/** Columns per base block of the recursive orthonormalisation (plain Gram–Schmidt inside). */
const BASE_COLUMNS = 8;

/**
 * Orthonormalises the columns of `m` in place, in order (column j keeps its direction as far as
 * the earlier columns allow), by recursive block classical Gram–Schmidt with reorthogonalisation:
 * orthonormalise the first half of the columns, project the second half against it (two matrix
 * products), recurse on the second half; blocks of up to 8 columns use column-by-column Gram–
 * Schmidt. A block (or column) is projected a second time only when the first pass removed more than
 * half of some column's squared norm (the criterion of Daniel, Gragg, Kaufman & Stewart, Math.
 * Comp. 30, 1976; "twice is enough": Giraud, Langou & Rozložník, Comput. Math. Appl. 50, 2005),
 * and after heavy cancellation (below a quarter) once more against every earlier column. A column that vanishes (from a zero singular
 * value) is replaced by a unit vector orthogonal to the previous ones.
 */
function orthonormalizeColumns(m: Matrix): void {
  const { rows, cols } = m;
  const columns = m.transpose(); // row j of `columns` = column j of m, contiguous
  const c = columns.data;
  const originalNorms = new Float64Array(cols);
  for (let j = 0; j < cols; j++) originalNorms[j] = Math.sqrt(squaredNorm(c, j * rows, rows));
  orthonormalizeRows(c, rows, 0, cols, originalNorms);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) m.data[i * cols + j] = c[j * rows + i];
}

function squaredNorm(c: Float64Array, offset: number, length: number): number {
  let sum = 0;
  for (let i = 0; i < length; i++) sum += c[offset + i] * c[offset + i];
  return sum;
}

/** Rows `low..high` of `c` (each of length `length`) made orthonormal and orthogonal to rows `0..low`. */
function orthonormalizeRows(c: Float64Array, length: number, low: number, high: number, originalNorms: Float64Array): void {
  const size = high - low;
  if (size <= BASE_COLUMNS) {
    for (let j = low; j < high; j++) orthonormalizeRow(c, length, low, j, originalNorms[j]);
    return;
  }
  const middle = low + (size >> 1);
  orthonormalizeRows(c, length, low, middle, originalNorms);
  const before = new Float64Array(high - middle);
  for (let j = middle; j < high; j++) before[j - middle] = squaredNorm(c, j * length, length);
  // One pass leaves the rows orthogonal to ~ε unless it removed most of a row; then a second pass
  // ("twice is enough"), and after heavy cancellation one more against every earlier row, since
  // the rounding left behind may point anywhere in the span so far.
  projectRows(c, length, low, middle, middle, high);
  if (anyDropBelow(c, length, middle, high, before, 0.5)) {
    projectRows(c, length, low, middle, middle, high);
    if (anyDropBelow(c, length, middle, high, before, 0.25)) projectRows(c, length, 0, middle, middle, high);
  }
  orthonormalizeRows(c, length, middle, high, originalNorms);
}

/** Whether some row `j` of `first..end` has squared norm below `fraction · before[j − first]`. */
function anyDropBelow(c: Float64Array, length: number, first: number, end: number, before: Float64Array, fraction: number): boolean {
  for (let j = first; j < end; j++) if (squaredNorm(c, j * length, length) < fraction * before[j - first]) return true;
  return false;
}

/** Rows `target..targetEnd` ← themselves minus their projection on the orthonormal rows `source..sourceEnd` (two products). */
function projectRows(c: Float64Array, length: number, source: number, sourceEnd: number, target: number, targetEnd: number): void {
  const count = sourceEnd - source;
  const blockRows = targetEnd - target;
  if (count === 0 || blockRows === 0) return;
  const coefficients = new Float64Array(blockRows * count);
  // coefficients = T Sᵀ, then T −= coefficients · S.
  gemmAccumulate(
    blockRows,
    count,
    length,
    1,
    { data: c, offset: target * length, rowStride: length, colStride: 1 },
    { data: c, offset: source * length, rowStride: 1, colStride: length },
    coefficients,
    0,
    count,
  );
  gemmAccumulate(
    blockRows,
    length,
    count,
    -1,
    { data: coefficients, offset: 0, rowStride: count, colStride: 1 },
    { data: c, offset: source * length, rowStride: length, colStride: 1 },
    c,
    target * length,
    length,
  );
}

/** Row j against rows `blockStart..j` (again if that removed over half its squared norm), with the cancellation and vanishing checks, then normalised. */
function orthonormalizeRow(c: Float64Array, length: number, blockStart: number, j: number, originalNorm: number): void {
  const offset = j * length;
  const before = squaredNorm(c, offset, length);
  for (let p = blockStart; p < j; p++) subtractRowProjection(c, offset, p * length, length);
  let norm = Math.sqrt(squaredNorm(c, offset, length));
  if (norm * norm < 0.5 * before) {
    for (let p = blockStart; p < j; p++) subtractRowProjection(c, offset, p * length, length);
    norm = Math.sqrt(squaredNorm(c, offset, length));
    if (norm * norm < 0.25 * before && j > 0) {
      for (let p = 0; p < j; p++) subtractRowProjection(c, offset, p * length, length);
      norm = Math.sqrt(squaredNorm(c, offset, length));
    }
  }
  if (norm <= 1e-8 * Math.max(originalNorm, 1e-300) || norm === 0) {
    // Replace with the first coordinate vector that is not in the span so far.
    for (let basisIndex = 0; basisIndex < length; basisIndex++) {
      c.fill(0, offset, offset + length);
      c[offset + basisIndex] = 1;
      for (let pass = 0; pass < 2; pass++) {
        for (let p = 0; p < j; p++) subtractRowProjection(c, offset, p * length, length);
      }
      norm = Math.sqrt(squaredNorm(c, offset, length));
      if (norm > 0.5) break;
    }
  }
  const inverse = 1 / norm;
  for (let i = 0; i < length; i++) c[offset + i] *= inverse;
}

/** `c[target..] −= (c[target..] · c[source..]) c[source..]` for a unit source row. */
function subtractRowProjection(c: Float64Array, target: number, source: number, length: number): void {
  let dot = 0;
  for (let i = 0; i < length; i++) dot += c[source + i] * c[target + i];
  if (dot === 0) return;
  for (let i = 0; i < length; i++) c[target + i] -= dot * c[source + i];
}
