import { compose, knn } from '@tlkit/core';
import { describe, expect, it } from 'vitest';
import office from '../../core/test/fixtures/office_C_to_A.json';
import { countEqual, officePair } from '../test/office';
import { tca } from './tca';

describe('tca on Office C→A (fixture parity)', () => {
  it('linear dual: eigenvalues and 437 correct', async () => {
    const [source, target] = await officePair('caltech', 'amazon');
    const t0 = performance.now();
    const fitted = await compose(tca(), knn({ k: 1 })).fit({ source, target: { X: target.X }, problem: 'classification' }, { seed: 0 });
    console.log('seconds', (performance.now() - t0) / 1000);
    const theta = fitted.reports[0].info?.eigenvalues as number[];
    for (let j = 0; j < 10; j++) expect(theta[j]).toBeCloseTo(office.tca.theta_top10[j], 6);
    expect(countEqual(fitted.predict(target.X), target.y)).toBe(office.tca.n_correct);
  });
  it('primal', async () => {
    const [source, target] = await officePair('caltech', 'amazon');
    const fitted = await compose(tca({ form: 'primal' }), knn({ k: 1 })).fit({ source, target: { X: target.X }, problem: 'classification' }, { seed: 0 });
    const theta = fitted.reports[0].info?.eigenvalues as number[];
    console.log(theta.slice(0, 5), office.tca.primal_theta_top5, 100 * countEqual(fitted.predict(target.X), target.y) / target.y.length, office.tca.primal_acc);
  });
  it('rbf', async () => {
    const [source, target] = await officePair('caltech', 'amazon');
    const t0 = performance.now();
    const fitted = await compose(tca({ kernel: 'rbf', gamma: 1 }), knn({ k: 1 })).fit({ source, target: { X: target.X }, problem: 'classification' }, { seed: 0 });
    console.log('rbf seconds', (performance.now() - t0) / 1000);
    const theta = fitted.reports[0].info?.eigenvalues as number[];
    console.log(theta.slice(0, 5), office.tca.rbf_gamma1_theta_top5, 100 * countEqual(fitted.predict(target.X), target.y) / target.y.length, office.tca.rbf_gamma1_acc);
  });
  it('nystrom', async () => {
    const [source, target] = await officePair('caltech', 'amazon');
    for (const landmarks of [250, 500, 1000]) {
    const t0 = performance.now();
    const fitted = await compose(tca({ kernel: 'rbf', gamma: 1, approximation: 'nystrom', landmarks }), knn({ k: 1 })).fit({ source, target: { X: target.X }, problem: 'classification' }, { seed: 0 });
    const theta = fitted.reports[0].info?.eigenvalues as number[];
    console.log(landmarks, 'nys seconds', (performance.now() - t0) / 1000, fitted.reports[0].info?.method, theta.slice(0, 5), 100 * countEqual(fitted.predict(target.X), target.y) / target.y.length);
    }
  });
});
