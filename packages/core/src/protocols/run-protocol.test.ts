import { describe, expect, it } from 'vitest';
import { isTlkitError } from '../errors';
import { runProtocol } from './run-protocol';
import { kFoldSplits, type Split } from './splits';

async function codeOf(action: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await action();
  } catch (error) {
    return isTlkitError(error) ? error.code : `not a TlkitError: ${String(error)}`;
  }
  return undefined;
}

const threeSplits: Split[] = [0, 1, 2].map((i) => ({ train: Int32Array.of(i), test: Int32Array.of(i) }));

describe('runProtocol', () => {
  it('aggregates mean, population std, min and max per metric (hand-worked)', async () => {
    const scores = [
      { accuracy: 0.5, loss: 2 },
      { accuracy: 0.7, loss: 1 },
      { accuracy: 0.9, loss: 3 },
    ];
    const result = await runProtocol(threeSplits, async (_split, index) => scores[index]);
    expect(result.numSplits).toBe(3);
    expect(result.splits).toEqual(scores);
    expect(result.summary.accuracy.mean).toBeCloseTo(0.7, 15);
    expect(result.summary.accuracy.std).toBeCloseTo(Math.sqrt(0.08 / 3), 15);
    expect(result.summary.loss).toEqual({ mean: 2, std: Math.sqrt(2 / 3), min: 1, max: 3 });
  });

  it('runs splits in order and passes each split to fitAndScore', async () => {
    const labels = Array.from({ length: 20 }, (_, i) => i % 2);
    const visited: number[] = [];
    const result = await runProtocol(kFoldSplits(20, { k: 5, seed: 0, stratify: labels }), (split, index) => {
      visited.push(index);
      const positives = Array.from(split.test).filter((i) => labels[i] === 1).length;
      return { positiveShare: positives / split.test.length, testSize: split.test.length };
    });
    expect(visited).toEqual([0, 1, 2, 3, 4]);
    expect(result.summary.positiveShare).toEqual({ mean: 0.5, std: 0, min: 0.5, max: 0.5 });
    expect(result.summary.testSize.mean).toBe(4);
  });

  it('rejects no splits, differing metric names and non-finite scores', async () => {
    expect(await codeOf(() => runProtocol([], () => ({ a: 1 })))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => runProtocol(threeSplits, (_s, i) => (i === 1 ? { b: 1 } : { a: 1 }) as Record<string, number>))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(await codeOf(() => runProtocol(threeSplits, () => ({ a: Number.NaN })))).toBe('NUMERICAL_ERROR');
  });
});
