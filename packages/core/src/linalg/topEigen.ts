/**
 * A few extreme eigenpairs of a large symmetric operator by block thick-restart Lanczos with full
 * reorthogonalisation (thick restart: Wu & Simon, "Thick-restart Lanczos method for large
 * symmetric eigenvalue problems", SIAM J. Matrix Anal. Appl. 22(2), 2000; block Lanczos: Golub &
 * Underwood, 1977, and Golub & Van Loan, Matrix Computations, 4th ed., §10.3.6; restarting is
 * mathematically equivalent to the implicitly restarted Lanczos of Sorensen / ARPACK).
 *
 * Working on a block of vectors at a time turns every operator application and every
 * reorthogonalisation into a matrix product, which runs several times faster per vector than
 * matrix–vector products, and a block of p vectors sees up to p copies of a repeated eigenvalue.
 */
import { TlkitError } from '../errors';
import { Matrix } from '../matrix';
import { createRng } from '../rng';
import type { Rng } from '../rng';
import { GemmWorkspace, gemmAccumulate } from './gemm';
import type { PackedOperand } from './gemm';
import { symmetricEigenUnchecked } from './symmetricEigen';
import { requireFiniteSymmetric, requireInteger, requireMatrix, requirePositive, requireSquare } from './validation';

/** A symmetric linear operator given by its action `x ↦ A x` on vectors of length `n`. */
export interface SymmetricOperator {
  /** The dimension. */
  readonly n: number;
  /** Returns `A x` as a new array of length `n`; must not modify `x`. */
  multiply(x: Float64Array): Float64Array;
  /**
   * Optional and faster: returns `A X` for an `n x p` matrix X (vectors as columns) as a new
   * `n x p` matrix. When present, {@link topEigen} uses it instead of `multiply`.
   */
  multiplyBlock?(x: Matrix): Matrix;
}

/** Options of {@link topEigen}. */
export interface TopEigenOptions {
  /** `'largest'` (algebraically largest, the default) or `'smallest'` (algebraically smallest). */
  readonly which?: 'largest' | 'smallest';
  /**
   * Convergence tolerance: a Ritz pair `(θ, x)` is accepted when `‖A x − θ x‖ ≤ tolerance · ‖A‖`,
   * with `‖A‖` estimated by the largest |Ritz value| seen. Default `1e-10`.
   */
  readonly tolerance?: number;
  /** Maximum number of restart cycles before `NUMERICAL_ERROR`. Default `1000`. */
  readonly maxIterations?: number;
  /** Seed of the random start vector, an integer in `0 … 2^32 − 1` (the result is deterministic for a seed). Default `0`. */
  readonly seed?: number;
  /**
   * Size of the Krylov basis built between restarts (`k < subspaceSize ≤ n`), rounded up to whole
   * blocks. Default `min(n, max(2k + 1, k + 20))` (the ARPACK / SciPy default).
   */
  readonly subspaceSize?: number;
  /**
   * Vectors per Lanczos block (`1 ≤ blockSize ≤ k`-ish; rounded so the basis holds whole blocks).
   * Larger blocks mean fewer, more efficient operator applications, and see repeated eigenvalues
   * of multiplicity up to the block size directly. Default `min(k, 8)`.
   */
  readonly blockSize?: number;
}

/** The result of {@link topEigen}. */
export interface TopEigenResult {
  /** The `k` eigenvalues, most extreme first: descending for `'largest'`, ascending for `'smallest'`. */
  readonly values: Float64Array;
  /** Unit-norm, mutually orthogonal eigenvectors as the `k` COLUMNS of an `n x k` matrix. */
  readonly vectors: Matrix;
  /** Number of operator applications used (vectors, not blocks). */
  readonly multiplications: number;
  /** Number of restart cycles used. */
  readonly restarts: number;
}

/** Below this dimension, or when the Krylov basis would be the whole space, use the dense solver. */
const DENSE_CUTOFF = 64;

/** `out (count x n) = rows (count x n) · A`, i.e. the operator applied to each row. */
type BlockApply = (rows: Float64Array, count: number, out: Float64Array) => void;

/**
 * The `k` largest (or smallest) eigenvalues and eigenvectors of a symmetric matrix or operator.
 * Deterministic for a given `seed`. When `n` is small (≤ 64) or the basis would span the whole
 * space, it falls back to the dense {@link symmetricEigen} (for an operator, by applying it to the
 * `n` unit vectors).
 *
 * Method: block thick-restart Lanczos with full reorthogonalisation (block Gram–Schmidt applied
 * twice), convergence when every wanted Ritz pair has residual `‖A x − θ x‖ ≤ tolerance · ‖A‖`,
 * followed by a short block Lanczos run on the orthogonal complement of the result to catch
 * copies of a repeated eigenvalue that the Krylov space could not see (any found are merged in).
 *
 * Reference: Wu & Simon, SIAM J. Matrix Anal. Appl. 22(2):602–616, 2000 (thick restart);
 * Golub & Van Loan, Matrix Computations, 4th ed., §10.1 and §10.3.6 (block Lanczos).
 *
 * @param a - a symmetric `n x n` {@link Matrix}, or a {@link SymmetricOperator}
 *   `{ n, multiply, multiplyBlock? }`.
 * @param k - how many eigenpairs, `1 ≤ k ≤ n`.
 * @param options - {@link TopEigenOptions}: `which` (default `'largest'`), `tolerance` (default
 *   `1e-10`), `maxIterations` (restart cycles, default `1000`), `seed` (default `0`),
 *   `subspaceSize` (default `min(n, max(2k + 1, k + 20))`), `blockSize` (default `min(k, 8)`).
 * @returns {@link TopEigenResult}.
 * @throws TlkitError `INVALID_ARGUMENT` for a bad `k` or options or a non-symmetric matrix,
 *   `NUMERICAL_ERROR` when it does not converge within `maxIterations` restarts (raise it or
 *   loosen `tolerance`), or when the operator returns non-finite values.
 * @example
 * ```ts
 * const { values, vectors } = topEigen(kernelMatrix, 30, { seed: 7 });
 * // or matrix-free:
 * topEigen({ n: 1000, multiply: (x) => applyMyOperator(x) }, 5, { which: 'smallest' });
 * ```
 */
export function topEigen(a: Matrix | SymmetricOperator, k: number, options: TopEigenOptions = {}): TopEigenResult {
  const routine = 'topEigen';
  let n: number;
  let applyBlock: BlockApply;
  let matrix: Matrix | null = null;
  if (a instanceof Matrix) {
    requireMatrix(a, 'a', routine);
    requireSquare(a, 'a', routine);
    requireFiniteSymmetric([[a, 'a']], routine);
    matrix = a;
    n = a.rows;
    applyBlock = matrixBlockApply(a.data, n);
  } else {
    if (
      typeof a !== 'object' ||
      a === null ||
      typeof a.multiply !== 'function' ||
      typeof a.n !== 'number' ||
      !Number.isInteger(a.n) ||
      a.n < 1
    ) {
      throw new TlkitError(
        'INVALID_ARGUMENT',
        `${routine}: a must be a symmetric Matrix or an operator { n: positive integer, multiply(x), multiplyBlock?(X) }.`,
        { argument: 'a' },
      );
    }
    n = a.n;
    applyBlock = operatorBlockApply(a, n);
  }
  requireInteger(k, 'k', routine, 1, n);
  const which = options.which ?? 'largest';
  if (which !== 'largest' && which !== 'smallest') {
    throw new TlkitError('INVALID_ARGUMENT', `${routine}: options.which must be 'largest' or 'smallest', got ${String(which)}.`, {
      argument: 'options.which',
    });
  }
  const tolerance = options.tolerance ?? 1e-10;
  requirePositive(tolerance, 'options.tolerance', routine);
  const maxIterations = options.maxIterations ?? 1000;
  requireInteger(maxIterations, 'options.maxIterations', routine, 1, Number.MAX_SAFE_INTEGER);
  const seed = options.seed === undefined ? 0 : options.seed;
  requireInteger(seed, 'options.seed', routine, 0, 2 ** 32 - 1);
  const requestedSize = options.subspaceSize ?? Math.min(n, Math.max(2 * k + 1, k + 20));
  requireInteger(requestedSize, 'options.subspaceSize', routine, Math.min(k + 1, n), n);
  const blockSize = options.blockSize ?? Math.min(k, 8);
  requireInteger(blockSize, 'options.blockSize', routine, 1, n);

  const sign = which === 'largest' ? 1 : -1;
  // Whole blocks, and at least two blocks more than k so a restart keeps k and adds one block.
  const subspaceSize = Math.max(roundUp(requestedSize, blockSize), roundUp(k, blockSize) + 2 * blockSize);
  if (n <= DENSE_CUTOFF || subspaceSize >= n) {
    return denseTop(matrix, applyBlock, n, k, sign);
  }
  const counter: Counter = { multiplications: 0, normEstimate: 0 };
  const rng = createRng(seed);
  let found = blockLanczos(applyBlock, n, k, sign, tolerance, maxIterations, rng, subspaceSize, blockSize, new Float64Array(0), 0, counter, false);
  let restarts = found.restarts;
  // Look for eigenvalues the Krylov space could not see (copies of a repeated eigenvalue), and
  // merge in the best of the complement until nothing there beats the k-th value found.
  for (let round = 0; round < MAX_COMPLEMENT_ROUNDS; round++) {
    const probeSize = Math.min(roundUp(PROBE_SIZE, blockSize), Math.floor((n - k) / blockSize) * blockSize);
    if (probeSize < 2 * blockSize) break;
    const probe = blockLanczos(applyBlock, n, 1, sign, tolerance, 0, rng, probeSize, blockSize, found.rows, k, counter, true);
    const margin = Math.max(tolerance, 1e-12) * counter.normEstimate;
    if (!(probe.values[0] > found.values[k - 1] + margin)) break;
    const complementSize = Math.min(subspaceSize, Math.floor((n - k) / blockSize) * blockSize);
    if (complementSize < roundUp(k, blockSize) + 2 * blockSize) break;
    const extra = blockLanczos(applyBlock, n, k, sign, tolerance, maxIterations, rng, complementSize, blockSize, found.rows, k, counter, false);
    restarts += extra.restarts;
    found = mergeRitz(found, extra, k, n);
  }
  const values = new Float64Array(k);
  const vectors = new Matrix(n, k);
  for (let j = 0; j < k; j++) {
    values[j] = sign * found.values[j];
    for (let i = 0; i < n; i++) vectors.data[i * k + j] = found.rows[j * n + i];
  }
  return { values, vectors, multiplications: counter.multiplications, restarts };
}

/** Rounds of "look for a missed eigenvalue, then search the complement" before stopping. */
const MAX_COMPLEMENT_ROUNDS = 20;
/** Basis size of each probe of the complement. */
const PROBE_SIZE = 16;

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

/** Row-major `count x n` transposed into `n x count`, or back. */
function transposeInto(source: Float64Array, rows: number, cols: number, target: Float64Array): void {
  for (let i = 0; i < rows; i++) {
    const offset = i * cols;
    for (let j = 0; j < cols; j++) target[j * rows + i] = source[offset + j];
  }
}

function matrixBlockApply(data: Float64Array, n: number): BlockApply {
  // A is packed once, at the first product, for the whole run; each call then packs only the
  // thin block of vectors.
  let workspace: GemmWorkspace | null = null;
  let packed: PackedOperand | null = null;
  let product = new Float64Array(0);
  return (rows, count, out) => {
    if (!workspace || !packed) {
      workspace = new GemmWorkspace(GemmWorkspace.packedSize(n, n), count);
      packed = workspace.pack(n, n, { data, offset: 0, rowStride: n, colStride: 1 });
    }
    // A · X with X = rowsᵀ (read through transposed strides), then back to rows.
    if (product.length !== n * count) product = new Float64Array(n * count);
    else product.fill(0);
    workspace.multiply(packed, count, 1, { data: rows, offset: 0, rowStride: 1, colStride: n }, product, 0, count);
    transposeInto(product, n, count, out);
  };
}

function operatorBlockApply(operator: SymmetricOperator, n: number): BlockApply {
  const mismatch = (what: string) =>
    new TlkitError('DIMENSION_MISMATCH', `topEigen: ${what}; it must return n values per vector (n = ${n}).`, { argument: 'a' });
  if (typeof operator.multiplyBlock === 'function') {
    const multiplyBlock = operator.multiplyBlock.bind(operator);
    return (rows, count, out) => {
      const input = new Matrix(n, count);
      transposeInto(rows, count, n, input.data);
      const result = multiplyBlock(input);
      if (!(result instanceof Matrix) || result.rows !== n || result.cols !== count) {
        throw mismatch(`a.multiplyBlock returned ${result instanceof Matrix ? `${result.rows} x ${result.cols}` : String(result)} for a ${n} x ${count} input`);
      }
      transposeInto(result.data, n, count, out);
    };
  }
  return (rows, count, out) => {
    for (let r = 0; r < count; r++) {
      const result = operator.multiply(rows.slice(r * n, (r + 1) * n));
      if (!result || result.length !== n) throw mismatch(`a.multiply returned ${result ? result.length : String(result)} values`);
      out.set(result, r * n);
    }
  };
}

/** Dense fallback: build the matrix if needed, full eigendecomposition, keep the k extreme pairs. */
function denseTop(matrix: Matrix | null, applyBlock: BlockApply, n: number, k: number, sign: number): TopEigenResult {
  let data: Float64Array;
  if (matrix) {
    data = matrix.data;
  } else {
    // Rows of the identity through the operator give the rows of A (A is symmetric).
    const identity = new Float64Array(n * n);
    for (let i = 0; i < n; i++) identity[i * n + i] = 1;
    data = new Float64Array(n * n);
    applyBlock(identity, n, data);
    requireFiniteResult(data);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const mean = 0.5 * (data[i * n + j] + data[j * n + i]);
        data[i * n + j] = mean;
        data[j * n + i] = mean;
      }
    }
  }
  const { values, vectors } = symmetricEigenUnchecked(data, n, true);
  const outValues = new Float64Array(k);
  const outVectors = new Matrix(n, k);
  for (let j = 0; j < k; j++) {
    const source = sign > 0 ? j : n - 1 - j;
    outValues[j] = values[source];
    for (let i = 0; i < n; i++) outVectors.data[i * k + j] = vectors.data[i * n + source];
  }
  return { values: outValues, vectors: outVectors, multiplications: matrix ? 0 : n, restarts: 0 };
}

function requireFiniteResult(values: Float64Array): void {
  for (let index = 0; index < values.length; index++) {
    if (!Number.isFinite(values[index])) {
      throw new TlkitError(
        'NUMERICAL_ERROR',
        `topEigen: the operator returned a non-finite value (${values[index]}); check the matrix or operator for NaN/Infinity or a failed inner solve.`,
        { index },
      );
    }
  }
}

/** Ritz pairs of `sign · A`, as rows. */
interface RitzRows {
  /** Ritz values of `sign · A`, descending. */
  readonly values: Float64Array;
  /** The Ritz vectors as rows (count x n). */
  readonly rows: Float64Array;
  readonly restarts: number;
}

/** Operator applications and the running estimate of ‖A‖ across the runs of one call. */
interface Counter {
  multiplications: number;
  normEstimate: number;
}

/**
 * Block thick-restart Lanczos on `sign · A` restricted to the orthogonal complement of the
 * `lockedCount` rows of `locked` (so the wanted end is always the largest).
 *
 * Storage: `all` holds the locked rows, then the m Lanczos rows, then room for the next block.
 * `projected` is `Vᵀ (sign·A) V` (m x m), filled from the Gram–Schmidt coefficients, so it is the
 * exact Rayleigh quotient of the basis. With `probe`, one cycle is run and its Ritz values are
 * returned whether converged or not.
 */
function blockLanczos(
  applyBlock: BlockApply,
  n: number,
  k: number,
  sign: number,
  tolerance: number,
  maxIterations: number,
  rng: Rng,
  m: number,
  p: number,
  locked: Float64Array,
  lockedCount: number,
  counter: Counter,
  probe: boolean,
): RitzRows {
  const base = lockedCount;
  const all = new Float64Array((base + m + p) * n);
  all.set(locked.subarray(0, base * n), 0);
  const projected = new Float64Array(m * m);
  const w = new Float64Array(p * n);
  const coefficients = new Float64Array(p * (base + m + p));
  const r = new Float64Array(p * p); // the block's R factor: W = Q R
  const lastR = new Float64Array(p * p);

  startBlock(rng, all, base, p, n);
  let kept = 0;
  let keptValues = new Float64Array(0);
  let couplings = new Float64Array(0); // p x kept: (R_last Y_last)[row][i]

  for (let restart = 0; ; restart++) {
    projected.fill(0);
    for (let i = 0; i < kept; i++) {
      projected[i * m + i] = keptValues[i];
      for (let row = 0; row < p; row++) {
        projected[(kept + row) * m + i] = couplings[row * kept + i];
        projected[i * m + kept + row] = couplings[row * kept + i];
      }
    }
    for (let j = kept; j < m; j += p) {
      // W = rows j..j+p-1 through the operator.
      applyBlock(all.subarray((base + j) * n, (base + j + p) * n), p, w);
      counter.multiplications += p;
      if (sign < 0) for (let index = 0; index < w.length; index++) w[index] = -w[index];
      requireFiniteResult(w);
      // Block classical Gram–Schmidt against everything so far, twice. The coefficients of the
      // Lanczos rows are the new columns of Vᵀ A V.
      const count = base + j + p;
      for (let pass = 0; pass < 2; pass++) {
        blockProject(all, count, n, w, p, coefficients);
        for (let row = 0; row < p; row++) {
          for (let i = 0; i < j + p; i++) {
            const value = coefficients[row * count + base + i];
            if (pass === 0) projected[i * m + j + row] = value;
            else projected[i * m + j + row] += value;
          }
        }
      }
      // QR of the remainder: the next block and its R.
      const nextRow = base + j + p;
      orthonormalizeBlock(w, p, n, r, all, nextRow, rng, counter);
      for (let index = 0; index < p * n; index++) all[nextRow * n + index] = w[index];
      if (j + p < m) {
        for (let row = 0; row < p; row++) {
          for (let column = 0; column < p; column++) projected[(j + p + row) * m + j + column] = r[row * p + column];
        }
      } else {
        lastR.set(r);
      }
    }
    // Symmetrise the Rayleigh quotient (its two halves come from different coefficients).
    for (let i = 0; i < m; i++) {
      for (let j = i + 1; j < m; j++) {
        const mean = 0.5 * (projected[i * m + j] + projected[j * m + i]);
        projected[i * m + j] = mean;
        projected[j * m + i] = mean;
      }
    }
    const { values: ritzValues, vectors: ritzVectors } = symmetricEigenUnchecked(projected, m, true);
    const y = ritzVectors.data;
    for (let i = 0; i < m; i++) counter.normEstimate = Math.max(counter.normEstimate, Math.abs(ritzValues[i]));
    if (probe) return { values: ritzValues.slice(0, k), rows: new Float64Array(0), restarts: 0 };
    // Residual of Ritz pair i: ‖R_last · y_i(last block)‖.
    const residual = (i: number) => {
      let sum = 0;
      for (let row = 0; row < p; row++) {
        let value = 0;
        for (let column = row; column < p; column++) value += lastR[row * p + column] * y[(m - p + column) * m + i];
        sum += value * value;
      }
      return Math.sqrt(sum);
    };
    const limit = tolerance * counter.normEstimate;
    let converged = 0;
    while (converged < k && residual(converged) <= limit) converged++;
    if (converged >= k) {
      return { values: ritzValues.slice(0, k), rows: combineRows(all, base, y, m, n, k), restarts: restart };
    }
    if (restart >= maxIterations) {
      throw new TlkitError(
        'NUMERICAL_ERROR',
        `topEigen: only ${converged} of ${k} eigenpairs converged after ${maxIterations} restarts (tolerance ${tolerance}); raise options.maxIterations or options.subspaceSize, or loosen options.tolerance.`,
        { converged, requested: k, restarts: restart },
      );
    }
    // Thick restart: keep the leading Ritz vectors (more than k speeds convergence; m − keep is a
    // whole number of blocks), and continue from the last block, orthogonal to all of them.
    const target = Math.max(k + converged, k + Math.floor((m - k) / 2));
    const keep = Math.max(m - p * Math.ceil((m - target) / p), 0);
    const keepCount = Math.min(keep, m - p);
    const newRows = combineRows(all, base, y, m, n, keepCount);
    all.copyWithin((base + keepCount) * n, (base + m) * n, (base + m + p) * n);
    all.set(newRows, base * n);
    keptValues = ritzValues.slice(0, keepCount);
    couplings = new Float64Array(p * keepCount);
    for (let row = 0; row < p; row++) {
      for (let i = 0; i < keepCount; i++) {
        let value = 0;
        for (let column = row; column < p; column++) value += lastR[row * p + column] * y[(m - p + column) * m + i];
        couplings[row * keepCount + i] = value;
      }
    }
    kept = keepCount;
  }
}

/**
 * `W ← W − C V` with `C = W Vᵀ` over the first `count` rows of `all` (both as matrix products);
 * `coefficients` receives C (p x count).
 */
function blockProject(all: Float64Array, count: number, n: number, w: Float64Array, p: number, coefficients: Float64Array): void {
  coefficients.fill(0, 0, p * count);
  gemmAccumulate(
    p,
    count,
    n,
    1,
    { data: w, offset: 0, rowStride: n, colStride: 1 },
    { data: all, offset: 0, rowStride: 1, colStride: n },
    coefficients,
    0,
    count,
  );
  gemmAccumulate(
    p,
    n,
    count,
    -1,
    { data: coefficients, offset: 0, rowStride: count, colStride: 1 },
    { data: all, offset: 0, rowStride: n, colStride: 1 },
    w,
    0,
    n,
  );
}

/**
 * In place: the p rows of `w` become orthonormal (Gram–Schmidt twice, row by row) with
 * `w_original = R ᵀ`-style coefficients stored so that `W_original = Rᵀ Q` row-wise, i.e.
 * `r[row][column]` is the coefficient of q_row in w_column. A row that vanishes (the Krylov space
 * is invariant) is replaced by a random unit vector orthogonal to all rows of `all` before
 * `nextRow` and to the previous rows of `w`; its R column gets a zero diagonal.
 */
function orthonormalizeBlock(
  w: Float64Array,
  p: number,
  n: number,
  r: Float64Array,
  all: Float64Array,
  nextRow: number,
  rng: Rng,
  counter: Counter,
): void {
  r.fill(0);
  for (let column = 0; column < p; column++) {
    const offset = column * n;
    let before = 0;
    for (let index = 0; index < n; index++) before += w[offset + index] * w[offset + index];
    for (let pass = 0; pass < 2; pass++) {
      for (let row = 0; row < column; row++) {
        let dot = 0;
        for (let index = 0; index < n; index++) dot += w[row * n + index] * w[offset + index];
        r[row * p + column] += dot;
        for (let index = 0; index < n; index++) w[offset + index] -= dot * w[row * n + index];
      }
    }
    let norm = 0;
    for (let index = 0; index < n; index++) norm += w[offset + index] * w[offset + index];
    if (norm < 0.25 * before) {
      // Heavy cancellation: rounding in what is left may point back into the basis. One more
      // pass against the basis and this block's previous rows restores orthogonality (the
      // criterion of Daniel, Gragg, Kaufman & Stewart, Math. Comp. 30, 1976).
      for (let row = 0; row < nextRow; row++) subtractProjection(w, offset, all, row * n, n);
      for (let row = 0; row < column; row++) r[row * p + column] += subtractProjection(w, offset, w, row * n, n);
      norm = 0;
      for (let index = 0; index < n; index++) norm += w[offset + index] * w[offset + index];
    }
    norm = Math.sqrt(norm);
    counter.normEstimate = Math.max(counter.normEstimate, norm);
    if (norm <= 1e-12 * counter.normEstimate) {
      // Invariant subspace: a fresh direction, orthogonal to the basis and to this block so far.
      randomOrthogonalRow(rng, w, column, n, all, nextRow);
      r[column * p + column] = 0;
    } else {
      r[column * p + column] = norm;
      const inverse = 1 / norm;
      for (let index = 0; index < n; index++) w[offset + index] *= inverse;
    }
  }
}

function randomOrthogonalRow(rng: Rng, w: Float64Array, column: number, n: number, all: Float64Array, basisRows: number): void {
  const offset = column * n;
  for (let attempt = 0; attempt < 10; attempt++) {
    for (let index = 0; index < n; index++) w[offset + index] = rng.normal();
    for (let pass = 0; pass < 2; pass++) {
      for (let row = 0; row < basisRows; row++) subtractProjection(w, offset, all, row * n, n);
      for (let row = 0; row < column; row++) subtractProjection(w, offset, w, row * n, n);
    }
    let norm = 0;
    for (let index = 0; index < n; index++) norm += w[offset + index] * w[offset + index];
    norm = Math.sqrt(norm);
    if (norm > 1e-8) {
      for (let index = 0; index < n; index++) w[offset + index] /= norm;
      return;
    }
  }
  throw new TlkitError('NUMERICAL_ERROR', 'topEigen: could not extend the Krylov basis (the space is exhausted).');
}

/** `target[t..] −= (target · source) source` for unit `source`; returns the coefficient. */
function subtractProjection(target: Float64Array, targetOffset: number, source: Float64Array, sourceOffset: number, n: number): number {
  let dot = 0;
  for (let index = 0; index < n; index++) dot += target[targetOffset + index] * source[sourceOffset + index];
  for (let index = 0; index < n; index++) target[targetOffset + index] -= dot * source[sourceOffset + index];
  return dot;
}

/** p seeded random orthonormal rows at row `row` of `all`, orthogonal to its first `row` rows. */
function startBlock(rng: Rng, all: Float64Array, row: number, p: number, n: number): void {
  const block = all.subarray(row * n, (row + p) * n);
  for (let column = 0; column < p; column++) randomOrthogonalRow(rng, block, column, n, all, row);
}

/** The k largest of two sets of Ritz pairs (rows), descending. */
function mergeRitz(first: RitzRows, second: RitzRows, k: number, n: number): RitzRows {
  const values = new Float64Array(k);
  const rows = new Float64Array(k * n);
  let i = 0;
  let j = 0;
  for (let out = 0; out < k; out++) {
    const takeFirst = j >= second.values.length || (i < first.values.length && first.values[i] >= second.values[j]);
    const source = takeFirst ? first : second;
    const index = takeFirst ? i++ : j++;
    values[out] = source.values[index];
    rows.set(source.rows.subarray(index * n, (index + 1) * n), out * n);
  }
  return { values, rows, restarts: first.restarts + second.restarts };
}

/** Rows `0..count-1` of `Yᵀ V`: the Ritz vectors `Σ_i Y[i][j] v_i` for the first `count` columns of Y (m x m). */
function combineRows(all: Float64Array, base: number, y: Float64Array, m: number, n: number, count: number): Float64Array {
  const out = new Float64Array(count * n);
  gemmAccumulate(
    count,
    n,
    m,
    1,
    { data: y, offset: 0, rowStride: 1, colStride: m },
    { data: all, offset: base * n, rowStride: n, colStride: 1 },
    out,
    0,
    n,
  );
  return out;
}
