import { logisticRegression, ridge } from '@tlkit/core';
import { describe, expect, it } from 'vitest';
import { decisionTree } from '../decision-tree';
import { interpolationAdvice } from './boosting';

describe('interpolationAdvice', () => {
  it('suggests more regularisation than the base learner in use, not the setting it already has', () => {
    // The default base of TrAdaBoost: its advice used to suggest C = 0.001, the value in use.
    expect(interpolationAdvice(logisticRegression({ C: 0.001 }), 'classification')).toContain("than the C = 0.001 in use (e.g. { use: 'logreg', C: 0.0001 })");
    expect(interpolationAdvice(logisticRegression(), 'classification')).toContain("{ use: 'logreg', C: 0.1 }");
    expect(interpolationAdvice(ridge({ alpha: 10 }), 'regression')).toContain("than the alpha = 10 in use (e.g. { use: 'ridge', alpha: 100 })");
    expect(interpolationAdvice(decisionTree({ maxDepth: 30 }), 'classification')).toContain("than the maxDepth = 30 in use (e.g. { use: 'decision-tree', maxDepth: 15 })");
  });

  it('falls back to the general advice for other learners and for a stump', () => {
    expect(interpolationAdvice(decisionTree({ maxDepth: 1 }), 'classification')).toBe(
      "Use a base learner that cannot interpolate them: stronger regularisation (e.g. { use: 'logreg', C: 0.001 }) or a shallow tree ({ use: 'decision-tree', maxDepth: 2 }).",
    );
    expect(interpolationAdvice(ridge({ alpha: 0 }), 'regression')).toBe(
      "Use a base regressor that cannot interpolate them: stronger regularisation (e.g. { use: 'ridge', alpha: 10 }) or a shallow tree ({ use: 'decision-tree', maxDepth: 3 }).",
    );
  });
});
