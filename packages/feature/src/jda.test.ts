import { createRng, knn } from '@tlkit/core';
import { describe, expect, it } from 'vitest';
import office from '../../core/test/fixtures/office_C_to_A.json';
import { countEqual, officePair } from '../test/office';
import { fitJda, jdaPlugin } from './jda';

describe('jda on Office C→A (fixture parity)', () => {
  it('accuracy of every round', async () => {
    const [source, target] = await officePair('caltech', 'amazon');
    const accuracies: number[] = [];
    const t0 = performance.now();
    const options = jdaPlugin.configSchema.parse({});
    await fitJda(
      { source: { X: source.X, y: source.y }, target: { X: target.X } },
      { seed: 0, rng: createRng(0), problem: 'classification', numClasses: 10, progress: () => {}, throwIfAborted: () => {}, storage: undefined as never },
      options,
      knn({ k: 1 }),
      (_round, labels) => accuracies.push((100 * countEqual(labels, target.y)) / target.y.length),
    );
    console.log('seconds', (performance.now() - t0) / 1000, accuracies, office.jda.acc_per_iteration);
  });
});
