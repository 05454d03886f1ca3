import type { MatrixInput } from '../data';
import { gram, matmulTransposeB } from '../linalg';
import { Matrix } from '../matrix';
import { checkSameColumns, readMatrix } from './checks';

/** The three blocks of a two-domain pooled matrix (distances or kernel values). */
export interface DomainBlocks {
  /** `ns x ns`, between source rows (symmetric). */
  readonly sourceSource: Matrix;
  /** `nt x nt`, between target rows (symmetric). */
  readonly targetTarget: Matrix;
  /** `ns x nt`, source rows against target rows. */
  readonly sourceTarget: Matrix;
}

/** Column means of the rows of all `parts` together. */
function pooledMean(parts: readonly Matrix[]): Float64Array {
  const d = parts[0].cols;
  const mean = new Float64Array(d);
  let rows = 0;
  for (const part of parts) {
    const { data } = part;
    for (let i = 0; i < part.rows; i++) {
      const offset = i * d;
      for (let j = 0; j < d; j++) mean[j] += data[offset + j];
    }
    rows += part.rows;
  }
  for (let j = 0; j < d; j++) mean[j] /= rows;
  return mean;
}

/** `(X − 1 meanᵀ)ᵀ`, a `d x n` matrix, and the squared norms of the centred rows. */
function centredTranspose(x: Matrix, mean: Float64Array): { transposed: Matrix; norms: Float64Array } {
  const { rows, cols, data } = x;
  const transposed = new Matrix(cols, rows);
  const target = transposed.data;
  const norms = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const offset = i * cols;
    let norm = 0;
    for (let j = 0; j < cols; j++) {
      const value = data[offset + j] - mean[j];
      target[j * rows + i] = value;
      norm += value * value;
    }
    norms[i] = norm;
  }
  return { transposed, norms };
}

/** `X − 1 meanᵀ` and the squared norms of its rows. */
function centred(x: Matrix, mean: Float64Array): { centredRows: Matrix; norms: Float64Array } {
  const { rows, cols, data } = x;
  const centredRows = new Matrix(rows, cols);
  const target = centredRows.data;
  const norms = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const offset = i * cols;
    let norm = 0;
    for (let j = 0; j < cols; j++) {
      const value = data[offset + j] - mean[j];
      target[offset + j] = value;
      norm += value * value;
    }
    norms[i] = norm;
  }
  return { centredRows, norms };
}

/** Squared distances among the rows of `x` after centring: symmetric, zero diagonal, ≥ 0. */
function symmetricSquaredDistances(x: Matrix, mean: Float64Array): Matrix {
  const { transposed } = centredTranspose(x, mean);
  const inner = gram(transposed); // (X − 1μᵀ)(X − 1μᵀ)ᵀ, exactly symmetric
  const n = x.rows;
  const data = inner.data;
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) norms[i] = data[i * n + i];
  for (let i = 0; i < n; i++) {
    const offset = i * n;
    const normI = norms[i];
    for (let j = 0; j < n; j++) {
      const value = normI + norms[j] - 2 * data[offset + j];
      data[offset + j] = value > 0 ? value : 0;
    }
    data[offset + i] = 0;
  }
  return inner;
}

/** Squared distances between the rows of `a` and of `b`, both centred by `mean`; ≥ 0. */
function crossSquaredDistances(a: Matrix, b: Matrix, mean: Float64Array): Matrix {
  const left = centred(a, mean);
  const right = centred(b, mean);
  const inner = matmulTransposeB(left.centredRows, right.centredRows);
  const data = inner.data;
  const nb = b.rows;
  for (let i = 0; i < a.rows; i++) {
    const offset = i * nb;
    const normI = left.norms[i];
    for (let j = 0; j < nb; j++) {
      const value = normI + right.norms[j] - 2 * data[offset + j];
      data[offset + j] = value > 0 ? value : 0;
    }
  }
  return inner;
}

/**
 * All pairwise squared Euclidean distances `D[i][j] = ‖aᵢ − bⱼ‖²` between the rows of `A` and
 * the rows of `B`.
 *
 * Computed as `‖aᵢ‖² + ‖bⱼ‖² − 2⟨aᵢ, bⱼ⟩` with one blocked matrix product
 * (`matmulTransposeB`), after subtracting the pooled column mean from both inputs (distances do
 * not change, and the cancellation error of the expansion shrinks from `ε‖a‖²` to `ε‖a − ā‖²`).
 * Tiny negative values left by rounding are clamped to 0. Passing the same matrix object as `A`
 * and `B` takes a symmetric path at half the cost (`gram` of the centred rows) and returns an
 * exactly symmetric matrix with an exactly zero diagonal.
 *
 * @param A - `n x d` rows (a {@link Matrix}, nested arrays or a rank-2 tensor).
 * @param B - `m x d` rows; the same object as `A` for the symmetric case.
 * @returns the `n x m` matrix of squared distances.
 * @throws TlkitError `EMPTY_DOMAIN`, `DIMENSION_MISMATCH` (different `d`), `NON_FINITE_INPUT`,
 * `INVALID_ARGUMENT`.
 *
 * @example
 * ```ts
 * pairwiseSquaredDistances([[0, 0], [3, 4]], [[0, 0]]).toRows(); // [[0], [25]]
 * const D = pairwiseSquaredDistances(X, X); // symmetric, zero diagonal
 * ```
 */
export function pairwiseSquaredDistances(A: MatrixInput, B: MatrixInput): Matrix {
  const a = readMatrix(A, 'A');
  if (B === A) return symmetricSquaredDistances(a, pooledMean([a]));
  const b = readMatrix(B, 'B');
  checkSameColumns(a, b, 'A', 'B');
  return crossSquaredDistances(a, b, pooledMean([a, b]));
}

/**
 * The squared-distance blocks of two domains: source–source, target–target and source–target,
 * all centred by the pooled mean, i.e. the blocks of `pairwiseSquaredDistances(Z, Z)` for the
 * pooled `Z = [Xs; Xt]` at the cost of that one symmetric product. Feed them to
 * {@link medianHeuristicFromSquaredDistances} and build RBF kernels from them (`exp(−γ D)`).
 *
 * @param Xs - `ns x d` source rows.
 * @param Xt - `nt x d` target rows.
 * @throws TlkitError `EMPTY_DOMAIN`, `DIMENSION_MISMATCH`, `NON_FINITE_INPUT`, `INVALID_ARGUMENT`.
 *
 * @example
 * ```ts
 * const distances = squaredDistanceBlocks(Xs, Xt);
 * const { gamma } = medianHeuristicFromSquaredDistances(distances);
 * ```
 */
export function squaredDistanceBlocks(Xs: MatrixInput, Xt: MatrixInput): DomainBlocks {
  const source = readMatrix(Xs, 'Xs');
  const target = readMatrix(Xt, 'Xt');
  checkSameColumns(source, target, 'Xs', 'Xt');
  return squaredDistanceBlocksOf(source, target);
}

/** {@link squaredDistanceBlocks} on checked matrices. @internal */
export function squaredDistanceBlocksOf(source: Matrix, target: Matrix): DomainBlocks {
  const mean = pooledMean([source, target]);
  return {
    sourceSource: symmetricSquaredDistances(source, mean),
    targetTarget: symmetricSquaredDistances(target, mean),
    sourceTarget: crossSquaredDistances(source, target, mean),
  };
}
