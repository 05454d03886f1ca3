/**
 * Checks against published figures: the standard Office-Caltech preprocessing reproduces the
 * reference fixture, and a brute-force 1-nearest-neighbour classifier (written here, independent
 * of @tlkit/core's estimators) reproduces the 1NN accuracies of the JDA / MEDA tables.
 */
import type { Matrix } from '@tlkit/core';
import { describe, expect, it } from 'vitest';
import { preprocess } from '../preprocess';
import { loadShippedDataset } from './load';

/** All dot products `G[i * B.rows + k] = A_i · B_k`, two rows of A by two rows of B at a time. */
function dotMatrix(A: Matrix, B: Matrix): Float64Array {
  const d = A.cols;
  const a = A.data;
  const b = B.data;
  const m = A.rows;
  const n = B.rows;
  const G = new Float64Array(m * n);
  for (let i = 0; i < m; i += 2) {
    const a0 = i * d;
    const a1 = Math.min(i + 1, m - 1) * d;
    for (let k = 0; k < n; k += 2) {
      const b0 = k * d;
      const b1 = Math.min(k + 1, n - 1) * d;
      let g00 = 0;
      let g01 = 0;
      let g10 = 0;
      let g11 = 0;
      for (let j = 0; j < d; j++) {
        const x0 = a[a0 + j];
        const x1 = a[a1 + j];
        const y0 = b[b0 + j];
        const y1 = b[b1 + j];
        g00 += x0 * y0;
        g01 += x0 * y1;
        g10 += x1 * y0;
        g11 += x1 * y1;
      }
      G[i * n + k] = g00;
      if (k + 1 < n) G[i * n + k + 1] = g01;
      if (i + 1 < m) {
        G[(i + 1) * n + k] = g10;
        if (k + 1 < n) G[(i + 1) * n + k + 1] = g11;
      }
    }
  }
  return G;
}

function rowNorms(X: Matrix): Float64Array {
  const norms = new Float64Array(X.rows);
  for (let i = 0; i < X.rows; i++) for (const value of X.row(i)) norms[i] += value * value;
  return norms;
}

/**
 * Euclidean 1-NN accuracies (percent) in both directions between domains P and Q, by brute force
 * over all pairs: each target row takes the label of its nearest source row (the first on ties),
 * using `argmin_k ‖t − s_k‖² = argmin_k (‖s_k‖² − 2 t·s_k)`; one dot-product matrix serves both
 * directions.
 */
function oneNearestNeighbourBothWays(P: { X: Matrix; y: Int32Array }, Q: { X: Matrix; y: Int32Array }) {
  const G = dotMatrix(P.X, Q.X);
  const normsP = rowNorms(P.X);
  const normsQ = rowNorms(Q.X);
  const m = P.X.rows;
  const n = Q.X.rows;
  let correctQtoP = 0; // source Q, target P
  for (let i = 0; i < m; i++) {
    let best = Number.POSITIVE_INFINITY;
    let label = -1;
    for (let k = 0; k < n; k++) {
      const score = normsQ[k] - 2 * G[i * n + k];
      if (score < best) [best, label] = [score, Q.y[k]];
    }
    if (label === P.y[i]) correctQtoP++;
  }
  let correctPtoQ = 0; // source P, target Q
  for (let k = 0; k < n; k++) {
    let best = Number.POSITIVE_INFINITY;
    let label = -1;
    for (let i = 0; i < m; i++) {
      const score = normsP[i] - 2 * G[i * n + k];
      if (score < best) [best, label] = [score, P.y[i]];
    }
    if (label === Q.y[k]) correctPtoQ++;
  }
  return { pToQ: (100 * correctPtoQ) / n, qToP: (100 * correctQtoP) / m };
}

function sumOfSquares(X: Matrix): number {
  let sum = 0;
  for (const value of X.data) sum += value * value;
  return sum;
}

describe('office_caltech10_surf, standard preprocessing', async () => {
  const office = await loadShippedDataset('office_caltech10_surf');
  const [caltech, amazon, dslr, webcam] = preprocess(
    'office_caltech10_surf',
    [office.domains.caltech, office.domains.amazon, office.domains.dslr, office.domains.webcam],
    'standard',
  );

  it('reproduces the preprocessed_checks of the C→A reference fixture', () => {
    // Values copied from the project's reference fixture office_C_to_A.json ("preprocessed_checks"),
    // computed in float64 with numpy: row / row-sum, then column z-score (ddof = 0, zero std → 1).
    const caltechRow0 = [-0.3680626474757036, -0.2747350303396521, -0.27983489561796454, -0.3220533578946886, -0.2895021334565924];
    const amazonRow0 = [-0.29043360508239197, -0.2554393734516039, -0.28095750721414714, 0.7008551775966002, -0.318309425734417];
    caltechRow0.forEach((value, j) => expect(caltech.X.get(0, j)).toBeCloseTo(value, 12));
    amazonRow0.forEach((value, j) => expect(amazon.X.get(0, j)).toBeCloseTo(value, 12));
    // sum of squares = n · (non-constant columns) = 1123 · 800 and 958 · 800 for a z-scored matrix
    expect(sumOfSquares(caltech.X)).toBeCloseTo(898400.0000000005, 6);
    expect(sumOfSquares(amazon.X)).toBeCloseTo(766400, 6);
  });

  it('1-NN reproduces the published accuracies C→A 23.70, A→C 26.00, W→D 59.24, D→W 63.39', () => {
    // Published 1NN row (JDA, Long et al. ICCV 2013; MEDA, Wang et al. ACM MM 2018).
    const caltechAmazon = oneNearestNeighbourBothWays(caltech, amazon);
    expect(caltechAmazon.pToQ.toFixed(2)).toBe('23.70'); // C→A
    expect(caltechAmazon.qToP.toFixed(2)).toBe('26.00'); // A→C
    const webcamDslr = oneNearestNeighbourBothWays(webcam, dslr);
    expect(webcamDslr.pToQ.toFixed(2)).toBe('59.24'); // W→D
    expect(webcamDslr.qToP.toFixed(2)).toBe('63.39'); // D→W
  });
});

describe('mnist_usps_jda, standard preprocessing (L2 rows)', () => {
  it('1-NN reproduces the published accuracies U→M 44.70 and M→U 65.94', async () => {
    const digits = await loadShippedDataset('mnist_usps_jda');
    const [mnist, usps] = preprocess('mnist_usps_jda', [digits.domains.mnist, digits.domains.usps], 'standard');
    // JDA (Long et al. ICCV 2013) 1NN column; MEDA Table 3 rounds them to 44.7 and 65.9.
    const accuracies = oneNearestNeighbourBothWays(usps, mnist);
    expect(accuracies.pToQ.toFixed(2)).toBe('44.70'); // U→M
    expect(accuracies.qToP.toFixed(2)).toBe('65.94'); // M→U
  });
});
