import { compose, createRng, knn, logisticRegression, Matrix, mmd2, proxyADistance, TlkitError } from '@tlkit/core';
import { domainIndicatorToy } from '@tlkit/datasets';
import { describe, expect, it } from 'vitest';
import office from '../../core/test/fixtures/office_C_to_A.json';
import synthetic from '../../core/test/fixtures/synthetic_small.json';
import { countEqual, officePair } from '../test/office';
import { published } from '../test/published';
import { tca, type TcaOptions } from './tca';

const syntheticTask = { source: { X: synthetic.Xs, y: synthetic.ys }, target: { X: synthetic.Xt }, problem: 'classification' as const };

async function fitOnSynthetic(options: TcaOptions) {
  return compose(tca(options), knn({ k: 1 })).fit(syntheticTask, { seed: 0 });
}

function gaussian(rows: number, cols: number, seed: number, shift: number): Matrix {
  const rng = createRng(seed);
  const out = new Matrix(rows, cols);
  for (let index = 0; index < out.data.length; index++) out.data[index] = rng.normal() + shift;
  return out;
}

describe('tca: parity with the reference implementation (synthetic fixture, dim 2, μ = 1)', () => {
  const cases: [string, TcaOptions, number[], number[]][] = [
    ['linear (dual)', { dim: 2 }, synthetic.tca_linear_dim2_mu1_theta, synthetic.tca_linear_dim2_mu1_pred],
    ['primal', { dim: 2, form: 'primal' }, synthetic.tca_primal_dim2_mu1_theta, synthetic.tca_primal_dim2_mu1_pred],
    ['rbf, γ = 1', { dim: 2, kernel: 'rbf' }, synthetic.tca_rbf_dim2_mu1_theta, synthetic.tca_rbf_dim2_mu1_pred],
  ];
  for (const [name, options, theta, predictions] of cases) {
    it(`${name}: eigenvalues and 1-NN predictions`, async () => {
      const fitted = await fitOnSynthetic(options);
      const values = fitted.reports[0].info?.eigenvalues as number[];
      theta.forEach((value, j) => expect(values[j]).toBeCloseTo(value, 11));
      expect(Array.from(fitted.predict(synthetic.Xt))).toEqual(predictions);
    });
  }
});

describe('tca: Office-Caltech10 C→A (fixture of an independent numpy implementation)', () => {
  it('linear dual: top-10 eigenvalues and 437 / 958 correct with 1-NN (published 45.6)', async () => {
    const [source, target] = await officePair('caltech', 'amazon');
    const fitted = await compose(tca(), knn({ k: 1 })).fit({ source, target: { X: target.X }, problem: 'classification' }, { seed: 0 });
    const theta = fitted.reports[0].info?.eigenvalues as number[];
    office.tca.theta_top10.forEach((value, j) => expect(theta[j] / value).toBeCloseTo(1, 10));
    expect(countEqual(fitted.predict(target.X), target.y)).toBe(office.tca.n_correct);
  });

  it("primal form: a different problem, the fixture's 46.66 % and its eigenvalues", async () => {
    const [source, target] = await officePair('caltech', 'amazon');
    const fitted = await compose(tca({ form: 'primal' }), knn({ k: 1 })).fit({ source, target: { X: target.X }, problem: 'classification' }, { seed: 0 });
    const theta = fitted.reports[0].info?.eigenvalues as number[];
    office.tca.primal_theta_top5.forEach((value, j) => expect(theta[j] / value).toBeCloseTo(1, 10));
    expect((100 * countEqual(fitted.predict(target.X), target.y)) / target.y.length).toBeCloseTo(office.tca.primal_acc, 10);
  });

  it("RBF kernel, γ = 1: the fixture's top-5 eigenvalues and 44.26 % with 1-NN", async () => {
    const [source, target] = await officePair('caltech', 'amazon');
    const fitted = await compose(tca({ kernel: 'rbf', gamma: 1 }), knn({ k: 1 })).fit({ source, target: { X: target.X }, problem: 'classification' }, { seed: 0 });
    const theta = fitted.reports[0].info?.eigenvalues as number[];
    office.tca.rbf_gamma1_theta_top5.forEach((value, j) => expect(theta[j] / value).toBeCloseTo(1, 10));
    expect((100 * countEqual(fitted.predict(target.X), target.y)) / target.y.length).toBeCloseTo(office.tca.rbf_gamma1_acc, 10);
  });
});

describe('tca: published per-pair figures (MEDA paper, Table 2), the two small pairs', () => {
  // All 12 pairs: apps/demo/configs/demo/feature-office.json and docs/strategies/tca.md.
  for (const [source, target, pair] of [['webcam', 'dslr', 'W→D'], ['dslr', 'webcam', 'D→W']] as const) {
    it(`${pair}: within 0.7 points of the published ${published('tca', pair)}`, async () => {
      const [s, t] = await officePair(source, target);
      const fitted = await compose(tca(), knn({ k: 1 })).fit({ source: s, target: { X: t.X }, problem: 'classification' }, { seed: 0 });
      const accuracy = (100 * countEqual(fitted.predict(t.X), t.y)) / t.y.length;
      expect(Math.abs(accuracy - published('tca', pair))).toBeLessThan(0.7);
    });
  }
});

describe('tca: properties', () => {
  it('TCA lowers the MMD of shifted domains', async () => {
    const source = gaussian(60, 5, 2, 0);
    const target = gaussian(50, 5, 3, 1.5);
    const fitted = await compose(tca({ dim: 3, normalizeSamples: false, normalizeEmbedding: false, mmdNormalization: 'none', mu: 0.1 }), knn({ k: 1 })).fit(
      { source: { X: source, y: Array.from({ length: 60 }, (_, i) => i % 2) }, target: { X: target }, problem: 'classification' },
      { seed: 0 },
    );
    // MMD relative to the spread of the data, before and after: scale-free.
    const relative = (A: Matrix, B: Matrix) => mmd2(A, B, { kernel: 'linear' }) / (mmd2(A, new Matrix(1, A.cols), { kernel: 'linear' }) + 1e-300);
    const before = relative(source, target);
    const after = relative(fitted.transform(source, 'source'), fitted.transform(target, 'target'));
    expect(after).toBeLessThan(0.01 * before);
  });

  it('on the domain-indicator toy, a domain classifier falls to chance after TCA (proxy A-distance)', async () => {
    const toy = domainIndicatorToy({ seed: 3, nSource: 200, nTarget: 200, nTest: 10 });
    const before = proxyADistance(toy.source.X, toy.target.X, { seed: 0 });
    const fitted = await compose(tca({ dim: 2, normalizeSamples: false, normalizeEmbedding: false }), logisticRegression()).fit(
      { source: toy.source, target: { X: toy.target.X }, problem: 'classification' },
      { seed: 0 },
    );
    const after = proxyADistance(fitted.transform(toy.source.X, 'source'), fitted.transform(toy.target.X, 'target'), { seed: 0 });
    expect(before.distance).toBeGreaterThan(1.9); // the indicator column separates the domains
    expect(after.distance).toBeLessThan(0.3); // near chance (0 at chance)
  });

  it('transform of the training samples equals the fitted embedding of both domains (out-of-sample through the kernel)', async () => {
    const source = gaussian(30, 4, 4, 0);
    const target = gaussian(20, 4, 5, 1);
    for (const options of [{ dim: 3 }, { dim: 3, kernel: 'rbf' as const, gamma: 0.7 }, { dim: 3, kernel: 'poly' as const, gamma: 0.5, degree: 2 }]) {
      const step = tca(options);
      const fit = await step.doFit(
        { source: { X: source, y: Int32Array.from({ length: 30 }, (_, i) => i % 3) }, target: { X: target } },
        { seed: 0, rng: createRng(0), problem: 'classification', numClasses: 3, progress: () => {}, throwIfAborted: () => {}, storage: undefined as never },
      );
      // Both domains go through the one learned map: out-of-sample source and target rows land where the fit put them.
      for (const [domain, X] of [['source', source], ['target', target]] as const) {
        const fromFit = fit.fitted?.[domain] as Matrix;
        const outOfSample = fit.transform(X, domain);
        for (let index = 0; index < fromFit.data.length; index++) expect(outOfSample.data[index]).toBeCloseTo(fromFit.data[index], 10);
      }
    }
  });

  it('Nyström with every sample as a landmark reproduces the exact RBF eigenvalues', async () => {
    const exact = await fitOnSynthetic({ dim: 2, kernel: 'rbf' });
    const lowRank = await fitOnSynthetic({ dim: 2, kernel: 'rbf', approximation: 'nystrom', landmarks: 100 });
    const a = exact.reports[0].info?.eigenvalues as number[];
    const b = lowRank.reports[0].info?.eigenvalues as number[];
    a.forEach((value, j) => expect(b[j]).toBeCloseTo(value, 8));
  });

  it('rejects dim beyond the data and the primal form with a kernel', async () => {
    await expect(fitOnSynthetic({ dim: 12 })).rejects.toMatchObject({ code: 'TOO_FEW_SAMPLES' });
    expect(() => tca({ form: 'primal', kernel: 'rbf' })).toThrow(TlkitError);
    expect(() => tca({ dim: 0 })).toThrow(/dim/);
  });
});
