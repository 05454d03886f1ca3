/**
 * Square root and inverse square root of symmetric positive (semi)definite matrices through the
 * eigendecomposition `A = V Λ Vᵀ`: `f(A) = V f(Λ) Vᵀ` (Higham, Functions of Matrices, SIAM 2008,
 * §1.2 and §6.1). Used by CORAL-style whitening and re-colouring.
 */
import { TlkitError } from '../errors';
import { Matrix } from '../matrix';
import { gemmAccumulate } from './gemm';
import { mirrorUpperToLower } from './products';
import { symmetricEigenUnchecked } from './symmetricEigen';
import { requireFiniteSymmetric, requireMatrix, requirePositive, requireSquare } from './validation';

/** Options of {@link sqrtmSymmetric} and {@link inverseSqrtmSymmetric}. */
export interface MatrixSquareRootOptions {
  /**
   * Relative tolerance for negative eigenvalues: eigenvalues in `[−tolerance · max|λ|, 0)` are
   * rounding noise of a positive semidefinite matrix and are clamped to 0; a more negative one
   * raises `NUMERICAL_ERROR`. Default `1e-8`.
   */
  readonly negativeTolerance?: number;
  /** A non-negative ridge added to every eigenvalue first, i.e. `f(A + ridge · I)`. Default `0`. */
  readonly ridge?: number;
}

/**
 * The principal square root `A^{1/2}` of a symmetric positive semidefinite matrix: the unique
 * symmetric PSD matrix S with `S S = A`. Tiny negative eigenvalues (rounding noise, see
 * `negativeTolerance`) are clamped to 0.
 *
 * Reference: Higham, Functions of Matrices, SIAM 2008, §6.1.
 *
 * @param a - a symmetric positive semidefinite `n x n` matrix.
 * @param options - {@link MatrixSquareRootOptions}: `negativeTolerance` (default `1e-8`), `ridge`
 *   (default `0`).
 * @returns a new symmetric `n x n` matrix.
 * @throws TlkitError `NUMERICAL_ERROR` when `a` has a clearly negative eigenvalue,
 *   `INVALID_ARGUMENT` when it is not symmetric, `DIMENSION_MISMATCH` when not square.
 * @example
 * ```ts
 * sqrtmSymmetric(Matrix.fromRows([[4, 0], [0, 9]])).toRows(); // [[2, 0], [0, 3]]
 * ```
 */
export function sqrtmSymmetric(a: Matrix, options: MatrixSquareRootOptions = {}): Matrix {
  return symmetricFunction(a, options, 'sqrtmSymmetric', false);
}

/**
 * The inverse principal square root `A^{−1/2}` of a symmetric positive definite matrix (the
 * whitening matrix of a covariance). Eigenvalues are clamped as in {@link sqrtmSymmetric}; an
 * eigenvalue that is zero to working precision (at most `n · ε · max|λ|` after the ridge) raises
 * `NUMERICAL_ERROR`, whose message suggests a ridge.
 *
 * Reference: Higham, Functions of Matrices, SIAM 2008, §1.2 and §6.1.
 *
 * @param a - a symmetric positive definite `n x n` matrix.
 * @param options - {@link MatrixSquareRootOptions}: `negativeTolerance` (default `1e-8`), `ridge`
 *   (default `0`; CORAL uses `ridge: 1`).
 * @returns a new symmetric `n x n` matrix W with `W A W = I`.
 * @throws TlkitError `NUMERICAL_ERROR` when `a + ridge · I` is singular or indefinite.
 * @example
 * ```ts
 * inverseSqrtmSymmetric(Matrix.fromRows([[4, 0], [0, 9]])).toRows(); // [[0.5, 0], [0, 1/3]]
 * ```
 */
export function inverseSqrtmSymmetric(a: Matrix, options: MatrixSquareRootOptions = {}): Matrix {
  return symmetricFunction(a, options, 'inverseSqrtmSymmetric', true);
}

function symmetricFunction(a: Matrix, options: MatrixSquareRootOptions, routine: string, inverse: boolean): Matrix {
  requireMatrix(a, 'a', routine);
  requireSquare(a, 'a', routine);
  const negativeTolerance = options.negativeTolerance ?? 1e-8;
  requirePositive(negativeTolerance, 'options.negativeTolerance', routine, true);
  const ridge = options.ridge ?? 0;
  requirePositive(ridge, 'options.ridge', routine, true);
  requireFiniteSymmetric([[a, 'a']], routine);
  const n = a.rows;
  if (n === 0) return new Matrix(0, 0);
  const { values, vectors } = symmetricEigenUnchecked(a.data, n, true);
  let largest = 0;
  for (let i = 0; i < n; i++) largest = Math.max(largest, Math.abs(values[i]));
  const weights = new Float64Array(n); // sqrt(f(λ)), so f(A) = (V diag(w)) (V diag(w))ᵀ
  for (let i = 0; i < n; i++) {
    let value = values[i];
    if (value < 0) {
      if (value < -negativeTolerance * largest) {
        throw new TlkitError(
          'NUMERICAL_ERROR',
          `${routine}: a has the negative eigenvalue ${value.toExponential(3)} (largest |λ| ${largest.toExponential(3)}), so it is not positive semidefinite; check how it was built, or raise options.negativeTolerance if this is rounding noise.`,
          { argument: 'a', eigenvalue: value },
        );
      }
      value = 0;
    }
    value += ridge;
    if (inverse) {
      if (!(value > n * Number.EPSILON * (largest + ridge))) {
        throw new TlkitError(
          'NUMERICAL_ERROR',
          `${routine}: a${ridge > 0 ? ` + ${ridge} · I` : ''} is singular to working precision (eigenvalue ${value.toExponential(3)}), so it has no inverse square root; add a ridge, e.g. { ridge: ${Math.max(1e-6 * largest, Number.MIN_VALUE).toExponential(2)} }.`,
          { argument: 'a', eigenvalue: value },
        );
      }
      weights[i] = value ** -0.25;
    } else {
      weights[i] = value ** 0.25;
    }
  }
  // W = V diag(weights) stored transposed (row j = weights[j] · v_j), then f(A) = Wᵀ-product.
  const scaledRows = new Float64Array(n * n);
  const v = vectors.data;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) scaledRows[j * n + i] = v[i * n + j] * weights[j];
  }
  const out = new Matrix(n, n);
  gemmAccumulate(
    n,
    n,
    n,
    1,
    { data: scaledRows, offset: 0, rowStride: 1, colStride: n },
    { data: scaledRows, offset: 0, rowStride: n, colStride: 1 },
    out.data,
    0,
    n,
    true,
  );
  mirrorUpperToLower(out.data, n);
  return out;
}
