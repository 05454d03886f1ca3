/**
 * RBF kernel quantities of two domains that the weighting strategies share: the source Gram
 * matrix, row sums of the source–target kernel, the target–target kernel sum and the median
 * heuristic — computed from one pooled distance product for moderate sizes, and in row chunks
 * (never holding a source × target or pooled matrix) for large ones.
 *
 * @internal Not exported from the package.
 */
import {
  Matrix,
  medianHeuristic,
  medianHeuristicFromSquaredDistances,
  rbfKernel,
  squaredDistanceBlocks,
} from '@tlkit/core';

/** What {@link rbfDomainKernels} computes. */
export interface RbfDomainKernels {
  /** γ of `k(x, y) = exp(−γ‖x − y‖²)`. */
  readonly gamma: number;
  /** σ = 1/√(2γ). */
  readonly sigma: number;
  /** True when γ came from the median heuristic on a subsample of the pooled rows. */
  readonly medianSubsampled: boolean;
  /** `K_ss`, `ns x ns`. */
  readonly sourceGram: Matrix;
  /** `Σⱼ k(xsᵢ, xtⱼ)` for every source row i. */
  readonly sourceTargetRowSums: Float64Array;
  /** `Σᵢⱼ k(xtᵢ, xtⱼ)`. */
  readonly targetTargetSum: number;
}

/** Pooled sizes up to this many rows use one pooled distance product (memory ≈ 8·n² bytes, twice). */
const POOLED_LIMIT = 4500;
/** Entries per chunk of a chunked kernel block. */
const CHUNK_ENTRIES = 1 << 22;

function sumRowsInto(block: Matrix, out: Float64Array, offset: number): number {
  let total = 0;
  const { rows, cols, data } = block;
  for (let i = 0; i < rows; i++) {
    let sum = 0;
    const start = i * cols;
    for (let j = 0; j < cols; j++) sum += data[start + j];
    out[offset + i] += sum;
    total += sum;
  }
  return total;
}

/**
 * RBF kernel blocks for source `Xs` and target `Xt`.
 *
 * @param gamma - a number, or `'median'` for σ = the median pairwise distance over the pooled rows
 *   (exact when the pooled rows number at most `medianMaxRows`, otherwise over a seeded
 *   subsample of that many rows) and γ = 1/(2σ²).
 */
export function rbfDomainKernels(
  Xs: Matrix,
  Xt: Matrix,
  gamma: number | 'median',
  medianMaxRows: number,
  seed: number,
): RbfDomainKernels {
  const ns = Xs.rows;
  const nt = Xt.rows;
  const pooled = ns + nt;
  if (pooled <= POOLED_LIMIT && (gamma !== 'median' || pooled <= medianMaxRows)) {
    const blocks = squaredDistanceBlocks(Xs, Xt);
    const value = gamma === 'median' ? medianHeuristicFromSquaredDistances(blocks).gamma : gamma;
    const exponentiate = (block: Matrix) => {
      const { data } = block;
      for (let k = 0; k < data.length; k++) data[k] = Math.exp(-value * data[k]);
      return block;
    };
    const sourceGram = exponentiate(blocks.sourceSource);
    const rowSums = new Float64Array(ns);
    sumRowsInto(exponentiate(blocks.sourceTarget), rowSums, 0);
    let targetTargetSum = 0;
    for (const entry of exponentiate(blocks.targetTarget).data) targetTargetSum += entry;
    return { gamma: value, sigma: 1 / Math.sqrt(2 * value), medianSubsampled: false, sourceGram, sourceTargetRowSums: rowSums, targetTargetSum };
  }
  let value: number;
  let medianSubsampled = false;
  if (gamma === 'median') {
    const subsample = pooled > medianMaxRows;
    value = medianHeuristic(Xs, Xt, subsample ? { maxRows: medianMaxRows, seed } : {}).gamma;
    medianSubsampled = subsample;
  } else {
    value = gamma;
  }
  const sourceGram = rbfKernel(Xs, Xs, value);
  const rowSums = new Float64Array(ns);
  const targetChunk = Math.max(1, Math.floor(CHUNK_ENTRIES / ns));
  for (let start = 0; start < nt; start += targetChunk) {
    const rows = Array.from({ length: Math.min(targetChunk, nt - start) }, (_, k) => start + k);
    sumRowsInto(rbfKernel(Xs, Xt.selectRows(rows), value), rowSums, 0);
  }
  let targetTargetSum = 0;
  const chunk = Math.max(1, Math.floor(CHUNK_ENTRIES / nt));
  const scratch = new Float64Array(nt);
  for (let start = 0; start < nt; start += chunk) {
    const rows = Array.from({ length: Math.min(chunk, nt - start) }, (_, k) => start + k);
    targetTargetSum += sumRowsInto(rbfKernel(Xt.selectRows(rows), Xt, value), scratch, 0);
  }
  return { gamma: value, sigma: 1 / Math.sqrt(2 * value), medianSubsampled, sourceGram, sourceTargetRowSums: rowSums, targetTargetSum };
}

/**
 * `out = K x` for a symmetric `n x n` matrix, reading only its upper triangle (half the memory
 * traffic of a plain product, which is what limits this loop).
 */
export function symmetricMultiply(K: Matrix, x: Float64Array, out: Float64Array): void {
  const n = K.rows;
  const data = K.data;
  out.fill(0);
  for (let i = 0; i < n; i++) {
    const offset = i * n;
    const xi = x[i];
    let sum = data[offset + i] * xi;
    for (let j = i + 1; j < n; j++) {
      const value = data[offset + j];
      sum += value * x[j];
      out[j] += value * xi;
    }
    out[i] += sum;
  }
}
