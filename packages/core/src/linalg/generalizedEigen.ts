/**
 * Symmetric-definite generalised eigenproblem `A v = λ B v` (A symmetric, B symmetric positive
 * definite), reduced to a standard one through the Cholesky factor of B (Golub & Van Loan, Matrix
 * Computations, 4th ed., §8.7.2): with `B = L Lᵀ`, `C = L⁻¹ A L⁻ᵀ` is symmetric with the same
 * eigenvalues, and `v = L⁻ᵀ y` for each eigenvector `y` of C.
 */
import { TlkitError } from '../errors';
import { Matrix } from '../matrix';
import { choleskyUpperOfSymmetric } from './cholesky';
import { GemmWorkspace } from './gemm';
import { symmetricEigenUnchecked } from './symmetricEigen';
import { topEigen } from './topEigen';
import type { TopEigenOptions } from './topEigen';
import { PackedTriangularSolver, triangularSolveInPlace } from './triangular';
import { requireFiniteSymmetric, requireInteger, requireMatrix, requirePositive, requireSquare } from './validation';

/** Options of {@link generalizedEigen}. */
export interface GeneralizedEigenOptions extends TopEigenOptions {
  /**
   * How the eigenvectors are scaled: `'b-orthonormal'` (the default) gives `Vᵀ B V = I`;
   * `'unit'` gives columns of Euclidean norm 1 (then only B-orthogonal).
   */
  readonly normalization?: 'b-orthonormal' | 'unit';
  /** Added to the diagonal of B before its Cholesky factorisation (`B + jitter·I`). Default `0`. */
  readonly jitter?: number;
}

/** The result of {@link generalizedEigen}. */
export interface GeneralizedEigenResult {
  /** The `k` eigenvalues, most extreme first: descending for `'largest'`, ascending for `'smallest'`. */
  readonly values: Float64Array;
  /** The eigenvectors as the `k` COLUMNS of an `n x k` matrix, scaled per `normalization`. */
  readonly vectors: Matrix;
}

/**
 * The `k` largest (or smallest) eigenpairs of `A v = λ B v` for symmetric A and symmetric positive
 * definite B.
 *
 * Method: Cholesky `B = L Lᵀ`, then the standard problem `C y = λ y` with `C = L⁻¹ A L⁻ᵀ` applied
 * matrix-free (two blocked triangular solves and one matrix product per block of vectors, with
 * A and the panels of L packed once for the whole run) inside {@link topEigen}'s block
 * thick-restart Lanczos; `v = L⁻ᵀ y`. When `k` is a large fraction of `n` (or `n ≤ 64`), C is
 * formed explicitly and decomposed densely instead. Eigenvectors are B-orthonormal
 * (`Vᵀ B V = I`) unless `normalization: 'unit'`.
 *
 * Reference: Golub & Van Loan, Matrix Computations, 4th ed., §8.7.2 (Cholesky reduction);
 * Wu & Simon, SIAM J. Matrix Anal. Appl. 22(2), 2000 (thick-restart Lanczos).
 *
 * @param a - a symmetric `n x n` matrix.
 * @param b - a symmetric positive definite `n x n` matrix.
 * @param k - how many eigenpairs, `1 ≤ k ≤ n`.
 * @param options - {@link GeneralizedEigenOptions}: `which` (default `'largest'`),
 *   `normalization` (default `'b-orthonormal'`), `jitter` (default `0`), and the
 *   {@link TopEigenOptions} `tolerance` (default `1e-10`), `maxIterations`, `seed` (default `0`),
 *   `subspaceSize`.
 * @returns {@link GeneralizedEigenResult}.
 * @throws TlkitError `NUMERICAL_ERROR` when B is not positive definite (add a ridge: `jitter`),
 *   `DIMENSION_MISMATCH` on shapes, `INVALID_ARGUMENT` for non-symmetric input or a bad `k`,
 *   `NON_FINITE_INPUT` on NaN/Infinity.
 * @example
 * ```ts
 * // TCA-style: the 30 leading directions of (K L K + μI)⁻¹ K H K.
 * const { values, vectors } = generalizedEigen(khk, klkPlusMuI, 30, { seed: 0 });
 * ```
 */
export function generalizedEigen(
  a: Matrix,
  b: Matrix,
  k: number,
  options: GeneralizedEigenOptions = {},
): GeneralizedEigenResult {
  const routine = 'generalizedEigen';
  requireMatrix(a, 'a', routine);
  requireMatrix(b, 'b', routine);
  requireSquare(a, 'a', routine);
  requireSquare(b, 'b', routine);
  if (a.rows !== b.rows) {
    throw new TlkitError('DIMENSION_MISMATCH', `${routine}: a is ${a.rows} x ${a.cols} but b is ${b.rows} x ${b.cols}; they must have the same size.`, {
      argument: 'b',
    });
  }
  const n = a.rows;
  requireInteger(k, 'k', routine, 1, n);
  const normalization = options.normalization ?? 'b-orthonormal';
  if (normalization !== 'b-orthonormal' && normalization !== 'unit') {
    throw new TlkitError('INVALID_ARGUMENT', `${routine}: options.normalization must be 'b-orthonormal' or 'unit', got ${String(normalization)}.`, {
      argument: 'options.normalization',
    });
  }
  const which = options.which ?? 'largest';
  if (which !== 'largest' && which !== 'smallest') {
    throw new TlkitError('INVALID_ARGUMENT', `${routine}: options.which must be 'largest' or 'smallest', got ${String(which)}.`, {
      argument: 'options.which',
    });
  }
  requireFiniteSymmetric(
    [
      [a, 'a'],
      [b, 'b'],
    ],
    routine,
  );

  const jitter = options.jitter ?? 0;
  requirePositive(jitter, 'options.jitter', routine, true);
  // B = L Lᵀ, kept as U = Lᵀ (upper triangle).
  const u = choleskyUpperOfSymmetric(b, jitter, { routine, argument: 'b' });
  const subspaceSize = options.subspaceSize ?? Math.min(n, Math.max(2 * k + 1, k + 20));
  let values: Float64Array;
  let rows: Float64Array; // eigenvectors y of C as rows (k x n)
  if (n <= 64 || subspaceSize >= n || 3 * k >= n) {
    // Dense: C = L⁻¹ A L⁻ᵀ formed as L⁻¹ (L⁻¹ A)ᵀ, both by blocked triangular solves.
    const work = a.data.slice();
    triangularSolveInPlace(u, n, false, true, false, work, n); // L⁻¹ A (L = Uᵀ)
    transposeInPlace(work, n);
    triangularSolveInPlace(u, n, false, true, false, work, n);
    symmetrize(work, n);
    const full = symmetricEigenUnchecked(work, n, true);
    values = new Float64Array(k);
    rows = new Float64Array(k * n);
    for (let j = 0; j < k; j++) {
      const source = which === 'largest' ? j : n - 1 - j;
      values[j] = full.values[source];
      for (let i = 0; i < n; i++) rows[j * n + i] = full.vectors.data[i * n + source];
    }
  } else {
    // A and the off-diagonal panels of L and Lᵀ are packed once; each application then costs its
    // flops plus the packing of the thin block of vectors.
    const workspace = new GemmWorkspace(GemmWorkspace.packedSize(n, n) + PackedTriangularSolver.packedSize(n), options.blockSize ?? Math.min(k, 8));
    const packedA = workspace.pack(n, n, { data: a.data, offset: 0, rowStride: n, colStride: 1 });
    const solver = new PackedTriangularSolver(u, n, workspace);
    const apply = (input: Float64Array, p: number): Float64Array => {
      const scratch = input.slice();
      solver.solveLowerTransposed(scratch, p); // L⁻ᵀ X
      const out = new Float64Array(n * p);
      workspace.multiply(packedA, p, 1, { data: scratch, offset: 0, rowStride: p, colStride: 1 }, out, 0, p); // A L⁻ᵀ X
      solver.solveLower(out, p); // L⁻¹ A L⁻ᵀ X
      return out;
    };
    const operator = {
      n,
      multiply: (x: Float64Array): Float64Array => apply(x, 1),
      multiplyBlock: (x: Matrix): Matrix => new Matrix(n, x.cols, apply(x.data, x.cols)),
    };
    const result = topEigen(operator, k, { ...options, subspaceSize });
    values = result.values;
    rows = result.vectors.transpose().data;
  }
  // v = L⁻ᵀ y for all k vectors at once: solve U X = Y with Y = the vectors as columns.
  const columns = new Matrix(k, n, rows).transpose();
  triangularSolveInPlace(u, n, false, false, false, columns.data, k);
  if (normalization === 'unit') {
    const norms = new Float64Array(k);
    for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) norms[j] += columns.data[i * k + j] ** 2;
    for (let j = 0; j < k; j++) norms[j] = 1 / Math.sqrt(norms[j]);
    for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) columns.data[i * k + j] *= norms[j];
  }
  return { values, vectors: columns };
}

function transposeInPlace(data: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const swap = data[i * n + j];
      data[i * n + j] = data[j * n + i];
      data[j * n + i] = swap;
    }
  }
}

function symmetrize(data: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const mean = 0.5 * (data[i * n + j] + data[j * n + i]);
      data[i * n + j] = mean;
      data[j * n + i] = mean;
    }
  }
}
