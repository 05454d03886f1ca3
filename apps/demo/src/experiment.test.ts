import { beforeAll, describe, expect, it } from 'vitest';
import { parseExperimentConfig } from './config';
import { checkPipelines, stepDiagnostics } from './experiment';
import { registerBuiltInPlugins } from './plugins';

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

describe('checkPipelines', () => {
  beforeAll(async () => {
    await registerBuiltInPlugins();
  });
  const config = (pipelines: unknown[], extra: Record<string, unknown> = {}) => parseExperimentConfig({ dataset: 'x', pipelines, ...extra });

  it('checks the needs of every pipeline from the config alone: target labels, problem type', () => {
    const labels = config([
      { name: 'lr', steps: [{ use: 'logreg' }] },
      { name: 'boost', steps: [{ use: 'tradaboost' }] },
    ]);
    expect(() => checkPipelines(labels)).toThrow(/^\[MISSING_TARGET_LABELS\] pipelines\[1\]\.steps\[0\] \(pipeline "boost", 'tradaboost'\): .*"targetLabeled"/);
    expect(() => checkPipelines(config([{ name: 'knn', steps: [{ use: 'knn' }] }], { problem: 'regression' }))).toThrow(
      /^\[UNSUPPORTED_PROBLEM\] pipelines\[0\]\.steps\[0\] \(pipeline "knn", 'knn'\)/,
    );
    expect(() => checkPipelines(config([{ name: 'knn', steps: [{ use: 'knn' }] }]))).not.toThrow();
  });

  it('checks every select candidate, naming the grid', () => {
    const selecting = config([{ name: 'cv', trainOn: 'target', steps: [{ use: 'knn' }], select: { folds: 2, grid: { 'steps[0].k': [1, -3] } } }], {
      targetLabeled: { perClass: 3 },
    });
    expect(() => checkPipelines(selecting)).toThrow(/pipelines\[0\]\.select\.grid \{"steps\[0\]\.k":-3\}: pipelines\[0\]\.steps\[0\] \(pipeline "cv", 'knn'\): .*k/);
  });
});
