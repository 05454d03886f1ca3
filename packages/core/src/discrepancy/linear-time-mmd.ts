import type { MatrixInput } from '../data';
import { TlkitError } from '../errors';
import { checkPositive, checkSameColumns, readMatrix } from '../kernels/checks';
import { type KernelSpec, checkKernelSpec } from '../kernels/kernels';
import { medianHeuristic } from '../kernels/median';
import { assertSeed, createRng } from '../rng';

/** Options of {@link linearTimeMmd2}. */
export interface LinearTimeMmd2Options {
  /** `'rbf'` (default), `'linear'`, or a {@link KernelSpec}. */
  readonly kernel?: 'linear' | 'rbf' | KernelSpec;
  /**
   * γ of the `'rbf'` kernel, a number > 0 or `'median'` (default): the median heuristic on a seeded
   * subsample of at most `medianRows` pooled rows, so the cost stays linear in n.
   */
  readonly gamma?: number | 'median';
  /** Rows for the median heuristic's subsample. Default 1000. */
  readonly medianRows?: number;
  /** Seed of the pairing (and of the median subsample). Default 0. */
  readonly seed?: number;
}

/** The linear-time MMD² estimate with its standard error. */
export interface LinearTimeMmd2 {
  /** The estimate `(1/P) Σ_p h_p` — unbiased for the population MMD². */
  readonly mmd2: number;
  /**
   * Standard error of the estimate, `s_h / √P` (s_h the sample standard deviation of the h values),
   * so `mmd2 / standardError` is asymptotically standard normal when the distributions are equal
   * (Gretton et al. 2012, Corollary 16).
   */
  readonly standardError: number;
  /** Number P of disjoint quadruples averaged, `⌊min(ns, nt) / 2⌋`. */
  readonly numPairs: number;
}

/**
 * The linear-time unbiased MMD² estimate (Gretton, Borgwardt, Rasch, Schölkopf & Smola, *A Kernel
 * Two-Sample Test*, JMLR 13, 2012, §6, Lemma 14): with `m = min(ns, nt)` samples of each domain
 * (a seeded random subset of the larger one), shuffled (seeded) and taken in disjoint pairs,
 *
 * `MMD²_l = (1/P) Σ_{p=1}^{P} h(x_{2p−1}, x_{2p}, t_{2p−1}, t_{2p})`, `P = ⌊m/2⌋`,
 * `h = k(x, x') + k(t, t') − k(x, t') − k(x', t)`.
 *
 * Costs O(m·d) time and O(1) extra memory, so it suits samples too large for the quadratic
 * {@link mmd2} — at the price of a larger variance (it uses P quadruples instead of all pairs).
 * The shuffle matters: data sorted by class would pair similar samples and bias the estimate.
 *
 * @param Xs - `ns x d` source rows.
 * @param Xt - `nt x d` target rows.
 * @param options - `kernel` (default `'rbf'`), `gamma` (default `'median'`), `medianRows`
 *   (default 1000), `seed` (default 0).
 * @throws TlkitError `EMPTY_DOMAIN`, `DIMENSION_MISMATCH`, `NON_FINITE_INPUT`, `INVALID_ARGUMENT`,
 * `TOO_FEW_SAMPLES` (fewer than 4 samples in a domain: two quadruples are needed for the error).
 *
 * @example
 * ```ts
 * const { mmd2, standardError } = linearTimeMmd2(bigXs, bigXt, { seed: 1 });
 * const z = mmd2 / standardError; // > 1.645: reject "same distribution" at the 5% level (one-sided)
 * ```
 */
export function linearTimeMmd2(Xs: MatrixInput, Xt: MatrixInput, options: LinearTimeMmd2Options = {}): LinearTimeMmd2 {
  const kernelOption = options.kernel ?? 'rbf';
  const seed = options.seed === undefined ? 0 : options.seed;
  const medianRows = options.medianRows ?? 1000;
  assertSeed(seed, 'options.seed');
  if (!Number.isInteger(medianRows) || medianRows < 2) {
    throw new TlkitError('INVALID_ARGUMENT', `options.medianRows must be an integer ≥ 2, got ${String(medianRows)}.`, {
      argument: 'options.medianRows',
    });
  }
  let spec: KernelSpec | undefined;
  if (kernelOption === 'linear') spec = { type: 'linear' };
  else if (kernelOption !== 'rbf') spec = checkKernelSpec(kernelOption, 'options.kernel');
  if (kernelOption !== 'rbf' && options.gamma !== undefined) {
    throw new TlkitError('INVALID_ARGUMENT', "options.gamma applies to kernel 'rbf' only; remove it.", {
      argument: 'options.gamma',
    });
  }
  const gammaOption = options.gamma ?? 'median';
  if (kernelOption === 'rbf' && gammaOption !== 'median') checkPositive(gammaOption, 'options.gamma');

  const source = readMatrix(Xs, 'Xs');
  const target = readMatrix(Xt, 'Xt');
  checkSameColumns(source, target, 'Xs', 'Xt');
  const m = Math.min(source.rows, target.rows);
  if (m < 4) {
    throw new TlkitError(
      'TOO_FEW_SAMPLES',
      `linearTimeMmd2 needs at least 4 samples in each domain, got ${source.rows} and ${target.rows}; use mmd2 for small samples.`,
      { argument: source.rows < 4 ? 'Xs' : 'Xt' },
    );
  }
  if (!spec) {
    const gamma =
      gammaOption === 'median'
        ? medianHeuristic(source, target, { maxRows: medianRows, seed }).gamma
        : (gammaOption as number);
    spec = { type: 'rbf', gamma };
  }

  const rng = createRng(seed);
  const sourceOrder = rng.sample(source.rows, m);
  const targetOrder = rng.sample(target.rows, m);
  const d = source.cols;
  const kernelOf = makeKernel(spec, d);
  const pairs = Math.floor(m / 2);
  let sum = 0;
  let sumOfSquares = 0;
  for (let p = 0; p < pairs; p++) {
    const x = source.row(sourceOrder[2 * p]);
    const xPrime = source.row(sourceOrder[2 * p + 1]);
    const t = target.row(targetOrder[2 * p]);
    const tPrime = target.row(targetOrder[2 * p + 1]);
    const h = kernelOf(x, xPrime) + kernelOf(t, tPrime) - kernelOf(x, tPrime) - kernelOf(xPrime, t);
    sum += h;
    sumOfSquares += h * h;
  }
  const mean = sum / pairs;
  const variance = Math.max(0, (sumOfSquares - pairs * mean * mean) / (pairs - 1));
  return { mmd2: mean, standardError: Math.sqrt(variance / pairs), numPairs: pairs };
}

function makeKernel(spec: KernelSpec, d: number): (x: Float64Array, y: Float64Array) => number {
  const dot = (x: Float64Array, y: Float64Array) => {
    let sum = 0;
    for (let j = 0; j < d; j++) sum += x[j] * y[j];
    return sum;
  };
  switch (spec.type) {
    case 'linear':
      return dot;
    case 'rbf': {
      const gamma = spec.gamma;
      return (x, y) => {
        let sum = 0;
        for (let j = 0; j < d; j++) {
          const difference = x[j] - y[j];
          sum += difference * difference;
        }
        return Math.exp(-gamma * sum);
      };
    }
    case 'poly': {
      const { degree, gamma, coef0 } = spec;
      return (x, y) => (gamma * dot(x, y) + coef0) ** degree;
    }
  }
}
