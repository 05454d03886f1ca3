import { describe, expect, it } from 'vitest';
import { Matrix } from '../matrix';
import { matmul, matmulTransposeA, matmulTransposeB, symmetricEigen, topEigen } from './index';
import { maxAbsDifference, randomMatrix, randomSymmetric, thrownCode } from './testFixtures';

function residual(a: Matrix, values: Float64Array, vectors: Matrix): number {
  const av = matmul(a, vectors);
  let worst = 0;
  for (let i = 0; i < vectors.rows; i++) {
    for (let j = 0; j < vectors.cols; j++) worst = Math.max(worst, Math.abs(av.get(i, j) - values[j] * vectors.get(i, j)));
  }
  return worst;
}

/** tridiag(−1, 2, −1) applied matrix-free. */
function toeplitzOperator(n: number) {
  return {
    n,
    multiply(x: Float64Array): Float64Array {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = 2 * x[i] - (i > 0 ? x[i - 1] : 0) - (i + 1 < n ? x[i + 1] : 0);
      return out;
    },
  };
}

describe('topEigen', () => {
  const a = randomSymmetric(200, 77);
  const full = symmetricEigen(a);

  it.each(['largest', 'smallest'] as const)('agrees with the full solver (%s, k = 6)', (which) => {
    const result = topEigen(a, 6, { which, seed: 3 });
    expect(result.multiplications).toBeGreaterThan(0); // the Lanczos path, not the dense fallback
    const expected = Array.from({ length: 6 }, (_, j) => (which === 'largest' ? full.values[j] : full.values[199 - j]));
    expect(maxAbsDifference(result.values, expected)).toBeLessThan(1e-10);
    expect(residual(a, result.values, result.vectors)).toBeLessThan(1e-8);
    expect(maxAbsDifference(matmulTransposeA(result.vectors, result.vectors).data, Matrix.identity(6).data)).toBeLessThan(1e-12);
  });

  it('matches the closed form of tridiag(−1, 2, −1) given only as an operator', () => {
    const n = 400;
    const result = topEigen(toeplitzOperator(n), 4, { seed: 1 });
    for (let j = 0; j < 4; j++) {
      const k = n - j;
      expect(Math.abs(result.values[j] - (2 - 2 * Math.cos((k * Math.PI) / (n + 1))))).toBeLessThan(1e-9);
    }
  });

  it('is deterministic for a seed and gives the same subspace for another seed', () => {
    const first = topEigen(a, 3, { seed: 5 });
    const again = topEigen(a, 3, { seed: 5 });
    expect(Array.from(again.vectors.data)).toEqual(Array.from(first.vectors.data));
    const other = topEigen(a, 3, { seed: 6 });
    // Same eigenvectors up to sign: |v_firstᵀ v_other| = 1 column by column.
    const cross = matmulTransposeA(first.vectors, other.vectors);
    for (let j = 0; j < 3; j++) expect(Math.abs(cross.get(j, j))).toBeGreaterThan(1 - 1e-9);
  });

  it('finds every copy of a repeated eigenvalue at the wanted end (kernel + I, smallest)', () => {
    const x = randomMatrix(150, 20, 8);
    const kernel = matmulTransposeB(x, x); // rank 20, so the eigenvalue 1 of kernel + I has multiplicity 130
    for (let i = 0; i < 150; i++) kernel.data[i * 150 + i] += 1;
    const result = topEigen(kernel, 5, { which: 'smallest', seed: 2 });
    expect(maxAbsDifference(result.values, [1, 1, 1, 1, 1])).toBeLessThan(1e-9);
    expect(residual(kernel, result.values, result.vectors)).toBeLessThan(1e-8);
    expect(maxAbsDifference(matmulTransposeA(result.vectors, result.vectors).data, Matrix.identity(5).data)).toBeLessThan(1e-10);
  });

  it('gives the same eigenpairs for every block size, and uses multiplyBlock when given', () => {
    const reference = full.values.subarray(0, 6);
    for (const blockSize of [1, 3, 6]) {
      const result = topEigen(a, 6, { seed: 9, blockSize });
      expect(maxAbsDifference(result.values, reference)).toBeLessThan(1e-10);
      expect(residual(a, result.values, result.vectors)).toBeLessThan(1e-8);
    }
    let blockCalls = 0;
    const operator = {
      n: 200,
      multiply: (): Float64Array => {
        throw new Error('multiply must not be called when multiplyBlock exists');
      },
      multiplyBlock: (x: Matrix) => {
        blockCalls++;
        return matmul(a, x);
      },
    };
    const viaBlocks = topEigen(operator, 6, { seed: 9, blockSize: 3 });
    expect(blockCalls).toBeGreaterThan(0);
    expect(viaBlocks.multiplications).toBe(3 * blockCalls);
    expect(maxAbsDifference(viaBlocks.values, reference)).toBeLessThan(1e-10);
  });

  it('falls back to the dense solver for small problems, for matrices and operators alike', () => {
    const small = randomSymmetric(20, 4);
    const expected = symmetricEigen(small).values.subarray(0, 3);
    expect(maxAbsDifference(topEigen(small, 3).values, expected)).toBeLessThan(1e-13);
    const operator = { n: 20, multiply: (v: Float64Array) => matmul(small, Matrix.column(v)).data };
    const viaOperator = topEigen(operator, 3);
    expect(viaOperator.multiplications).toBe(20);
    expect(maxAbsDifference(viaOperator.values, expected)).toBeLessThan(1e-13);
  });

  it('rejects bad arguments and reports non-convergence with NUMERICAL_ERROR', () => {
    expect(thrownCode(() => topEigen(a, 0))).toBe('INVALID_ARGUMENT');
    expect(thrownCode(() => topEigen(a, 201))).toBe('INVALID_ARGUMENT');
    expect(thrownCode(() => topEigen(a, 2, { which: 'middle' as never }))).toBe('INVALID_ARGUMENT');
    expect(thrownCode(() => topEigen(a, 2, { tolerance: 0 }))).toBe('INVALID_ARGUMENT');
    expect(thrownCode(() => topEigen(Matrix.fromRows([[1, 2], [3, 4]]), 1))).toBe('INVALID_ARGUMENT');
    expect(thrownCode(() => topEigen({ n: 100, multiply: () => new Float64Array(3) }, 2))).toBe('DIMENSION_MISMATCH');
    expect(thrownCode(() => topEigen({ n: 100, multiply: (v) => v, multiplyBlock: () => new Matrix(2, 2) }, 2))).toBe('DIMENSION_MISMATCH');
    expect(thrownCode(() => topEigen(a, 2, { blockSize: 0 }))).toBe('INVALID_ARGUMENT');
    // The seed contract of createRng (0..2^32-1), named as options.seed; a negative seed is no longer reduced mod 2^32.
    expect(() => topEigen(a, 2, { seed: -1 })).toThrow(/options\.seed/);
    expect(topEigen(a, 2, { seed: 2 ** 32 - 1 }).values.length).toBe(2);
    expect(thrownCode(() => topEigen({ n: 100, multiply: (v) => v.map(() => Number.NaN) }, 2))).toBe('NUMERICAL_ERROR');
    expect(thrownCode(() => topEigen(toeplitzOperator(400), 4, { which: 'smallest', maxIterations: 1, tolerance: 1e-14 }))).toBe(
      'NUMERICAL_ERROR',
    );
  });
});
