/**
 * A few extreme eigenpairs of a large symmetric operator by thick-restart Lanczos with full
 * reorthogonalisation (Wu & Simon, "Thick-restart Lanczos method for large symmetric eigenvalue
 * problems", SIAM J. Matrix Anal. Appl. 22(2), 2000; the Lanczos process itself: Golub & Van Loan,
 * Matrix Computations, 4th ed., §10.1; restarting is mathematically equivalent to the implicitly
 * restarted Lanczos of Sorensen / ARPACK).
 */
import { TlkitError } from '../errors';
import { Matrix } from '../matrix';
import { createRng } from '../rng';
import type { Rng } from '../rng';
import { gemmAccumulate } from './gemm';
import { matvecInto } from './products';
import { symmetricEigenUnchecked } from './symmetricEigen';
import { requireFinite, requireInteger, requireMatrix, requirePositive, requireSquare, requireSymmetric } from './validation';

/** A symmetric linear operator given by its action `x ↦ A x` on vectors of length `n`. */
export interface SymmetricOperator {
  /** The dimension. */
  readonly n: number;
  /** Returns `A x` (a new array of length `n`, or `x`-sized output); must not modify `x`. */
  multiply(x: Float64Array): Float64Array;
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
  /** Seed of the random start vector (the result is deterministic for a seed). Default `0`. */
  readonly seed?: number;
  /**
   * Size of the Krylov basis kept between restarts (`k < subspaceSize ≤ n`).
   * Default `min(n, max(2k + 1, k + 20))` (the ARPACK / SciPy default).
   */
  readonly subspaceSize?: number;
}

/** The result of {@link topEigen}. */
export interface TopEigenResult {
  /** The `k` eigenvalues, most extreme first: descending for `'largest'`, ascending for `'smallest'`. */
  readonly values: Float64Array;
  /** Unit-norm, mutually orthogonal eigenvectors as the `k` COLUMNS of an `n x k` matrix. */
  readonly vectors: Matrix;
  /** Number of operator applications used. */
  readonly multiplications: number;
  /** Number of restart cycles used. */
  readonly restarts: number;
}

/** Below this dimension, or when the Krylov basis would be the whole space, use the dense solver. */
const DENSE_CUTOFF = 64;

/**
 * The `k` largest (or smallest) eigenvalues and eigenvectors of a symmetric matrix or operator.
 * Deterministic for a given `seed`. When `n` is small (≤ 64) or the basis would span the whole
 * space, it falls back to the dense {@link symmetricEigen} (for an operator, by applying it to the
 * `n` unit vectors).
 *
 * Reference: Wu & Simon, SIAM J. Matrix Anal. Appl. 22(2):602–616, 2000 (thick restart);
 * Golub & Van Loan, Matrix Computations, 4th ed., §10.1 (Lanczos with full reorthogonalisation).
 *
 * @param a - a symmetric `n x n` {@link Matrix}, or a {@link SymmetricOperator} `{ n, multiply }`.
 * @param k - how many eigenpairs, `1 ≤ k ≤ n`.
 * @param options - {@link TopEigenOptions}: `which` (default `'largest'`), `tolerance` (default
 *   `1e-10`), `maxIterations` (restart cycles, default `1000`), `seed` (default `0`),
 *   `subspaceSize` (default `min(n, max(2k + 1, k + 20))`).
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
  let operatorN: number;
  let multiply: (x: Float64Array, out: Float64Array) => void;
  let matrix: Matrix | null = null;
  if (a instanceof Matrix) {
    requireMatrix(a, 'a', routine);
    requireSquare(a, 'a', routine);
    requireFinite(a.data, 'a', routine);
    requireSymmetric(a, 'a', routine);
    matrix = a;
    operatorN = a.rows;
    const data = a.data;
    multiply = (x, out) => matvecInto(data, operatorN, operatorN, x, out);
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
        `${routine}: a must be a symmetric Matrix or an operator { n: positive integer, multiply(x) }.`,
        { argument: 'a' },
      );
    }
    operatorN = a.n;
    const operator = a;
    multiply = (x, out) => {
      const result = operator.multiply(x);
      if (!result || result.length !== operatorN) {
        throw new TlkitError(
          'DIMENSION_MISMATCH',
          `${routine}: a.multiply returned ${result ? result.length : String(result)} values for a vector of length ${operatorN}; it must return n values.`,
          { argument: 'a' },
        );
      }
      out.set(result);
    };
  }
  const n = operatorN;
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
  const seed = options.seed ?? 0;
  requireInteger(seed, 'options.seed', routine, -(2 ** 31), 2 ** 32 - 1);
  const subspaceSize = options.subspaceSize ?? Math.min(n, Math.max(2 * k + 1, k + 20));
  requireInteger(subspaceSize, 'options.subspaceSize', routine, Math.min(k + 1, n), n);

  const sign = which === 'largest' ? 1 : -1;
  if (n <= DENSE_CUTOFF || subspaceSize >= n) {
    return denseTop(matrix, multiply, n, k, sign);
  }
  return lanczosWithMultiplicityCheck(multiply, n, k, sign, tolerance, maxIterations, createRng(seed), subspaceSize);
}

/** Rounds of "look for a missed copy, then search the complement" before giving up. */
const MAX_COMPLEMENT_ROUNDS = 20;
/** Lanczos steps of each check for a missed eigenvalue. */
const CHECK_STEPS = 12;

/**
 * Thick-restart Lanczos, then a check for eigenvalues it cannot see: a single start vector spans
 * only one direction of each eigenspace, so copies of a repeated eigenvalue can be missed. A short
 * Lanczos run on the complement of the k found vectors estimates the largest remaining eigenvalue;
 * if it beats the k-th found one, the complement is searched and the two sets merged (the
 * eigenpairs of the deflated operator are eigenpairs of A), until nothing better is left.
 */
function lanczosWithMultiplicityCheck(
  multiply: (x: Float64Array, out: Float64Array) => void,
  n: number,
  k: number,
  sign: number,
  tolerance: number,
  maxIterations: number,
  rng: Rng,
  m: number,
): TopEigenResult {
  const counter: MultiplyCounter = { multiplications: 0, normEstimate: 0 };
  let found = thickRestartLanczos(multiply, n, k, sign, tolerance, maxIterations, rng, m, new Float64Array(0), 0, counter);
  let restarts = found.restarts;
  for (let round = 0; round < MAX_COMPLEMENT_ROUNDS && n - k > 0; round++) {
    const steps = Math.min(CHECK_STEPS, n - k);
    const best = complementLargestRitzValue(multiply, n, sign, rng, found.rows, k, steps, counter);
    const margin = Math.max(tolerance, 1e-12) * counter.normEstimate;
    if (!(best > found.values[k - 1] + margin)) break;
    const complementSize = Math.min(m, n - k);
    if (complementSize <= k) break;
    const extra = thickRestartLanczos(multiply, n, k, sign, tolerance, maxIterations, rng, complementSize, found.rows, k, counter);
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

/** Dense fallback: build the matrix if needed, full eigendecomposition, keep the k extreme pairs. */
function denseTop(
  matrix: Matrix | null,
  multiply: (x: Float64Array, out: Float64Array) => void,
  n: number,
  k: number,
  sign: number,
): TopEigenResult {
  let data: Float64Array;
  if (matrix) {
    data = matrix.data;
  } else {
    data = new Float64Array(n * n);
    const unit = new Float64Array(n);
    const column = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      unit.fill(0);
      unit[j] = 1;
      multiply(unit, column);
      requireFiniteResult(column);
      for (let i = 0; i < n; i++) data[i * n + j] = column[i];
    }
    // Symmetrise what the operator produced (rounding makes it only nearly symmetric).
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
        `topEigen: the operator returned a non-finite value (${values[index]}) at index ${index}; check the matrix or operator for NaN/Infinity or a failed inner solve.`,
        { index },
      );
    }
  }
}

/** Ritz pairs of `sign · A` found by {@link thickRestartLanczos}, as rows. */
interface RitzRows {
  /** Ritz values of `sign · A`, descending. */
  readonly values: Float64Array;
  /** The Ritz vectors as rows (count x n). */
  readonly rows: Float64Array;
  readonly restarts: number;
}

/** Counts operator applications across the runs of one {@link topEigen} call. */
interface MultiplyCounter {
  multiplications: number;
  normEstimate: number;
}

/**
 * Thick-restart Lanczos on `sign · A` restricted to the orthogonal complement of the `lockedCount`
 * rows of `locked` (so the wanted end is always the largest). The basis is kept as rows of a
 * row-major array whose first `lockedCount` rows are the locked vectors; `projected` is the
 * m x m matrix `Vᵀ (sign·A) V`, tridiagonal except for the arrow left by a restart.
 */
function thickRestartLanczos(
  multiply: (x: Float64Array, out: Float64Array) => void,
  n: number,
  k: number,
  sign: number,
  tolerance: number,
  maxIterations: number,
  rng: Rng,
  m: number,
  locked: Float64Array,
  lockedCount: number,
  counter: MultiplyCounter,
): RitzRows {
  const base = lockedCount; // first Lanczos row of `all`
  const all = new Float64Array((base + m + 1) * n);
  all.set(locked.subarray(0, base * n), 0);
  const projected = new Float64Array(m * m);
  const w = new Float64Array(n);
  const coefficients = new Float64Array(base + m + 1);

  randomUnitVector(rng, all, base, n, base);
  let kept = 0; // Ritz vectors kept by the last restart: Lanczos rows 0..kept-1
  let keptValues = new Float64Array(0); // their Ritz values (the arrow's diagonal)
  let couplings = new Float64Array(0); // s_i = β · y_{m−1,i}: the arrow's last column
  let lastBeta = 0;

  for (let restart = 0; restart <= maxIterations; restart++) {
    projected.fill(0);
    for (let i = 0; i < kept; i++) {
      projected[i * m + i] = keptValues[i];
      projected[i * m + kept] = couplings[i];
      projected[kept * m + i] = couplings[i];
    }
    for (let j = kept; j < m; j++) {
      const row = all.subarray((base + j) * n, (base + j + 1) * n);
      multiply(row, w);
      counter.multiplications++;
      if (sign < 0) for (let index = 0; index < n; index++) w[index] = -w[index];
      requireFiniteResult(w);
      // Full reorthogonalisation against the locked rows and Lanczos rows 0..j: classical
      // Gram–Schmidt applied twice ("twice is enough": Giraud, Langou & Rozložník, 2005).
      let alpha = 0;
      for (let pass = 0; pass < 2; pass++) {
        projectOut(all, base + j + 1, n, w, coefficients);
        alpha += coefficients[base + j];
      }
      projected[j * m + j] = alpha;
      let beta = 0;
      for (let index = 0; index < n; index++) beta += w[index] * w[index];
      beta = Math.sqrt(beta);
      counter.normEstimate = Math.max(counter.normEstimate, Math.abs(alpha), beta);
      if (beta <= 1e-13 * counter.normEstimate) {
        // An invariant subspace: continue with a fresh direction orthogonal to everything so far.
        beta = 0;
        randomUnitVector(rng, all, base + j + 1, n, base + j + 1);
      } else {
        const inverse = 1 / beta;
        const target = (base + j + 1) * n;
        for (let index = 0; index < n; index++) all[target + index] = w[index] * inverse;
      }
      if (j + 1 < m) {
        projected[j * m + j + 1] = beta;
        projected[(j + 1) * m + j] = beta;
      }
      lastBeta = beta;
    }

    // Ritz pairs of the projected matrix (descending Ritz values).
    const { values: ritzValues, vectors: ritzVectors } = symmetricEigenUnchecked(projected, m, true);
    const y = ritzVectors.data;
    for (let i = 0; i < m; i++) counter.normEstimate = Math.max(counter.normEstimate, Math.abs(ritzValues[i]));
    // ‖A x_i − θ_i x_i‖ = |β · y_{m−1,i}| for the Ritz vector x_i = V y_i.
    const limit = tolerance * counter.normEstimate;
    let converged = 0;
    while (converged < k && Math.abs(lastBeta * y[(m - 1) * m + converged]) <= limit) converged++;
    if (converged >= k) {
      return { values: ritzValues.slice(0, k), rows: combineRows(all, base, y, m, n, k), restarts: restart };
    }
    if (restart === maxIterations) {
      throw new TlkitError(
        'NUMERICAL_ERROR',
        `topEigen: only ${converged} of ${k} eigenpairs converged after ${maxIterations} restarts (tolerance ${tolerance}); raise options.maxIterations or options.subspaceSize, or loosen options.tolerance.`,
        { converged, requested: k, restarts: restart },
      );
    }

    // Thick restart: keep the leading Ritz vectors (more than k speeds convergence) and continue
    // the Lanczos process from the residual direction, which is orthogonal to all of them.
    const keep = Math.min(m - 2, Math.max(k + converged, k + Math.floor((m - k) / 2)));
    const newRows = combineRows(all, base, y, m, n, keep);
    all.copyWithin((base + keep) * n, (base + m) * n, (base + m + 1) * n);
    all.set(newRows, base * n);
    keptValues = ritzValues.slice(0, keep);
    couplings = new Float64Array(keep);
    for (let i = 0; i < keep; i++) couplings[i] = lastBeta * y[(m - 1) * m + i];
    kept = keep;
  }
  // Unreachable: the loop returns, or throws once restart === maxIterations.
  throw new TlkitError('NUMERICAL_ERROR', 'topEigen: internal error (restart loop ended).');
}

/**
 * The largest Ritz value of `sign · A` on the complement of the `count` rows of `locked`, from
 * `steps` plain Lanczos steps (full reorthogonalisation) from a random start. Used to detect a
 * copy of a repeated eigenvalue that a single-vector Krylov space cannot see.
 */
function complementLargestRitzValue(
  multiply: (x: Float64Array, out: Float64Array) => void,
  n: number,
  sign: number,
  rng: Rng,
  locked: Float64Array,
  count: number,
  steps: number,
  counter: MultiplyCounter,
): number {
  const all = new Float64Array((count + steps + 1) * n);
  all.set(locked.subarray(0, count * n), 0);
  const coefficients = new Float64Array(count + steps + 1);
  const projected = new Float64Array(steps * steps);
  const w = new Float64Array(n);
  randomUnitVector(rng, all, count, n, count);
  let size = steps;
  for (let j = 0; j < steps; j++) {
    multiply(all.subarray((count + j) * n, (count + j + 1) * n), w);
    counter.multiplications++;
    if (sign < 0) for (let index = 0; index < n; index++) w[index] = -w[index];
    requireFiniteResult(w);
    let alpha = 0;
    for (let pass = 0; pass < 2; pass++) {
      projectOut(all, count + j + 1, n, w, coefficients);
      alpha += coefficients[count + j];
    }
    projected[j * steps + j] = alpha;
    let beta = 0;
    for (let index = 0; index < n; index++) beta += w[index] * w[index];
    beta = Math.sqrt(beta);
    if (j + 1 === steps) break;
    if (beta <= 1e-13 * Math.max(counter.normEstimate, Math.abs(alpha))) {
      size = j + 1;
      break;
    }
    const target = (count + j + 1) * n;
    for (let index = 0; index < n; index++) all[target + index] = w[index] / beta;
    projected[j * steps + j + 1] = beta;
    projected[(j + 1) * steps + j] = beta;
  }
  const small = new Float64Array(size * size);
  for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) small[i * size + j] = projected[i * steps + j];
  return symmetricEigenUnchecked(small, size, false).values[0];
}

/** `w ← w − Σ_{i<count} (v_iᵀ w) v_i` over the first `count` rows; the coefficients go to `coefficients`. */
function projectOut(basis: Float64Array, count: number, n: number, w: Float64Array, coefficients: Float64Array): void {
  for (let i = 0; i < count; i++) {
    const offset = i * n;
    let sum0 = 0;
    let sum1 = 0;
    let index = 0;
    for (; index + 1 < n; index += 2) {
      sum0 += basis[offset + index] * w[index];
      sum1 += basis[offset + index + 1] * w[index + 1];
    }
    if (index < n) sum0 += basis[offset + index] * w[index];
    coefficients[i] = sum0 + sum1;
  }
  for (let i = 0; i < count; i++) {
    const coefficient = coefficients[i];
    if (coefficient === 0) continue;
    const offset = i * n;
    for (let index = 0; index < n; index++) w[index] -= coefficient * basis[offset + index];
  }
}

/** A seeded random unit vector in row `row` of `basis`, orthogonal to its first `orthogonalTo` rows. */
function randomUnitVector(rng: Rng, basis: Float64Array, row: number, n: number, orthogonalTo: number): void {
  const vector = basis.subarray(row * n, (row + 1) * n);
  const coefficients = new Float64Array(orthogonalTo + 1);
  for (let attempt = 0; attempt < 10; attempt++) {
    for (let index = 0; index < n; index++) vector[index] = rng.normal();
    for (let pass = 0; pass < 2; pass++) projectOut(basis, orthogonalTo, n, vector, coefficients);
    let norm = 0;
    for (let index = 0; index < n; index++) norm += vector[index] * vector[index];
    norm = Math.sqrt(norm);
    if (norm > 1e-8) {
      for (let index = 0; index < n; index++) vector[index] /= norm;
      return;
    }
  }
  throw new TlkitError('NUMERICAL_ERROR', 'topEigen: could not extend the Krylov basis (the space is exhausted).');
}

/** Rows `0..count-1` of `Yᵀ V`: the Ritz vectors `Σ_i Y[i][j] v_i` for the first `count` columns of Y (m x m). */
function combineRows(basis: Float64Array, base: number, y: Float64Array, m: number, n: number, count: number): Float64Array {
  const out = new Float64Array(count * n);
  gemmAccumulate(count, n, m, 1, { data: y, offset: 0, rowStride: 1, colStride: m }, { data: basis, offset: base * n, rowStride: n, colStride: 1 }, out, 0, n);
  return out;
}
