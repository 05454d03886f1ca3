/**
 * Adam's update (Kingma & Ba, ICLR 2015, Algorithm 1, with the bias corrections folded into two
 * constants, and decoupled weight decay as in Loshchilov & Hutter, ICLR 2019) as a SIMD
 * WebAssembly loop on the wasm backend's heap. core's host optimiser runs the same rule in
 * JavaScript at about 14 ns per weight on the development machine (a Float64 square root and
 * division per element), plus two copies out of the heap; LeNet-5's 61 k weights took about
 * 3 ms of every training step.
 *
 * `adamStep(weights, gradient, first, second, out, count, stepSize, secondScale, beta1, beta2,
 * oneMinusBeta1, oneMinusBeta2, epsilon, decay)` — byte offsets of five float32 arrays of `count`
 * elements, then float32 scalars — does, for every i:
 *   m = β₁ · first[i] + (1 − β₁) · g;  v = β₂ · second[i] + (1 − β₂) · g²  (stored back),
 *   out[i] = w − stepSize · m / (√(v · secondScale) + ε) − decay · w
 * with g = gradient[i], w = weights[i], stepSize = η / (1 − β₁ᵗ), secondScale = 1 / (1 − β₂ᵗ),
 * decay = η · λ; four elements per SIMD step, then the rest one by one. Arithmetic is float32
 * (the host optimiser rounds to float32 only when it stores). 1 − β₁ and 1 − β₂ come in as
 * arguments, computed in float64: 1 − β₂ from a float32 β₂ = 0.999 is 1.3e-5 off (relative),
 * which moved weights by a few 1e-6 in five steps.
 */
import type * as tf from '@tensorflow/tfjs';
import { assembleModule, loopWhileBelow, op, VALUE_F32, VALUE_I32, VALUE_V128 } from '../linalg/wasmAssembler';
import { loopOnBackend } from './wasm-module';

/** Signature of the exported loop (byte offsets, element count, float32 scalars). */
export type AdamStep = (
  weights: number,
  gradient: number,
  first: number,
  second: number,
  out: number,
  count: number,
  stepSize: number,
  secondScale: number,
  beta1: number,
  beta2: number,
  oneMinusBeta1: number,
  oneMinusBeta2: number,
  epsilon: number,
  decay: number,
) => void;

const [I32, F32, V128] = [VALUE_I32, VALUE_F32, VALUE_V128];
// Parameters, then locals.
const [W, G, M, V, OUT, COUNT, STEP, SCALE, BETA1, BETA2, REST1, REST2, EPSILON, DECAY] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
const [AT, END, VECTOR_END] = [14, 15, 16]; // i32: byte offset, count · 4, bytes in whole vectors
const [S_STEP, S_SCALE, S_BETA1, S_BETA2, S_REST1, S_REST2, S_EPSILON, S_DECAY, S_M, S_V, S_W] = [17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27]; // v128
const [F_M, F_V, F_W] = [28, 29, 30]; // f32

const { localGet: get, localSet: set, localTee: tee } = op;
const at = (base: number) => [...get(base), ...get(AT), ...op.i32Add()]; // base + byte offset

/**
 * One element step (four lanes with the v128 operations, one with the f32 ones): loads g, m, v, w
 * at the current byte offset, stores m, v and out.
 */
function elementStep(vector: boolean): number[] {
  const [load, store, add, sub, mul, div, sqrt] = vector
    ? [op.v128Load(), op.v128Store(), op.f32x4Add(), op.f32x4Sub(), op.f32x4Mul(), op.f32x4Div(), op.f32x4Sqrt()]
    : [op.f32Load(), op.f32Store(), op.f32Add(), op.f32Sub(), op.f32Mul(), op.f32Div(), op.f32Sqrt()];
  const [beta1, beta2, rest1, rest2, step, scale, epsilon, decay] = vector
    ? [S_BETA1, S_BETA2, S_REST1, S_REST2, S_STEP, S_SCALE, S_EPSILON, S_DECAY]
    : [BETA1, BETA2, REST1, REST2, STEP, SCALE, EPSILON, DECAY];
  const [m, v, w] = vector ? [S_M, S_V, S_W] : [F_M, F_V, F_W];
  return [
    // m = β₁ · first + (1 − β₁) · g;  first = m
    ...at(M), ...get(beta1), ...at(M), ...load, ...mul, ...get(rest1), ...at(G), ...load, ...mul, ...add, ...tee(m), ...store,
    // v = β₂ · second + (1 − β₂) · g · g;  second = v
    ...at(V), ...get(beta2), ...at(V), ...load, ...mul, ...get(rest2), ...at(G), ...load, ...mul, ...at(G), ...load, ...mul, ...add, ...tee(v), ...store,
    // out = w − stepSize · m / (√(v · secondScale) + ε) − decay · w
    ...at(W), ...load, ...set(w),
    ...at(OUT),
    ...get(w), ...get(step), ...get(m), ...mul, ...get(v), ...get(scale), ...mul, ...sqrt, ...get(epsilon), ...add, ...div, ...sub,
    ...get(decay), ...get(w), ...mul, ...sub,
    ...store,
  ];
}

function adamBody(): number[] {
  const splat = (from: number, to: number) => [...get(from), ...op.f32x4Splat(), ...set(to)];
  return [
    // Every scalar in all four lanes.
    ...splat(STEP, S_STEP), ...splat(SCALE, S_SCALE), ...splat(BETA1, S_BETA1), ...splat(BETA2, S_BETA2),
    ...splat(REST1, S_REST1), ...splat(REST2, S_REST2), ...splat(EPSILON, S_EPSILON), ...splat(DECAY, S_DECAY),
    // end = count · 4; vectorEnd = end with the last partial vector left out
    ...get(COUNT), ...op.i32Const(2), ...op.i32Shl(), ...tee(END), ...op.i32Const(-16), ...op.i32And(), ...set(VECTOR_END),
    ...op.i32Const(0), ...set(AT),
    ...loopWhileBelow(AT, get(VECTOR_END), 16, elementStep(true)),
    ...loopWhileBelow(AT, get(END), 4, elementStep(false)),
  ];
}

/** The module's bytes; `shared` for the threaded binary's memory. @internal */
export function adamModuleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  return assembleModule({ shared }, [
    {
      name: 'adamStep',
      parameters: [I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32, F32],
      results: [],
      locals: [
        [3, I32],
        [11, V128],
        [3, F32],
      ],
      body: adamBody(),
    },
  ]);
}

const steps = new WeakMap<tf.KernelBackend, Map<string, AdamStep | null>>();

/** adamStep on a wasm backend's heap, or null when the backend has no reachable memory. @internal */
export function wasmAdamStep(backend: tf.KernelBackend): AdamStep | null {
  return loopOnBackend(steps, backend, '', 'adamStep', adamModuleBytes);
}
