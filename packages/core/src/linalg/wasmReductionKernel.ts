/**
 * The level-2 kernels of the tridiagonal reduction in WebAssembly SIMD (two float64 lanes):
 *
 * - `product`: `y[first..n) = A[first..n, first..n] x[first..n)` from the upper triangle of a
 *   row-major A. Rows are taken two at a time; one pass over the columns right of the pair feeds
 *   two dot products (the rows) and two axpys (the columns, by symmetry), so every stored entry
 *   is read once.
 * - `dots` / `axpys`: dot products of several rows with one vector, and one vector minus a
 *   combination of several rows (the panel corrections `V Wᵀ v`, `W Vᵀ v`).
 *
 * Assembled at first use (see `wasmAssembler.ts`); each reduction gets its own instance
 * with a memory sized for its matrix, released with it. Where WebAssembly SIMD is missing the
 * caller keeps its JavaScript loop.
 * @internal
 */
import { VALUE_F64, VALUE_I32, VALUE_V128, assembleModule, op, webAssemblyWithSimd } from './wasmAssembler';

/** A kernel instance and its memory as float64. @internal */
export interface ReductionKernel {
  /** The instance's memory (at least the requested number of float64 elements). */
  readonly memory: Float64Array;
  /**
   * `y[first..n) = A[first..n, first..n] · x[first..n)`; `a`, `x`, `y` are element offsets into
   * `memory` of `A[0][0]`, `x[0]`, `y[0]`.
   */
  readonly product: (a: number, n: number, first: number, x: number, y: number) => void;
  /**
   * `out[q] = Σ_{first ≤ j < last} memory[rows + q·stride + j] · memory[x + j]` for `q < count`
   * (all element offsets).
   */
  readonly dots: (rows: number, count: number, stride: number, x: number, first: number, last: number, out: number) => void;
  /** `memory[y + j] −= Σ_{q < count} memory[coefficients + q] · memory[rows + q·stride + j]` for `first ≤ j < last`. */
  readonly axpys: (rows: number, count: number, stride: number, coefficients: number, y: number, first: number, last: number) => void;
}

function productBody(): number[] {
  // Parameters (i32): 0 a, 1 n, 2 first, 3 x, 4 y — byte addresses except n and first.
  const A = 0, N = 1, FIRST = 2, X = 3, Y = 4;
  // Locals: i32 5..11, f64 12..16, v128 17..23.
  const I = 5, ROW_BYTES = 6, P0 = 7, PX = 8, PY = 9, END = 10, ROW0 = 11;
  const X0 = 12, X1 = 13, SUM0 = 14, SUM1 = 15, A01 = 16;
  const X0V = 17, X1V = 18, ACC0 = 19, ACC1 = 20, VA0 = 21, VA1 = 22, VX = 23;
  const g = op.localGet;
  const s = op.localSet;
  const body: number[] = [];
  const emit = (...parts: number[][]) => {
    for (const part of parts) body.push(...part);
  };
  const byteIndex = (base: number, index: number[]) => [...g(base), ...index, ...op.i32Const(3), ...op.i32Shl(), ...op.i32Add()];

  emit(g(N), op.i32Const(3), op.i32Shl(), s(ROW_BYTES));
  // y[first..n) = 0
  emit(byteIndex(Y, g(FIRST)), s(PY), byteIndex(Y, g(N)), s(END));
  emit(op.block(), op.loop(), g(PY), g(END), op.i32GeU(), op.brIf(1));
  emit(g(PY), op.f64Const0(), op.f64Store(), g(PY), op.i32Const(8), op.i32Add(), s(PY), op.br(0), op.end(), op.end());
  emit(g(FIRST), s(I));
  emit(op.block(), op.loop()); // pairs of rows (i, i+1)
  emit(g(I), op.i32Const(1), op.i32Add(), g(N), op.i32GeU(), op.brIf(1));
  // row0 = a + i·rowBytes; x0 = x[i]; x1 = x[i+1]; a01 = A[i][i+1]
  emit(g(A), g(I), g(ROW_BYTES), op.i32Mul(), op.i32Add(), s(ROW0));
  emit(byteIndex(X, g(I)), op.localTee(PX), op.f64Load(0), s(X0), g(PX), op.f64Load(8), s(X1));
  emit(byteIndex(ROW0, g(I)), op.localTee(P0), op.f64Load(8), s(A01));
  // sum0 = A[i][i]·x0 + a01·x1; sum1 = a01·x0 + A[i+1][i+1]·x1
  emit(g(P0), op.f64Load(0), g(X0), op.f64Mul(), g(A01), g(X1), op.f64Mul(), op.f64Add(), s(SUM0));
  emit(g(A01), g(X0), op.f64Mul(), g(P0), g(ROW_BYTES), op.i32Add(), op.f64Load(8), g(X1), op.f64Mul(), op.f64Add(), s(SUM1));
  emit(g(X0), op.f64x2Splat(), s(X0V), g(X1), op.f64x2Splat(), s(X1V), op.v128Zero(), s(ACC0), op.v128Zero(), s(ACC1));
  // Pointers at column i+2; the vector loop runs while two columns remain (px < x + 8n − 8).
  emit(g(P0), op.i32Const(16), op.i32Add(), s(P0));
  emit(g(PX), op.i32Const(16), op.i32Add(), s(PX));
  emit(byteIndex(Y, g(I)), op.i32Const(16), op.i32Add(), s(PY));
  emit(byteIndex(X, g(N)), op.i32Const(8), op.i32Sub(), s(END));
  emit(op.block(), op.loop(), g(PX), g(END), op.i32GeU(), op.brIf(1));
  // va0 = A[i][j:j+2], va1 = A[i+1][j:j+2], vx = x[j:j+2]
  emit(g(P0), op.v128Load(0), s(VA0), g(P0), g(ROW_BYTES), op.i32Add(), op.v128Load(0), s(VA1), g(PX), op.v128Load(0), s(VX));
  emit(g(ACC0), g(VA0), g(VX), op.f64x2Mul(), op.f64x2Add(), s(ACC0));
  emit(g(ACC1), g(VA1), g(VX), op.f64x2Mul(), op.f64x2Add(), s(ACC1));
  // y[j:j+2] += va0·x0 + va1·x1
  emit(g(PY), g(PY), op.v128Load(0), g(VA0), g(X0V), op.f64x2Mul(), op.f64x2Add());
  emit(g(VA1), g(X1V), op.f64x2Mul(), op.f64x2Add(), op.v128Store(0));
  emit(g(P0), op.i32Const(16), op.i32Add(), s(P0));
  emit(g(PX), op.i32Const(16), op.i32Add(), s(PX));
  emit(g(PY), op.i32Const(16), op.i32Add(), s(PY));
  emit(op.br(0), op.end(), op.end());
  // One column left (odd count)?  px < x + 8n  ⇔  px < end + 8
  emit(g(PX), g(END), op.i32Const(8), op.i32Add(), op.i32LtU(), op.ifVoid());
  emit(g(SUM0), g(P0), op.f64Load(0), g(PX), op.f64Load(0), op.f64Mul(), op.f64Add(), s(SUM0));
  emit(g(SUM1), g(P0), g(ROW_BYTES), op.i32Add(), op.f64Load(0), g(PX), op.f64Load(0), op.f64Mul(), op.f64Add(), s(SUM1));
  emit(g(PY), g(PY), op.f64Load(0), g(P0), op.f64Load(0), g(X0), op.f64Mul(), op.f64Add());
  emit(g(P0), g(ROW_BYTES), op.i32Add(), op.f64Load(0), g(X1), op.f64Mul(), op.f64Add(), op.f64Store(0));
  emit(op.end());
  // y[i] += sum0 + Σ lanes(acc0); y[i+1] += sum1 + Σ lanes(acc1)
  emit(byteIndex(Y, g(I)), s(PY));
  emit(g(PY), g(PY), op.f64Load(0), g(SUM0), op.f64Add(), g(ACC0), op.f64x2ExtractLane(0), op.f64Add());
  emit(g(ACC0), op.f64x2ExtractLane(1), op.f64Add(), op.f64Store(0));
  emit(g(PY), g(PY), op.f64Load(8), g(SUM1), op.f64Add(), g(ACC1), op.f64x2ExtractLane(0), op.f64Add());
  emit(g(ACC1), op.f64x2ExtractLane(1), op.f64Add(), op.f64Store(8));
  emit(g(I), op.i32Const(2), op.i32Add(), s(I), op.br(0), op.end(), op.end());
  // A last single row: y[i] += A[i][i]·x[i]
  emit(g(I), g(N), op.i32LtU(), op.ifVoid());
  emit(byteIndex(Y, g(I)), s(PY));
  emit(g(PY), g(PY), op.f64Load(0), g(A), g(I), g(ROW_BYTES), op.i32Mul(), op.i32Add(), g(I), op.i32Const(3), op.i32Shl(), op.i32Add(), op.f64Load(0));
  emit(byteIndex(X, g(I)), op.f64Load(0), op.f64Mul(), op.f64Add(), op.f64Store(0), op.end());
  return body;
}

/**
 * `out[q] = Σ_{first ≤ j < last} R_q[j] x[j]` for `count` rows `R_q` at `rows + q·stride` (bytes).
 * Parameters (i32): 0 rows, 1 count, 2 stride, 3 x, 4 first, 5 last, 6 out.
 */
function dotsBody(): number[] {
  const ROWS = 0, COUNT = 1, STRIDE = 2, X = 3, FIRST = 4, LAST = 5, OUT = 6;
  const Q = 7, P = 8, PX = 9, END = 10, SUM = 11, ACC = 12;
  const g = op.localGet;
  const s = op.localSet;
  const body: number[] = [];
  const emit = (...parts: number[][]) => {
    for (const part of parts) body.push(...part);
  };
  emit(op.i32Const(0), s(Q));
  emit(op.block(), op.loop(), g(Q), g(COUNT), op.i32GeU(), op.brIf(1));
  emit(g(ROWS), g(FIRST), op.i32Const(3), op.i32Shl(), op.i32Add(), s(P));
  emit(g(X), g(FIRST), op.i32Const(3), op.i32Shl(), op.i32Add(), s(PX));
  emit(g(X), g(LAST), op.i32Const(3), op.i32Shl(), op.i32Add(), op.i32Const(8), op.i32Sub(), s(END));
  emit(op.v128Zero(), s(ACC));
  emit(op.block(), op.loop(), g(PX), g(END), op.i32GeU(), op.brIf(1));
  emit(g(ACC), g(P), op.v128Load(0), g(PX), op.v128Load(0), op.f64x2Mul(), op.f64x2Add(), s(ACC));
  emit(g(P), op.i32Const(16), op.i32Add(), s(P), g(PX), op.i32Const(16), op.i32Add(), s(PX));
  emit(op.br(0), op.end(), op.end());
  emit(g(ACC), op.f64x2ExtractLane(0), g(ACC), op.f64x2ExtractLane(1), op.f64Add(), s(SUM));
  emit(g(PX), g(END), op.i32Const(8), op.i32Add(), op.i32LtU(), op.ifVoid());
  emit(g(SUM), g(P), op.f64Load(0), g(PX), op.f64Load(0), op.f64Mul(), op.f64Add(), s(SUM), op.end());
  emit(g(OUT), g(Q), op.i32Const(3), op.i32Shl(), op.i32Add(), g(SUM), op.f64Store(0));
  emit(g(ROWS), g(STRIDE), op.i32Add(), s(ROWS), g(Q), op.i32Const(1), op.i32Add(), s(Q));
  emit(op.br(0), op.end(), op.end());
  return body;
}

/**
 * `y[j] −= Σ_q c_q R_q[j]` for `first ≤ j < last`, rows as in {@link dotsBody}.
 * Parameters (i32): 0 rows, 1 count, 2 stride, 3 coefficients, 4 y, 5 first, 6 last.
 */
function axpysBody(): number[] {
  const ROWS = 0, COUNT = 1, STRIDE = 2, COEFFICIENTS = 3, Y = 4, FIRST = 5, LAST = 6;
  const Q = 7, P = 8, PY = 9, END = 10, C = 11, CV = 12;
  const g = op.localGet;
  const s = op.localSet;
  const body: number[] = [];
  const emit = (...parts: number[][]) => {
    for (const part of parts) body.push(...part);
  };
  emit(g(Y), g(LAST), op.i32Const(3), op.i32Shl(), op.i32Add(), op.i32Const(8), op.i32Sub(), s(END));
  emit(op.i32Const(0), s(Q));
  emit(op.block(), op.loop(), g(Q), g(COUNT), op.i32GeU(), op.brIf(1));
  emit(g(COEFFICIENTS), g(Q), op.i32Const(3), op.i32Shl(), op.i32Add(), op.f64Load(0), op.localTee(C), op.f64x2Splat(), s(CV));
  emit(g(ROWS), g(FIRST), op.i32Const(3), op.i32Shl(), op.i32Add(), s(P));
  emit(g(Y), g(FIRST), op.i32Const(3), op.i32Shl(), op.i32Add(), s(PY));
  emit(op.block(), op.loop(), g(PY), g(END), op.i32GeU(), op.brIf(1));
  emit(g(PY), g(PY), op.v128Load(0), g(P), op.v128Load(0), g(CV), op.f64x2Mul(), op.f64x2Sub(), op.v128Store(0));
  emit(g(P), op.i32Const(16), op.i32Add(), s(P), g(PY), op.i32Const(16), op.i32Add(), s(PY));
  emit(op.br(0), op.end(), op.end());
  emit(g(PY), g(END), op.i32Const(8), op.i32Add(), op.i32LtU(), op.ifVoid());
  emit(g(PY), g(PY), op.f64Load(0), g(P), op.f64Load(0), g(C), op.f64Mul(), op.f64Sub(), op.f64Store(0), op.end());
  emit(g(ROWS), g(STRIDE), op.i32Add(), s(ROWS), g(Q), op.i32Const(1), op.i32Add(), s(Q));
  emit(op.br(0), op.end(), op.end());
  return body;
}

function assemble(memoryPages: number): Uint8Array<ArrayBuffer> {
  return assembleModule(memoryPages, [
    {
      name: 'product',
      parameters: [VALUE_I32, VALUE_I32, VALUE_I32, VALUE_I32, VALUE_I32],
      results: [],
      locals: [
        [7, VALUE_I32],
        [5, VALUE_F64],
        [7, VALUE_V128],
      ],
      body: productBody(),
    },
    {
      name: 'dots',
      parameters: new Array<number>(7).fill(VALUE_I32),
      results: [],
      locals: [
        [4, VALUE_I32],
        [1, VALUE_F64],
        [1, VALUE_V128],
      ],
      body: dotsBody(),
    },
    {
      name: 'axpys',
      parameters: new Array<number>(7).fill(VALUE_I32),
      results: [],
      locals: [
        [4, VALUE_I32],
        [1, VALUE_F64],
        [1, VALUE_V128],
      ],
      body: axpysBody(),
    },
  ]);
}

let compiled: WebAssembly.Module | null | undefined;

/**
 * A fresh kernel instance whose memory holds at least `elements` float64 values, or `null` where
 * WebAssembly SIMD is unavailable. @internal
 */
export function createReductionKernel(elements: number): ReductionKernel | null {
  if (compiled === undefined) {
    compiled = null;
    try {
      const bytes = assemble(1);
      const wasm = webAssemblyWithSimd(bytes);
      if (wasm) compiled = new wasm.Module(bytes);
    } catch {
      compiled = null;
    }
  }
  if (!compiled) return null;
  const pages = Math.ceil((elements * 8) / 65536) + 1;
  const instance = new WebAssembly.Instance(compiled);
  const exports = instance.exports as {
    product: ReductionKernel['product'];
    dots: ReductionKernel['dots'];
    axpys: ReductionKernel['axpys'];
    memory: WebAssembly.Memory;
  };
  exports.memory.grow(Math.max(pages - exports.memory.buffer.byteLength / 65536, 0));
  const { product, dots, axpys } = exports;
  return {
    memory: new Float64Array(exports.memory.buffer),
    product: (a, n, first, x, y) => product(a * 8, n, first, x * 8, y * 8),
    dots: (rows, count, stride, x, first, last, out) => dots(rows * 8, count, stride * 8, x * 8, first, last, out * 8),
    axpys: (rows, count, stride, coefficients, y, first, last) =>
      axpys(rows * 8, count, stride * 8, coefficients * 8, y * 8, first, last),
  };
}
