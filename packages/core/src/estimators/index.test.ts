import { describe, expect, it } from 'vitest';
import { getPlugin, registerPlugin, resolveStep } from '../registry';
import { baseEstimatorPlugins, fitKnn, fitLinearSvm, fitLogisticRegression, fitRidge, fitSvc, knn, logisticRegression, proxyADistance, ridge, svc, svm } from './index';

describe('the estimators index', () => {
  it('registers every base estimator plugin under its registry name', () => {
    registerPlugin(baseEstimatorPlugins);
    expect(baseEstimatorPlugins.map((plugin) => plugin.name)).toEqual(['knn', 'logreg', 'ridge', 'svm', 'svc']);
    for (const plugin of baseEstimatorPlugins) {
      expect(getPlugin(plugin.name)).toBe(plugin);
      expect(plugin.kind).toBe('base');
      expect(plugin.role).toBe('estimator');
    }
    const step = resolveStep({ use: 'svm', C: 'source-cv' }, 'estimator');
    expect(step.config).toMatchObject({ C: 'source-cv', cvFolds: 5 });
  });

  it('exports a factory and a low-level function per estimator', () => {
    expect([knn(), logisticRegression(), ridge(), svm(), svc()].map((step) => step.name)).toEqual(['knn', 'logreg', 'ridge', 'svm', 'svc']);
    expect([fitKnn, fitLogisticRegression, fitRidge, fitLinearSvm, fitSvc, proxyADistance].every((fn) => typeof fn === 'function')).toBe(true);
  });
});
