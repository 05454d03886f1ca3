import { isTlkitError, type Matrix, prepareTask } from '@tlkit/core';
import { describe, expect, it } from 'vitest';
import { loadShippedDataset } from './node/load';
import { preprocess } from './preprocess';
import { resizeImages } from './resize';
import { makeTransferTask } from './task';

describe('makeTransferTask', () => {
  const loadDigits = loadShippedDataset('mnist_usps');
  it('office C→A: standard preprocessing per domain, target rows reused as the labelled test set', async () => {
    const office = await loadShippedDataset('office_caltech10_surf', { domains: ['caltech', 'amazon'] });
    const task = makeTransferTask(office, 'caltech', 'amazon');
    const [caltech, amazon] = preprocess('office_caltech10_surf', [office.domains.caltech, office.domains.amazon], 'standard');
    const same = (a: unknown, b: Matrix) => Buffer.from((a as Matrix).data.buffer).equals(Buffer.from(b.data.buffer));
    expect(same(task.source.X, caltech.X)).toBe(true);
    expect(same(task.target.X, amazon.X)).toBe(true);
    expect(task.targetTest?.X).toBe(task.target.X);
    expect(task.targetTest?.y).toBe(office.domains.amazon.y);
    expect(task.numClasses).toBe(10);
    const prepared = prepareTask(task); // passes core's boundary validation
    expect(prepared.featureDim).toBe(800);
    expect(prepared.target.y).toBeUndefined();
  });

  it('mnist_usps: resizes to a shared shape, selects splits, scales to [0, 1]', async () => {
    const digits = await loadDigits;
    const task = makeTransferTask(digits, 'mnist', 'usps', { resizeTo: [16, 16, 1], targetSplit: 'test' });
    const source = task.source.X as Matrix;
    const target = task.target.X as Matrix;
    expect([source.rows, source.cols]).toEqual([10000, 256]);
    expect([target.rows, target.cols]).toEqual([2007, 256]);
    expect(task.source.shape).toEqual([16, 16, 1]);
    const expectedFirst = resizeImages(digits.domains.mnist.X.selectRows([0]), [28, 28, 1], [16, 16, 1]).data.map((v) => v / 255);
    expect(Array.from(source.data.subarray(0, 256))).toEqual(Array.from(expectedFirst));
    expect(target.data.every((value) => value >= 0 && value <= 1)).toBe(true);
  });

  it('refuses domains of different sizes without resizeTo, and unknown domains', async () => {
    const digits = await loadDigits;
    try {
      makeTransferTask(digits, 'usps', 'mnist');
      expect.unreachable();
    } catch (error) {
      expect(isTlkitError(error, 'DIMENSION_MISMATCH')).toBe(true);
      expect((error as Error).message).toContain('resizeTo');
    }
    expect(() => makeTransferTask(digits, 'usps', 'svhn')).toThrow(/no loaded domain "svhn"/);
    expect(() => makeTransferTask(digits, 'mnis', 'usps')).toThrow(/no loaded domain "mnis"\. Did you mean 'mnist'\? Loaded: /);
  });
});
