import { describe, expect, it } from 'vitest';
import { createRng } from '../rng';
import { type Gemm, gemmModuleBytes } from './wasm-gemm';

/**
 * The small-product loop, run on a memory of its own, against the product written out in float64:
 * row counts with and without a tail after the 4-row blocks, several 8-column blocks, a left
 * operand read in place as stored and as its transpose (aRowBytes / aColumnBytes swapped), fused
 * and unfused multiply-adds.
 */
describe('small-product loop (gemm)', () => {
  const cases: [rows: number, inner: number, columns: number, transposedA: boolean][] = [
    [9, 7, 16, false], // 2 blocks of 4 rows + 1 row, 2 column blocks
    [4, 13, 8, true], // one block, a transposed left operand
    [3, 5, 24, false], // rows only one by one
    [6, 1, 8, true],
  ];
  for (const [rows, inner, columns, transposedA] of cases)
    for (const fused of [false, true])
      it(`${rows} × ${inner} · ${inner} × ${columns}${transposedA ? ' (a stored transposed)' : ''} (fused: ${fused}) equals float64`, () => {
        const rng = createRng(9);
        const a = Float32Array.from({ length: rows * inner }, () => rng.normal());
        const b = Float32Array.from({ length: inner * columns }, () => rng.normal());
        const memory = new WebAssembly.Memory({ initial: 1 });
        const [aAt, bAt] = [0, 4 * a.length];
        const cAt = bAt + 4 * b.length;
        // a[m, k] stored at m · inner + k, or at k · rows + m when transposed.
        const stored = transposedA ? Float32Array.from({ length: a.length }, (_, index) => a[(index % rows) * inner + Math.floor(index / rows)]!) : a;
        new Float32Array(memory.buffer, aAt, a.length).set(stored);
        new Float32Array(memory.buffer, bAt, b.length).set(b);
        const gemm = new WebAssembly.Instance(new WebAssembly.Module(gemmModuleBytes(false, fused)), { env: { memory } }).exports.gemm as Gemm;
        const [aRowBytes, aColumnBytes] = transposedA ? [4, 4 * rows] : [4 * inner, 4];
        gemm(aAt, bAt, cAt, rows, inner, 4 * columns, aRowBytes, aColumnBytes);
        const c = new Float32Array(memory.buffer, cAt, rows * columns);
        let worst = 0;
        for (let m = 0; m < rows; m++)
          for (let n = 0; n < columns; n++) {
            let expected = 0;
            for (let k = 0; k < inner; k++) expected += a[m * inner + k]! * b[k * columns + n]!;
            worst = Math.max(worst, Math.abs(c[m * columns + n]! - expected) / (1 + Math.abs(expected)));
          }
        expect(worst).toBeLessThan(1e-5);
      });
});
