/**
 * The forward pass of an unpadded stride-1 convolution with a short reduction (LeNet-5's second
 * layer: 6 → 16, 5 × 5, 150 terms; small-CNN's: 32 → 64, 3 × 3, 288) as a SIMD WebAssembly loop
 * on the wasm backend's heap, assembled per (input channels, output channels, filter size,
 * register block). XNNPACK runs LeNet-5's layer at about 4 GMAC/s here: its micro-kernels are tuned
 * for deep reductions.
 *
 * `convolveBlocked(x, w, y, batch, outHeight, outWidth, inHeight, inWidth)` — byte offsets, then
 * counts; NHWC x with `inChannels` channels, the filter w in tfjs's [fh, fw, in, out] layout as it
 * is — stores y[b, r, c, o] = Σ_{i, j, k} x[b, r + i, c + j, k] · w[i, j, k, o]. For each output
 * row, block of `pixels` neighbouring columns and group of 4 · `vectors` outputs, pixels × vectors
 * accumulators stay in SIMD registers over the whole reduction (every tap and input channel; along
 * a filter row the taps and channels are contiguous in x and in w, so one loop walks both), and
 * each is stored once. The reduction is a loop, not unrolled: unrolled, V8's scheduler hoisted
 * every load of a filter row ahead of the multiply-adds and spilled them (2.5 GMAC/s). The columns past the last whole block go one at a time. A textbook direct
 * convolution (LeCun et al., "Gradient-based learning applied to document recognition", Proc.
 * IEEE 1998, for the layer itself); the register blocking follows the analysis of Low et al.,
 * "Analytical modeling is enough for high-performance BLIS", ACM TOMS 2016.
 */
import type * as tf from '@tensorflow/tfjs';
import { loopFromZero, loopWhileBelow, multiplyAddInto, op, relaxedSimdAvailable } from '../linalg/wasmAssembler';
import { loopModuleBytes, loopOnBackend } from './wasm-module';

/** Signature of the exported loop (byte offsets, then counts). */
export type ConvolveBlocked = (x: number, w: number, y: number, batch: number, outHeight: number, outWidth: number, inHeight: number, inWidth: number) => void;

/** The shape a loop is assembled for. */
export interface BlockedConvolutionShape {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly filterHeight: number;
  readonly filterWidth: number;
  /** Neighbouring output columns per register block. */
  readonly pixels: number;
  /** SIMD vectors of 4 outputs per register block; outChannels must be a multiple of 4 · vectors. */
  readonly vectors: number;
}

const [X, W, Y, BATCH, OUT_HEIGHT, OUT_WIDTH, IN_HEIGHT, IN_WIDTH] = [0, 1, 2, 3, 4, 5, 6, 7];
const [B, R, G, C, I, T, XA, WA, YA, LIMIT] = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
const VECTORS = 18; // v128: pixels · vectors accumulators, then vectors filter values, then a splat

const { localGet: get, localSet: set, i32Const: constant } = op;
const [ADD, SUB, MUL, GT_S] = [op.i32Add(), op.i32Sub(), op.i32Mul(), op.i32GtS()];

function body(shape: BlockedConvolutionShape, fused: boolean): number[] {
  const { inChannels, outChannels, filterHeight, filterWidth, pixels, vectors } = shape;
  const [inBytes, outBytes, groupBytes] = [4 * inChannels, 4 * outChannels, 16 * vectors];
  const accumulator = (p: number, v: number) => VECTORS + p * vectors + v;
  const weight = (v: number) => VECTORS + pixels * vectors + v;
  const splat = VECTORS + pixels * vectors + vectors;
  /** One block of `count` columns at column c, output group g: clear, reduce over every tap and channel, store. */
  const block = (count: number): number[] => {
    const clear: number[] = [];
    const store: number[] = [];
    for (let p = 0; p < count; p++)
      for (let v = 0; v < vectors; v++) {
        clear.push(...op.v128Zero(), ...set(accumulator(p, v)));
        store.push(...get(YA), ...get(accumulator(p, v)), ...op.v128Store(p * outBytes + 16 * v));
      }
    // One term of filter row i: xa points at x[b, r + i, c + j, k], wa at w[i, j, k, g · 4 · vectors];
    // along a filter row, (j, k) walks x and w contiguously (x by 4 bytes, w by outBytes).
    const term: number[] = [];
    for (let v = 0; v < vectors; v++) term.push(...get(WA), ...op.v128Load(16 * v), ...set(weight(v)));
    for (let p = 0; p < count; p++) {
      term.push(...get(XA), ...op.v128Load32Splat(p * inBytes), ...set(splat));
      for (let v = 0; v < vectors; v++) term.push(...multiplyAddInto(accumulator(p, v), get(splat), get(weight(v)), fused));
    }
    term.push(...get(XA), ...constant(4), ...ADD, ...set(XA), ...get(WA), ...constant(outBytes), ...ADD, ...set(WA));
    const filterRow = loopFromZero(T, constant(filterWidth * inChannels), 1, term);
    return [
      ...clear,
      ...loopFromZero(I, constant(filterHeight), 1, [
        // xa = x + ((b · inHeight + r + i) · inWidth + c) · inBytes; wa = w + i · filterWidth · inChannels · outBytes + g · groupBytes
        ...get(B), ...get(IN_HEIGHT), ...MUL, ...get(R), ...ADD, ...get(I), ...ADD, ...get(IN_WIDTH), ...MUL, ...get(C), ...ADD, ...constant(inBytes), ...MUL, ...get(X), ...ADD, ...set(XA),
        ...get(I), ...constant(filterWidth * inChannels * outBytes), ...MUL, ...get(W), ...ADD, ...get(G), ...constant(groupBytes), ...MUL, ...ADD, ...set(WA),
        ...filterRow,
      ]),
      // ya = y + ((b · outHeight + r) · outWidth + c) · outBytes + g · groupBytes
      ...get(B), ...get(OUT_HEIGHT), ...MUL, ...get(R), ...ADD, ...get(OUT_WIDTH), ...MUL, ...get(C), ...ADD, ...constant(outBytes), ...MUL, ...get(Y), ...ADD, ...get(G), ...constant(groupBytes), ...MUL, ...ADD, ...set(YA),
      ...store,
    ];
  };
  const perGroup = [
    // Whole blocks while c + pixels ≤ outWidth (c ≤ outWidth − pixels), then single columns.
    ...get(OUT_WIDTH), ...constant(pixels), ...SUB, ...set(LIMIT),
    ...constant(0), ...set(C),
    ...op.block(), ...op.loop(), ...get(C), ...get(LIMIT), ...GT_S, ...op.brIf(1), ...block(pixels), ...get(C), ...constant(pixels), ...ADD, ...set(C), ...op.br(0), ...op.end(), ...op.end(),
    ...loopWhileBelow(C, get(OUT_WIDTH), 1, block(1)),
  ];
  return loopFromZero(B, get(BATCH), 1, loopFromZero(R, get(OUT_HEIGHT), 1, loopFromZero(G, constant(outChannels / (4 * vectors)), 1, perGroup)));
}

/**
 * The module with the one function convolveBlocked for `shape`; `fused`: multiply-adds as relaxed
 * SIMD's `f32x4.relaxed_madd` (default: when the runtime has it). @internal
 */
export function convolveBlockedModuleBytes(shared: boolean, shape: BlockedConvolutionShape, fused = relaxedSimdAvailable()): Uint8Array<ArrayBuffer> {
  return loopModuleBytes(shared, 'convolveBlocked', { parameters: 8, i32: 10, v128: shape.pixels * shape.vectors + shape.vectors + 1 }, body(shape, fused));
}

const loops = new WeakMap<tf.KernelBackend, Map<string, ConvolveBlocked | null>>();

/**
 * convolveBlocked for `shape` on a backend's heap, or null when outChannels is not a multiple of
 * 4 · vectors or the backend's memory cannot be reached. One per backend and shape. @internal
 */
export function blockedConvolution(backend: tf.KernelBackend, shape: BlockedConvolutionShape): ConvolveBlocked | null {
  const { inChannels, outChannels, filterHeight, filterWidth, pixels, vectors } = shape;
  if (outChannels % (4 * vectors) !== 0 || pixels < 1 || vectors < 1) return null;
  return loopOnBackend(loops, backend, `${inChannels}x${outChannels}x${filterHeight}x${filterWidth}x${pixels}x${vectors}`, 'convolveBlocked', (shared) => convolveBlockedModuleBytes(shared, shape));
}
