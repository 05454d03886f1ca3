import { setFlagsFromString } from 'node:v8';
import { relaxedSimdAvailable } from '../linalg/wasmAssembler';

/**
 * Turns on WebAssembly relaxed SIMD where Node's V8 has it behind a flag (Node 20: V8 11.3,
 * `--experimental-wasm-relaxed-simd`; Node ≥ 22 has it on by default), so tlkit's convolution and
 * product loops assemble their multiply-adds as `f32x4.relaxed_madd` — one FMA instruction on
 * x86-64 CPUs with FMA3, against a multiply and an add. V8 reads the flag when it validates a
 * module, so it counts for modules compiled afterwards; tfjs's own binary does not use relaxed
 * SIMD and is unaffected. Set `TLKIT_RELAXED_SIMD=0` to keep separate multiplies and adds.
 * Returns whether relaxed SIMD is now available. @internal
 */
export function enableRelaxedSimd(): boolean {
  if (relaxedSimdAvailable()) return true;
  if (process.env.TLKIT_RELAXED_SIMD?.trim() === '0') return false;
  try {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    return false;
  }
  return relaxedSimdAvailable();
}
