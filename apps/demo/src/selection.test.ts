import * as core from '@tlkit/core';
import { deriveSeed, kFoldSplits, prepareTask, TlkitError } from '@tlkit/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseExperimentConfig } from './config';
import { registerModuleExports } from './plugins';
import { applySettings, bestCandidate, gridCandidates, parseSettingPath, selectByCrossValidation } from './selection';

beforeAll(() => {
  registerModuleExports(core as unknown as Record<string, unknown>);
});

describe('setting paths and grids', () => {
  it('parses steps[N].a.b and rejects anything else', () => {
    expect(parseSettingPath('steps[1].optimizer.learningRate')).toEqual({ step: 1, keys: ['optimizer', 'learningRate'] });
    expect(parseSettingPath('steps[0].k')).toEqual({ step: 0, keys: ['k'] });
    for (const bad of ['steps.1.k', 'steps[1]', 'k', 'steps[-1].k', 'steps[1].a..b']) expect(parseSettingPath(bad)).toBeNull();
  });

  it('lists every combination, the first path varying slowest', () => {
    expect(gridCandidates({ 'steps[0].a': [1, 2], 'steps[0].b': ['x', 'y', 'z'] })).toEqual([
      { 'steps[0].a': 1, 'steps[0].b': 'x' },
      { 'steps[0].a': 1, 'steps[0].b': 'y' },
      { 'steps[0].a': 1, 'steps[0].b': 'z' },
      { 'steps[0].a': 2, 'steps[0].b': 'x' },
      { 'steps[0].a': 2, 'steps[0].b': 'y' },
      { 'steps[0].a': 2, 'steps[0].b': 'z' },
    ]);
  });

  it('sets nested settings on a copy, creating missing objects', () => {
    const steps = [{ use: 'fine-tune' }, { use: 'trainer', optimizer: { type: 'adam', learningRate: 0.001 } }];
    const changed = applySettings(steps, { 'steps[1].optimizer.learningRate': 0.0001, 'steps[0].learningRates.layerDecay': 0.5 });
    expect(changed).toEqual([
      { use: 'fine-tune', learningRates: { layerDecay: 0.5 } },
      { use: 'trainer', optimizer: { type: 'adam', learningRate: 0.0001 } },
    ]);
    expect((steps[1] as { optimizer: { learningRate: number } }).optimizer.learningRate).toBe(0.001);
    expect(() => applySettings(steps, { 'steps[2].k': 1 })).toThrow(/steps\[N\]/);
  });
});

describe('config validation of select', () => {
  const base = {
    dataset: 'office_caltech10_surf',
    pairs: [['dslr', 'webcam']],
    targetLabeled: { perClass: 3 },
    pipelines: [{ name: 'knn', trainOn: 'target', steps: [{ use: 'knn' }], select: { folds: 3, grid: { 'steps[0].k': [1, 3] } } }],
  };

  it('accepts a good select and names each bad field', () => {
    expect(parseExperimentConfig(base).pipelines[0].select).toEqual({ folds: 3, grid: { 'steps[0].k': [1, 3] } });
    const { targetLabeled: _, ...withoutLabels } = base;
    expect(() => parseExperimentConfig({ ...withoutLabels, pipelines: [{ ...base.pipelines[0], trainOn: 'source' }] })).toThrow(
      /pipelines\.0\.select: select cross-validates on the labelled target samples/,
    );
    expect(() => parseExperimentConfig({ ...base, pipelines: [{ ...base.pipelines[0], select: { folds: 4, grid: { 'steps[0].k': [1] } } }] })).toThrow(
      /select\.folds: 4 folds of 3 labelled samples per class/,
    );
    expect(() => parseExperimentConfig({ ...base, pipelines: [{ ...base.pipelines[0], select: { grid: { 'steps[1].k': [1] } } }] })).toThrow(
      /'steps\[1\]\.k' is not steps\[N\]/,
    );
    expect(() => parseExperimentConfig({ ...base, pipelines: [{ ...base.pipelines[0], select: { grid: {} } }] })).toThrow(/at least one setting path/);
    const deep = {
      ...base,
      pipelines: [
        {
          name: 'fine-tune',
          trainOn: 'target',
          steps: [{ use: 'fine-tune' }, { use: 'trainer', pretrain: { epochs: 1 } }],
          select: { folds: 3, grid: { 'steps[1].optimizer.learningRate': [0.001, 0.003] } },
        },
      ],
    };
    expect(() => parseExperimentConfig(deep)).toThrow(/would also change the pre-training optimizer.*give pretrain its own "optimizer"/);
    const ownOptimizer = structuredClone(deep);
    (ownOptimizer.pipelines[0].steps[1] as { pretrain: Record<string, unknown> }).pretrain.optimizer = { type: 'adam', learningRate: 0.001 };
    expect(parseExperimentConfig(ownOptimizer).pipelines[0].select).toBeDefined();
    const withCheckpoint = structuredClone(ownOptimizer);
    (withCheckpoint.pipelines[0].steps[1] as Record<string, unknown>).checkpoint = { key: 'k' };
    expect(() => parseExperimentConfig(withCheckpoint)).toThrow(/steps\.1\.checkpoint: select fits the pipeline once per fold/);
  });
});

describe('selectByCrossValidation', () => {
  // 1-D labelled target points; class 1 sits between two groups of class 0, so 1-NN and 5-NN differ.
  const labeledX = [[0], [0.2], [0.4], [0.6], [5], [5.2], [5.4], [5.6], [10], [10.2], [10.4], [10.6]];
  const labeledY = [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0];
  const task = prepareTask({
    source: { X: [[0], [5], [10]], y: [0, 1, 0] },
    target: { X: [[1], [2]] },
    targetLabeled: { X: labeledX, y: labeledY },
    targetTest: { X: [[5.1]], y: [1] },
    problem: 'classification',
    numClasses: 2,
  });

  /** k-NN by hand (ties → the lowest index among equals, majority ties → the lower class). */
  function handKnn(trainRows: Int32Array, query: number, k: number): number {
    const order = Array.from(trainRows).sort((a, b) => Math.abs(labeledX[a][0] - query) - Math.abs(labeledX[b][0] - query) || a - b);
    const votes = [0, 0];
    for (const row of order.slice(0, k)) votes[labeledY[row]]++;
    return votes[1] > votes[0] ? 1 : 0;
  }

  it('scores each candidate by the mean accuracy over stratified folds, as computed by hand, and picks the best', async () => {
    const pipeline = parseExperimentConfig({
      dataset: 'office_caltech10_surf',
      targetLabeled: { perClass: 4 },
      pipelines: [{ name: 'knn', trainOn: 'target', steps: [{ use: 'knn' }], select: { folds: 4, grid: { 'steps[0].k': [7, 1] } } }],
    }).pipelines[0];
    const result = await selectByCrossValidation(pipeline, pipeline.select!, task, { seed: 3, trainOn: 'target' });
    const splits = kFoldSplits(12, { k: 4, seed: deriveSeed(3, 'select-folds'), stratify: Int32Array.from(labeledY) });
    const expected = [7, 1].map((k) =>
      splits.map((split) => {
        const hits = Array.from(split.test).filter((row) => handKnn(split.train, labeledX[row][0], k) === labeledY[row]).length;
        return hits / split.test.length;
      }),
    );
    expect(result.metric).toBe('accuracy');
    expect(result.candidates.map((candidate) => candidate.foldScores)).toEqual(expected);
    // 1-NN is right on every fold (each point has a same-class neighbour 0.2 away); 7-NN is
    // outvoted on class 1 (at most 3 class-1 training points among 9).
    expect(result.candidates[1].score).toBe(1);
    expect(result.candidates[0].score).toBeLessThan(1);
    expect(result.chosen).toEqual({ 'steps[0].k': 1 });
  });

  it('never looks at the scored test split: a different test set gives the same choice and scores', async () => {
    const pipeline = parseExperimentConfig({
      dataset: 'office_caltech10_surf',
      targetLabeled: { perClass: 4 },
      pipelines: [{ name: 'knn', trainOn: 'target', steps: [{ use: 'knn' }], select: { folds: 4, grid: { 'steps[0].k': [7, 1] } } }],
    }).pipelines[0];
    const other = prepareTask({
      source: { X: [[0], [5], [10]], y: [0, 1, 0] },
      target: { X: [[1], [2]] },
      targetLabeled: { X: labeledX, y: labeledY },
      targetTest: { X: [[100], [-3], [7]], y: [0, 0, 1] },
      problem: 'classification',
      numClasses: 2,
    });
    const first = await selectByCrossValidation(pipeline, pipeline.select!, task, { seed: 3, trainOn: 'target' });
    const second = await selectByCrossValidation(pipeline, pipeline.select!, other, { seed: 3, trainOn: 'target' });
    expect(second).toEqual(first);
  });

  it('keeps the first of equal candidates; lower is better for errors', () => {
    const scores = [0.5, 0.8, 0.8, 0.2].map((score, index) => ({ values: { 'steps[0].k': index }, score, foldScores: [score] }));
    expect(bestCandidate(scores, true).values).toEqual({ 'steps[0].k': 1 });
    expect(bestCandidate(scores, false).values).toEqual({ 'steps[0].k': 3 });
    expect(bestCandidate([scores[1], scores[2]], false).values).toEqual({ 'steps[0].k': 1 });
    // A diverged fit (NaN mean squared error) is never chosen, even listed first.
    const diverged = { values: { 'steps[0].k': 9 }, score: Number.NaN, foldScores: [Number.NaN] };
    expect(bestCandidate([diverged, scores[0], scores[1]], false).values).toEqual({ 'steps[0].k': 0 });
    expect(bestCandidate([diverged, scores[0], scores[1]], true).values).toEqual({ 'steps[0].k': 1 });
    expect(() => bestCandidate([diverged], false)).toThrow(TlkitError);
  });

  it('treats fold means that differ only by rounding as a tie (the first listed wins)', () => {
    const sumInOrder = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    // The same three fold scores in two orders: 0.19999999999999998 and 0.20000000000000004.
    const later = sumInOrder([0.3, 0.2, 0.1]);
    const sooner = sumInOrder([0.1, 0.2, 0.3]);
    expect(sooner).toBeGreaterThan(later);
    const candidates = [
      { values: { 'steps[0].k': 0 }, score: later, foldScores: [0.3, 0.2, 0.1] },
      { values: { 'steps[0].k': 1 }, score: sooner, foldScores: [0.1, 0.2, 0.3] },
    ];
    expect(bestCandidate(candidates, true).values).toEqual({ 'steps[0].k': 0 });
    expect(bestCandidate([...candidates].reverse(), false).values).toEqual({ 'steps[0].k': 1 });
    // A real difference, however small against the score, still decides.
    const closer = { values: { 'steps[0].k': 2 }, score: later + 1e-9, foldScores: [later + 1e-9] };
    expect(bestCandidate([...candidates, closer], true).values).toEqual({ 'steps[0].k': 2 });
    expect(bestCandidate([closer, ...candidates], false).values).toEqual({ 'steps[0].k': 0 });
  });
});
