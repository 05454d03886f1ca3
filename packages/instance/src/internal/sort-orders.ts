/**
 * Per-feature sort orders of a matrix (the row indices sorted by each column), which the
 * decision tree needs on every fit, and their reuse across the rounds of a boosting run.
 *
 * Reuse is opt-in: an order is kept only for a matrix whose owner has lent it with
 * {@link lendForSortOrderReuse} and is still inside that loan. The boosting strategies lend the
 * merged source + target matrix they build themselves and never change, for the duration of their
 * round loop. Any other matrix is sorted afresh on every fit, so a matrix edited in place between
 * two fits can never meet a stale order.
 *
 * @internal Not exported from the package.
 */
import type { Matrix } from '@tlkit/core';

/** Lent matrices, each with its orders once the first fit has computed them. */
const lentMatrices = new WeakMap<Matrix, { orders?: Int32Array[] }>();

function computeSortOrders(X: Matrix): Int32Array[] {
  const { rows, cols, data } = X;
  const orders: Int32Array[] = [];
  const keys = new Float64Array(rows);
  for (let j = 0; j < cols; j++) {
    for (let i = 0; i < rows; i++) keys[i] = data[i * cols + j];
    const order = Int32Array.from({ length: rows }, (_, i) => i);
    order.sort((a, b) => keys[a] - keys[b] || a - b);
    orders.push(order);
  }
  return orders;
}

/**
 * For every feature of `X`, the row indices sorted by that feature (ties by row index). Computed
 * once per loan for a lent matrix, on every call otherwise.
 */
export function sortOrders(X: Matrix): Int32Array[] {
  const loan = lentMatrices.get(X);
  if (!loan) return computeSortOrders(X);
  loan.orders ??= computeSortOrders(X);
  return loan.orders;
}

/**
 * Lets every fit on `X` share one sort order until `run` settles. The caller promises not to
 * change `X` meanwhile (it should be a matrix the caller built itself and hands to nobody who
 * edits it). The orders are dropped when `run` settles, even when it throws.
 */
export async function lendForSortOrderReuse<T>(X: Matrix, run: () => Promise<T>): Promise<T> {
  if (lentMatrices.has(X)) return run(); // already lent by an enclosing run
  lentMatrices.set(X, {});
  try {
    return await run();
  } finally {
    lentMatrices.delete(X);
  }
}
