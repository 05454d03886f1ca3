/**
 * The GEMM micro-kernel as a tiny WebAssembly module with 128-bit SIMD (two float64 lanes),
 * assembled here from its instructions at first use (about 530 bytes, compiled synchronously;
 * no file, no fetch). Where WebAssembly SIMD is unavailable the caller keeps its JavaScript kernel.
 *
 * Exported function `panel(kc, mcPadded, aBase, bPanel, outBase)` (byte addresses in the module's
 * memory): for each 4-row micro-panel of packed A (`mcPadded / 4` of them, stored one after the
 * other as `[p][4]`) it multiplies with one packed 4-column micro-panel of B (`[p][4]`) over the
 * shared depth `kc`, and stores the 4 x 4 tile column by column (`out[tile][column][row]`).
 * The tile lives in eight f64x2 accumulators: rows (0,1) and (2,3) of each of the 4 columns.
 *
 * Instruction encodings: WebAssembly Core Specification 2.0, §5.4 (binary format of
 * instructions, including the 0xFD-prefixed vector instructions).
 * @internal
 */

/** Byte layout of the kernel's memory, in float64 elements. @internal */
export interface WasmKernel {
  /** The whole memory as float64. */
  readonly memory: Float64Array;
  /** Computes one column of tiles; see the module notes. */
  readonly panel: (kc: number, mcPadded: number, aBase: number, bPanel: number, outBase: number) => void;
}

const VALUE_I32 = 0x7f;
const VALUE_V128 = 0x7b;
const OP_BLOCK = 0x02;
const OP_LOOP = 0x03;
const OP_BR = 0x0c;
const OP_BR_IF = 0x0d;
const OP_END = 0x0b;
const BLOCK_VOID = 0x40;
const OP_LOCAL_GET = 0x20;
const OP_LOCAL_SET = 0x21;
const OP_I32_CONST = 0x41;
const OP_I32_EQZ = 0x45;
const OP_I32_LT_U = 0x49;
const OP_I32_ADD = 0x6a;
const OP_I32_MUL = 0x6c;
const PREFIX_VECTOR = 0xfd;
const VECTOR_LOAD = 0x00;
const VECTOR_LOAD64_SPLAT = 0x0a;
const VECTOR_STORE = 0x0b;
const VECTOR_CONST = 0x0c;
const VECTOR_F64X2_ADD = 0xf0;
const VECTOR_F64X2_MUL = 0xf2;

function unsignedLeb(value: number): number[] {
  const out: number[] = [];
  let rest = value >>> 0;
  do {
    let byte = rest & 0x7f;
    rest >>>= 7;
    if (rest !== 0) byte |= 0x80;
    out.push(byte);
  } while (rest !== 0);
  return out;
}

function signedLeb(value: number): number[] {
  const out: number[] = [];
  let rest = value | 0;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    if ((rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function vector(items: number[][]): number[] {
  return [...unsignedLeb(items.length), ...items.flat()];
}

function section(id: number, content: number[]): number[] {
  return [id, ...unsignedLeb(content.length), ...content];
}

function name(text: string): number[] {
  return [...unsignedLeb(text.length), ...Array.from(text, (character) => character.charCodeAt(0))];
}

/** The module's bytes. Parameters and locals are numbered as in the comments below. */
export function assembleKernelModule(memoryPages: number): Uint8Array<ArrayBuffer> {
  // Parameters: 0 kc, 1 mcPadded, 2 aBase, 3 bPanel, 4 outBase (all i32).
  // Locals: 5 row, 6 aPointer, 7 bPointer, 8 aEnd (i32); 9..16 accumulators, 17 aLow, 18 aHigh,
  // 19 bSplat (v128); 20 outPointer (i32).
  const KC = 0, MC_PADDED = 1, A_BASE = 2, B_PANEL = 3, OUT_BASE = 4;
  const ROW = 5, A_POINTER = 6, B_POINTER = 7, A_END = 8, FIRST_ACCUMULATOR = 9;
  const A_LOW = 17, A_HIGH = 18, B_SPLAT = 19, OUT_POINTER = 20;
  const body: number[] = [];
  const emit = (...parts: number[][]) => {
    for (const part of parts) body.push(...part);
  };
  const get = (index: number) => [OP_LOCAL_GET, ...unsignedLeb(index)];
  const set = (index: number) => [OP_LOCAL_SET, ...unsignedLeb(index)];
  const i32 = (value: number) => [OP_I32_CONST, ...signedLeb(value)];
  const vectorOp = (op: number) => [PREFIX_VECTOR, ...unsignedLeb(op)];
  const load128 = (offset: number) => [...vectorOp(VECTOR_LOAD), 4, ...unsignedLeb(offset)];
  const store128 = (offset: number) => [...vectorOp(VECTOR_STORE), 4, ...unsignedLeb(offset)];
  const splat64 = (offset: number) => [...vectorOp(VECTOR_LOAD64_SPLAT), 3, ...unsignedLeb(offset)];
  const zero128 = [...vectorOp(VECTOR_CONST), ...new Array<number>(16).fill(0)];
  const add = vectorOp(VECTOR_F64X2_ADD);
  const multiply = vectorOp(VECTOR_F64X2_MUL);

  emit(get(OUT_BASE), set(OUT_POINTER), get(A_BASE), set(A_POINTER), i32(0), set(ROW));
  emit([OP_BLOCK, BLOCK_VOID, OP_LOOP, BLOCK_VOID]); // for (row = 0; row < mcPadded; row += 4)
  emit(get(ROW), get(MC_PADDED), [OP_I32_LT_U, OP_I32_EQZ, OP_BR_IF, 1]);
  for (let index = 0; index < 8; index++) emit(zero128, set(FIRST_ACCUMULATOR + index));
  emit(get(B_PANEL), set(B_POINTER));
  emit(get(A_POINTER), get(KC), i32(32), [OP_I32_MUL, OP_I32_ADD], set(A_END));
  emit([OP_BLOCK, BLOCK_VOID, OP_LOOP, BLOCK_VOID]); // for (p = 0; p < kc; p++)
  emit(get(A_POINTER), get(A_END), [OP_I32_LT_U, OP_I32_EQZ, OP_BR_IF, 1]);
  emit(get(A_POINTER), load128(0), set(A_LOW), get(A_POINTER), load128(16), set(A_HIGH));
  for (let column = 0; column < 4; column++) {
    const low = FIRST_ACCUMULATOR + 2 * column;
    emit(get(B_POINTER), splat64(8 * column), set(B_SPLAT));
    emit(get(low), get(A_LOW), get(B_SPLAT), multiply, add, set(low));
    emit(get(low + 1), get(A_HIGH), get(B_SPLAT), multiply, add, set(low + 1));
  }
  emit(get(A_POINTER), i32(32), [OP_I32_ADD], set(A_POINTER));
  emit(get(B_POINTER), i32(32), [OP_I32_ADD], set(B_POINTER));
  emit([OP_BR, 0, OP_END, OP_END]);
  // aPointer now sits at the next micro-panel of A. Store the tile column by column.
  for (let column = 0; column < 4; column++) {
    const low = FIRST_ACCUMULATOR + 2 * column;
    emit(get(OUT_POINTER), get(low), store128(32 * column));
    emit(get(OUT_POINTER), get(low + 1), store128(32 * column + 16));
  }
  emit(get(OUT_POINTER), i32(128), [OP_I32_ADD], set(OUT_POINTER));
  emit(get(ROW), i32(4), [OP_I32_ADD], set(ROW));
  emit([OP_BR, 0, OP_END, OP_END]);
  emit([OP_END]);

  const locals = vector([
    [...unsignedLeb(4), VALUE_I32],
    [...unsignedLeb(11), VALUE_V128],
    [...unsignedLeb(1), VALUE_I32],
  ]);
  const code = [...locals, ...body];
  const parameters = vector(new Array(5).fill([VALUE_I32]) as number[][]);
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector([[0x60, ...parameters, 0]])), // type: (i32 x 5) -> ()
    ...section(3, vector([[0]])), // function 0 has type 0
    ...section(5, vector([[0x00, ...unsignedLeb(memoryPages)]])), // memory, min pages, no max
    ...section(7, vector([[...name('panel'), 0x00, 0], [...name('memory'), 0x02, 0]])),
    ...section(10, vector([[...unsignedLeb(code.length), ...code]])),
  ]);
}

let cached: WasmKernel | null | undefined;

/**
 * The instantiated kernel with at least `bytes` of memory, or `null` where WebAssembly SIMD is not
 * available (the JavaScript kernel is used then). @internal
 */
export function loadWasmKernel(bytes: number): WasmKernel | null {
  if (cached !== undefined) return cached;
  cached = null;
  try {
    const wasm = (globalThis as { WebAssembly?: typeof WebAssembly }).WebAssembly;
    if (!wasm) return null;
    const moduleBytes = assembleKernelModule(Math.ceil(bytes / 65536));
    if (!wasm.validate(moduleBytes)) return null;
    const instance = new wasm.Instance(new wasm.Module(moduleBytes));
    const exports = instance.exports as { panel: WasmKernel['panel']; memory: WebAssembly.Memory };
    cached = { memory: new Float64Array(exports.memory.buffer), panel: exports.panel };
  } catch {
    cached = null;
  }
  return cached;
}
