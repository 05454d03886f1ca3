import { describeStrategyConformance } from '@tlkit/core/testing';
import { compose, createRng, logisticRegression, Matrix, mmd2, rbfKernel } from '@tlkit/core';
import { preprocess, selectDomainRows } from '@tlkit/datasets';
import { loadShippedDataset } from '@tlkit/datasets/node';
import { describe, expect, it } from 'vitest';
import { coreFixture, errorCode, kktViolation, stepContext } from '../test/helpers';
import { fitKmmWeights, kmm, kmmConfigSchema, kmmPlugin } from './kmm';

interface KmmBlock {
  gamma: number;
  first10_weights: number[];
  sum: number;
  objective: number;
  n_zero: number;
}
interface OfficeFixture {
  kmm: { source_rows: number[]; target_rows: number[]; B: number; eps: number; sum_bounds: number[]; gamma_1_over_d: KmmBlock; gamma_median: KmmBlock };
}
interface SyntheticFixture {
  Xs: number[][];
  Xt: number[][];
  ys: number[];
  'kmm_gamma0.5_B1000_default_eps': { beta: number[]; objective: number; eps: number };
  'kmm_gamma0.5_B1.5_eps0.1': { beta: number[]; objective: number };
}

const config = (options: Record<string, unknown>) => kmmConfigSchema.parse(options);

/** KKT violation of a KMM solution, from the kernel matrices built independently here. */
function kmmKkt(Xs: Matrix, Xt: Matrix, beta: Float64Array, gamma: number, B: number, epsilon: number): number {
  const ns = Xs.rows;
  const K = rbfKernel(Xs, Xs, gamma);
  const cross = rbfKernel(Xs, Xt, gamma);
  const gradient = new Float64Array(ns);
  for (let i = 0; i < ns; i++) {
    let value = 0;
    for (let j = 0; j < ns; j++) value += K.get(i, j) * beta[j];
    let kappa = 0;
    for (let j = 0; j < Xt.rows; j++) kappa += cross.get(i, j);
    gradient[i] = value - (ns / Xt.rows) * kappa;
  }
  return kktViolation(beta, gradient, B, ns * (1 - epsilon), ns * (1 + epsilon), 1e-6);
}

describe('kmm: parity with office_C_to_A.json (caltech → amazon, listed 200 + 200 rows)', async () => {
  const fixture = coreFixture<OfficeFixture>('office_C_to_A.json').kmm;
  const office = await loadShippedDataset('office_caltech10_surf', { domains: ['caltech', 'amazon'] });
  const [caltech, amazon] = preprocess('office_caltech10_surf', [office.domains.caltech, office.domains.amazon], 'standard');
  const source = selectDomainRows(caltech, fixture.source_rows);
  const target = selectDomainRows(amazon, fixture.target_rows);
  const input = { source: { X: source.X, y: source.y }, target: { X: target.X } };
  for (const [label, block, gamma] of [
    ['γ = 1/d', fixture.gamma_1_over_d, fixture.gamma_1_over_d.gamma],
    ['γ by the median heuristic', fixture.gamma_median, 'median'],
  ] as const) {
    it(`${label}: weights to 1e-4 relative (the code reaches 3e-5 at its default tolerance), Σβ, objective, zeros, bounds and KKT`, () => {
      const result = fitKmmWeights(input, stepContext(), config({ gamma }));
      const info = result.info as Record<string, number>;
      expect(info.gamma).toBeCloseTo(block.gamma, 12);
      expect(info.epsilon).toBeCloseTo(fixture.eps, 12);
      expect([info.sumLower, info.sumUpper].map((value) => Number(value.toFixed(9)))).toEqual(fixture.sum_bounds.map((value) => Number(value.toFixed(9))));
      for (let i = 0; i < 10; i++) {
        expect(Math.abs(result.weights[i] - block.first10_weights[i])).toBeLessThanOrEqual(1e-4 * block.first10_weights[i]);
      }
      expect(Math.abs(info.sum - block.sum)).toBeLessThanOrEqual(1e-4 * block.sum);
      expect(Math.abs(info.objective - block.objective)).toBeLessThanOrEqual(1e-7 * Math.abs(block.objective));
      expect(info.atZero).toBe(block.n_zero);
      expect(result.weights.every((value) => value >= 0 && value <= fixture.B)).toBe(true);
      expect(info.sum).toBeGreaterThanOrEqual(fixture.sum_bounds[0]);
      expect(info.sum).toBeLessThanOrEqual(fixture.sum_bounds[1]);
      expect(kmmKkt(source.X, target.X, result.weights, info.gamma, fixture.B, info.epsilon)).toBeLessThan(1e-4);
      // The reported MMD² values are core's weighted biased MMD² in the same kernel.
      expect(info.mmd2Uniform).toBeCloseTo(mmd2(source.X, target.X, { kernel: 'rbf', gamma: info.gamma }), 12);
      expect(info.mmd2Weighted).toBeCloseTo(mmd2(source.X, target.X, { kernel: 'rbf', gamma: info.gamma, sourceWeights: result.weights }), 12);
      // KMM's own criterion ‖Σβφ/ns − mean_t φ‖² goes down from β = 1.
      expect(info.mmd2Criterion).toBeLessThan(info.mmd2Uniform);
    });
  }
});

describe('kmm: parity with synthetic_small.json', () => {
  const fixture = coreFixture<SyntheticFixture>('synthetic_small.json');
  const input = { source: { X: Matrix.fromRows(fixture.Xs), y: Int32Array.from(fixture.ys) }, target: { X: Matrix.fromRows(fixture.Xt) } };
  for (const [label, block, options] of [
    ['γ = 0.5, B = 1000, default ε', fixture['kmm_gamma0.5_B1000_default_eps'], { gamma: 0.5 }],
    ['γ = 0.5, B = 1.5, ε = 0.1', fixture['kmm_gamma0.5_B1.5_eps0.1'], { gamma: 0.5, B: 1.5, epsilon: 0.1 }],
  ] as const) {
    it(label, () => {
      const result = fitKmmWeights(input, stepContext(), config({ ...options, tolerance: 1e-12 }));
      // At tolerance 1e-12 the weights match the fixture's to about 3e-14 relative.
      block.beta.forEach((expected, i) => expect(Math.abs(result.weights[i] - expected)).toBeLessThanOrEqual(1e-10 * Math.max(expected, 1e-3)));
      expect(result.info?.objective as number).toBeCloseTo(block.objective, 7);
    });
  }
  it('uses the default ε = (√ns − 1)/√ns', () => {
    const result = fitKmmWeights(input, stepContext(), config({ gamma: 0.5 }));
    expect(result.info?.epsilon).toBeCloseTo(fixture['kmm_gamma0.5_B1000_default_eps'].eps, 14);
  });
});

function gaussianTask(ns: number, nt: number, seed: number) {
  const rng = createRng(seed);
  const Xs = new Matrix(ns, 3, Float64Array.from({ length: ns * 3 }, () => rng.normal()));
  const Xt = new Matrix(nt, 3, Float64Array.from({ length: nt * 3 }, (_, k) => 0.6 * rng.normal() + (k % 3 === 0 ? 0.8 : 0)));
  return { source: { X: Xs, y: Int32Array.from({ length: ns }, (_, i) => i % 2) }, target: { X: Xt } };
}

describe('kmm: Nyström', () => {
  it('with every pooled sample as a landmark reproduces exact KMM', () => {
    const input = gaussianTask(50, 40, 3);
    const exact = fitKmmWeights(input, stepContext(), config({ gamma: 0.5, tolerance: 1e-12 }));
    const approximate = fitKmmWeights(input, stepContext(), config({ gamma: 0.5, landmarks: 90, tolerance: 1e-12 }));
    expect(approximate.info?.method).toBe('nystrom');
    for (let i = 0; i < 50; i++) expect(approximate.weights[i]).toBeCloseTo(exact.weights[i], 3);
    expect(approximate.info?.objective as number).toBeCloseTo(exact.info?.objective as number, 4);
  });

  it('with few landmarks stays feasible and lowers its own MMD² criterion', () => {
    const input = gaussianTask(400, 300, 4);
    const result = fitKmmWeights(input, stepContext({ seed: 2 }), config({ landmarks: 40, tolerance: 1e-4 }));
    const info = result.info as Record<string, number>;
    expect(result.weights.every((value) => value >= 0 && value <= 1000)).toBe(true);
    expect(info.sum).toBeGreaterThanOrEqual(info.sumLower - 1e-9);
    expect(info.sum).toBeLessThanOrEqual(info.sumUpper + 1e-9);
    expect(info.mmd2Criterion).toBeLessThan(info.mmd2Uniform);
    expect(info.landmarks).toBe(40);
  });
});

describe('kmm: in a pipeline and on bad input', () => {
  it('hands its weights to the estimator and lowers the MMD² on a shifted Gaussian', async () => {
    const { source, target } = gaussianTask(120, 80, 5);
    const fitted = await compose(kmm({ tolerance: 1e-4 }), logisticRegression()).fit({ source, target, problem: 'classification' }, { seed: 1 });
    const weights = fitted.sourceWeights!;
    expect(weights.length).toBe(120);
    expect(weights.every((value) => value >= 0)).toBe(true);
    const info = fitted.reports[0].info as Record<string, number>;
    expect(mmd2(source.X, target.X, { kernel: 'rbf', gamma: info.gamma, sourceWeights: weights, estimator: 'unbiased' })).toBeLessThan(
      mmd2(source.X, target.X, { kernel: 'rbf', gamma: info.gamma, estimator: 'unbiased' }),
    );
    fitted.dispose();
  });

  it('rejects an infeasible B before any compute, and too many landmarks', async () => {
    const input = gaussianTask(20, 10, 6);
    expect(await errorCode(() => fitKmmWeights(input, stepContext(), config({ B: 0.5, epsilon: 0.1 })))).toBe('INVALID_CONFIG');
    expect(await errorCode(() => fitKmmWeights(input, stepContext(), config({ landmarks: 31 })))).toBe('TOO_FEW_SAMPLES');
    expect(await errorCode(() => kmm({ B: -1 }))).toBe('INVALID_CONFIG');
    expect(await errorCode(() => kmm({ gamma: 'mean' as never }))).toBe('INVALID_CONFIG');
  });
});

describeStrategyConformance({
  plugin: kmmPlugin,
  invalidOptions: [
    { options: { B: 0 }, field: 'B' },
    { options: { landmarks: 2.5 }, field: 'landmarks' },
  ],
});
describeStrategyConformance({ plugin: kmmPlugin, options: { landmarks: 20 }, problems: ['classification'] });
