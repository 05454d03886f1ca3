import { describe, expect, it } from 'vitest';
import { stepDiagnostics } from './experiment';

describe('stepDiagnostics', () => {
  it('keeps scalars and short numeric lists of each step, drops vectors and nested objects', () => {
    const longList = Array.from({ length: 101 }, (_, index) => index);
    const [kmm, trainer] = stepDiagnostics([
      { step: 'kmm', role: 'weighting', seconds: 1.5, info: { effectiveSampleSize: 913.2, converged: true, method: 'exact', weights: longList } },
      { step: 'trainer', role: 'estimator', seconds: 2, info: { epochs: 3, roundErrors: [0.1, 0.2], history: [{ losses: { task: 1 } }] } },
    ]);
    expect(kmm).toEqual({ step: 'kmm', role: 'weighting', seconds: 1.5, info: { effectiveSampleSize: 913.2, converged: true, method: 'exact' } });
    expect(trainer.info).toEqual({ epochs: 3, roundErrors: [0.1, 0.2] });
    expect(stepDiagnostics([{ step: 'knn', role: 'estimator', seconds: 0 }])[0].info).toEqual({});
  });
});
