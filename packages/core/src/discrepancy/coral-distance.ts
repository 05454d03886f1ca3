import type { MatrixInput } from '../data';
import { TlkitError } from '../errors';
import { checkSameColumns, readMatrix } from '../kernels/checks';
import { gram } from '../linalg';
import type { Matrix } from '../matrix';

/** The unbiased sample covariance `(X − 1x̄ᵀ)ᵀ(X − 1x̄ᵀ) / (n − 1)`, `d x d`. */
function sampleCovariance(x: Matrix): Matrix {
  const { rows, cols, data } = x;
  const mean = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) mean[j] += data[i * cols + j];
  for (let j = 0; j < cols; j++) mean[j] /= rows;
  const centred = x.map((value, _i, j) => value - mean[j]);
  const covariance = gram(centred);
  const scale = 1 / (rows - 1);
  for (let index = 0; index < covariance.data.length; index++) covariance.data[index] *= scale;
  return covariance;
}

/**
 * The CORAL distance between two domains: the squared Frobenius distance between their feature
 * covariances, scaled by `1/(4d²)` — `‖C_s − C_t‖²_F / (4d²)`, the CORAL loss of Sun & Saenko,
 * *Deep CORAL: Correlation Alignment for Deep Domain Adaptation*, ECCV Workshops 2016, eq. 1,
 * with the unbiased sample covariances `C = (X − 1x̄ᵀ)ᵀ(X − 1x̄ᵀ)/(n − 1)` of their eq. 2–3.
 * Zero when the second moments about the mean agree; unchanged by shifting either domain.
 * Costs O((ns + nt)·d²).
 *
 * @param Xs - `ns x d` source rows (`ns ≥ 2`).
 * @param Xt - `nt x d` target rows (`nt ≥ 2`).
 * @throws TlkitError `EMPTY_DOMAIN`, `DIMENSION_MISMATCH`, `NON_FINITE_INPUT`, `TOO_FEW_SAMPLES`
 * (a domain with one sample has no covariance).
 *
 * @example
 * ```ts
 * coralDistance([[0, 0], [2, 0], [0, 2], [2, 2]], [[0, 0], [1, 0], [0, 1], [1, 1]]); // 1/8
 * ```
 */
export function coralDistance(Xs: MatrixInput, Xt: MatrixInput): number {
  const source = readMatrix(Xs, 'Xs');
  const target = readMatrix(Xt, 'Xt');
  checkSameColumns(source, target, 'Xs', 'Xt');
  for (const [name, part] of [
    ['Xs', source],
    ['Xt', target],
  ] as const) {
    if (part.rows < 2) {
      throw new TlkitError(
        'TOO_FEW_SAMPLES',
        `${name} has ${part.rows} row; the CORAL distance needs at least 2 samples per domain to estimate a covariance.`,
        { argument: name },
      );
    }
  }
  const sourceCovariance = sampleCovariance(source);
  const targetCovariance = sampleCovariance(target);
  let sum = 0;
  for (let index = 0; index < sourceCovariance.data.length; index++) {
    const difference = sourceCovariance.data[index] - targetCovariance.data[index];
    sum += difference * difference;
  }
  const d = source.cols;
  return sum / (4 * d * d);
}
