import { TlkitError } from '../errors';
import type { Split } from './splits';

/** The scores of one split: metric name → value, e.g. `{ accuracy: 0.81, macroF1: 0.78 }`. */
export type SplitScores = Readonly<Record<string, number>>;

/** Mean, spread and range of one metric over the splits. */
export interface MetricSummary {
  readonly mean: number;
  /** Population standard deviation over the splits (divisor = number of splits, numpy's default). */
  readonly std: number;
  readonly min: number;
  readonly max: number;
}

/** The result of {@link runProtocol}. */
export interface ProtocolResult {
  readonly numSplits: number;
  /** The scores of every split, in split order. */
  readonly splits: readonly SplitScores[];
  /** Per metric: mean ± std, min and max over the splits. */
  readonly summary: Readonly<Record<string, MetricSummary>>;
}

/**
 * Runs an evaluation protocol: calls `fitAndScore` on every split in order (one at a time,
 * awaiting each), checks that every split reports the same finite metrics, and aggregates each
 * metric as mean ± standard deviation (population, divisor = number of splits), min and max.
 *
 * @param splits - from {@link kFoldSplits}, {@link leaveOneOutSplits}, {@link holdOutSplit}, or your own.
 * @param fitAndScore - fits on `split.train`, scores on `split.test`, returns `{ metric: value }`
 *   (may be async).
 * @throws TlkitError `INVALID_ARGUMENT` (no splits; a split whose metric names differ from the
 * first split's), `NUMERICAL_ERROR` (a non-finite score). Errors thrown by `fitAndScore` propagate.
 *
 * @example
 * ```ts
 * const result = await runProtocol(kFoldSplits(X.rows, { k: 5, seed: 0, stratify: y }), async ({ train, test }) => {
 *   const model = fitSomething(X.selectRows(train), pick(y, train));
 *   return { accuracy: accuracy(pick(y, test), model.predict(X.selectRows(test))) };
 * });
 * result.summary.accuracy; // { mean, std, min, max }
 * ```
 */
export async function runProtocol(
  splits: readonly Split[],
  fitAndScore: (split: Split, splitIndex: number) => SplitScores | Promise<SplitScores>,
): Promise<ProtocolResult> {
  if (!Array.isArray(splits) || splits.length === 0) {
    throw new TlkitError('INVALID_ARGUMENT', 'splits must be a non-empty array of { train, test } index lists.', {
      argument: 'splits',
    });
  }
  if (typeof fitAndScore !== 'function') {
    throw new TlkitError('INVALID_ARGUMENT', 'fitAndScore must be a function (split, index) => { metric: value }.', {
      argument: 'fitAndScore',
    });
  }
  const results: SplitScores[] = [];
  let metricNames: string[] | undefined;
  for (let index = 0; index < splits.length; index++) {
    const scores = await fitAndScore(splits[index], index);
    if (!scores || typeof scores !== 'object') {
      throw new TlkitError(
        'INVALID_ARGUMENT',
        `fitAndScore returned ${String(scores)} for split ${index}; return an object { metricName: number }.`,
        { argument: 'fitAndScore', split: index },
      );
    }
    const names = Object.keys(scores).sort();
    if (metricNames === undefined) {
      if (names.length === 0) {
        throw new TlkitError('INVALID_ARGUMENT', 'fitAndScore returned no metrics for split 0.', {
          argument: 'fitAndScore',
        });
      }
      metricNames = names;
    } else if (names.join('\u0000') !== metricNames.join('\u0000')) {
      throw new TlkitError(
        'INVALID_ARGUMENT',
        `split ${index} reported metrics [${names.join(', ')}] but split 0 reported [${metricNames.join(', ')}]; report the same metrics for every split.`,
        { argument: 'fitAndScore', split: index },
      );
    }
    for (const name of names) {
      const value = scores[name];
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new TlkitError(
          'NUMERICAL_ERROR',
          `split ${index} reported ${name} = ${String(value)}; every score must be a finite number.`,
          { argument: 'fitAndScore', split: index, metric: name },
        );
      }
    }
    results.push({ ...scores });
  }
  const summary: Record<string, MetricSummary> = {};
  for (const name of metricNames as string[]) {
    const values = results.map((scores) => scores[name]);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
    summary[name] = { mean, std: Math.sqrt(variance), min: Math.min(...values), max: Math.max(...values) };
  }
  return { numSplits: splits.length, splits: results, summary };
}
