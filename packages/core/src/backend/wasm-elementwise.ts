/**
 * Two element-wise passes of a training step as SIMD WebAssembly loops on the wasm backend's heap,
 * each one pass over memory at its speed, on the calling thread (no thread pool is woken):
 *
 * - `biasAdd(x, pattern, y, periods, periodBytes)`: y = x + the layer's bias along the last axis.
 *   The bias is written out once as a pattern of lcm(channels, 4) values (`periodBytes` bytes, whole
 *   vectors), and the loop adds it to `periods` consecutive runs of x. tfjs's `Add` broadcasts the
 *   bias row by row (tlkit's tiling in `wasm-kernels.ts` lengthened the rows): LeNet-5's first
 *   layer, 64 × 28 × 28 × 6, took 0.34–0.49 ms per call in training.
 * - `reluGradient(dy, x, out, count)`: out = dy · step(x), ReLU's gradient, for `count` elements
 *   (the vector part; the caller does the last count mod 4). tfjs runs it as `Step` then `Multiply`,
 *   two passes and a tensor between them (LeNet-5's first layer: 0.25 + 0.31 ms).
 *
 * Both compute exactly what tfjs's kernels compute: the same float32 additions, and
 * dy · 1, dy · 0 (a signed zero) or dy · NaN where x is NaN (tfjs's `step` keeps NaN).
 * @internal
 */
import type * as tf from '@tensorflow/tfjs';
import { assembleModule, loopFromZero, loopWhileBelow, op } from '../linalg/wasmAssembler';
import { instantiateOnBackend, loopFunction } from './wasm-module';

/** biasAdd(x, pattern, y, periods, periodBytes), byte offsets and counts. */
export type BiasAdd = (x: number, pattern: number, y: number, periods: number, periodBytes: number) => void;
/** reluGradient(dy, x, out, count): count a multiple of 4. */
export type ReluGradient = (dy: number, x: number, out: number, count: number) => void;

export interface ElementwiseLoops {
  readonly biasAdd: BiasAdd;
  readonly reluGradient: ReluGradient;
}

const { localGet: get, localSet: set } = op;

// biasAdd: parameters X, PATTERN, Y, PERIODS, PERIOD_BYTES; i32 locals AT (byte offset of a run
// in x and y), END (periods · periodBytes), P (byte offset into the pattern and the run).
const [X, PATTERN, Y, PERIODS, PERIOD_BYTES, AT, END, P] = [0, 1, 2, 3, 4, 5, 6, 7];

function biasAddBody(): number[] {
  const at = (base: number) => [...get(base), ...get(AT), ...op.i32Add(), ...get(P), ...op.i32Add()];
  const perVector = [...at(Y), ...at(X), ...op.v128Load(), ...get(PATTERN), ...get(P), ...op.i32Add(), ...op.v128Load(), ...op.f32x4Add(), ...op.v128Store()];
  return [
    ...get(PERIODS), ...get(PERIOD_BYTES), ...op.i32Mul(), ...set(END),
    // for (at = 0; at < end; at += periodBytes) for (p = 0; p < periodBytes; p += 16) y[at + p] = x[at + p] + pattern[p]
    ...loopFromZero(AT, get(END), get(PERIOD_BYTES), loopFromZero(P, get(PERIOD_BYTES), 16, perVector)),
  ];
}

// reluGradient: parameters DY, XS, OUT, COUNT; i32 locals AT, LIMIT (count · 4); v128 local V (x).
const [DY, XS, OUT, COUNT, R_AT, LIMIT, V] = [0, 1, 2, 3, 4, 5, 6];

function reluGradientBody(): number[] {
  const perVector = [
    ...get(OUT), ...get(R_AT), ...op.i32Add(),
    ...get(DY), ...get(R_AT), ...op.i32Add(), ...op.v128Load(),
    ...get(XS), ...get(R_AT), ...op.i32Add(), ...op.v128Load(), ...set(V),
    // step = (x > 0 ? 1 : +0) | (x where x is NaN)
    ...get(V), ...op.v128Zero(), ...op.f32x4Gt(), ...op.f32x4Const(1), ...op.v128And(),
    ...get(V), ...get(V), ...op.f32x4Ne(), ...get(V), ...op.v128And(),
    ...op.v128Or(),
    ...op.f32x4Mul(),
    ...op.v128Store(),
  ];
  return [
    ...get(COUNT), ...op.i32Const(2), ...op.i32Shl(), ...set(LIMIT),
    ...op.i32Const(0), ...set(R_AT),
    ...loopWhileBelow(R_AT, get(LIMIT), 16, perVector),
  ];
}

/** The module's bytes; `shared` for the threaded binary's memory. @internal */
export function elementwiseModuleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  return assembleModule({ shared }, [
    loopFunction('biasAdd', { parameters: 5, i32: 3, v128: 0 }, biasAddBody()),
    loopFunction('reluGradient', { parameters: 4, i32: 2, v128: 1 }, reluGradientBody()),
  ]);
}

const loops = new WeakMap<tf.KernelBackend, ElementwiseLoops | null>();

/** The loops on a wasm backend's heap, or null when the backend has no reachable memory. One instance per backend. @internal */
export function elementwiseLoops(backend: tf.KernelBackend): ElementwiseLoops | null {
  if (!loops.has(backend)) {
    const exports = instantiateOnBackend(backend, elementwiseModuleBytes);
    loops.set(backend, exports ? { biasAdd: exports.biasAdd as BiasAdd, reluGradient: exports.reluGradient as ReluGradient } : null);
  }
  return loops.get(backend)!;
}

/** Floats in the bias pattern of `channels` channels: lcm(channels, 4). */
export function biasPeriod(channels: number): number {
  return channels % 4 === 0 ? channels : channels % 2 === 0 ? 2 * channels : 4 * channels;
}
