/**
 * The GEMM macro-kernel as a small WebAssembly module with 128-bit SIMD (two float64 lanes),
 * assembled at first use (`wasmAssembler.ts`; no file, no fetch). Where WebAssembly SIMD is
 * unavailable the caller keeps its JavaScript kernel.
 *
 * Exported function `block(kc, mcPadded, ncPadded, aBase, bBase, cBase, cStride, alpha,
 * upperShift)` (byte addresses and strides in the module's memory) computes, for one packed block,
 * `C += alpha · A · B` where A is `mcPadded / 4` micro-panels of 4 rows stored one after the other
 * as `[p][4]` (`kc` deep), B is `ncPadded / 4` micro-panels of 4 columns (`[p][4]`), and C is a
 * row-major `mcPadded x ncPadded` array with row stride `cStride` bytes. The loop over B's
 * micro-panels is outermost (one B micro-panel stays in L1 while every A micro-panel streams past
 * it, Goto & van de Geijn 2008). Each 4 x 4 tile lives in eight f64x2 accumulators holding row
 * halves `C[i][0:2]`, `C[i][2:4]`: per step of `p`, two loads of B and four broadcasts of A feed
 * 16 multiply–adds, and the finished tile is added straight into the row-major C. Tiles whose row
 * start exceeds `column start + upperShift` are skipped (symmetric results need only the upper
 * triangle; pass a large `upperShift` to compute everything).
 * @internal
 */
import { VALUE_F64, VALUE_I32, VALUE_V128, assembleModule, op, webAssemblyWithSimd } from './wasmAssembler';

/** An instantiated kernel and its memory. @internal */
export interface WasmKernel {
  /** The whole memory as float64. */
  readonly memory: Float64Array;
  /** One packed block; see the module notes (byte addresses). */
  readonly block: (
    kc: number,
    mcPadded: number,
    ncPadded: number,
    aBase: number,
    bBase: number,
    cBase: number,
    cStride: number,
    alpha: number,
    upperShift: number,
  ) => void;
}

const OP_I32_GT_S = [0x4a];

function blockBody(): number[] {
  // Parameters: 0 kc, 1 mcPadded, 2 ncPadded, 3 aBase, 4 bBase, 5 cBase, 6 cStride (i32),
  // 7 alpha (f64), 8 upperShift (i32).
  const KC = 0, MC = 1, NC = 2, A_BASE = 3, B_BASE = 4, C_BASE = 5, C_STRIDE = 6, ALPHA = 7, UPPER_SHIFT = 8;
  // Locals: i32 9..17; v128 18..28.
  const JR = 9, IR = 10, A_PANEL = 11, B_PANEL = 12, C_COLUMN = 13, C_TILE = 14, A_POINTER = 15, B_POINTER = 16, A_END = 17;
  const ACCUMULATOR = 18; // 18..25: row i, half h at 18 + 2i + h
  const B0 = 26, B1 = 27, ALPHA_V = 28, SPLAT = 29;
  const g = op.localGet;
  const s = op.localSet;
  const body: number[] = [];
  const emit = (...parts: number[][]) => {
    for (const part of parts) body.push(...part);
  };
  emit(g(ALPHA), op.f64x2Splat(), s(ALPHA_V));
  emit(op.i32Const(0), s(JR), g(B_BASE), s(B_PANEL), g(C_BASE), s(C_COLUMN));
  emit(op.block(), op.loop()); // for (jr = 0; jr < ncPadded; jr += 4)
  emit(g(JR), g(NC), op.i32GeU(), op.brIf(1));
  emit(op.i32Const(0), s(IR), g(A_BASE), s(A_PANEL), g(C_COLUMN), s(C_TILE));
  emit(op.block(), op.loop()); // for (ir = 0; ir < mcPadded && ir <= jr + upperShift; ir += 4)
  emit(g(IR), g(MC), op.i32GeU(), op.brIf(1));
  emit(g(IR), g(JR), g(UPPER_SHIFT), op.i32Add(), OP_I32_GT_S, op.brIf(1));
  for (let index = 0; index < 8; index++) emit(op.v128Zero(), s(ACCUMULATOR + index));
  emit(g(A_PANEL), s(A_POINTER), g(B_PANEL), s(B_POINTER));
  emit(g(A_PANEL), g(KC), op.i32Const(5), op.i32Shl(), op.i32Add(), s(A_END));
  emit(op.block(), op.loop()); // for (p = 0; p < kc; p++)
  emit(g(A_POINTER), g(A_END), op.i32GeU(), op.brIf(1));
  emit(g(B_POINTER), op.v128Load(0), s(B0), g(B_POINTER), op.v128Load(16), s(B1));
  for (let row = 0; row < 4; row++) {
    const low = ACCUMULATOR + 2 * row;
    emit(g(A_POINTER), op.v128Load64Splat(8 * row), s(SPLAT));
    emit(g(low), g(SPLAT), g(B0), op.f64x2Mul(), op.f64x2Add(), s(low));
    emit(g(low + 1), g(SPLAT), g(B1), op.f64x2Mul(), op.f64x2Add(), s(low + 1));
  }
  emit(g(A_POINTER), op.i32Const(32), op.i32Add(), s(A_POINTER));
  emit(g(B_POINTER), op.i32Const(32), op.i32Add(), s(B_POINTER));
  emit(op.br(0), op.end(), op.end());
  // C[i][0:4] += alpha · tile row i, then on to the next A micro-panel (it starts at aEnd).
  let rowPointer = C_TILE;
  for (let row = 0; row < 4; row++) {
    const low = ACCUMULATOR + 2 * row;
    if (row > 0) {
      emit(g(rowPointer), g(C_STRIDE), op.i32Add(), s(A_POINTER)); // A_POINTER reused as the row pointer
      rowPointer = A_POINTER;
    }
    emit(g(rowPointer), g(rowPointer), op.v128Load(0), g(low), g(ALPHA_V), op.f64x2Mul(), op.f64x2Add(), op.v128Store(0));
    emit(g(rowPointer), g(rowPointer), op.v128Load(16), g(low + 1), g(ALPHA_V), op.f64x2Mul(), op.f64x2Add(), op.v128Store(16));
  }
  emit(g(A_END), s(A_PANEL));
  emit(g(C_TILE), g(C_STRIDE), op.i32Const(2), op.i32Shl(), op.i32Add(), s(C_TILE));
  emit(g(IR), op.i32Const(4), op.i32Add(), s(IR));
  emit(op.br(0), op.end(), op.end());
  emit(g(B_PANEL), g(KC), op.i32Const(5), op.i32Shl(), op.i32Add(), s(B_PANEL));
  emit(g(C_COLUMN), op.i32Const(32), op.i32Add(), s(C_COLUMN));
  emit(g(JR), op.i32Const(4), op.i32Add(), s(JR));
  emit(op.br(0), op.end(), op.end());
  return body;
}

/** The module's bytes. @internal */
export function assembleKernelModule(memoryPages: number): Uint8Array<ArrayBuffer> {
  return assembleModule(memoryPages, [
    {
      name: 'block',
      parameters: [VALUE_I32, VALUE_I32, VALUE_I32, VALUE_I32, VALUE_I32, VALUE_I32, VALUE_I32, VALUE_F64, VALUE_I32],
      results: [],
      locals: [
        [9, VALUE_I32],
        [12, VALUE_V128],
      ],
      body: blockBody(),
    },
  ]);
}

let compiled: WebAssembly.Module | null | undefined;

/**
 * A new kernel instance with at least `bytes` of memory, or `null` where WebAssembly SIMD is not
 * available (the JavaScript kernel is used then). Instances are independent: each has its own
 * memory, freed with it. @internal
 */
export function instantiateWasmKernel(bytes: number): WasmKernel | null {
  if (compiled === undefined) {
    compiled = null;
    try {
      const moduleBytes = assembleKernelModule(1);
      const wasm = webAssemblyWithSimd(moduleBytes);
      if (wasm) compiled = new wasm.Module(moduleBytes);
    } catch {
      compiled = null;
    }
  }
  if (!compiled) return null;
  const instance = new WebAssembly.Instance(compiled);
  const exports = instance.exports as { block: WasmKernel['block']; memory: WebAssembly.Memory };
  const pages = Math.ceil(bytes / 65536);
  const current = exports.memory.buffer.byteLength / 65536;
  if (pages > current) exports.memory.grow(pages - current);
  return { memory: new Float64Array(exports.memory.buffer), block: exports.block };
}

let shared: WasmKernel | null | undefined;

/** The shared instance used by every product (created at first use). @internal */
export function loadWasmKernel(bytes: number): WasmKernel | null {
  if (shared === undefined) shared = instantiateWasmKernel(bytes);
  return shared;
}
