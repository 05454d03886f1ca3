import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTlkitError } from '../errors';
import { Matrix } from '../matrix';
import { GemmWorkspace, setGemmKernel } from './gemm';
import { gram, matmul, matmulTransposeA, matmulTransposeB, matvec, matvecTranspose } from './index';
import { maxAbsDifference, naiveMatmul, randomMatrix } from './testFixtures';

// Shapes straddle the 4 x 4 micro-tile, the 128-row and 256-deep packing blocks.
const shapes: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 2],
  [7, 9, 13],
  [33, 17, 260],
  [130, 70, 300],
  [5, 260, 3],
];

describe('the GEMM kernel', () => {
  it('runs in WebAssembly SIMD on Node 20 and can be switched to JavaScript', () => {
    expect(setGemmKernel('javascript')).toBe('javascript');
    expect(setGemmKernel('wasm')).toBe('wasm');
  });
});

describe.each(['wasm', 'javascript'] as const)('matrix products (%s kernel)', (kernel) => {
  beforeAll(() => {
    expect(setGemmKernel(kernel)).toBe(kernel);
  });
  afterAll(() => {
    setGemmKernel('wasm');
  });

  it('gives a hand-worked 2 x 2 product', () => {
    const a = Matrix.fromRows([[1, 2], [3, 4]]);
    const b = Matrix.fromRows([[5, 6], [7, 8]]);
    expect(matmul(a, b).toRows()).toEqual([[19, 22], [43, 50]]);
    expect(matmulTransposeA(a, b).toRows()).toEqual([[26, 30], [38, 44]]);
    expect(matmulTransposeB(a, b).toRows()).toEqual([[17, 23], [39, 53]]);
    expect(gram(a).toRows()).toEqual([[10, 14], [14, 20]]);
  });

  it.each(shapes)('matmul, aᵀb, abᵀ match the triple loop at %i x %i x %i', (m, k, n) => {
    const a = randomMatrix(m, k, 1);
    const b = randomMatrix(k, n, 2);
    const reference = naiveMatmul(a, b);
    const tolerance = 1e-12 * k;
    expect(maxAbsDifference(matmul(a, b).data, reference.data)).toBeLessThan(tolerance);
    expect(maxAbsDifference(matmulTransposeA(a.transpose(), b).data, reference.data)).toBeLessThan(tolerance);
    expect(maxAbsDifference(matmulTransposeB(a, b.transpose()).data, reference.data)).toBeLessThan(tolerance);
  });

  it.each([[1, 1], [6, 5], [300, 135], [20, 270]])('gram of %i x %i equals aᵀa and is exactly symmetric', (n, d) => {
    const a = randomMatrix(n, d, 3);
    const result = gram(a);
    expect(maxAbsDifference(result.data, naiveMatmul(a.transpose(), a).data)).toBeLessThan(1e-12 * n);
    expect(maxAbsDifference(result.data, result.transpose().data)).toBe(0);
  });

  it.each([undefined, 3])('GemmWorkspace: left operands packed once give the triple-loop products, repeatedly (buffers for %s columns)', (typicalColumns) => {
    const operands: [number, number][] = [[130, 300], [5, 260], [33, 17]];
    const size = operands.reduce((sum, [m, k]) => sum + 2 * GemmWorkspace.packedSize(m, k), 0);
    const workspace = new GemmWorkspace(size, typicalColumns); // 7- and 9-column products run in slices of 4 with 3
    for (const [m, k] of operands) {
      const a = randomMatrix(m, k, m + k);
      const plain = workspace.pack(m, k, { data: a.data, offset: 0, rowStride: k, colStride: 1 });
      const aT = a.transpose(); // the same operand read through transposed strides
      const transposed = workspace.pack(m, k, { data: aT.data, offset: 0, rowStride: 1, colStride: m });
      for (const n of [1, 7, 9]) {
        const b = randomMatrix(k, n, n);
        const reference = naiveMatmul(a, b);
        for (const operand of [plain, transposed]) {
          const c = new Float64Array(m * n).fill(1);
          workspace.multiply(operand, n, -2, { data: b.data, offset: 0, rowStride: n, colStride: 1 }, c, 0, n);
          const expected = reference.data.map((value) => 1 - 2 * value);
          expect(maxAbsDifference(c, expected)).toBeLessThan(1e-12 * k);
        }
      }
    }
  });

  it('matvec and matvecTranspose match the triple loop', () => {
    const a = randomMatrix(37, 23, 4);
    const x = randomMatrix(23, 1, 5);
    const y = randomMatrix(37, 1, 6);
    expect(maxAbsDifference(matvec(a, x.data), naiveMatmul(a, x).data)).toBeLessThan(1e-12);
    expect(maxAbsDifference(matvecTranspose(a, y.data), naiveMatmul(a.transpose(), y).data)).toBeLessThan(1e-12);
  });

  it('handles empty shapes', () => {
    expect(matmul(new Matrix(0, 3), new Matrix(3, 2)).rows).toBe(0);
    expect(matmul(new Matrix(2, 0), new Matrix(0, 2)).toRows()).toEqual([[0, 0], [0, 0]]);
  });

  it('rejects incompatible shapes with DIMENSION_MISMATCH', () => {
    const a = new Matrix(2, 3);
    const expectCode = (action: () => unknown, code: string) => {
      try {
        action();
      } catch (error) {
        expect(isTlkitError(error, code as never)).toBe(true);
        return;
      }
      throw new Error('expected a throw');
    };
    expectCode(() => matmul(a, a), 'DIMENSION_MISMATCH');
    expectCode(() => matmulTransposeA(a, new Matrix(3, 3)), 'DIMENSION_MISMATCH');
    expectCode(() => matmulTransposeB(a, new Matrix(3, 2)), 'DIMENSION_MISMATCH');
    expectCode(() => matvec(a, [1, 2]), 'DIMENSION_MISMATCH');
    expectCode(() => matvecTranspose(a, [1, 2, 3]), 'DIMENSION_MISMATCH');
    expectCode(() => matmul([[1]] as never, a), 'INVALID_ARGUMENT');
  });
});
