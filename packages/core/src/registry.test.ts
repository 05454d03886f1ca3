import { describe, expect, it } from 'vitest';
import { TlkitError } from './errors';
import { definePlugin } from './plugin';
import { baseEstimatorPlugins, knn, logisticRegression } from './estimators';
import { compose, loadPipeline } from './pipeline';
import { getPlugin, hasPlugin, listPlugins, registerPlugin, resolveStep, unregisterPlugin } from './registry';
import { mlpPlugin, trainerPlugin } from './training/trainer';
import * as z from 'zod';

const coreNames = ['knn', 'logreg', 'ridge', 'svm', 'svc', 'trainer', 'mlp'];
/** Runs `body` with none of core's plugins registered (as in a fresh process), then restores them. */
async function withoutRegistration<T>(body: () => Promise<T> | T): Promise<T> {
  const registered = coreNames.filter((name) => hasPlugin(name) && getPlugin(name) !== [...baseEstimatorPlugins, trainerPlugin, mlpPlugin].find((plugin) => plugin.name === name));
  expect(registered, 'no test replaced a core plugin').toEqual([]);
  for (const name of coreNames) unregisterPlugin(name);
  try {
    return await body();
  } finally {
    registerPlugin([...baseEstimatorPlugins, trainerPlugin, mlpPlugin]);
  }
}

const task = {
  source: { X: [[0, 0], [0.5, 0.2], [4, 4], [4.2, 3.9]], y: [0, 0, 1, 1] },
  target: { X: [[1, 1], [1.3, 0.9], [5, 5], [5.1, 4.8]] },
  problem: 'classification' as const,
};

describe("core's own plugins are known by name without registration", () => {
  it('getPlugin, hasPlugin, listPlugins and resolveStep find them', async () => {
    await withoutRegistration(() => {
      for (const name of coreNames) {
        expect(hasPlugin(name)).toBe(true);
        expect(getPlugin(name).name).toBe(name);
      }
      expect(listPlugins().map((plugin) => plugin.name)).toEqual(expect.arrayContaining(coreNames));
      const step = resolveStep({ use: 'knn', k: 3 }, 'estimator');
      expect(step.name).toBe('knn');
      expect(step.config.k).toBe(3);
    });
  });

  it('a saved pipeline of core estimators loads in a process that registered nothing, with the same predictions', async () => {
    for (const estimator of [logisticRegression({ C: 1 }), knn({ k: 1 })]) {
      const fitted = await compose(estimator).fit(task, { seed: 0 });
      const bytes = await fitted.save();
      const expected = Array.from(fitted.predict(task.target.X));
      const restored = await withoutRegistration(() => loadPipeline(bytes));
      expect(Array.from(restored.predict(task.target.X))).toEqual(expected);
    }
  });

  it('an unknown name lists the core names among the known ones', async () => {
    await withoutRegistration(() => {
      expect(() => getPlugin('no-such-step')).toThrow(/Known: .*knn.*logreg/);
      expect(() => getPlugin('no-such-step')).not.toThrow(/Did you mean/);
      expect(() => getPlugin('logred')).toThrow(/no plugin named 'logred' is registered\. Did you mean 'logreg'\? Known:/);
      for (const name of [undefined, 42]) expect(() => getPlugin(name as never)).toThrow(TlkitError);
    });
  });

  it('a registered plugin of the same name needs { replace: true }, and then wins', () => {
    const other = definePlugin({
      name: 'ridge',
      kind: 'base',
      role: 'estimator',
      description: 'test: another ridge',
      needs: { problems: ['regression'], targetLabels: 'never', acceptsSampleWeights: false },
      configSchema: z.object({}).strict(),
      create: () => {
        throw new Error('not used');
      },
    });
    expect(() => registerPlugin(other)).toThrow(/already registered as 'ridge'/);
    registerPlugin(other, { replace: true });
    try {
      expect(getPlugin('ridge')).toBe(other);
      expect(listPlugins().filter((plugin) => plugin.name === 'ridge')).toEqual([other]);
    } finally {
      unregisterPlugin('ridge');
    }
    expect(getPlugin('ridge').description).not.toBe('test: another ridge');
  });
});
