/**
 * The filter gradient of an unpadded stride-1 convolution as a SIMD WebAssembly loop on the wasm
 * backend's heap, assembled per (input channels, output channels, filter size, register block):
 * dw[i, j, k, o] += Σ_{b, r, c} x[b, r + i, c + j, k] · dy[b, r, c, o], the product xᵀ · dy of
 * backpropagation (Rumelhart, Hinton & Williams, Nature 1986) written for each filter tap.
 *
 * `filterGradientStreamed(x, dy, dw, batch, outHeight, outWidth, inHeight, inWidth, chunk)` — byte
 * offsets, then counts; NHWC x with `inChannels` channels, dy with `outChannels` — adds the
 * gradient of the `batch` images into dw (so dw starts at zero, or holds a partial sum). For each
 * filter tap, block of `channels` input channels and block of 4 · `vectors` outputs, the
 * channels × vectors accumulators stay in SIMD registers while pixels stream past (per pixel:
 * `vectors` dy loads, `channels` broadcasts of x, channels × vectors multiply-adds), in one of
 * two orders:
 * - `images`: over every pixel of a chunk of `chunk` images, the blocks one after another (the
 *   chunk's x and dy are read again by every block: from the L1 cache for small images);
 * - `rows`: over one output row, every block of the row before the next row, so the row's dy and
 *   the x rows under it stay in the L1 cache, and the accumulators go to and from dw (the L2
 *   cache) once per row and block. Per block and pixel the other order reads a dy line and an x
 *   line from L2 once the image no longer fits in L1 (small-CNN's second layer: 228.5 KiB per image).
 * A chunk of 0 counts as 1.
 */
import type * as tf from '@tensorflow/tfjs';
import { loopFromZero, loopWhileBelow, multiplyAddInto, op, relaxedSimdAvailable } from '../linalg/wasmAssembler';
import { loopModuleBytes, loopOnBackend } from './wasm-module';

/** Signature of the exported loop (byte offsets, then counts). */
export type FilterGradientStreamed = (
  x: number,
  dy: number,
  dw: number,
  batch: number,
  outHeight: number,
  outWidth: number,
  inHeight: number,
  inWidth: number,
  chunk: number,
) => void;

/** The shape a loop is assembled for. */
export interface StreamedFilterGradientShape {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly filterHeight: number;
  readonly filterWidth: number;
  /** Input channels per register block; inChannels must be a multiple of it. */
  readonly channels: number;
  /** SIMD vectors of 4 outputs per register block; outChannels must be a multiple of 4 · vectors. */
  readonly vectors: number;
  /**
   * `images` (default): each block's accumulators stream over a chunk of whole images; `rows`:
   * over one output row, every block of the row before the next (chunk ignored).
   */
  readonly order?: 'images' | 'rows';
}

const [X, DY, DW, BATCH, OUT_HEIGHT, OUT_WIDTH, IN_HEIGHT, IN_WIDTH, CHUNK] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
const [FIRST, END, I, J, K, Q, B, R, C, XA, DA, WA] = [9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20];
const VECTORS = 21; // v128: channels · vectors accumulators, then vectors dy values, then a splat

const { localGet: get, localSet: set, i32Const: constant } = op;
const [ADD, MUL, GT_S] = [op.i32Add(), op.i32Mul(), op.i32GtS()];

function body(shape: StreamedFilterGradientShape, fused: boolean): number[] {
  const { inChannels, outChannels, filterHeight, filterWidth, channels, vectors } = shape;
  const [inBytes, outBytes] = [4 * inChannels, 4 * outChannels];
  const accumulator = (p: number, v: number) => VECTORS + p * vectors + v;
  const gradient = (v: number) => VECTORS + channels * vectors + v;
  const splat = VECTORS + channels * vectors + vectors;
  const perPixel: number[] = [];
  for (let v = 0; v < vectors; v++) perPixel.push(...get(DA), ...op.v128Load(16 * v), ...set(gradient(v)));
  for (let p = 0; p < channels; p++) {
    perPixel.push(...get(XA), ...op.v128Load32Splat(4 * p), ...set(splat));
    for (let v = 0; v < vectors; v++) perPixel.push(...multiplyAddInto(accumulator(p, v), get(splat), get(gradient(v)), fused));
  }
  perPixel.push(...get(XA), ...constant(inBytes), ...ADD, ...set(XA), ...get(DA), ...constant(outBytes), ...ADD, ...set(DA));
  const perRow = [
    // xa = x + ((b · inHeight + r + i) · inWidth + j) · inBytes + k · 4; da = dy + (b · outHeight + r) · outWidth · outBytes + q · 4
    ...get(B), ...get(IN_HEIGHT), ...MUL, ...get(R), ...ADD, ...get(I), ...ADD, ...get(IN_WIDTH), ...MUL, ...get(J), ...ADD, ...constant(inBytes), ...MUL, ...get(X), ...ADD, ...get(K), ...constant(4), ...MUL, ...ADD, ...set(XA),
    ...get(B), ...get(OUT_HEIGHT), ...MUL, ...get(R), ...ADD, ...get(OUT_WIDTH), ...MUL, ...constant(outBytes), ...MUL, ...get(DY), ...ADD, ...get(Q), ...constant(4), ...MUL, ...ADD, ...set(DA),
    ...constant(0), ...set(C),
    ...loopWhileBelow(C, get(OUT_WIDTH), 1, perPixel),
  ];
  const load: number[] = [];
  const store: number[] = [];
  for (let p = 0; p < channels; p++)
    for (let v = 0; v < vectors; v++) {
      load.push(...get(WA), ...op.v128Load(p * outBytes + 16 * v), ...set(accumulator(p, v)));
      store.push(...get(WA), ...get(accumulator(p, v)), ...op.v128Store(p * outBytes + 16 * v));
    }
  const perBlock = [
    // wa = dw + ((i · filterWidth + j) · inChannels + k) · outBytes + q · 4
    ...get(I), ...constant(filterWidth), ...MUL, ...get(J), ...ADD, ...constant(inChannels), ...MUL, ...get(K), ...ADD, ...constant(outBytes), ...MUL, ...get(DW), ...ADD, ...get(Q), ...constant(4), ...MUL, ...ADD, ...set(WA),
    ...load,
    ...get(FIRST), ...set(B),
    ...loopWhileBelow(B, get(END), 1, loopFromZero(R, get(OUT_HEIGHT), 1, perRow)),
    ...store,
  ];
  if (shape.order === 'rows') {
    // for each image and output row: every (tap, channel block, output block) over the row's pixels
    const perBlockRow = [
      ...get(I), ...constant(filterWidth), ...MUL, ...get(J), ...ADD, ...constant(inChannels), ...MUL, ...get(K), ...ADD, ...constant(outBytes), ...MUL, ...get(DW), ...ADD, ...get(Q), ...constant(4), ...MUL, ...ADD, ...set(WA),
      ...load,
      ...perRow,
      ...store,
    ];
    const blocks = loopFromZero(I, constant(filterHeight), 1, loopFromZero(J, constant(filterWidth), 1, loopFromZero(K, constant(inChannels), channels, loopFromZero(Q, constant(outChannels), 4 * vectors, perBlockRow))));
    return [...constant(0), ...set(B), ...loopWhileBelow(B, get(BATCH), 1, loopFromZero(R, get(OUT_HEIGHT), 1, blocks))];
  }
  const perChunk = [
    // end = min(first + chunk, batch)
    ...get(FIRST), ...get(CHUNK), ...ADD, ...set(END),
    ...get(END), ...get(BATCH), ...GT_S, ...op.ifVoid(), ...get(BATCH), ...set(END), ...op.end(),
    ...loopFromZero(I, constant(filterHeight), 1, loopFromZero(J, constant(filterWidth), 1, loopFromZero(K, constant(inChannels), channels, loopFromZero(Q, constant(outChannels), 4 * vectors, perBlock)))),
    ...get(END), ...set(FIRST),
  ];
  // A chunk of 0 would never advance: it counts as 1.
  const atLeastOne = [...get(CHUNK), ...op.i32Eqz(), ...op.ifVoid(), ...constant(1), ...set(CHUNK), ...op.end()];
  return [...atLeastOne, ...constant(0), ...set(FIRST), ...op.block(), ...op.loop(), ...get(FIRST), ...get(BATCH), ...op.i32GeU(), ...op.brIf(1), ...perChunk, ...op.br(0), ...op.end(), ...op.end()];
}

/**
 * The module with the one function filterGradientStreamed for `shape`; `fused`: multiply-adds as
 * relaxed SIMD's `f32x4.relaxed_madd` (default: when the runtime has it). @internal
 */
export function filterGradientStreamedModuleBytes(shared: boolean, shape: StreamedFilterGradientShape, fused = relaxedSimdAvailable()): Uint8Array<ArrayBuffer> {
  return loopModuleBytes(shared, 'filterGradientStreamed', { parameters: 9, i32: 12, v128: shape.channels * shape.vectors + shape.vectors + 1 }, body(shape, fused));
}

const loops = new WeakMap<tf.KernelBackend, Map<string, FilterGradientStreamed | null>>();

/**
 * filterGradientStreamed for `shape` on a backend's heap, or null when the channels do not divide
 * into its blocks or the backend's memory cannot be reached. One per backend and shape. @internal
 */
export function streamedFilterGradient(backend: tf.KernelBackend, shape: StreamedFilterGradientShape): FilterGradientStreamed | null {
  const { inChannels, outChannels, filterHeight, filterWidth, channels, vectors, order = 'images' } = shape;
  if (channels < 1 || vectors < 1 || inChannels % channels !== 0 || outChannels % (4 * vectors) !== 0) return null;
  return loopOnBackend(loops, backend, `${inChannels}x${outChannels}x${filterHeight}x${filterWidth}x${channels}x${vectors}x${order}`, 'filterGradientStreamed', (shared) =>
    filterGradientStreamedModuleBytes(shared, shape),
  );
}
