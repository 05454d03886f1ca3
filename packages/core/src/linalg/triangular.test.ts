import { describe, expect, it } from 'vitest';
import { Matrix } from '../matrix';
import { GemmWorkspace } from './gemm';
import { matmul, solveTriangular } from './index';
import { PackedTriangularSolver } from './triangular';
import { maxAbsDifference, naiveMatmul, randomMatrix, thrownCode } from './testFixtures';

/** A well-conditioned random triangular matrix (diagonal kept away from zero). */
function randomTriangular(n: number, lower: boolean, seed: number): Matrix {
  const out = randomMatrix(n, n, seed);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (lower ? j > i : j < i) out.data[i * n + j] = 0;
      else out.data[i * n + j] *= 0.1;
    }
    out.data[i * n + i] = 1 + Math.abs(out.data[i * n + i]);
  }
  return out;
}

describe('solveTriangular', () => {
  it('does a hand-worked forward substitution', () => {
    expect(Array.from(solveTriangular(Matrix.fromRows([[2, 0], [1, 1]]), [2, 3]))).toEqual([1, 2]);
    expect(Array.from(solveTriangular(Matrix.fromRows([[2, 1], [0, 1]]), [4, 2], { lower: false }))).toEqual([1, 2]);
  });

  for (const lower of [true, false]) {
    for (const transpose of [false, true]) {
      for (const unitDiagonal of [false, true]) {
        it(`op(T) X = B for lower=${lower} transpose=${transpose} unitDiagonal=${unitDiagonal}`, () => {
          const n = 150;
          const t = randomTriangular(n, lower, 11);
          const effective = t.clone();
          if (unitDiagonal) for (let i = 0; i < n; i++) effective.data[i * n + i] = 1;
          const op = transpose ? effective.transpose() : effective;
          for (const m of [1, 9]) {
            const b = randomMatrix(n, m, 12);
            const x = solveTriangular(t, b, { lower, transpose, unitDiagonal });
            expect(maxAbsDifference(naiveMatmul(op, x).data, b.data)).toBeLessThan(1e-11);
          }
          const vector = solveTriangular(t, randomMatrix(n, 1, 13).data, { lower, transpose, unitDiagonal });
          expect(maxAbsDifference(matmul(op, Matrix.column(vector)).data, randomMatrix(n, 1, 13).data)).toBeLessThan(1e-11);
        });
      }
    }
  }

  it('reports a zero diagonal and a shape mismatch', () => {
    expect(thrownCode(() => solveTriangular(Matrix.fromRows([[1, 0], [1, 0]]), [1, 1]))).toBe('NUMERICAL_ERROR');
    expect(thrownCode(() => solveTriangular(Matrix.identity(2), [1, 1, 1]))).toBe('DIMENSION_MISMATCH');
  });
});

describe('PackedTriangularSolver (panels packed once)', () => {
  it.each([
    [1, 1],
    [63, 8],
    [64, 3],
    [65, 1],
    [150, 8],
  ])('L X = B and Lᵀ X = B at n = %i with %i right-hand sides, twice with one packing', (n, m) => {
    const l = randomTriangular(n, true, n + m);
    const workspace = new GemmWorkspace(PackedTriangularSolver.packedSize(n));
    const solver = new PackedTriangularSolver(l.transpose().data, n, workspace); // it takes U = Lᵀ
    for (let round = 0; round < 2; round++) {
      const b = randomMatrix(n, m, 10 * round + m);
      const forward = b.data.slice();
      solver.solveLower(forward, m);
      expect(maxAbsDifference(matmul(l, new Matrix(n, m, forward)).data, b.data)).toBeLessThan(1e-12);
      const backward = b.data.slice();
      solver.solveLowerTransposed(backward, m);
      expect(maxAbsDifference(matmul(l.transpose(), new Matrix(n, m, backward)).data, b.data)).toBeLessThan(1e-12);
    }
  });
});
