/**
 * `makeTransferTask`'s return type is what it returns (reviews/pack-install.md, finding 3): Matrix
 * rows, Int32Array labels and a `targetTest` that is always set, so the README's TypeScript
 * compiles without casts and `selectDomainRows` takes the task's domains. Checked by
 * `pnpm --filter @tlkit/datasets typecheck` (this file is in tsconfig's `include`); with the old
 * `TransferTask` return type the lines below are type errors. The runtime assertions keep the
 * type honest.
 */
import { compose, knn, Matrix, type TransferTask } from '@tlkit/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { type DatasetTransferTask, makeTransferTask, selectDomainRows } from '../src/index';
import { loadShippedDataset } from '../src/node/index';

describe('makeTransferTask return type', () => {
  it('has Matrix / Int32Array domains and a targetTest, at compile time and at run time', async () => {
    const office = await loadShippedDataset('office_caltech10_surf');
    const task = makeTransferTask(office, 'caltech', 'amazon');
    expectTypeOf(task).toEqualTypeOf<DatasetTransferTask>();
    expectTypeOf(task).toMatchTypeOf<TransferTask>();
    const rows: number = task.source.X.rows;
    const label: number = task.targetTest.y[0];
    const everyHundredth = selectDomainRows(task.source, Array.from({ length: 11 }, (_, k) => 100 * k));
    expect(rows).toBe(1123);
    expect(Number.isInteger(label)).toBe(true);
    expect(everyHundredth.X.rows).toBe(11);
    for (const domain of [task.source, task.target, task.targetTest]) {
      expect(domain.X).toBeInstanceOf(Matrix);
      expect(domain.y).toBeInstanceOf(Int32Array);
      expect(typeof domain.name).toBe('string');
    }
    expect(task.problem).toBe('classification');
    // Still a TransferTask: fit takes it as is.
    const fitted = await compose(knn({ k: 1 })).fit(task);
    expect(fitted.predict(task.targetTest.X.selectRows([0, 1]))).toHaveLength(2);
    fitted.dispose();
  });
});
