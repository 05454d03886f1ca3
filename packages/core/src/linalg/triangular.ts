/**
 * Triangular solves `op(T) X = B` (forward / back substitution) for one or many right-hand sides,
 * blocked so that most of the work is a matrix product (Golub & Van Loan, Matrix Computations,
 * 4th ed., §3.1 and §3.2.11).
 */
import { TlkitError } from '../errors';
import { Matrix } from '../matrix';
import { GemmWorkspace, gemmAccumulate } from './gemm';
import type { PackedOperand } from './gemm';
import { requireMatrix, requireSquare } from './validation';

/** Rows per block in the blocked substitution. */
const BLOCK = 64;

/** Options of {@link solveTriangular}. */
export interface TriangularSolveOptions {
  /** `true` when T is lower triangular, `false` for upper. Default `true`. */
  readonly lower?: boolean;
  /** Solve with `Tᵀ` instead of `T`. Default `false`. */
  readonly transpose?: boolean;
  /** Treat the diagonal of T as all ones (it is not read). Default `false`. */
  readonly unitDiagonal?: boolean;
}

/**
 * Solves `op(T) X = B` for triangular `T`, where `op(T)` is `T` or `Tᵀ`. Only the triangle named
 * by `lower` is read; the other one may hold anything.
 *
 * @param t - an `n x n` triangular matrix.
 * @param b - an `n x m` matrix of right-hand sides, or one right-hand side as a vector.
 * @param options - {@link TriangularSolveOptions}: `lower` (default `true`), `transpose` (default
 *   `false`), `unitDiagonal` (default `false`).
 * @returns `X`, with the same shape as `b` (a Matrix, or a Float64Array for a vector).
 * @throws TlkitError `DIMENSION_MISMATCH` on incompatible shapes, `NUMERICAL_ERROR` on a zero
 *   diagonal entry.
 * @example
 * ```ts
 * const l = Matrix.fromRows([[2, 0], [1, 1]]);
 * solveTriangular(l, [2, 3]); // Float64Array [1, 2]
 * ```
 */
export function solveTriangular(t: Matrix, b: Matrix, options?: TriangularSolveOptions): Matrix;
export function solveTriangular(t: Matrix, b: ArrayLike<number>, options?: TriangularSolveOptions): Float64Array;
export function solveTriangular(
  t: Matrix,
  b: Matrix | ArrayLike<number>,
  options: TriangularSolveOptions = {},
): Matrix | Float64Array {
  requireMatrix(t, 't', 'solveTriangular');
  requireSquare(t, 't', 'solveTriangular');
  const { lower = true, transpose = false, unitDiagonal = false } = options;
  const n = t.rows;
  const isMatrix = b instanceof Matrix;
  const rows = isMatrix ? b.rows : b.length;
  if (rows !== n) {
    throw new TlkitError(
      'DIMENSION_MISMATCH',
      `solveTriangular: t is ${n} x ${n} but b has ${rows} rows; b needs one row per row of t.`,
      { argument: 'b' },
    );
  }
  if (!unitDiagonal) {
    for (let i = 0; i < n; i++) {
      if (t.data[i * n + i] === 0) {
        throw new TlkitError(
          'NUMERICAL_ERROR',
          `solveTriangular: t has a zero on its diagonal at (${i}, ${i}), so it is singular; regularise the matrix it came from (add a small ridge to its diagonal).`,
          { argument: 't', index: i },
        );
      }
    }
  }
  if (isMatrix) {
    const out = b.clone();
    triangularSolveInPlace(t.data, n, lower, transpose, unitDiagonal, out.data, b.cols);
    return out;
  }
  const out = Float64Array.from(b);
  triangularSolveInPlace(t.data, n, lower, transpose, unitDiagonal, out, 1);
  return out;
}

/**
 * In place: `X ← op(T)⁻¹ X` for a row-major `n x n` triangular `T` and a row-major `n x m` `X`.
 * No checks. @internal
 */
export function triangularSolveInPlace(
  t: Float64Array,
  n: number,
  lower: boolean,
  transpose: boolean,
  unitDiagonal: boolean,
  x: Float64Array,
  m: number,
): void {
  if (n === 0 || m === 0) return;
  // op(T)[i, j] = t[i * rowStride + j * colStride].
  const rowStride = transpose ? 1 : n;
  const colStride = transpose ? n : 1;
  const effectiveLower = lower !== transpose;
  if (m === 1) {
    vectorSolve(t, n, rowStride, colStride, effectiveLower, unitDiagonal, x);
    return;
  }
  if (effectiveLower) {
    for (let start = 0; start < n; start += BLOCK) {
      const end = Math.min(n, start + BLOCK);
      if (start > 0) {
        // X[start:end] -= op(T)[start:end, 0:start] · X[0:start]
        gemmAccumulate(
          end - start,
          m,
          start,
          -1,
          { data: t, offset: start * rowStride, rowStride, colStride },
          { data: x, offset: 0, rowStride: m, colStride: 1 },
          x,
          start * m,
          m,
        );
      }
      for (let i = start; i < end; i++) {
        const rowI = i * m;
        for (let p = start; p < i; p++) {
          const factor = t[i * rowStride + p * colStride];
          if (factor === 0) continue;
          const rowP = p * m;
          for (let j = 0; j < m; j++) x[rowI + j] -= factor * x[rowP + j];
        }
        if (!unitDiagonal) {
          const inverse = 1 / t[i * rowStride + i * colStride];
          for (let j = 0; j < m; j++) x[rowI + j] *= inverse;
        }
      }
    }
  } else {
    const lastBlockStart = Math.floor((n - 1) / BLOCK) * BLOCK;
    for (let start = lastBlockStart; start >= 0; start -= BLOCK) {
      const end = Math.min(n, start + BLOCK);
      if (end < n) {
        // X[start:end] -= op(T)[start:end, end:n] · X[end:n]
        gemmAccumulate(
          end - start,
          m,
          n - end,
          -1,
          { data: t, offset: start * rowStride + end * colStride, rowStride, colStride },
          { data: x, offset: end * m, rowStride: m, colStride: 1 },
          x,
          start * m,
          m,
        );
      }
      for (let i = end - 1; i >= start; i--) {
        const rowI = i * m;
        for (let p = i + 1; p < end; p++) {
          const factor = t[i * rowStride + p * colStride];
          if (factor === 0) continue;
          const rowP = p * m;
          for (let j = 0; j < m; j++) x[rowI + j] -= factor * x[rowP + j];
        }
        if (!unitDiagonal) {
          const inverse = 1 / t[i * rowStride + i * colStride];
          for (let j = 0; j < m; j++) x[rowI + j] *= inverse;
        }
      }
    }
  }
}

/**
 * One right-hand side. Row-oriented (dot-product) form when the rows of op(T) are contiguous,
 * column-oriented (axpy) form when its columns are, so memory is always read in order.
 */
function vectorSolve(
  t: Float64Array,
  n: number,
  rowStride: number,
  colStride: number,
  lower: boolean,
  unitDiagonal: boolean,
  x: Float64Array,
): void {
  const rowsContiguous = colStride === 1;
  if (lower) {
    if (rowsContiguous) {
      for (let i = 0; i < n; i++) {
        const offset = i * rowStride;
        let sum = x[i];
        for (let p = 0; p < i; p++) sum -= t[offset + p] * x[p];
        x[i] = unitDiagonal ? sum : sum / t[offset + i];
      }
    } else {
      for (let j = 0; j < n; j++) {
        const offset = j * colStride;
        if (!unitDiagonal) x[j] /= t[offset + j];
        const value = x[j];
        if (value === 0) continue;
        for (let i = j + 1; i < n; i++) x[i] -= t[offset + i] * value;
      }
    }
  } else if (rowsContiguous) {
    for (let i = n - 1; i >= 0; i--) {
      const offset = i * rowStride;
      let sum = x[i];
      for (let p = i + 1; p < n; p++) sum -= t[offset + p] * x[p];
      x[i] = unitDiagonal ? sum : sum / t[offset + i];
    }
  } else {
    for (let j = n - 1; j >= 0; j--) {
      const offset = j * colStride;
      if (!unitDiagonal) x[j] /= t[offset + j];
      const value = x[j];
      if (value === 0) continue;
      for (let i = 0; i < j; i++) x[i] -= t[offset + i] * value;
    }
  }
}

/**
 * Repeated solves `X ← L⁻¹ X` and `X ← L⁻ᵀ X` with one lower-triangular `n x n` L, given as the
 * row-major upper-triangular `U = Lᵀ` (as the Cholesky factorisation produces it), blocked as
 * {@link triangularSolveInPlace}, with every off-diagonal panel packed once into a
 * {@link GemmWorkspace} (the panels of L for the forward solve and those of Lᵀ for the backward
 * one), so a solve costs its flops and the packing of its right-hand sides only. @internal
 */
export class PackedTriangularSolver {
  private readonly lowerPanels: PackedOperand[] = [];
  private readonly upperPanels: PackedOperand[] = [];

  /** Workspace elements that {@link PackedTriangularSolver} needs for size n. */
  static packedSize(n: number): number {
    let total = 0;
    for (let start = 0; start < n; start += BLOCK) {
      const end = Math.min(n, start + BLOCK);
      total += GemmWorkspace.packedSize(end - start, start) + GemmWorkspace.packedSize(end - start, n - end);
    }
    return total;
  }

  /** `u` holds `U = Lᵀ` in its upper triangle (row-major `n x n`). */
  constructor(
    private readonly u: Float64Array,
    private readonly n: number,
    private readonly workspace: GemmWorkspace,
  ) {
    for (let start = 0; start < n; start += BLOCK) {
      const end = Math.min(n, start + BLOCK);
      // L[start:end, 0:start] = U[0:start, start:end]ᵀ and Lᵀ[start:end, end:n] = U[start:end, end:n].
      this.lowerPanels.push(workspace.pack(end - start, start, { data: u, offset: start, rowStride: 1, colStride: n }));
      this.upperPanels.push(workspace.pack(end - start, n - end, { data: u, offset: start * n + end, rowStride: n, colStride: 1 }));
    }
  }

  /** `X ← L⁻¹ X` for a row-major `n x m` X. */
  solveLower(x: Float64Array, m: number): void {
    const { u, n } = this;
    for (let start = 0, block = 0; start < n; start += BLOCK, block++) {
      const end = Math.min(n, start + BLOCK);
      if (start > 0) {
        this.workspace.multiply(this.lowerPanels[block], m, -1, { data: x, offset: 0, rowStride: m, colStride: 1 }, x, start * m, m);
      }
      for (let i = start; i < end; i++) {
        const rowI = i * m;
        for (let p = start; p < i; p++) {
          const factor = u[p * n + i]; // L[i][p]
          if (factor === 0) continue;
          const rowP = p * m;
          for (let j = 0; j < m; j++) x[rowI + j] -= factor * x[rowP + j];
        }
        const inverse = 1 / u[i * n + i];
        for (let j = 0; j < m; j++) x[rowI + j] *= inverse;
      }
    }
  }

  /** `X ← L⁻ᵀ X` for a row-major `n x m` X. */
  solveLowerTransposed(x: Float64Array, m: number): void {
    const { u, n } = this;
    const lastBlock = Math.floor((n - 1) / BLOCK);
    for (let block = lastBlock; block >= 0; block--) {
      const start = block * BLOCK;
      const end = Math.min(n, start + BLOCK);
      if (end < n) {
        this.workspace.multiply(this.upperPanels[block], m, -1, { data: x, offset: end * m, rowStride: m, colStride: 1 }, x, start * m, m);
      }
      for (let i = end - 1; i >= start; i--) {
        const rowI = i * m;
        for (let p = i + 1; p < end; p++) {
          const factor = u[i * n + p]; // Lᵀ[i][p]
          if (factor === 0) continue;
          const rowP = p * m;
          for (let j = 0; j < m; j++) x[rowI + j] -= factor * x[rowP + j];
        }
        const inverse = 1 / u[i * n + i];
        for (let j = 0; j < m; j++) x[rowI + j] *= inverse;
      }
    }
  }
}
