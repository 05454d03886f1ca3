/**
 * A small float32 matrix product as a SIMD WebAssembly loop on the wasm backend's heap, for the
 * products of dense layers in training (LeNet-5: 64 × 400 × 120 and smaller, each direction of
 * backpropagation). tfjs's wasm `BatchMatMul` and tlkit's 1 × 1-convolution form (XNNPACK) pack
 * an operand and set up an operator on every call; on these sizes that ran at 3–6 GFLOP/s here.
 *
 * `gemm(a, b, c, rows, inner, columnBytes, aRowBytes, aColumnBytes)` stores
 * c[m, n] = Σ_k a[m, k] · b[k, n] for m < rows and n < columnBytes / 4, where a[m, k] is the
 * float32 at a + m · aRowBytes + k · aColumnBytes (so a transposed left operand needs no copy), and
 * b and c are row-major with rows of `columnBytes` bytes, a multiple of 32 (8 columns: callers pad).
 * Blocks of 4 rows × 8 columns keep 8 SIMD accumulators in registers over the inner dimension
 * (4 broadcast a values and 2 b vectors per step); the rows after the last whole block go one by one.
 * Column blocks are the outer loop, so a block's slice of b stays in the L1 cache while every row
 * block reads it (the loop alone, median of 40, interleaved in one process: small-CNN's transposed
 * head product, 10 × 64 · 64 × 9216, 1.78 → 1.42 and 2.01 → 1.54 ms; LeNet-5's products within 4 %).
 */
import type * as tf from '@tensorflow/tfjs';
import { loopFromZero, loopWhileBelow, multiplyAddInto, op, relaxedSimdAvailable } from '../linalg/wasmAssembler';
import { type LoopLocals, loopModuleBytes, loopOnBackend } from './wasm-module';

/** Signature of the exported loop (byte offsets, counts and byte strides). */
export type Gemm = (a: number, b: number, c: number, rows: number, inner: number, columnBytes: number, aRowBytes: number, aColumnBytes: number) => void;

const [A, B, C, ROWS, INNER, COLUMN_BYTES, A_ROW, A_COLUMN] = [0, 1, 2, 3, 4, 5, 6, 7];
const [M, N, K, ROW_LIMIT, A0, A1, A2, A3, BA] = [8, 9, 10, 11, 12, 13, 14, 15, 16];
const V = 17; // v128: 8 accumulators [row · 2 + half], 2 b halves, 1 splat

const { localGet: get, localSet: set, i32Const: constant } = op;
const [ADD, SUB, MUL, GT_S] = [op.i32Add(), op.i32Sub(), op.i32Mul(), op.i32GtS()];

/** c + (m + row) · columnBytes + n · 4 */
function resultAddress(row: number): number[] {
  return [...get(M), ...constant(row), ...ADD, ...get(COLUMN_BYTES), ...MUL, ...get(C), ...ADD, ...get(N), ...constant(4), ...MUL, ...ADD];
}

/** The block of `height` rows (1 or 4) × 8 columns at rows m…, columns n…; `accumulate`: starts from c's values (c += a · b). */
function block(height: number, fused: boolean, accumulate: boolean): number[] {
  const accumulator = (row: number, half: number) => V + row * 2 + half;
  const [low, high, splat] = [V + 8, V + 9, V + 10];
  const rowAddresses = [A0, A1, A2, A3].slice(0, height);
  const start: number[] = [];
  for (let row = 0; row < height; row++) {
    if (accumulate) {
      const address = resultAddress(row);
      start.push(...address, ...op.v128Load(0), ...set(accumulator(row, 0)), ...address, ...op.v128Load(16), ...set(accumulator(row, 1)));
    } else {
      start.push(...op.v128Zero(), ...set(accumulator(row, 0)), ...op.v128Zero(), ...set(accumulator(row, 1)));
    }
    // a_row = a + (m + row) · aRowBytes
    start.push(...get(M), ...constant(row), ...ADD, ...get(A_ROW), ...MUL, ...get(A), ...ADD, ...set(rowAddresses[row]!));
  }
  // ba = b + n · 4
  start.push(...get(N), ...constant(4), ...MUL, ...get(B), ...ADD, ...set(BA));
  const step = [...get(BA), ...op.v128Load(0), ...set(low), ...get(BA), ...op.v128Load(16), ...set(high)];
  for (let row = 0; row < height; row++) {
    step.push(...get(rowAddresses[row]!), ...op.v128Load32Splat(), ...set(splat));
    for (const [half, vector] of [[0, low], [1, high]] as const) {
      step.push(...multiplyAddInto(accumulator(row, half), get(splat), get(vector), fused));
    }
    step.push(...get(rowAddresses[row]!), ...get(A_COLUMN), ...ADD, ...set(rowAddresses[row]!));
  }
  step.push(...get(BA), ...get(COLUMN_BYTES), ...ADD, ...set(BA));
  const store: number[] = [];
  for (let row = 0; row < height; row++) {
    const address = resultAddress(row);
    store.push(...address, ...get(accumulator(row, 0)), ...op.v128Store(0), ...address, ...get(accumulator(row, 1)), ...op.v128Store(16));
  }
  return [...start, ...loopFromZero(K, get(INNER), 1, step), ...store];
}

function body(fused: boolean, accumulate = false): number[] {
  const columns = [...get(COLUMN_BYTES), ...constant(2), ...op.i32ShrU()];
  // For each 8-column block (its slice of b stays in the L1 cache): whole 4-row blocks while
  // m ≤ rowLimit = rows − 4 (signed), then single rows.
  const overRows = [
    ...constant(0), ...set(M),
    ...op.block(), ...op.loop(), ...get(M), ...get(ROW_LIMIT), ...GT_S, ...op.brIf(1), ...block(4, fused, accumulate), ...get(M), ...constant(4), ...ADD, ...set(M), ...op.br(0), ...op.end(), ...op.end(),
    ...loopWhileBelow(M, get(ROWS), 1, block(1, fused, accumulate)),
  ];
  return [...get(ROWS), ...constant(4), ...SUB, ...set(ROW_LIMIT), ...loopFromZero(N, columns, 8, overRows)];
}

/** The gemm function's 8 i32 parameters and its locals. @internal */
export const GEMM_LOCALS: LoopLocals = { parameters: 8, i32: 9, v128: 11 };

/**
 * The gemm function's body (no final `end`), for modules that call it (`wasm-winograd.ts`);
 * `accumulate`: c += a · b instead of c = a · b. @internal
 */
export function gemmBody(fused: boolean, accumulate = false): number[] {
  return body(fused, accumulate);
}

/** The module's bytes; `fused`: multiply-adds as `f32x4.relaxed_madd` (default: when the runtime has it). @internal */
export function gemmModuleBytes(shared: boolean, fused = relaxedSimdAvailable()): Uint8Array<ArrayBuffer> {
  return loopModuleBytes(shared, 'gemm', GEMM_LOCALS, body(fused));
}

const gemms = new WeakMap<tf.KernelBackend, Map<string, Gemm | null>>();

/** gemm on a backend's heap, or null when its memory cannot be reached. @internal */
export function heapGemm(backend: tf.KernelBackend): Gemm | null {
  return loopOnBackend(gemms, backend, '', 'gemm', gemmModuleBytes);
}
