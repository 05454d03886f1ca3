/**
 * The filter gradient of an unpadded stride-1 convolution with few input channels (2–6) and
 * outputs a multiple of 8 as a SIMD WebAssembly loop on the wasm backend's heap, assembled per
 * input-channel count; the kernels use it where the streamed loop (`wasm-filter-gradient.ts`,
 * even channel counts and outputs a multiple of 16, faster on LeNet-5's 6 → 16 layer) does not
 * apply. XNNPACK's form (x with the batch in the channel slot, correlated with dy) runs such
 * layers at about 2.3 GFLOP/s here.
 *
 * `filterGradientFew(x, dy, dw, batch, outHeight, outWidth, inHeight, inWidth, filterHeight,
 * filterWidth)` — byte offsets, then counts; NHWC x with `inChannels` channels, dy with
 * `outChannels` (a multiple of 8) — stores dw[i, j, c, o] = Σ_{b, r, col} x[b, r + i, col + j, c] ·
 * dy[b, r, col, o] for every tap (i, j), input channel c and output o. For each tap and block of 8
 * outputs, inChannels × 2 accumulators (12 for 6 channels: with the two dy vectors and a splat,
 * the 15 SIMD registers V8 allocates on x86-64) stay in registers over the whole batch, so each dy
 * vector is loaded once per tap and block and each x value once per block. dw is overwritten, not
 * added to.
 */
import type * as tf from '@tensorflow/tfjs';
import { loopFromZero, multiplyAddInto, op, relaxedSimdAvailable } from '../linalg/wasmAssembler';
import { loopModuleBytes, loopOnBackend } from './wasm-module';

/** Signature of the exported loop (byte offsets and counts). */
export type FilterGradientFew = (
  x: number,
  dy: number,
  dw: number,
  batch: number,
  outHeight: number,
  outWidth: number,
  inHeight: number,
  inWidth: number,
  filterHeight: number,
  filterWidth: number,
) => void;

/** Input channels the loop is assembled for (more would not fit the registers). */
export const FEW_INPUT_CHANNELS = { min: 2, max: 6 } as const;

const [X, DY, DW, BATCH, OUT_HEIGHT, OUT_WIDTH, IN_HEIGHT, IN_WIDTH, FILTER_HEIGHT, FILTER_WIDTH] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const [I, J, Q, B, R, C, XA, DA, WA] = [10, 11, 12, 13, 14, 15, 16, 17, 18];
const ACCUMULATORS = 19; // v128: [channel · 2 + half], then dy halves and a splat

const { localGet: get, localSet: set, i32Const: constant } = op;
const [ADD, MUL] = [op.i32Add(), op.i32Mul()];

function body(inChannels: number, outChannels: number, fused: boolean): number[] {
  const accumulator = (channel: number, half: number) => ACCUMULATORS + channel * 2 + half;
  const [low, high, splat] = [ACCUMULATORS + 2 * inChannels, ACCUMULATORS + 2 * inChannels + 1, ACCUMULATORS + 2 * inChannels + 2];
  const inBytes = 4 * inChannels;
  const outBytes = 4 * outChannels;
  const perPixel = [...get(DA), ...op.v128Load(0), ...set(low), ...get(DA), ...op.v128Load(16), ...set(high)];
  for (let channel = 0; channel < inChannels; channel++) {
    perPixel.push(...get(XA), ...op.v128Load32Splat(4 * channel), ...set(splat));
    for (const [half, gradient] of [[0, low], [1, high]] as const) {
      perPixel.push(...multiplyAddInto(accumulator(channel, half), get(splat), get(gradient), fused));
    }
  }
  perPixel.push(...get(XA), ...constant(inBytes), ...ADD, ...set(XA), ...get(DA), ...constant(outBytes), ...ADD, ...set(DA));
  const perRow = [
    // xa = x + ((b · inHeight + r + i) · inWidth + j) · inBytes; da = dy + (b · outHeight + r) · outWidth · outBytes + q · 4
    ...get(B), ...get(IN_HEIGHT), ...MUL, ...get(R), ...ADD, ...get(I), ...ADD, ...get(IN_WIDTH), ...MUL, ...get(J), ...ADD, ...constant(inBytes), ...MUL, ...get(X), ...ADD, ...set(XA),
    ...get(B), ...get(OUT_HEIGHT), ...MUL, ...get(R), ...ADD, ...get(OUT_WIDTH), ...MUL, ...constant(outBytes), ...MUL, ...get(DY), ...ADD, ...get(Q), ...constant(4), ...MUL, ...ADD, ...set(DA),
    ...loopFromZero(C, get(OUT_WIDTH), 1, perPixel),
  ];
  const zero: number[] = [];
  const store: number[] = [];
  for (let channel = 0; channel < inChannels; channel++)
    for (let half = 0; half < 2; half++) {
      zero.push(...op.v128Zero(), ...set(accumulator(channel, half)));
      store.push(...get(WA), ...get(accumulator(channel, half)), ...op.v128Store(channel * outBytes + 16 * half));
    }
  const perBlock = [
    ...zero,
    ...loopFromZero(B, get(BATCH), 1, loopFromZero(R, get(OUT_HEIGHT), 1, perRow)),
    // wa = dw + (i · filterWidth + j) · inChannels · outBytes + q · 4
    ...get(I), ...get(FILTER_WIDTH), ...MUL, ...get(J), ...ADD, ...constant(inChannels * outBytes), ...MUL, ...get(DW), ...ADD, ...get(Q), ...constant(4), ...MUL, ...ADD, ...set(WA),
    ...store,
  ];
  return loopFromZero(I, get(FILTER_HEIGHT), 1, loopFromZero(J, get(FILTER_WIDTH), 1, loopFromZero(Q, constant(outChannels), 8, perBlock)));
}

/**
 * A module with the one function filterGradientFew for (inChannels, outChannels); `fused`: its
 * multiply-adds as relaxed SIMD's `f32x4.relaxed_madd` (default: when the runtime has it). @internal
 */
export function filterGradientFewModuleBytes(shared: boolean, inChannels: number, outChannels: number, fused = relaxedSimdAvailable()): Uint8Array<ArrayBuffer> {
  return loopModuleBytes(shared, 'filterGradientFew', { parameters: 10, i32: 9, v128: 2 * inChannels + 3 }, body(inChannels, outChannels, fused));
}

const loops = new WeakMap<tf.KernelBackend, Map<string, FilterGradientFew | null>>();

/**
 * filterGradientFew for (inChannels, outChannels) on a backend's heap, or null when the shape is
 * not one it handles (inChannels outside 2–6, outChannels not a multiple of 8) or the backend's
 * memory cannot be reached. One per backend and shape. @internal
 */
export function fewChannelFilterGradient(backend: tf.KernelBackend, inChannels: number, outChannels: number): FilterGradientFew | null {
  if (inChannels < FEW_INPUT_CHANNELS.min || inChannels > FEW_INPUT_CHANNELS.max || outChannels < 8 || outChannels % 8 !== 0) return null;
  return loopOnBackend(loops, backend, `${inChannels}x${outChannels}`, 'filterGradientFew', (shared) => filterGradientFewModuleBytes(shared, inChannels, outChannels));
}
