import { TlkitError } from '../errors';
import { assertSeed, createRng } from '../rng';
import { checkArrayLike, checkFiniteValues, checkNonEmpty, checkSameLength } from '../metrics/checks';

/** Options of {@link bootstrapConfidenceInterval}. */
export interface BootstrapOptions {
  /** Number of bootstrap resamples B (≥ 2). Default 1000. */
  readonly resamples?: number;
  /** Confidence level in (0, 1). Default 0.95. */
  readonly level?: number;
  /** Seed of the resampling. Default 0. */
  readonly seed?: number;
  /** Also return the B bootstrap replicates (sorted ascending). Default false. */
  readonly returnReplicates?: boolean;
}

/** A percentile bootstrap confidence interval. */
export interface BootstrapInterval {
  /** The statistic on the full data. */
  readonly estimate: number;
  /** Lower end: the (1 − level)/2 quantile of the replicates. */
  readonly lower: number;
  /** Upper end: the (1 + level)/2 quantile of the replicates. */
  readonly upper: number;
  readonly level: number;
  readonly resamples: number;
  /** Mean of the replicates. */
  readonly bootstrapMean: number;
  /** Bootstrap standard error: the standard deviation of the replicates (divisor B − 1). */
  readonly standardError: number;
  /** The replicates sorted ascending, when `returnReplicates` is set. */
  readonly replicates?: Float64Array;
}

/** Paired predictions for a statistic of `(yTrue, yPred)`, e.g. `accuracy`. */
export interface PairedSample {
  readonly yTrue: ArrayLike<number>;
  readonly yPred: ArrayLike<number>;
}

/**
 * The `p`-quantile of sorted values with linear interpolation between order statistics
 * (Hyndman & Fan 1996, definition 7; numpy's default). @internal
 */
export function quantileOfSorted(sorted: ArrayLike<number>, p: number): number {
  const position = (sorted.length - 1) * p;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  const fraction = position - below;
  return sorted[below] + fraction * (sorted[above] - sorted[below]);
}

/**
 * Percentile bootstrap confidence interval of a statistic (Efron & Tibshirani, *An
 * Introduction to the Bootstrap*, 1993, ch. 13).
 *
 * Draws B resamples of the n samples with replacement (seeded), evaluates the statistic on
 * each, and returns the (1 − level)/2 and (1 + level)/2 quantiles of the B replicates
 * (interpolated, Hyndman & Fan definition 7) together with the full-data estimate and the
 * bootstrap standard error. Paired data (`{ yTrue, yPred }`) are resampled by sample, keeping
 * each pair together. A statistic that is undefined on some resamples (ROC AUC when a resample
 * holds a single class) must handle that itself; a non-finite replicate is an error.
 *
 * @param data - the values (`ArrayLike<number>`), or paired `{ yTrue, yPred }`.
 * @param statistic - `(values) => number`, or `(yTrue, yPred) => number` for paired data.
 * @param options - `resamples` (default 1000), `level` (0.95), `seed` (0), `returnReplicates`.
 * @throws TlkitError `EMPTY_DOMAIN`, `DIMENSION_MISMATCH`, `NON_FINITE_INPUT`, `INVALID_ARGUMENT`,
 * `NUMERICAL_ERROR` (the statistic returned a non-finite value).
 *
 * @example
 * ```ts
 * const interval = bootstrapConfidenceInterval({ yTrue, yPred }, accuracy, { seed: 1 });
 * console.log(`${interval.estimate} [${interval.lower}, ${interval.upper}]`);
 * const meanInterval = bootstrapConfidenceInterval(values, (sample) => sample.reduce((a, b) => a + b) / sample.length);
 * ```
 */
export function bootstrapConfidenceInterval(
  data: ArrayLike<number>,
  statistic: (values: Float64Array) => number,
  options?: BootstrapOptions,
): BootstrapInterval;
export function bootstrapConfidenceInterval(
  data: PairedSample,
  statistic: (yTrue: Float64Array, yPred: Float64Array) => number,
  options?: BootstrapOptions,
): BootstrapInterval;
export function bootstrapConfidenceInterval(
  data: ArrayLike<number> | PairedSample,
  statistic: ((values: Float64Array) => number) | ((yTrue: Float64Array, yPred: Float64Array) => number),
  options: BootstrapOptions = {},
): BootstrapInterval {
  if (typeof statistic !== 'function') {
    throw new TlkitError('INVALID_ARGUMENT', 'statistic must be a function returning a number.', {
      argument: 'statistic',
    });
  }
  const resamples = options.resamples ?? 1000;
  const level = options.level ?? 0.95;
  const seed = options.seed === undefined ? 0 : options.seed;
  if (!Number.isInteger(resamples) || resamples < 2) {
    throw new TlkitError('INVALID_ARGUMENT', `options.resamples must be an integer ≥ 2, got ${String(resamples)}.`, {
      argument: 'options.resamples',
    });
  }
  if (typeof level !== 'number' || !(level > 0 && level < 1)) {
    throw new TlkitError('INVALID_ARGUMENT', `options.level must be in (0, 1), e.g. 0.95; got ${String(level)}.`, {
      argument: 'options.level',
    });
  }
  assertSeed(seed, 'options.seed');

  const paired = data !== null && typeof data === 'object' && 'yTrue' in data && 'yPred' in data;
  let columns: Float64Array[];
  if (paired) {
    const { yTrue, yPred } = data as PairedSample;
    checkArrayLike(yTrue, 'data.yTrue');
    checkArrayLike(yPred, 'data.yPred');
    checkNonEmpty(yTrue, 'data.yTrue');
    checkSameLength(yTrue, yPred, 'data.yTrue', 'data.yPred');
    checkFiniteValues(yTrue, 'data.yTrue');
    checkFiniteValues(yPred, 'data.yPred');
    columns = [Float64Array.from(yTrue), Float64Array.from(yPred)];
  } else {
    checkArrayLike(data, 'data');
    checkNonEmpty(data as ArrayLike<number>, 'data');
    checkFiniteValues(data as ArrayLike<number>, 'data');
    columns = [Float64Array.from(data as ArrayLike<number>)];
  }
  const evaluate = (parts: Float64Array[]): number =>
    parts.length === 2
      ? (statistic as (yTrue: Float64Array, yPred: Float64Array) => number)(parts[0], parts[1])
      : (statistic as (values: Float64Array) => number)(parts[0]);
  const checked = (value: unknown, where: string): number => {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new TlkitError(
        'NUMERICAL_ERROR',
        `statistic returned ${String(value)} on ${where}; it must return a finite number on every resample.`,
        { argument: 'statistic' },
      );
    }
    return value;
  };

  const n = columns[0].length;
  // The statistic gets copies, so one that sorts its input in place cannot unpair the data.
  const estimate = checked(evaluate(columns.map((column) => column.slice())), 'the full data');
  const rng = createRng(seed);
  const replicates = new Float64Array(resamples);
  const buffers = columns.map(() => new Float64Array(n));
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) {
      const pick = rng.int(n);
      for (let c = 0; c < columns.length; c++) buffers[c][i] = columns[c][pick];
    }
    replicates[b] = checked(evaluate(buffers), `resample ${b}`);
  }
  replicates.sort();
  let mean = 0;
  for (let b = 0; b < resamples; b++) mean += replicates[b];
  mean /= resamples;
  let squares = 0;
  for (let b = 0; b < resamples; b++) squares += (replicates[b] - mean) ** 2;
  const alpha = (1 - level) / 2;
  return {
    estimate,
    lower: quantileOfSorted(replicates, alpha),
    upper: quantileOfSorted(replicates, 1 - alpha),
    level,
    resamples,
    bootstrapMean: mean,
    standardError: Math.sqrt(squares / (resamples - 1)),
    ...(options.returnReplicates ? { replicates } : {}),
  };
}
