/**
 * A small WebAssembly module that tlkit assembles at set-up and runs on the wasm backend's own
 * memory (imported, so no copies): loops that JavaScript runs at 5–10 ns per element on the
 * development machine and compiled WebAssembly at about 1. The function bodies are written here as
 * instruction bytes (WebAssembly Core Specification 1.0, §5.4) and packed into modules importing
 * the backend's memory by linalg's assembler (`assembleModule`, the one the float64 kernels use),
 * so nothing is downloaded or compiled by a toolchain.
 *
 * A second, per-shape module (`tapsModuleBytes`, `tapsFilterGradient`) holds the one-input-channel
 * filter gradient with the taps of a filter row in SIMD lanes, unrolled for one group of outputs
 * (assembled per output count, tap blocks and group size); a
 * third (`inputGradientModuleBytes`, `blockedInputGradient`) the input gradient of an unpadded
 * stride-1 convolution with a register block of dx columns × input channels, assembled per
 * (input channels, output channels, block).
 *
 * Exported functions of the main module:
 * - `transposeFour(input, output, n0, n1, n2, n3, s0, s1, s2, s3)`: writes the output in order,
 *   element [i0, i1, i2, i3] taken from input byte offset i0·s0 + i1·s1 + i2·s2 + i3·s3 (4-byte
 *   elements; a row of 16 or more elements that is contiguous in the input, s3 = 4, is one
 *   `memory.copy`);
 * - `filterGradientOneChannel(xPadded, dy, dw, batch, outHeight, outWidth, outChannels, filterHeight,
 *   filterWidth, rowBytes, imageBytes)`: the filter gradient of a stride-1 convolution with one
 *   input channel, dw[i, j, o] += Σ over output pixels of xPadded[b, r + i, c + j] · dy[b, r, c, o]
 *   (x zero-padded by the caller; dw must hold zeros), four output channels per SIMD step;
 * - `maxPoolGradTwoByTwo(x, maxima, dy, dxMinusX, batch, outHeight, outWidth, channels, rowBytes,
 *   imageBytes)`: for 2 × 2 windows at stride 2 without padding, stores dy of each window at the
 *   first element (row-major) equal to the window's maximum, in dx = x + dxMinusX (byte offsets in
 *   the heap; dx must hold zeros); a window whose maximum is −∞ or NaN gets none.
 */
import type * as tf from '@tensorflow/tfjs';
import { type AssembledFunction, assembleModule, loopFromZero, loopWhileBelow, multiplyAddInto, op, relaxedSimdAvailable, signedLeb, unsignedLeb } from '../linalg/wasmAssembler';
import { recordSource } from './heap-helpers';

/** The backend's Emscripten module: its memory is `asm.memory` (one thread) or `wasmMemory` (threaded). */
interface EmscriptenModuleLike {
  asm?: { memory?: WebAssembly.Memory };
  wasmMemory?: WebAssembly.Memory;
}

/** Signature of the exported gradient loop (all byte offsets and counts as i32). */
export type MaxPoolGradTwoByTwo = (
  x: number,
  maxima: number,
  dy: number,
  dxMinusX: number,
  batch: number,
  outHeight: number,
  outWidth: number,
  channels: number,
  rowBytes: number,
  imageBytes: number,
) => void;

/** Signature of the exported transpose: sizes of the four output axes, input byte strides along them. */
export type TransposeFour = (input: number, output: number, n0: number, n1: number, n2: number, n3: number, s0: number, s1: number, s2: number, s3: number) => void;

/** Signature of the exported one-input-channel filter gradient (byte offsets, counts, byte strides of the padded x). */
export type FilterGradientOneChannel = (
  xPadded: number,
  dy: number,
  dw: number,
  batch: number,
  outHeight: number,
  outWidth: number,
  outChannels: number,
  filterHeight: number,
  filterWidth: number,
  rowBytes: number,
  imageBytes: number,
) => void;


/** The exported functions. */
export interface HeapModule {
  readonly maxPoolGradTwoByTwo: MaxPoolGradTwoByTwo;
  readonly transposeFour: TransposeFour;
  readonly filterGradientOneChannel: FilterGradientOneChannel;
}

const modules = new WeakMap<tf.KernelBackend, HeapModule | null>();

// Opcodes (WebAssembly Core Specification 1.0, §5.4).
const BLOCK = 0x02;
const LOOP = 0x03;
const IF = 0x04;
const END = 0x0b;
const BR = 0x0c;
const BR_IF = 0x0d;
const VOID = 0x40;
const GET = 0x20;
const SET = 0x21;
const I32_CONST = 0x41;
const F32_CONST = 0x43;
const I32_ADD = 0x6a;
const I32_MUL = 0x6c;
const I32_SHL = 0x74;
const I32_GE_U = 0x4f;
const F32_EQ = 0x5b;
const F32_LOAD = [0x2a, 0x02, 0x00]; // align 2^2, offset 0
const F32_STORE = [0x38, 0x02, 0x00];
const I32 = 0x7f;
const F32 = 0x7d;

// Locals of maxPoolGradTwoByTwo: the ten parameters, then seven i32, two f32 and five v128.
const [X, MAXIMA, DY, DELTA, BATCH, OUT_HEIGHT, OUT_WIDTH, CHANNELS, ROW_BYTES, IMAGE_BYTES] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const [B, R, C, CH, AT, ROW_BASE, CHANNEL_BYTES, MAXIMUM, GRADIENT] = [10, 11, 12, 13, 14, 15, 16, 17, 18];
const [V_MAXIMUM, V_GRADIENT, V_VALID, V_TAKEN, V_CHOSEN] = [19, 20, 21, 22, 23]; // v128

const get = (local: number) => [GET, local];
const set = (local: number) => [SET, local];
const increment = (local: number, by: number[]) => [...get(local), ...by, I32_ADD, ...set(local)];

/** `if (x[address] === maximum) { dx[address] = gradient; br done }` with address = at + extra. */
function candidate(extra: number[][]): number[] {
  const address = [...get(AT), ...extra.flatMap((part) => [...part, I32_ADD])];
  return [
    ...address,
    ...F32_LOAD,
    ...get(MAXIMUM),
    F32_EQ,
    IF,
    VOID,
    ...address,
    ...get(DELTA),
    I32_ADD,
    ...get(GRADIENT),
    ...F32_STORE,
    BR,
    1, // out of the `if` and the `done` block
    END,
  ];
}

/** for (counter = 0; counter < limit; counter++) body — as block/loop/br_if. */
function countedLoop(counter: number, limit: number, body: number[]): number[] {
  return loopFromZero(counter, get(limit), 1, body);
}

/**
 * Four channels per SIMD step, for a pixel's channels in chunks of 4 (the last chunk moved back to
 * end at the last channel, so it overlaps the one before when channels are not a multiple of 4:
 * each lane's result depends on its own channel only, so recomputing a channel stores the same
 * values). Per chunk: e_k = (x_k = maximum) ∧ (maximum > −∞) ∧ ¬(e_0 ∨ … ∨ e_{k−1}) for the window's
 * four elements in row-major order, and dx_k = dy ∧ e_k (bitwise) — every element of the window
 * is stored, the first maximum with dy and the others with zero.
 */
function maxPoolGradVectorColumn(): number[] {
  const lane = (k: number[]) => [...k, I32_ADD];
  const chunk = [
    ...get(MAXIMA), ...lane(get(CH)), ...op.v128Load(), ...op.localSet(V_MAXIMUM),
    ...get(DY), ...lane(get(CH)), ...op.v128Load(), ...op.localSet(V_GRADIENT),
    ...op.localGet(V_MAXIMUM), F32_CONST, 0x00, 0x00, 0x80, 0xff, ...op.f32x4Splat(), ...op.f32x4Gt(), ...op.localSet(V_VALID),
  ];
  const extras: number[][][] = [[], [get(CHANNEL_BYTES)], [get(ROW_BYTES)], [get(ROW_BYTES), get(CHANNEL_BYTES)]];
  extras.forEach((extra, position) => {
    const address = [...get(AT), ...lane(get(CH)), ...extra.flatMap((part) => lane(part))];
    chunk.push(...address, ...op.v128Load(), ...op.localGet(V_MAXIMUM), ...op.f32x4Eq(), ...op.localGet(V_VALID), ...op.v128And());
    if (position > 0) chunk.push(...op.localGet(V_TAKEN), ...op.v128AndNot());
    chunk.push(...op.localSet(V_CHOSEN));
    chunk.push(...op.localGet(V_CHOSEN), ...(position > 0 ? [...op.localGet(V_TAKEN), ...op.v128Or()] : []), ...op.localSet(V_TAKEN));
    chunk.push(...address, ...get(DELTA), I32_ADD, ...op.localGet(V_GRADIENT), ...op.localGet(V_CHOSEN), ...op.v128And(), ...op.v128Store());
  });
  // ch = 0, 16, … while ch + 16 ≤ channelBytes; then, if channels are not a multiple of 4, one
  // chunk at channelBytes − 16 (byte offsets).
  return [
    ...loopFromZero(CH, [...get(CHANNEL_BYTES), I32_CONST, 12, ...op.i32Sub()], 16, chunk),
    ...get(CHANNEL_BYTES), I32_CONST, 15, I32_AND, IF, VOID,
    ...get(CHANNEL_BYTES), I32_CONST, 16, ...op.i32Sub(), ...set(CH), ...chunk,
    END,
    ...increment(MAXIMA, get(CHANNEL_BYTES)),
    ...increment(DY, get(CHANNEL_BYTES)),
    ...increment(AT, get(CHANNEL_BYTES)),
    ...increment(AT, get(CHANNEL_BYTES)),
  ];
}

function maxPoolGradBody(): number[] {
  const minusInfinity = [F32_CONST, 0x00, 0x00, 0x80, 0xff];
  const perChannel = [
    ...get(MAXIMA),
    ...F32_LOAD,
    ...set(MAXIMUM),
    ...get(DY),
    ...F32_LOAD,
    ...set(GRADIENT),
    BLOCK,
    VOID,
    ...get(MAXIMUM),
    ...minusInfinity,
    F32_EQ,
    BR_IF,
    0,
    ...candidate([]),
    ...candidate([get(CHANNEL_BYTES)]),
    ...candidate([get(ROW_BYTES)]),
    ...candidate([get(ROW_BYTES), get(CHANNEL_BYTES)]),
    END,
    ...increment(AT, [I32_CONST, 4]),
    ...increment(MAXIMA, [I32_CONST, 4]),
    ...increment(DY, [I32_CONST, 4]),
  ];
  // Four or more channels: the SIMD chunks; fewer: one channel at a time.
  const scalarColumn = [...countedLoop(CH, CHANNELS, perChannel), ...increment(AT, get(CHANNEL_BYTES))];
  const perColumn = [...get(CHANNELS), I32_CONST, 4, I32_GE_U, IF, VOID, ...maxPoolGradVectorColumn(), ELSE, ...scalarColumn, END];
  const perRow = [
    ...get(ROW_BASE),
    ...get(R),
    ...get(ROW_BYTES),
    I32_CONST,
    1,
    I32_SHL,
    I32_MUL,
    I32_ADD,
    ...set(AT),
    ...countedLoop(C, OUT_WIDTH, perColumn),
  ];
  const perImage = [...get(X), ...get(B), ...get(IMAGE_BYTES), I32_MUL, I32_ADD, ...set(ROW_BASE), ...countedLoop(R, OUT_HEIGHT, perRow)];
  return [...get(CHANNELS), I32_CONST, 2, I32_SHL, ...set(CHANNEL_BYTES), ...countedLoop(B, BATCH, perImage)];
}

// Locals of transposeFour(input, output, n0, n1, n2, n3, s0, s1, s2, s3): output element
// [i0, i1, i2, i3] (written in order) = input at byte i0·s0 + i1·s1 + i2·s2 + i3·s3.
const [T_IN, T_OUT, N0, N1, N2, N3, S0, S1, S2, S3] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const [I0, I1, I2, I3, A0, A1, A2, A3] = [10, 11, 12, 13, 14, 15, 16, 17];
const MEMORY_COPY = [0xfc, 0x0a, 0x00, 0x00];
const I32_EQ = 0x46;
const I32_AND = 0x71;
const ELSE = 0x05;

function transposeBody(): number[] {
  // Innermost axis contiguous in the input (s3 = 4): one memory.copy of the row; else element by element.
  const elementwise = [
    ...get(A2),
    ...set(A3),
    ...countedLoop(I3, N3, [...get(T_OUT), ...get(A3), ...F32_LOAD, ...F32_STORE, ...increment(T_OUT, [I32_CONST, 4]), ...increment(A3, get(S3))]),
  ];
  const rowCopy = [...get(T_OUT), ...get(A2), ...get(N3), I32_CONST, 2, I32_SHL, ...MEMORY_COPY, ...increment(T_OUT, [...get(N3), I32_CONST, 2, I32_SHL])];
  // memory.copy pays a call per row: rows under 16 elements are copied element by element.
  const longContiguous = [...get(S3), I32_CONST, 4, I32_EQ, ...get(N3), I32_CONST, 16, I32_GE_U, I32_AND];
  const innermost = [...longContiguous, IF, VOID, ...rowCopy, ELSE, ...elementwise, END];
  const level2 = [...get(A1), ...set(A2), ...countedLoop(I2, N2, [...innermost, ...increment(A2, get(S2))])];
  const level1 = [...get(A0), ...set(A1), ...countedLoop(I1, N1, [...level2, ...increment(A1, get(S1))])];
  const level0 = [...get(T_IN), ...set(A0), ...countedLoop(I0, N0, [...level1, ...increment(A0, get(S0))])];
  return [...level0];
}

// SIMD opcodes (WebAssembly 2.0, fixed-width SIMD): prefix 0xfd, then the LEB128 opcode.
const V128_LOAD = [0xfd, 0x00, 0x02, 0x00];
const V128_STORE = [0xfd, 0x0b, 0x02, 0x00];
const F32X4_SPLAT = [0xfd, 0x13];
const F32X4_ADD = [0xfd, 0xe4, 0x01];
const F32X4_MUL = [0xfd, 0xe6, 0x01];
const V128 = 0x7b;
const F32_ADD = 0x92;
const F32_MUL = 0x94;
const I32_LT_U = 0x49;

// Locals of filterGradientOneChannel(xPadded, dy, dw, batch, outHeight, outWidth, outChannels,
// filterHeight, filterWidth, rowBytes, imageBytes): dw[i, j, o] += Σ xPadded[b, r + i, c + j] ·
// dy[b, r, c, o] over every pixel (b, r, c), stride 1, four outputs per SIMD step (the last
// outChannels mod 4 one by one).
const [G_X, G_DY, G_DW, G_BATCH, G_OUT_HEIGHT, G_OUT_WIDTH, G_CHANNELS, G_FILTER_HEIGHT, G_FILTER_WIDTH, G_ROW_BYTES, G_IMAGE_BYTES] = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
];
const [G_B, G_R, G_C, G_I, G_J, G_K, G_BASE, G_TAP, G_ACCUMULATOR, G_GRADIENT_ROW, G_VECTOR_END, G_ADDRESS] = [
  11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
];
const G_XV = 23; // v128
const G_XS = 24; // f32

function filterGradientBody(fused: boolean): number[] {
  const kBytes = [...get(G_K), I32_CONST, 2, I32_SHL];
  // k = 0; while (k < vectorEnd) { dw[acc + 4k] += xv · dy[row + 4k] (four lanes); k += 4 }
  const vectorPart = [
    I32_CONST, 0, ...set(G_K),
    ...loopWhileBelow(G_K, get(G_VECTOR_END), 4, [
      ...get(G_ACCUMULATOR), ...kBytes, I32_ADD, ...set(G_ADDRESS),
      ...get(G_ADDRESS),
      ...(fused
        ? [...get(G_XV), ...get(G_GRADIENT_ROW), ...kBytes, I32_ADD, ...V128_LOAD, ...get(G_ADDRESS), ...V128_LOAD, ...op.f32x4RelaxedMultiplyAdd()]
        : [...get(G_ADDRESS), ...V128_LOAD, ...get(G_XV), ...get(G_GRADIENT_ROW), ...kBytes, I32_ADD, ...V128_LOAD, ...F32X4_MUL, ...F32X4_ADD]),
      ...V128_STORE,
    ]),
  ];
  // while (k < channels) { dw[acc + k] += xs · dy[row + k]; k++ } — the channels past the last multiple of four.
  const scalarPart = loopWhileBelow(G_K, get(G_CHANNELS), 1, [
    ...get(G_ACCUMULATOR), ...kBytes, I32_ADD, ...set(G_ADDRESS),
    ...get(G_ADDRESS),
    ...get(G_ADDRESS), ...F32_LOAD,
    ...get(G_XS),
    ...get(G_GRADIENT_ROW), ...kBytes, I32_ADD, ...F32_LOAD,
    F32_MUL, F32_ADD, ...F32_STORE,
  ]);
  const channelBytes = [...get(G_CHANNELS), I32_CONST, 2, I32_SHL];
  const perTap = [
    ...get(G_TAP), ...F32_LOAD, ...set(G_XS),
    ...get(G_XS), ...F32X4_SPLAT, ...set(G_XV),
    ...vectorPart,
    ...scalarPart,
    ...increment(G_ACCUMULATOR, channelBytes),
    ...increment(G_TAP, [I32_CONST, 4]),
  ];
  const perFilterRow = [
    ...get(G_BASE), ...get(G_I), ...get(G_ROW_BYTES), I32_MUL, I32_ADD, ...set(G_TAP),
    ...countedLoop(G_J, G_FILTER_WIDTH, perTap),
  ];
  const perPixel = [
    ...get(G_X), ...get(G_B), ...get(G_IMAGE_BYTES), I32_MUL, I32_ADD,
    ...get(G_R), ...get(G_ROW_BYTES), I32_MUL, I32_ADD,
    ...get(G_C), I32_CONST, 2, I32_SHL, I32_ADD,
    ...set(G_BASE),
    ...get(G_DW), ...set(G_ACCUMULATOR),
    ...countedLoop(G_I, G_FILTER_HEIGHT, perFilterRow),
    ...increment(G_GRADIENT_ROW, channelBytes),
  ];
  return [
    ...get(G_CHANNELS), I32_CONST, 0x7c, I32_AND, ...set(G_VECTOR_END), // channels & −4
    ...get(G_DY), ...set(G_GRADIENT_ROW),
    ...countedLoop(G_B, G_BATCH, countedLoop(G_R, G_OUT_HEIGHT, countedLoop(G_C, G_OUT_WIDTH, perPixel))),
  ];
}

/** for (counter = 0; counter < limit; counter += step) body. */
function steppedLoop(counter: number, limit: number, step: number, body: number[]): number[] {
  return loopFromZero(counter, get(limit), step, body);
}

/**
 * The module's bytes; `shared` declares the imported memory shared (tfjs's threaded binary);
 * `fused`: multiply-adds as relaxed SIMD's `f32x4.relaxed_madd` (default: when the runtime has it).
 */
export function moduleBytes(shared: boolean, fused = relaxedSimdAvailable()): Uint8Array<ArrayBuffer> {
  return assembleModule({ shared }, [
    { name: 'maxPoolGradTwoByTwo', parameters: Array<number>(10).fill(I32), results: [], locals: [[7, I32], [2, F32], [5, V128]], body: maxPoolGradBody() },
    { name: 'transposeFour', parameters: Array<number>(10).fill(I32), results: [], locals: [[8, I32]], body: transposeBody() },
    { name: 'filterGradientOneChannel', parameters: Array<number>(11).fill(I32), results: [], locals: [[12, I32], [1, V128], [1, F32]], body: filterGradientBody(fused) },
  ]);
}

// Locals of filterGradientTaps(xPadded, dy, sums, batch, outHeight, outWidth, filterHeight,
// rowBytes, imageBytes), assembled for one (outChannels, tapBlocks, group): the filter gradient of
// a stride-1 convolution with one input channel, four horizontal taps per SIMD lane group:
// sums[i][block][o][lane] += Σ xPadded[b, r + i, c + 4·block + lane] · dy[b, r, c, o] for the
// `group` outputs o from the one dy and sums point at (the caller offsets them by 4 · o0 and
// 16 · o0 bytes for a group starting at o0; dy pixels and sums blocks keep outChannels' strides).
// The tapBlocks · group accumulators stay in locals along each input row.
const [P_X, P_DY, P_SUMS, P_BATCH, P_OUT_HEIGHT, P_OUT_WIDTH, P_FILTER_HEIGHT, P_ROW_BYTES, P_IMAGE_BYTES] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
const [P_B, P_R, P_I, P_C, P_XA, P_DA, P_WA, P_DY_ROW] = [9, 10, 11, 12, 13, 14, 15, 16];
const P_V128 = 17; // accumulators, then tapBlocks inputs, then one splat

function tapsGradientBody(outChannels: number, tapBlocks: number, group: number, fused: boolean): number[] {
  const accumulator = (block: number, o: number) => P_V128 + block * group + o;
  const input = (block: number) => P_V128 + tapBlocks * group + block;
  const splat = P_V128 + tapBlocks * group + tapBlocks;
  const load: number[] = [];
  const store: number[] = [];
  for (let block = 0; block < tapBlocks; block++)
    for (let o = 0; o < group; o++) {
      const offset = 16 * (block * outChannels + o);
      load.push(...get(P_WA), ...v128LoadAt(offset), ...set(accumulator(block, o)));
      store.push(...get(P_WA), ...get(accumulator(block, o)), ...v128StoreAt(offset));
    }
  const perPixel: number[] = [];
  for (let block = 0; block < tapBlocks; block++) perPixel.push(...get(P_XA), ...v128LoadAt(16 * block), ...set(input(block)));
  for (let o = 0; o < group; o++) {
    perPixel.push(...get(P_DA), ...op.v128Load32Splat(4 * o), ...set(splat));
    for (let block = 0; block < tapBlocks; block++) {
      perPixel.push(...multiplyAddInto(accumulator(block, o), get(input(block)), get(splat), fused));
    }
  }
  perPixel.push(...increment(P_XA, [I32_CONST, 4]), ...increment(P_DA, [I32_CONST, ...signedLeb(4 * outChannels)]));
  const perFilterRow = [
    // xa = x + b · imageBytes + (r + i) · rowBytes; wa = sums + i · tapBlocks · outChannels · 16
    ...get(P_X), ...get(P_B), ...get(P_IMAGE_BYTES), I32_MUL, I32_ADD, ...get(P_R), ...get(P_I), I32_ADD, ...get(P_ROW_BYTES), I32_MUL, I32_ADD, ...set(P_XA),
    ...get(P_SUMS), ...get(P_I), I32_CONST, ...signedLeb(16 * tapBlocks * outChannels), I32_MUL, I32_ADD, ...set(P_WA),
    ...get(P_DY_ROW), ...set(P_DA),
    ...load,
    ...countedLoop(P_C, P_OUT_WIDTH, perPixel),
    ...store,
  ];
  const perRow = [
    // dyRow = dy + (b · outHeight + r) · outWidth · outChannels · 4
    ...get(P_B), ...get(P_OUT_HEIGHT), I32_MUL, ...get(P_R), I32_ADD, ...get(P_OUT_WIDTH), I32_MUL, I32_CONST, ...signedLeb(4 * outChannels), I32_MUL, ...get(P_DY), I32_ADD, ...set(P_DY_ROW),
    ...countedLoop(P_I, P_FILTER_HEIGHT, perFilterRow),
  ];
  return [...countedLoop(P_B, P_BATCH, countedLoop(P_R, P_OUT_HEIGHT, perRow))];
}

const v128LoadAt = (offset: number) => [0xfd, 0x00, 0x02, ...unsignedLeb(offset)];
const v128StoreAt = (offset: number) => [0xfd, 0x0b, 0x02, ...unsignedLeb(offset)];

/** A module with the one function filterGradientTaps for (outChannels, tapBlocks, group; group defaults to every output). */
export function tapsModuleBytes(shared: boolean, outChannels: number, tapBlocks: number, group = outChannels, fused = relaxedSimdAvailable()): Uint8Array<ArrayBuffer> {
  return loopModuleBytes(shared, 'filterGradientTaps', { parameters: 9, i32: 8, v128: tapBlocks * group + tapBlocks + 1 }, tapsGradientBody(outChannels, tapBlocks, group, fused));
}

// Locals of convolveOneChannel(xPadded, weights, y, batch, outHeight, outWidth, filterHeight,
// filterWidth, rowBytes, imageBytes), assembled for one outChannels: a stride-1 convolution with
// one input channel, four output pixels per SIMD lane group: y[b, r, c + p, o] = Σ_{i, j}
// xPadded[b, r + i, c + p + j] · w[i, j, o], the weights given pre-broadcast (one v128 per tap and
// output), outWidth a multiple of 4.
const [Q_X, Q_W, Q_Y, Q_BATCH, Q_OUT_HEIGHT, Q_OUT_WIDTH, Q_FILTER_HEIGHT, Q_FILTER_WIDTH, Q_ROW_BYTES, Q_IMAGE_BYTES] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const [Q_B, Q_R, Q_C, Q_I, Q_J, Q_XA, Q_WA, Q_YA] = [10, 11, 12, 13, 14, 15, 16, 17];
const Q_V128 = 18; // accumulators, then the input vector

function convolveBody(outChannels: number, fused: boolean): number[] {
  const accumulator = (o: number) => Q_V128 + o;
  const input = Q_V128 + outChannels;
  const zero = [F32_CONST, 0, 0, 0, 0, ...F32X4_SPLAT];
  const clear: number[] = [];
  for (let o = 0; o < outChannels; o++) clear.push(...zero, ...set(accumulator(o)));
  const perTap: number[] = [...get(Q_XA), ...v128LoadAt(0), ...set(input)];
  for (let o = 0; o < outChannels; o++) {
    perTap.push(...multiplyAddInto(accumulator(o), get(input), [...get(Q_WA), ...v128LoadAt(16 * o)], fused));
  }
  perTap.push(...increment(Q_XA, [I32_CONST, 4]), ...increment(Q_WA, [I32_CONST, ...signedLeb(16 * outChannels)]));
  const perFilterRow = [
    // xa = x + b · imageBytes + (r + i) · rowBytes + c · 4
    ...get(Q_X), ...get(Q_B), ...get(Q_IMAGE_BYTES), I32_MUL, I32_ADD, ...get(Q_R), ...get(Q_I), I32_ADD, ...get(Q_ROW_BYTES), I32_MUL, I32_ADD,
    ...get(Q_C), I32_CONST, 2, I32_SHL, I32_ADD, ...set(Q_XA),
    ...countedLoop(Q_J, Q_FILTER_WIDTH, perTap),
  ];
  const store: number[] = [];
  for (let p = 0; p < 4; p++)
    for (let o = 0; o < outChannels; o++) store.push(...get(Q_YA), ...get(accumulator(o)), 0xfd, 0x1f, p, 0x38, 0x02, ...unsignedLeb(4 * (p * outChannels + o)));
  const perGroup = [
    ...clear,
    ...get(Q_W), ...set(Q_WA),
    ...countedLoop(Q_I, Q_FILTER_HEIGHT, perFilterRow),
    ...store,
    ...increment(Q_YA, [I32_CONST, ...signedLeb(16 * outChannels)]),
  ];
  return [...get(Q_Y), ...set(Q_YA), ...countedLoop(Q_B, Q_BATCH, countedLoop(Q_R, Q_OUT_HEIGHT, steppedLoop(Q_C, Q_OUT_WIDTH, 4, perGroup)))];
}

/** A module with the one function convolveOneChannel for outChannels. */
export function convolveModuleBytes(shared: boolean, outChannels: number, fused = relaxedSimdAvailable()): Uint8Array<ArrayBuffer> {
  return loopModuleBytes(shared, 'convolveOneChannel', { parameters: 10, i32: 8, v128: outChannels + 1 }, convolveBody(outChannels, fused));
}

/** Signature of convolveOneChannel (byte offsets, counts, byte strides of the padded x). */
export type ConvolveOneChannel = (
  xPadded: number,
  weights: number,
  y: number,
  batch: number,
  outHeight: number,
  outWidth: number,
  filterHeight: number,
  filterWidth: number,
  rowBytes: number,
  imageBytes: number,
) => void;

const convolveModules = new WeakMap<tf.KernelBackend, Map<string, ConvolveOneChannel | null>>();

/** convolveOneChannel assembled for outChannels (at most 12) on a backend's memory, or null. @internal */
export function oneChannelConvolution(backend: tf.KernelBackend, outChannels: number): ConvolveOneChannel | null {
  if (outChannels > 12) return null;
  return loopOnBackend(convolveModules, backend, String(outChannels), 'convolveOneChannel', (shared) => convolveModuleBytes(shared, outChannels));
}

/** Signature of filterGradientTaps (byte offsets, counts, byte strides of the padded x). */
export type FilterGradientTaps = (
  xPadded: number,
  dy: number,
  sums: number,
  batch: number,
  outHeight: number,
  outWidth: number,
  filterHeight: number,
  rowBytes: number,
  imageBytes: number,
) => void;

const tapsModules = new WeakMap<tf.KernelBackend, Map<string, FilterGradientTaps | null>>();

/**
 * filterGradientTaps assembled for (outChannels, tapBlocks, group) on a backend's memory, or null
 * (accumulators would not fit: tapBlocks · group more than 16; a group of 0 or more than
 * outChannels; or no memory). One per backend and shape. @internal
 */
export function tapsFilterGradient(backend: tf.KernelBackend, outChannels: number, tapBlocks: number, group = outChannels): FilterGradientTaps | null {
  if (tapBlocks * group > 16 || group < 1 || group > outChannels) return null;
  return loopOnBackend(tapsModules, backend, `${outChannels}x${tapBlocks}x${group}`, 'filterGradientTaps', (shared) => tapsModuleBytes(shared, outChannels, tapBlocks, group));
}

export function backendMemory(backend: tf.KernelBackend): WebAssembly.Memory | null {
  const emscripten = (backend as unknown as { wasm?: EmscriptenModuleLike }).wasm;
  const memory = emscripten?.asm?.memory ?? emscripten?.wasmMemory;
  return memory instanceof WebAssembly.Memory ? memory : null;
}

/**
 * The exports of a module instantiated on a backend's memory (`bytes(shared)`, shared when the
 * memory is: tfjs's threaded binary), or null when the backend has no memory tlkit can find or the
 * runtime rejects the module (then the callers keep their other paths). @internal
 */
export function instantiateOnBackend(backend: tf.KernelBackend, bytes: (shared: boolean) => Uint8Array<ArrayBuffer>): WebAssembly.Exports | null {
  const memory = backendMemory(backend);
  if (!memory) return null;
  try {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const module = new WebAssembly.Module(bytes(shared));
    const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
    // So helper threads (heap-helpers.ts) can run parts of a call with the same code and memory.
    if (shared) for (const [name, value] of Object.entries(exports)) recordSource(value, module, name, memory);
    return exports;
  } catch {
    return null;
  }
}

/** Direct views of a backend's tensor memory (tfjs's wasm backend has them; others copy). @internal */
export interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** Whether `backend` allocates on and exposes its heap ({@link HeapBackend}). @internal */
export function hasHeap(backend: tf.KernelBackend): backend is tf.KernelBackend & HeapBackend {
  const candidate = backend as unknown as Partial<HeapBackend>;
  return typeof candidate.makeOutput === 'function' && typeof candidate.typedArrayFromHeap === 'function';
}

/** Byte offset in the wasm backend's heap of the data behind `dataId`. @internal */
export function heapByteOffset(backend: tf.KernelBackend, dataId: object): number {
  return (backend as unknown as { dataIdMap: { get(id: object): { memoryOffset: number } } }).dataIdMap.get(dataId).memoryOffset;
}

/**
 * Export `name` of the module `bytes` builds, instantiated on `backend`'s memory
 * ({@link instantiateOnBackend}) once per backend and shape `key` in `cache`; null, cached too, when
 * the memory cannot be reached or the module does not instantiate. @internal
 */
export function loopOnBackend<T>(
  cache: WeakMap<tf.KernelBackend, Map<string, T | null>>,
  backend: tf.KernelBackend,
  key: string,
  name: string,
  bytes: (shared: boolean) => Uint8Array<ArrayBuffer>,
): T | null {
  let byShape = cache.get(backend);
  if (!byShape) cache.set(backend, (byShape = new Map()));
  if (!byShape.has(key)) {
    const exports = instantiateOnBackend(backend, bytes);
    byShape.set(key, exports ? (exports[name] as T) : null);
  }
  return byShape.get(key)!;
}

/**
 * The bytes of a module, its memory imported (`shared`: tfjs's threaded binary's), exporting one
 * loop `name` with `counts.parameters` i32 parameters (byte offsets and counts) and no result, its
 * locals `counts.i32` i32 values then `counts.v128` v128 values. @internal
 */
export function loopModuleBytes(shared: boolean, name: string, counts: LoopLocals, body: number[]): Uint8Array<ArrayBuffer> {
  return assembleModule({ shared }, [loopFunction(name, counts, body)]);
}

/** A loop's i32 parameters (byte offsets and counts), then its i32 and v128 locals. @internal */
export interface LoopLocals {
  readonly parameters: number;
  readonly i32: number;
  readonly v128: number;
}

/** One loop function for {@link assembleModule}: `counts.parameters` i32 parameters, no result, the locals of `counts`. @internal */
export function loopFunction(name: string, counts: LoopLocals, body: readonly number[]): AssembledFunction {
  return { name, parameters: Array<number>(counts.parameters).fill(I32), results: [], locals: [[counts.i32, I32], [counts.v128, V128]], body };
}

/**
 * The module instantiated on a backend's memory, or null when the backend has no WebAssembly
 * memory tlkit can find (then the callers use their JavaScript loops). One per backend.
 * @internal
 */
export function heapModule(backend: tf.KernelBackend): HeapModule | null {
  if (!modules.has(backend)) {
    const exports = instantiateOnBackend(backend, moduleBytes);
    modules.set(
      backend,
      exports
        ? {
            maxPoolGradTwoByTwo: exports.maxPoolGradTwoByTwo as MaxPoolGradTwoByTwo,
            transposeFour: exports.transposeFour as TransposeFour,
            filterGradientOneChannel: exports.filterGradientOneChannel as FilterGradientOneChannel,
          }
        : null,
    );
  }
  return modules.get(backend)!;
}

// Locals of inputGradientBlocked(dy, filterByOutput, dx, batch, outHeight, outWidth, inHeight,
// inWidth, filterHeight, filterWidth), assembled for one (inChannels, outChannels, pixels,
// vectors): dx of an unpadded stride-1 convolution, dx[b, r + i, c + j, ci] += Σ_o dy[b, r, c, o] ·
// W[i, j, ci, o], with the filter given as filterByOutput[i, j, o, ci]. For each dy row and filter
// tap, a block of `pixels` neighbouring columns × 4·`vectors` input channels of dx stays in SIMD
// registers while the output channels stream past (one broadcast dy value per pixel, `vectors`
// filter loads per output channel); the columns past the last whole block go one by one. dx must
// hold zeros.
const [N_DY, N_W, N_DX, N_BATCH, N_OUT_HEIGHT, N_OUT_WIDTH, N_IN_HEIGHT, N_IN_WIDTH, N_FILTER_HEIGHT, N_FILTER_WIDTH] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const [N_B, N_R, N_I, N_J, N_C, N_CI, N_O, N_DX_ROW, N_DY_ROW, N_W_TAP, N_DA, N_WA, N_XA, N_LIMIT] = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23];
const N_V128 = 24; // pixels · vectors accumulators, then vectors filter values, then one splat
const I32_GT_S = 0x4a;

function inputGradientBody(inChannels: number, outChannels: number, pixels: number, vectors: number, fused: boolean): number[] {
  const inBytes = 4 * inChannels;
  const outBytes = 4 * outChannels;
  const accumulator = (p: number, v: number) => N_V128 + p * vectors + v;
  const weight = (v: number) => N_V128 + pixels * vectors + v;
  const splat = N_V128 + pixels * vectors + vectors;
  const constant = (value: number) => [I32_CONST, ...signedLeb(value)];
  // for (counter = 0; counter < limit; counter += step) body, limit a constant.
  const constantLoop = (counter: number, limit: number, step: number, body: number[]) => loopFromZero(counter, constant(limit), step, body);
  const block = (count: number): number[] => {
    const load: number[] = [];
    const store: number[] = [];
    for (let p = 0; p < count; p++)
      for (let v = 0; v < vectors; v++) {
        load.push(...get(N_XA), ...v128LoadAt(p * inBytes + 16 * v), ...set(accumulator(p, v)));
        store.push(...get(N_XA), ...get(accumulator(p, v)), ...v128StoreAt(p * inBytes + 16 * v));
      }
    const perOutput: number[] = [];
    for (let v = 0; v < vectors; v++) perOutput.push(...get(N_WA), ...v128LoadAt(16 * v), ...set(weight(v)));
    for (let p = 0; p < count; p++) {
      perOutput.push(...get(N_DA), ...op.v128Load32Splat(p * outBytes), ...set(splat));
      for (let v = 0; v < vectors; v++) {
        perOutput.push(...multiplyAddInto(accumulator(p, v), get(splat), get(weight(v)), fused));
      }
    }
    perOutput.push(...increment(N_DA, constant(4)), ...increment(N_WA, constant(inBytes)));
    const perChannelBlock = [
      // xa = dxRow + c · inBytes + ci · 4; da = dyRow + c · outBytes; wa = wTap + ci · 4
      ...get(N_DX_ROW), ...get(N_C), ...constant(inBytes), I32_MUL, I32_ADD, ...get(N_CI), I32_CONST, 2, I32_SHL, I32_ADD, ...set(N_XA),
      ...get(N_DY_ROW), ...get(N_C), ...constant(outBytes), I32_MUL, I32_ADD, ...set(N_DA),
      ...get(N_W_TAP), ...get(N_CI), I32_CONST, 2, I32_SHL, I32_ADD, ...set(N_WA),
      ...load,
      ...constantLoop(N_O, outChannels, 1, perOutput),
      ...store,
    ];
    return constantLoop(N_CI, inChannels, 4 * vectors, perChannelBlock);
  };
  const perTap = [
    // dxRow = dx + ((b · inHeight + r + i) · inWidth + j) · inBytes; wTap = filter + (i · filterWidth + j) · outChannels · inBytes
    ...get(N_B), ...get(N_IN_HEIGHT), I32_MUL, ...get(N_R), I32_ADD, ...get(N_I), I32_ADD, ...get(N_IN_WIDTH), I32_MUL, ...get(N_J), I32_ADD,
    ...constant(inBytes), I32_MUL, ...get(N_DX), I32_ADD, ...set(N_DX_ROW),
    ...get(N_I), ...get(N_FILTER_WIDTH), I32_MUL, ...get(N_J), I32_ADD, ...constant(outChannels * inBytes), I32_MUL, ...get(N_W), I32_ADD, ...set(N_W_TAP),
    // whole blocks while c ≤ outWidth − pixels (signed), then the remaining columns one by one
    I32_CONST, 0, ...set(N_C),
    BLOCK, VOID, LOOP, VOID,
    ...get(N_C), ...get(N_LIMIT), I32_GT_S, BR_IF, 1,
    ...block(pixels),
    ...increment(N_C, constant(pixels)),
    BR, 0, END, END,
    ...(pixels > 1
      ? loopWhileBelow(N_C, get(N_OUT_WIDTH), 1, block(1))
      : []),
  ];
  const perRow = [
    // dyRow = dy + (b · outHeight + r) · outWidth · outBytes
    ...get(N_B), ...get(N_OUT_HEIGHT), I32_MUL, ...get(N_R), I32_ADD, ...get(N_OUT_WIDTH), I32_MUL, ...constant(outBytes), I32_MUL, ...get(N_DY), I32_ADD, ...set(N_DY_ROW),
    ...countedLoop(N_I, N_FILTER_HEIGHT, countedLoop(N_J, N_FILTER_WIDTH, perTap)),
  ];
  return [
    ...get(N_OUT_WIDTH), ...constant(pixels), 0x6b /* i32.sub */, ...set(N_LIMIT),
    ...countedLoop(N_B, N_BATCH, countedLoop(N_R, N_OUT_HEIGHT, perRow)),
  ];
}

/** A module with the one function inputGradientBlocked for (inChannels, outChannels, pixels, vectors). */
export function inputGradientModuleBytes(shared: boolean, inChannels: number, outChannels: number, pixels: number, vectors: number, fused = relaxedSimdAvailable()): Uint8Array<ArrayBuffer> {
  return loopModuleBytes(shared, 'inputGradientBlocked', { parameters: 10, i32: 14, v128: pixels * vectors + vectors + 1 }, inputGradientBody(inChannels, outChannels, pixels, vectors, fused));
}

/** Signature of inputGradientBlocked (byte offsets and counts). */
export type InputGradientBlocked = (
  dy: number,
  filterByOutput: number,
  dx: number,
  batch: number,
  outHeight: number,
  outWidth: number,
  inHeight: number,
  inWidth: number,
  filterHeight: number,
  filterWidth: number,
) => void;

const inputGradientModules = new WeakMap<tf.KernelBackend, Map<string, InputGradientBlocked | null>>();

/**
 * inputGradientBlocked assembled for (inChannels, outChannels, pixels, vectors) on a backend's
 * memory, or null (inChannels not a multiple of 4 · vectors, or no memory). One per backend and
 * shape. @internal
 */
export function blockedInputGradient(backend: tf.KernelBackend, inChannels: number, outChannels: number, pixels: number, vectors: number): InputGradientBlocked | null {
  if (inChannels % (4 * vectors) !== 0 || outChannels < 1 || pixels < 1) return null;
  return loopOnBackend(inputGradientModules, backend, `${inChannels}x${outChannels}x${pixels}x${vectors}`, 'inputGradientBlocked', (shared) =>
    inputGradientModuleBytes(shared, inChannels, outChannels, pixels, vectors),
  );
}
