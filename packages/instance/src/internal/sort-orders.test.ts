import { compose, definePlugin, Matrix, readJson } from '@tlkit/core';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { tradaboost } from '../tradaboost';
import { tradaboostR2 } from '../tradaboost-r2';
import { lendForSortOrderReuse, sortOrders } from './sort-orders';

/** Row indices sorted by each column, computed naively (stable sort of [value, index] pairs). */
function naiveOrders(X: Matrix): number[][] {
  return Array.from({ length: X.cols }, (_, j) =>
    Array.from({ length: X.rows }, (_, i) => i).sort((a, b) => X.get(a, j) - X.get(b, j) || a - b),
  );
}

const sample = () => Matrix.fromRows([[3, 0], [1, 0], [2, -1], [1, 5]]);

describe('sortOrders', () => {
  it('sorts every column (ties by row index) and, outside a loan, follows in-place edits', () => {
    const X = sample();
    expect(sortOrders(X).map((order) => Array.from(order))).toEqual([[1, 3, 2, 0], [2, 0, 1, 3]]);
    X.data[0] = -7; // row 0, column 0 becomes the smallest
    expect(sortOrders(X).map((order) => Array.from(order))).toEqual(naiveOrders(X));
    expect(sortOrders(X)).not.toBe(sortOrders(X));
  });

  it('computes once per loan, and the loan ends when the run settles, even by throwing', async () => {
    const X = sample();
    let inside: Int32Array[] = [];
    await lendForSortOrderReuse(X, async () => {
      inside = sortOrders(X);
      expect(sortOrders(X)).toBe(inside);
      expect(sortOrders(sample())).not.toBe(inside); // another matrix with the same values is not lent
    });
    expect(sortOrders(X)).not.toBe(inside);
    await expect(
      lendForSortOrderReuse(X, async () => {
        inside = sortOrders(X);
        throw new Error('round failed');
      }),
    ).rejects.toThrow('round failed');
    expect(sortOrders(X)).not.toBe(inside);
  });
});

/** Records, per fit, the matrix it was given and the sort orders `sortOrders` returns for it. */
const seen: { X: Matrix; orders: Int32Array[] }[] = [];
const sortOrderSpyPlugin = definePlugin({
  name: 'test-sort-order-spy',
  kind: 'base',
  role: 'estimator',
  description: 'Test learner: records the sort orders of its training matrix; predicts 0 (class 0 or the value 0).',
  needs: { problems: ['classification', 'regression'], targetLabels: 'never', acceptsSampleWeights: true },
  configSchema: z.object({}).strict(),
  create: () => {
    const zeros = (problem: string) => ({
      predict: (X: Matrix) => (problem === 'regression' ? new Float64Array(X.rows) : new Int32Array(X.rows)),
      saveState: () => ({ json: { problem } }),
    });
    return {
      async doFit(input, context) {
        seen.push({ X: input.train.X, orders: sortOrders(input.train.X) });
        return zeros(context.problem);
      },
      doRestore: (state) => zeros(readJson<{ problem: string }>(state).problem),
    };
  },
});

describe('boosting lends its merged matrix: the base learner sorts it once per run', () => {
  const column = (values: number[]) => Matrix.fromRows(values.map((value) => [value]));
  const task = {
    source: { X: column([-2, -1, 1, 2]), y: [0, 1, 1, 0] },
    target: { X: column([0, 3]) },
    targetLabeled: { X: column([-1, 1, 2]), y: [1, 0, 1] },
  };

  for (const [name, run] of [
    ['tradaboost', () => compose(tradaboost({ rounds: 3, base: sortOrderSpyPlugin.create() })).fit({ ...task, problem: 'classification', numClasses: 2 })],
    ['tradaboost-r2', () => compose(tradaboostR2({ rounds: 3, base: sortOrderSpyPlugin.create() })).fit({ ...task, problem: 'regression' })],
  ] as const) {
    it(name, async () => {
      seen.length = 0;
      (await run()).dispose();
      expect(seen).toHaveLength(3);
      expect(seen[0].X.rows).toBe(7); // 4 source + 3 labelled target rows
      for (const round of seen) {
        expect(round.X).toBe(seen[0].X);
        expect(round.orders).toBe(seen[0].orders);
      }
      expect(seen[0].orders.map((order) => Array.from(order))).toEqual(naiveOrders(seen[0].X));
      expect(sortOrders(seen[0].X)).not.toBe(seen[0].orders); // the loan ended with the fit
    });
  }
});
