/**
 * Seeded matrices and naive reference computations for the linalg tests (not exported).
 * @internal
 */
import { Matrix } from '../matrix';
import { createRng } from '../rng';

/** A `rows x cols` matrix of standard normal draws. */
export function randomMatrix(rows: number, cols: number, seed: number): Matrix {
  const rng = createRng(seed);
  const out = new Matrix(rows, cols);
  for (let index = 0; index < out.data.length; index++) out.data[index] = rng.normal();
  return out;
}

/** A random symmetric positive definite matrix `G Gᵀ / n + shift · I`. */
export function randomSpd(n: number, seed: number, shift = 0.5): Matrix {
  const g = randomMatrix(n, n, seed);
  const out = naiveMatmul(g, g.transpose());
  for (let index = 0; index < out.data.length; index++) out.data[index] /= n;
  for (let i = 0; i < n; i++) out.data[i * n + i] += shift;
  return out;
}

/** A random symmetric matrix `(G + Gᵀ) / 2`. */
export function randomSymmetric(n: number, seed: number): Matrix {
  const g = randomMatrix(n, n, seed);
  const out = new Matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out.data[i * n + j] = (g.get(i, j) + g.get(j, i)) / 2;
  return out;
}

/** The textbook triple loop, the independent reference for the blocked products. */
export function naiveMatmul(a: Matrix, b: Matrix): Matrix {
  const out = new Matrix(a.rows, b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < b.cols; j++) {
      let sum = 0;
      for (let p = 0; p < a.cols; p++) sum += a.data[i * a.cols + p] * b.data[p * b.cols + j];
      out.data[i * b.cols + j] = sum;
    }
  }
  return out;
}

/** Largest absolute entry of `a − b`. */
export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDifference: lengths ${a.length} and ${b.length} differ`);
  let worst = 0;
  for (let index = 0; index < a.length; index++) worst = Math.max(worst, Math.abs(a[index] - b[index]));
  return worst;
}

/** Largest absolute entry. */
export function maxAbs(values: ArrayLike<number>): number {
  let worst = 0;
  for (let index = 0; index < values.length; index++) worst = Math.max(worst, Math.abs(values[index]));
  return worst;
}

/** Runs `action` and returns the TlkitError code it throws (or fails when it does not throw). */
export function thrownCode(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if ((error as Error).name !== 'TlkitError' || typeof code !== 'string') throw error;
    return code;
  }
  throw new Error('expected the call to throw a TlkitError');
}
