import { describe, expect, it } from 'vitest';
import { isTlkitError } from '../errors';
import { kernelMatrix } from '../kernels/kernels';
import { Matrix } from '../matrix';
import { createRng } from '../rng';
import synthetic from '../../test/fixtures/synthetic_small.json';
import { mmd2, mmd2FromKernels } from './mmd';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return isTlkitError(error) ? error.code : `not a TlkitError: ${String(error)}`;
  }
  return undefined;
}

function gaussianSample(rows: number, cols: number, seed: number, shift: readonly number[] = []): Matrix {
  const rng = createRng(seed);
  return new Matrix(rows, cols, Float64Array.from({ length: rows * cols }, (_, index) => rng.normal() + (shift[index % cols] ?? 0)));
}

type PairKernel = (x: ArrayLike<number>, y: ArrayLike<number>) => number;
const dot: PairKernel = (x, y) => Array.from(x).reduce((sum, value, k) => sum + value * y[k], 0);
const rbf =
  (gamma: number): PairKernel =>
  (x, y) =>
    Math.exp(-gamma * Array.from(x).reduce((sum, value, k) => sum + (value - y[k]) ** 2, 0));

/** The estimators written straight from their definitions, pair by pair. */
function naiveMmd2(
  xs: number[][],
  xt: number[][],
  k: PairKernel,
  estimator: 'biased' | 'unbiased',
  weights: number[] = xs.map(() => 1),
): number {
  const total = weights.reduce((a, b) => a + b, 0);
  const a = weights.map((w) => w / total);
  const b = xt.map(() => 1 / xt.length);
  let ss = 0;
  let ssPairs = 0;
  for (let i = 0; i < xs.length; i++)
    for (let j = 0; j < xs.length; j++)
      if (estimator === 'biased' || i !== j) {
        ss += a[i] * a[j] * k(xs[i], xs[j]);
        ssPairs += a[i] * a[j];
      }
  let tt = 0;
  let ttPairs = 0;
  for (let i = 0; i < xt.length; i++)
    for (let j = 0; j < xt.length; j++)
      if (estimator === 'biased' || i !== j) {
        tt += b[i] * b[j] * k(xt[i], xt[j]);
        ttPairs += b[i] * b[j];
      }
  let st = 0;
  for (let i = 0; i < xs.length; i++) for (let j = 0; j < xt.length; j++) st += a[i] * b[j] * k(xs[i], xt[j]);
  return ss / ssPairs + tt / ttPairs - 2 * st;
}

const relativeError = (actual: number, expected: number) => Math.abs(actual - expected) / Math.abs(expected);

describe('mmd2: parity with synthetic_small.json (independent numpy float64, tolerance 1e-10 relative)', () => {
  const { Xs, Xt } = synthetic;
  const reference = synthetic.mmd2;
  it('linear kernel, biased and unbiased', () => {
    expect(relativeError(mmd2(Xs, Xt, { kernel: 'linear' }), reference.linear_biased)).toBeLessThan(1e-10);
    expect(relativeError(mmd2(Xs, Xt, { kernel: 'linear', estimator: 'unbiased' }), reference.linear_unbiased)).toBeLessThan(1e-10);
    expect(relativeError(mmd2(Xs, Xt, { kernel: { type: 'linear' } }), reference.linear_biased)).toBeLessThan(1e-10);
  });

  it('RBF γ = 0.5, biased and unbiased', () => {
    const biased = reference['rbf_gamma_0.5_biased'];
    const unbiased = reference['rbf_gamma_0.5_unbiased'];
    expect(relativeError(mmd2(Xs, Xt, { kernel: 'rbf', gamma: 0.5 }), biased)).toBeLessThan(1e-10);
    expect(relativeError(mmd2(Xs, Xt, { kernel: 'rbf', gamma: 0.5, estimator: 'unbiased' }), unbiased)).toBeLessThan(1e-10);
    expect(relativeError(mmd2(Xs, Xt, { kernel: { type: 'rbf', gamma: 0.5 } }), biased)).toBeLessThan(1e-10);
  });

  it('RBF with the median heuristic (the default kernel and gamma)', () => {
    expect(relativeError(mmd2(Xs, Xt), reference.rbf_median_biased)).toBeLessThan(1e-10);
    expect(relativeError(mmd2(Xs, Xt, { kernel: 'rbf', gamma: reference.median_heuristic_gamma }), reference.rbf_median_biased)).toBeLessThan(1e-10);
  });
});

describe('mmd2: properties', () => {
  const xs = gaussianSample(25, 3, 1);
  const xt = gaussianSample(18, 3, 2, [0.7, 0, -0.3]);
  const kernels = [
    { kernel: 'linear' as const },
    { kernel: 'rbf' as const, gamma: 0.4 },
    { kernel: 'rbf' as const },
    { kernel: 'multi-rbf' as const },
    { kernel: { type: 'poly' as const, degree: 2, gamma: 0.5, coef0: 1 } },
  ];

  it('biased MMD² of a sample with itself is 0; biased MMD² is ≥ 0', () => {
    for (const options of kernels) {
      expect(Math.abs(mmd2(xs, xs, options))).toBeLessThan(1e-13);
      expect(mmd2(xs, xt, options)).toBeGreaterThan(0);
    }
  });

  it('is symmetric in the two samples (no weights)', () => {
    for (const options of kernels) {
      for (const estimator of ['biased', 'unbiased'] as const) {
        const forward = mmd2(xs, xt, { ...options, estimator });
        const backward = mmd2(xt, xs, { ...options, estimator });
        expect(Math.abs(forward - backward)).toBeLessThan(1e-12 * Math.max(1, Math.abs(forward)));
      }
    }
  });

  it('matches the pair-by-pair definitions for every kernel and both estimators', () => {
    const rowsS = xs.toRows();
    const rowsT = xt.toRows();
    const poly: PairKernel = (x, y) => (0.5 * dot(x, y) + 1) ** 2;
    for (const estimator of ['biased', 'unbiased'] as const) {
      expect(relativeError(mmd2(xs, xt, { kernel: 'linear', estimator }), naiveMmd2(rowsS, rowsT, dot, estimator))).toBeLessThan(1e-11);
      expect(relativeError(mmd2(xs, xt, { kernel: 'rbf', gamma: 0.4, estimator }), naiveMmd2(rowsS, rowsT, rbf(0.4), estimator))).toBeLessThan(1e-11);
      expect(
        relativeError(
          mmd2(xs, xt, { kernel: { type: 'poly', degree: 2, gamma: 0.5, coef0: 1 }, estimator }),
          naiveMmd2(rowsS, rowsT, poly, estimator),
        ),
      ).toBeLessThan(1e-11);
    }
  });

  it('multi-rbf is the mean (or sum) of single-kernel MMD² over γ₀·[1/4, 1/2, 1, 2, 4]', () => {
    const base = 0.3;
    const singles = [0.25, 0.5, 1, 2, 4].map((m) => mmd2(xs, xt, { kernel: 'rbf', gamma: m * base, estimator: 'unbiased' }));
    const mean = singles.reduce((a, b) => a + b, 0) / singles.length;
    expect(relativeError(mmd2(xs, xt, { kernel: 'multi-rbf', gamma: base, estimator: 'unbiased' }), mean)).toBeLessThan(1e-12);
    expect(relativeError(mmd2(xs, xt, { kernel: 'multi-rbf', gamma: base, combine: 'sum', estimator: 'unbiased' }), 5 * mean)).toBeLessThan(1e-12);
    expect(relativeError(mmd2(xs, xt, { kernel: 'multi-rbf', gammas: [0.1, 0.9] }), (mmd2(xs, xt, { kernel: 'rbf', gamma: 0.1 }) + mmd2(xs, xt, { kernel: 'rbf', gamma: 0.9 })) / 2)).toBeLessThan(1e-12);
  });

  it('mmd2FromKernels on kernelMatrix blocks equals mmd2', () => {
    const spec = { type: 'rbf' as const, gamma: 0.4 };
    const blocks = { sourceSource: kernelMatrix(xs, xs, spec), targetTarget: kernelMatrix(xt, xt, spec), sourceTarget: kernelMatrix(xs, xt, spec) };
    for (const estimator of ['biased', 'unbiased'] as const) {
      expect(relativeError(mmd2FromKernels(blocks, { estimator }), mmd2(xs, xt, { kernel: spec, estimator }))).toBeLessThan(1e-13);
    }
  });
});

describe('mmd2: weighted source embedding Σ wᵢφ(xᵢ) / Σ wᵢ', () => {
  const xs = gaussianSample(12, 2, 5);
  const xt = gaussianSample(9, 2, 6, [1, 0]);

  it('hand-worked, 1-D linear: weights 3, 1 on 0, 2 give mean 0.5; target mean 1 → 0.25', () => {
    expect(mmd2([[0], [2]], [[1]], { kernel: 'linear', sourceWeights: [3, 1] })).toBeCloseTo(0.25, 15);
  });

  it('uniform weights of any scale equal no weights', () => {
    for (const kernel of ['linear', 'rbf'] as const) {
      for (const estimator of ['biased', 'unbiased'] as const) {
        const plain = mmd2(xs, xt, { kernel, gamma: kernel === 'rbf' ? 0.5 : undefined, estimator });
        const weighted = mmd2(xs, xt, { kernel, gamma: kernel === 'rbf' ? 0.5 : undefined, estimator, sourceWeights: new Array(12).fill(2.5) });
        expect(relativeError(weighted, plain)).toBeLessThan(1e-12);
      }
    }
  });

  it('integer weights equal repeated rows (biased estimator)', () => {
    const counts = [1, 2, 0, 3, 1, 1, 2, 1, 1, 4, 1, 1];
    const repeated: number[][] = [];
    xs.toRows().forEach((row, i) => {
      for (let c = 0; c < counts[i]; c++) repeated.push(row);
    });
    for (const kernel of ['linear', 'rbf'] as const) {
      const gamma = kernel === 'rbf' ? 0.5 : undefined;
      expect(relativeError(mmd2(xs, xt, { kernel, gamma, sourceWeights: counts }), mmd2(repeated, xt, { kernel, gamma }))).toBeLessThan(1e-12);
    }
  });

  it('zero weights drop rows, for the unbiased estimator too', () => {
    const weights = [1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1];
    const kept = xs.toRows().filter((_, i) => weights[i] > 0);
    for (const kernel of ['linear', 'rbf'] as const) {
      const gamma = kernel === 'rbf' ? 0.5 : undefined;
      expect(
        relativeError(mmd2(xs, xt, { kernel, gamma, estimator: 'unbiased', sourceWeights: weights }), mmd2(kept, xt, { kernel, gamma, estimator: 'unbiased' })),
      ).toBeLessThan(1e-12);
    }
  });

  it('general weights match the pair-by-pair weighted definitions', () => {
    const weights = Array.from({ length: 12 }, (_, i) => 0.2 + ((i * 7) % 5));
    for (const estimator of ['biased', 'unbiased'] as const) {
      expect(relativeError(mmd2(xs, xt, { kernel: 'rbf', gamma: 0.5, estimator, sourceWeights: weights }), naiveMmd2(xs.toRows(), xt.toRows(), rbf(0.5), estimator, weights))).toBeLessThan(1e-11);
      expect(relativeError(mmd2(xs, xt, { kernel: 'linear', estimator, sourceWeights: weights }), naiveMmd2(xs.toRows(), xt.toRows(), dot, estimator, weights))).toBeLessThan(1e-11);
    }
  });
});

describe('mmd2: expectation against the closed form for Gaussians', () => {
  // P = N(0, I₂), Q = N(δ, I₂), k = exp(−γ‖x − y‖²): E k(x, x') = (1 + 4γ)^(−d/2),
  // E k(x, y) = (1 + 4γ)^(−d/2) exp(−γ‖δ‖² / (1 + 4γ)); so MMD² = 2(1 + 4γ)^(−d/2)(1 − exp(−γ‖δ‖²/(1 + 4γ))).
  const gamma = 0.5;
  const d = 2;
  const shift = [1, 0];
  const sameKernel = (1 + 4 * gamma) ** (-d / 2);
  const population = 2 * sameKernel * (1 - Math.exp((-gamma * 1) / (1 + 4 * gamma)));
  const n = 8;
  const replicates = 400;

  function replicateMeans(targetShift: number[]) {
    const unbiased: number[] = [];
    const biased: number[] = [];
    for (let r = 0; r < replicates; r++) {
      const xs = gaussianSample(n, d, 1000 + r);
      const xt = gaussianSample(n, d, 5000 + r, targetShift);
      unbiased.push(mmd2(xs, xt, { kernel: 'rbf', gamma, estimator: 'unbiased' }));
      biased.push(mmd2(xs, xt, { kernel: 'rbf', gamma }));
    }
    const stats = (values: number[]) => {
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
      return { mean, standardError: sd / Math.sqrt(values.length) };
    };
    return { unbiased: stats(unbiased), biased: stats(biased) };
  }

  it('unbiased: mean over replicates ≈ the population MMD² (0 for one distribution); biased is off by 2(1 − E k(x,x′))/n', () => {
    const bias = (2 * (1 - sameKernel)) / n;
    for (const [targetShift, expected] of [
      [[0, 0], 0],
      [shift, population],
    ] as const) {
      const { unbiased, biased } = replicateMeans([...targetShift]);
      expect(Math.abs(unbiased.mean - expected)).toBeLessThan(4 * unbiased.standardError);
      expect(Math.abs(biased.mean - expected)).toBeGreaterThan(10 * biased.standardError); // the V-statistic is biased
      // E[V] = MMD² + (1/n)(1 − E k(x,x′)) per domain: the closed form of its bias.
      expect(Math.abs(biased.mean - (expected + bias))).toBeLessThan(4 * biased.standardError);
    }
  });
});

describe('mmd2: typed errors', () => {
  it('rejects bad inputs before any compute', () => {
    expect(codeOf(() => mmd2([[1, 2]], [[1, 2, 3]]))).toBe('DIMENSION_MISMATCH');
    expect(codeOf(() => mmd2([], [[1]]))).toBe('EMPTY_DOMAIN');
    expect(codeOf(() => mmd2([[Number.NaN]], [[1]]))).toBe('NON_FINITE_INPUT');
    expect(codeOf(() => mmd2([[1]], [[2], [3]], { estimator: 'unbiased', kernel: 'linear' }))).toBe('TOO_FEW_SAMPLES');
    expect(codeOf(() => mmd2([[1], [2]], [[2], [3]], { estimator: 'unbiased', kernel: 'linear', sourceWeights: [1, 0] }))).toBe('TOO_FEW_SAMPLES');
    expect(codeOf(() => mmd2([[1], [2]], [[2]], { estimator: 'fast' as never }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => mmd2([[1], [2]], [[2]], { kernel: 'laplace' as never }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => mmd2([[1], [2]], [[2]], { kernel: 'linear', gamma: 1 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => mmd2([[1], [2]], [[2]], { kernel: 'rbf', gamma: -1 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => mmd2([[1], [2]], [[2]], { sourceWeights: [1] }))).toBe('DIMENSION_MISMATCH');
    expect(codeOf(() => mmd2([[1], [2]], [[2]], { sourceWeights: [1, -1] }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => mmd2([[1], [2]], [[2]], { sourceWeights: [0, 0] }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => mmd2([[1], [2]], [[2]], { kernel: 'multi-rbf', gammas: [] }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => mmd2FromKernels({ sourceSource: Matrix.zeros(2, 2), targetTarget: Matrix.zeros(3, 3), sourceTarget: Matrix.zeros(3, 2) }))).toBe('DIMENSION_MISMATCH');
  });
});

describe('mmd2: tfjs tensor inputs', () => {
  it('accepts rank-2 tensors, gives the array result, and leaves no tensor behind', async () => {
    const tf = await import('@tensorflow/tfjs');
    const { Xs, Xt } = synthetic;
    const source = tf.tensor2d(Xs);
    const target = tf.tensor2d(Xt);
    const before = tf.memory().numTensors;
    const fromTensors = mmd2(source, target, { kernel: 'rbf', gamma: 0.5, estimator: 'unbiased' });
    expect(tf.memory().numTensors).toBe(before);
    expect(relativeError(fromTensors, synthetic.mmd2['rbf_gamma_0.5_unbiased'])).toBeLessThan(1e-10);
    source.dispose();
    target.dispose();
  });
});
