import type { MatrixInput } from '../data';
import { TlkitError } from '../errors';
import { Matrix } from '../matrix';
import { assertSeed, createRng } from '../rng';
import { checkSameColumns, readMatrix } from './checks';
import { type DomainBlocks, pairwiseSquaredDistances, squaredDistanceBlocksOf } from './distances';

/** A bandwidth from the median heuristic. */
export interface MedianHeuristic {
  /** σ: the median pairwise Euclidean distance. */
  readonly sigma: number;
  /** γ = 1 / (2σ²), for `k(x, y) = exp(−γ‖x − y‖²)`. */
  readonly gamma: number;
  /** Number of pooled rows the median was taken over (fewer than given when subsampled). */
  readonly rowsUsed: number;
}

/** Options of {@link medianHeuristic}. */
export interface MedianHeuristicOptions {
  /**
   * Use at most this many pooled rows, drawn at random without replacement (seeded), instead of
   * all of them. The exact median needs every one of the N(N−1)/2 pair distances (about 12·N²
   * bytes of memory and N²·d/2 multiply–adds); for N beyond a few thousand, a subsample of
   * 1000–2000 rows gives σ to within a few percent. Default: no subsampling (exact).
   */
  readonly maxRows?: number;
  /** Seed of the subsample. Default 0. */
  readonly seed?: number;
}

/**
 * Moves the `k`-th smallest value (0-based) of `values` to index `k`, with every smaller-or-equal
 * value before it and every greater-or-equal value after it, and returns it (Hoare's FIND /
 * quickselect with a median-of-three pivot; expected O(n)). @internal
 */
export function selectInPlace(values: Float64Array, k: number): number {
  let left = 0;
  let right = values.length - 1;
  while (right > left) {
    const middle = (left + right) >>> 1;
    const a = values[left];
    const b = values[middle];
    const c = values[right];
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = left;
    let j = right;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const swap = values[i];
        values[i] = values[j];
        values[j] = swap;
        i++;
        j--;
      }
    }
    // Now values[left..j] <= pivot <= values[i..right], and values strictly between j and i equal the pivot.
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return values[k];
  }
  return values[k];
}

/** The median of the square roots of `squared` (which it reorders), as numpy's `median`. */
function medianOfRoots(squared: Float64Array): number {
  const count = squared.length;
  const upperIndex = count >>> 1;
  const upper = selectInPlace(squared, upperIndex);
  if (count % 2 === 1) return Math.sqrt(upper);
  // Even count: the lower middle value is the largest of the values left of upperIndex.
  let lower = squared[0];
  for (let index = 1; index < upperIndex; index++) if (squared[index] > lower) lower = squared[index];
  return (Math.sqrt(lower) + Math.sqrt(upper)) / 2;
}

function fromSigma(sigma: number, rowsUsed: number): MedianHeuristic {
  if (!(sigma > 0)) {
    throw new TlkitError(
      'NUMERICAL_ERROR',
      'median heuristic: the median pairwise distance is 0 (at least half of the pairs of rows are identical), so gamma = 1/(2 sigma^2) is infinite; pass gamma explicitly or remove duplicate rows.',
      { argument: 'X' },
    );
  }
  return { sigma, gamma: 1 / (2 * sigma * sigma), rowsUsed };
}

function checkSquare(matrix: Matrix, argument: string): void {
  if (!(matrix instanceof Matrix) || matrix.rows !== matrix.cols) {
    throw new TlkitError('DIMENSION_MISMATCH', `${argument} must be a square Matrix of pairwise squared distances.`, {
      argument,
    });
  }
}

/**
 * The median heuristic from precomputed squared distances: σ = the median of `‖zᵢ − zⱼ‖` over all
 * pairs `i < j` of the pooled rows, γ = 1/(2σ²). Takes either the {@link DomainBlocks} of two
 * domains (from {@link squaredDistanceBlocks}; pairs within the source, within the target and
 * across) or one symmetric pooled matrix (its strict upper triangle is used). The median is exact
 * (the mean of the two middle values for an even number of pairs, as numpy's `median`).
 *
 * @throws TlkitError `DIMENSION_MISMATCH` (blocks of inconsistent shapes), `TOO_FEW_SAMPLES`
 * (fewer than 2 rows), `NUMERICAL_ERROR` (median 0).
 *
 * @example
 * ```ts
 * const distances = squaredDistanceBlocks(Xs, Xt);
 * const { sigma, gamma } = medianHeuristicFromSquaredDistances(distances);
 * ```
 */
export function medianHeuristicFromSquaredDistances(squaredDistances: DomainBlocks | Matrix): MedianHeuristic {
  const blocks: { matrix: Matrix; symmetric: boolean }[] = [];
  if (squaredDistances instanceof Matrix) {
    checkSquare(squaredDistances, 'squaredDistances');
    blocks.push({ matrix: squaredDistances, symmetric: true });
  } else {
    const { sourceSource, targetTarget, sourceTarget } = squaredDistances ?? ({} as DomainBlocks);
    checkSquare(sourceSource, 'squaredDistances.sourceSource');
    checkSquare(targetTarget, 'squaredDistances.targetTarget');
    if (
      !(sourceTarget instanceof Matrix) ||
      sourceTarget.rows !== sourceSource.rows ||
      sourceTarget.cols !== targetTarget.rows
    ) {
      throw new TlkitError(
        'DIMENSION_MISMATCH',
        `squaredDistances.sourceTarget must be ${sourceSource.rows} x ${targetTarget.rows} (source rows x target rows).`,
        { argument: 'squaredDistances.sourceTarget' },
      );
    }
    blocks.push(
      { matrix: sourceSource, symmetric: true },
      { matrix: targetTarget, symmetric: true },
      { matrix: sourceTarget, symmetric: false },
    );
  }
  let count = 0;
  let rows = 0;
  for (const { matrix, symmetric } of blocks) {
    count += symmetric ? (matrix.rows * (matrix.rows - 1)) / 2 : matrix.rows * matrix.cols;
    if (symmetric) rows += matrix.rows;
  }
  if (count === 0) {
    throw new TlkitError('TOO_FEW_SAMPLES', 'median heuristic: needs at least 2 rows (one pair).', {
      argument: 'X',
    });
  }
  const values = new Float64Array(count);
  let cursor = 0;
  for (const { matrix, symmetric } of blocks) {
    const { data, rows: n, cols } = matrix;
    if (symmetric) {
      for (let i = 0; i < n; i++) {
        const offset = i * cols;
        for (let j = i + 1; j < n; j++) values[cursor++] = data[offset + j];
      }
    } else {
      values.set(data, cursor);
      cursor += data.length;
    }
  }
  for (let index = 0; index < count; index++) {
    if (!(values[index] >= 0) || values[index] === Number.POSITIVE_INFINITY) {
      throw new TlkitError(
        'NON_FINITE_INPUT',
        'squaredDistances holds a negative or non-finite value; pass squared Euclidean distances.',
        { argument: 'squaredDistances' },
      );
    }
  }
  return fromSigma(medianOfRoots(values), rows);
}

/**
 * The median heuristic for the RBF bandwidth (Schölkopf & Smola 2002; Gretton et al., *A Kernel
 * Two-Sample Test*, JMLR 13, 2012, §8): σ = the median of the Euclidean distances `‖zᵢ − zⱼ‖` over
 * all pairs `i < j` of the pooled rows `Z = [X; Y]` (or of `X` alone), and γ = 1/(2σ²), so that
 * `exp(−γ‖x − y‖²) = exp(−‖x − y‖² / (2σ²))`. The median is exact by default (the mean of the
 * two middle values for an even number of pairs, as numpy's `median`); `maxRows` switches to a
 * seeded random subsample of the pooled rows for large inputs.
 *
 * @param X - `n x d` rows.
 * @param Y - optional `m x d` rows, pooled with `X`.
 * @param options - `maxRows` (default: all rows, exact) and `seed` (default 0) of the subsample.
 * @throws TlkitError `EMPTY_DOMAIN`, `DIMENSION_MISMATCH`, `NON_FINITE_INPUT`, `TOO_FEW_SAMPLES`
 * (fewer than 2 pooled rows), `INVALID_ARGUMENT` (bad `maxRows`/`seed`), `NUMERICAL_ERROR`
 * (median distance 0).
 *
 * @example
 * ```ts
 * const { sigma, gamma } = medianHeuristic(Xs, Xt);
 * const K = rbfKernel(Xs, Xt, gamma);
 * const fast = medianHeuristic(bigX, undefined, { maxRows: 2000, seed: 1 }); // approximate
 * ```
 */
export function medianHeuristic(X: MatrixInput, Y?: MatrixInput, options: MedianHeuristicOptions = {}): MedianHeuristic {
  const { maxRows, seed = 0 } = options;
  if (maxRows !== undefined && (!Number.isInteger(maxRows) || maxRows < 2)) {
    throw new TlkitError('INVALID_ARGUMENT', `options.maxRows must be an integer ≥ 2, got ${String(maxRows)}.`, {
      argument: 'options.maxRows',
    });
  }
  assertSeed(seed, 'options.seed');
  const first = readMatrix(X, 'X');
  let pooled = first;
  let second: Matrix | undefined;
  if (Y !== undefined) {
    second = readMatrix(Y, 'Y');
    checkSameColumns(first, second, 'X', 'Y');
  }
  const total = first.rows + (second?.rows ?? 0);
  if (total < 2) {
    throw new TlkitError('TOO_FEW_SAMPLES', 'median heuristic: needs at least 2 rows in X (and Y) together.', {
      argument: 'X',
    });
  }
  if (maxRows !== undefined && total > maxRows) {
    if (second) pooled = Matrix.vstack([first, second]);
    const picked = Int32Array.from(createRng(seed).sample(total, maxRows)).sort();
    const subsample = pooled.selectRows(picked);
    return medianHeuristicFromSquaredDistances(pairwiseSquaredDistances(subsample, subsample));
  }
  if (!second) return medianHeuristicFromSquaredDistances(pairwiseSquaredDistances(first, first));
  return medianHeuristicFromSquaredDistances(squaredDistanceBlocksOf(first, second));
}
