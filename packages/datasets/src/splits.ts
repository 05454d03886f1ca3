import { didYouMean, Matrix, TlkitError } from '@tlkit/core';
import type { DatasetDomain } from './types';

/**
 * The rows of a named split of a domain, e.g. the official USPS test set
 * (`selectSplit(usps, 'test')` → rows [7291, 9298)). The splits come from the domain's
 * `meta.json` (`splits`: name → half-open row range).
 *
 * The result is a new domain (X and y copied) with `split` set and no `splits`; its `meta` still
 * describes the whole file.
 *
 * @param domain - a loaded domain.
 * @param splitName - e.g. `'train'` or `'test'`.
 * @throws TlkitError `INVALID_ARGUMENT` naming the available splits when the domain has no split
 * of that name (or none at all), and when a range lies outside the domain's rows.
 * @example
 * ```ts
 * const usps = await loadDomain('mnist_usps', 'usps'); // from '@tlkit/datasets/node'
 * const uspsTest = selectSplit(usps, 'test');
 * uspsTest.X.rows; // 2007
 * ```
 */
export function selectSplit(domain: DatasetDomain, splitName: string): DatasetDomain {
  if (!domain || !(domain.X instanceof Matrix) || !(domain.y instanceof Int32Array)) {
    throw new TlkitError('INVALID_ARGUMENT', 'domain must be a loaded DatasetDomain { X: Matrix, y: Int32Array, ... }.', {
      argument: 'domain',
    });
  }
  const splits = domain.splits ?? {};
  const available = Object.keys(splits);
  const range = Object.hasOwn(splits, splitName) ? splits[splitName] : undefined;
  if (!range) {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      available.length === 0
        ? `domain ${domain.dataset}/${domain.name} has no named splits (its meta.json has no "splits"), so split ${JSON.stringify(splitName)} cannot be selected; use all rows, or sampleLabeledPerClass for a random split.`
        : `domain ${domain.dataset}/${domain.name} has no split ${JSON.stringify(splitName)}.${didYouMean(String(splitName), available)} Its splits are ${available
            .map((name) => `${name} [${splits[name][0]}, ${splits[name][1]})`)
            .join(', ')}.`,
      { argument: 'splitName', available },
    );
  }
  const [start, end] = range;
  const n = domain.X.rows;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > n || start > end) {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `split ${splitName} of ${domain.dataset}/${domain.name} is [${start}, ${end}), outside the domain's ${n} rows; fix "splits" in its meta.json.`,
      { argument: 'splitName' },
    );
  }
  const cols = domain.X.cols;
  const X = new Matrix(end - start, cols, domain.X.data.slice(start * cols, end * cols));
  const { splits: _ignored, ...rest } = domain;
  return { ...rest, X, y: domain.y.slice(start, end), split: { name: splitName, range: [start, end] } };
}

/**
 * The given rows of a domain, in that order (X and y copied; `splits` dropped, since the row
 * ranges no longer apply), e.g. the `labeled` rows from {@link sampleLabeledPerClass}.
 *
 * @param domain - a domain with `X` and `y`.
 * @param rows - row indices in `0..n-1`.
 * @throws TlkitError `INVALID_ARGUMENT` for an index out of range.
 * @example
 * ```ts
 * const { labeled, rest } = sampleLabeledPerClass(amazon.y, 3, 7);
 * const targetLabeled = selectDomainRows(amazon, labeled);
 * const target = selectDomainRows(amazon, rest);
 * ```
 */
export function selectDomainRows<T extends { readonly X: Matrix; readonly y: Int32Array }>(domain: T, rows: ArrayLike<number>): T {
  if (!domain || !(domain.X instanceof Matrix) || !(domain.y instanceof Int32Array)) {
    throw new TlkitError('INVALID_ARGUMENT', 'domain must have X: Matrix and y: Int32Array.', { argument: 'domain' });
  }
  const n = domain.X.rows;
  const picked = new Int32Array(rows.length);
  for (let k = 0; k < rows.length; k++) {
    const row = rows[k];
    if (!Number.isInteger(row) || row < 0 || row >= n) {
      throw new TlkitError('INVALID_ARGUMENT', `rows[${k}] = ${row} is not a row index of a domain with ${n} rows.`, {
        argument: 'rows',
      });
    }
    picked[k] = domain.y[row];
  }
  // Named row ranges no longer apply to a subset of the rows.
  const { splits: _ignored, ...rest } = domain as T & { splits?: unknown };
  return { ...rest, X: domain.X.selectRows(rows), y: picked } as unknown as T;
}
