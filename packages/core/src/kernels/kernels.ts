import type { MatrixInput } from '../data';
import { TlkitError } from '../errors';
import { gram, matmulTransposeB } from '../linalg';
import type { Matrix } from '../matrix';
import { checkPositive, checkSameColumns, readMatrix } from './checks';
import { pairwiseSquaredDistances } from './distances';

/** Options of {@link polynomialKernel}. */
export interface PolynomialKernelOptions {
  /** The exponent, a positive integer. Default 3. */
  readonly degree?: number;
  /** γ, the scale of the inner product (> 0). Default `1 / d`. */
  readonly gamma?: number;
  /** c₀, the constant added before the power (≥ 0 keeps the kernel positive definite). Default 1. */
  readonly coef0?: number;
}

/**
 * A kernel by name and parameters:
 * - `{ type: 'linear' }` — `k(x, y) = ⟨x, y⟩`;
 * - `{ type: 'rbf', gamma }` — `k(x, y) = exp(−γ‖x − y‖²)`, γ > 0;
 * - `{ type: 'poly', degree, gamma, coef0 }` — `k(x, y) = (γ⟨x, y⟩ + c₀)^degree`.
 */
export type KernelSpec =
  | { readonly type: 'linear' }
  | { readonly type: 'rbf'; readonly gamma: number }
  | { readonly type: 'poly'; readonly degree: number; readonly gamma: number; readonly coef0: number };

/**
 * The linear kernel matrix `K = A Bᵀ`, `K[i][j] = ⟨aᵢ, bⱼ⟩` (Schölkopf & Smola, *Learning with
 * Kernels*, 2002). Passing the same matrix object twice computes the symmetric Gram matrix at half
 * the cost.
 *
 * @param A - `n x d` rows.
 * @param B - `m x d` rows (the same object as `A` for a Gram matrix).
 * @returns the `n x m` kernel matrix.
 * @throws TlkitError `EMPTY_DOMAIN`, `DIMENSION_MISMATCH`, `NON_FINITE_INPUT`, `INVALID_ARGUMENT`.
 *
 * @example
 * ```ts
 * linearKernel([[1, 2]], [[3, 4], [1, 0]]).toRows(); // [[11, 1]]
 * ```
 */
export function linearKernel(A: MatrixInput, B: MatrixInput): Matrix {
  const a = readMatrix(A, 'A');
  if (B === A) return gram(a.transpose());
  const b = readMatrix(B, 'B');
  checkSameColumns(a, b, 'A', 'B');
  return matmulTransposeB(a, b);
}

/**
 * The Gaussian (RBF) kernel matrix `K[i][j] = exp(−γ‖aᵢ − bⱼ‖²)` (Schölkopf & Smola 2002),
 * built from {@link pairwiseSquaredDistances} (one blocked matrix product; the same matrix
 * object twice takes the symmetric half-cost path and gives an exact unit diagonal).
 * γ relates to the bandwidth σ by `γ = 1 / (2σ²)`; see {@link medianHeuristic} to pick it.
 *
 * @param A - `n x d` rows.
 * @param B - `m x d` rows.
 * @param gamma - γ > 0.
 * @throws TlkitError `INVALID_ARGUMENT` (γ not a positive finite number), and as
 * {@link pairwiseSquaredDistances}.
 *
 * @example
 * ```ts
 * rbfKernel([[0, 0]], [[1, 1]], 0.5).get(0, 0); // exp(-1)
 * ```
 */
export function rbfKernel(A: MatrixInput, B: MatrixInput, gamma: number): Matrix {
  checkPositive(gamma, 'gamma', 'For the RBF kernel exp(-gamma * ||x - y||^2) pick e.g. 1 / d or medianHeuristic(X).gamma.');
  const kernel = pairwiseSquaredDistances(A, B);
  const data = kernel.data;
  for (let index = 0; index < data.length; index++) data[index] = Math.exp(-gamma * data[index]);
  return kernel;
}

/**
 * The polynomial kernel matrix `K[i][j] = (γ⟨aᵢ, bⱼ⟩ + c₀)^degree` (Schölkopf & Smola 2002;
 * defaults as scikit-learn's `polynomial_kernel`: degree 3, γ = 1/d, c₀ = 1).
 *
 * @param A - `n x d` rows.
 * @param B - `m x d` rows.
 * @param options - `degree` (positive integer, default 3), `gamma` (> 0, default `1/d`),
 *   `coef0` (finite, default 1).
 * @throws TlkitError `INVALID_ARGUMENT` (bad degree, γ or c₀), and as {@link linearKernel}.
 *
 * @example
 * ```ts
 * polynomialKernel([[1, 2]], [[3, 4]], { degree: 2, gamma: 1, coef0: 1 }).get(0, 0); // (11 + 1)² = 144
 * ```
 */
export function polynomialKernel(A: MatrixInput, B: MatrixInput, options: PolynomialKernelOptions = {}): Matrix {
  const degree = options.degree ?? 3;
  if (!Number.isInteger(degree) || degree < 1) {
    throw new TlkitError('INVALID_ARGUMENT', `options.degree must be a positive integer, got ${String(degree)}.`, {
      argument: 'options.degree',
    });
  }
  if (options.gamma !== undefined) checkPositive(options.gamma, 'options.gamma');
  const coef0 = options.coef0 ?? 1;
  if (typeof coef0 !== 'number' || !Number.isFinite(coef0)) {
    throw new TlkitError('INVALID_ARGUMENT', `options.coef0 must be a finite number, got ${String(coef0)}.`, {
      argument: 'options.coef0',
    });
  }
  const a = readMatrix(A, 'A');
  const kernel = linearKernel(a, B === A ? a : B);
  const gamma = options.gamma ?? 1 / a.cols;
  const data = kernel.data;
  for (let index = 0; index < data.length; index++) data[index] = (gamma * data[index] + coef0) ** degree;
  return kernel;
}

/**
 * Checks a {@link KernelSpec} and returns it; throws `INVALID_ARGUMENT` naming the field at fault.
 * @internal
 */
export function checkKernelSpec(spec: unknown, argument = 'spec'): KernelSpec {
  if (!spec || typeof spec !== 'object') {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `${argument} must be { type: 'linear' }, { type: 'rbf', gamma } or { type: 'poly', degree, gamma, coef0 }.`,
      { argument },
    );
  }
  const candidate = spec as { type?: unknown; gamma?: unknown; degree?: unknown; coef0?: unknown };
  switch (candidate.type) {
    case 'linear':
      return { type: 'linear' };
    case 'rbf':
      checkPositive(candidate.gamma, `${argument}.gamma`);
      return { type: 'rbf', gamma: candidate.gamma };
    case 'poly': {
      const { degree, gamma, coef0 } = candidate;
      if (typeof degree !== 'number' || !Number.isInteger(degree) || degree < 1) {
        throw new TlkitError('INVALID_ARGUMENT', `${argument}.degree must be a positive integer, got ${String(degree)}.`, {
          argument: `${argument}.degree`,
        });
      }
      checkPositive(gamma, `${argument}.gamma`);
      if (typeof coef0 !== 'number' || !Number.isFinite(coef0)) {
        throw new TlkitError('INVALID_ARGUMENT', `${argument}.coef0 must be a finite number, got ${String(coef0)}.`, {
          argument: `${argument}.coef0`,
        });
      }
      return { type: 'poly', degree, gamma, coef0 };
    }
    default:
      throw new TlkitError(
        'INVALID_ARGUMENT',
        `${argument}.type must be 'linear', 'rbf' or 'poly', got ${JSON.stringify(candidate.type)}.`,
        { argument: `${argument}.type` },
      );
  }
}

/**
 * The kernel matrix `K[i][j] = k(aᵢ, bⱼ)` for a {@link KernelSpec}; dispatches to
 * {@link linearKernel}, {@link rbfKernel} or {@link polynomialKernel}.
 *
 * @param A - `n x d` rows.
 * @param B - `m x d` rows (the same object as `A` for a symmetric Gram matrix at half the cost).
 * @param spec - the kernel.
 * @throws TlkitError `INVALID_ARGUMENT` (bad spec), and as the kernel it dispatches to.
 *
 * @example
 * ```ts
 * const K = kernelMatrix(X, X, { type: 'rbf', gamma: medianHeuristic(X).gamma });
 * ```
 */
export function kernelMatrix(A: MatrixInput, B: MatrixInput, spec: KernelSpec): Matrix {
  const checked = checkKernelSpec(spec);
  switch (checked.type) {
    case 'linear':
      return linearKernel(A, B);
    case 'rbf':
      return rbfKernel(A, B, checked.gamma);
    case 'poly':
      return polynomialKernel(A, B, checked);
  }
}
