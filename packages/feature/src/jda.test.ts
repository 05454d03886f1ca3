import { compose, createRng, knn, logisticRegression, Matrix, matmulTransposeB, TlkitError } from '@tlkit/core';
import { describe, expect, it } from 'vitest';
import office from '../../core/test/fixtures/office_C_to_A.json';
import synthetic from '../../core/test/fixtures/synthetic_small.json';
import { countEqual, officePair } from '../test/office';
import { published } from '../test/published';
import { jointFactor, normalizeMmdFactor } from './internal/mmd-matrix';
import { fitJda, jda, type JdaOptions, jdaPlugin } from './jda';
import { tca } from './tca';

const noProgress = { progress: () => {}, throwIfAborted: () => {}, storage: undefined as never };

describe('jda', () => {
  it('builds M = C·M₀ + Σ_c M_c from the pseudo-labels (hand-worked, 2 classes)', () => {
    // Source labels [0, 0, 1], target pseudo-labels [1, 0, 1, 1]: ns = 3, nt = 4, C = 2.
    const E = jointFactor([0, 0, 1], [1, 0, 1, 1], 4, 2);
    const M = matmulTransposeB(E, E);
    const e0 = [1 / 3, 1 / 3, 1 / 3, -1 / 4, -1 / 4, -1 / 4, -1 / 4];
    const e1 = [1 / 2, 1 / 2, 0, 0, -1, 0, 0]; // class 0: two source rows, one target row
    const e2 = [0, 0, 1, -1 / 3, 0, -1 / 3, -1 / 3]; // class 1: one source row, three target rows
    for (let i = 0; i < 7; i++) {
      for (let j = 0; j < 7; j++) expect(M.get(i, j)).toBeCloseTo(2 * e0[i] * e0[j] + e1[i] * e1[j] + e2[i] * e2[j], 14);
    }
    // Frobenius normalisation: ‖M / ‖M‖_F‖_F = 1.
    const N = normalizeMmdFactor(jointFactor([0, 0, 1], [1, 0, 1, 1], 4, 2), 'frobenius');
    const MN = matmulTransposeB(N, N);
    let squared = 0;
    for (const value of MN.data) squared += value * value;
    expect(Math.sqrt(squared)).toBeCloseTo(1, 14);
    // A class without pseudo-labelled target rows keeps only its source part.
    const lonely = jointFactor([0, 1], [1, 1], 2, 2);
    expect(Array.from(lonely.column(1))).toEqual([1, 0, 0, 0]);
  });

  it('its first round is TCA', async () => {
    const task = { source: { X: synthetic.Xs, y: synthetic.ys }, target: { X: synthetic.Xt }, problem: 'classification' as const };
    const first = await compose(jda({ dim: 2, iterations: 1 }), knn({ k: 1 })).fit(task, { seed: 0 });
    const plain = await compose(tca({ dim: 2 }), knn({ k: 1 })).fit(task, { seed: 0 });
    const target = Matrix.fromRows(synthetic.Xt);
    const a = first.transform(target).data;
    const b = plain.transform(target).data;
    for (let index = 0; index < a.length; index++) expect(a[index]).toBeCloseTo(b[index], 12);
  });

  it('Office C→A: accuracy of rounds 1–4 as the reference (fixture; all 10 rounds in the demo)', async () => {
    const [source, target] = await officePair('caltech', 'amazon');
    const accuracies: number[] = [];
    await fitJda(
      { source: { X: source.X, y: source.y }, target: { X: target.X } },
      { seed: 0, rng: createRng(0), problem: 'classification', numClasses: 10, ...noProgress },
      jdaPlugin.configSchema.parse({ iterations: 4 }),
      knn({ k: 1 }),
      (_round, labels) => accuracies.push((100 * countEqual(labels, target.y)) / target.y.length),
    );
    accuracies.forEach((value, round) => expect(value).toBeCloseTo(office.jda.acc_per_iteration[round], 10));
  });

  for (const [source, target, pair] of [['webcam', 'dslr', 'W→D'], ['dslr', 'webcam', 'D→W']] as const) {
    it(`${pair}: within 0.7 points of the published ${published('jda', pair)} (MEDA paper, Table 2)`, async () => {
      const [s, t] = await officePair(source, target);
      const fitted = await compose(jda(), knn({ k: 1 })).fit({ source: s, target: { X: t.X }, problem: 'classification' }, { seed: 0 });
      const accuracy = (100 * countEqual(fitted.predict(t.X), t.y)) / t.y.length;
      expect(Math.abs(accuracy - published('jda', pair))).toBeLessThan(0.7);
    });
  }

  it('stops early when the pseudo-labels settle and reports each round', async () => {
    const task = { source: { X: synthetic.Xs, y: synthetic.ys }, target: { X: synthetic.Xt }, problem: 'classification' as const };
    const events: number[] = [];
    const fitted = await compose(jda({ dim: 2, iterations: 10 }), knn({ k: 1 })).fit(task, {
      seed: 0,
      onProgress: (event) => {
        if (event.phase === 'iteration') events.push(event.metrics?.changedPseudoLabels ?? -1);
      },
    });
    const info = fitted.reports[0].info as { iterations: number; changedPseudoLabels: number[] };
    expect(info.changedPseudoLabels).toEqual(events);
    expect(events[0]).toBe(5); // every target sample gets its first pseudo-label
    expect(events[events.length - 1]).toBe(0);
    expect(info.iterations).toBeLessThan(10);
  });

  it("pseudo-labels with a classifier given by name exactly as with the strategy (core's estimators need no registration)", async () => {
    const task = { source: { X: synthetic.Xs, y: synthetic.ys }, target: { X: synthetic.Xt }, problem: 'classification' as const };
    const embedding = async (classifier?: JdaOptions['classifier']) => {
      const fitted = await compose(jda({ dim: 2, iterations: 3, ...(classifier ? { classifier } : {}) }), knn({ k: 1 })).fit(task, { seed: 0 });
      const Z = fitted.transform(Matrix.fromRows(synthetic.Xt), 'target');
      fitted.dispose();
      return Array.from(Z.data);
    };
    const byName = await embedding({ use: 'logreg', C: 1e-4 });
    expect(byName).toEqual(await embedding(logisticRegression({ C: 1e-4 })));
    // A very strongly regularised logistic regression (C = 1e-4) pseudo-labels differently from the default 1-NN.
    expect(byName).not.toEqual(await embedding());
    expect(await embedding({ use: 'knn', k: 1 })).toEqual(await embedding());
  });

  it('takes a nested classifier by config and refuses regression', async () => {
    expect(jda({ classifier: { use: 'logreg', C: 0.5 } }).config.classifier).toEqual({ use: 'logreg', C: 0.5 });
    const regression = { source: { X: synthetic.Xs, y: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6] }, target: { X: synthetic.Xt }, problem: 'regression' as const };
    const step = jda({ dim: 2 });
    await expect(
      step.doFit({ source: { X: Matrix.fromRows(regression.source.X), y: Float64Array.from(regression.source.y) }, target: { X: Matrix.fromRows(regression.target.X) } }, {
        seed: 0,
        rng: createRng(0),
        problem: 'regression',
        numClasses: 0,
        ...noProgress,
      }),
    ).rejects.toBeInstanceOf(TlkitError);
  });
});
