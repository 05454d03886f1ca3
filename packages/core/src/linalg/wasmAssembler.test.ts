import { describe, expect, it } from 'vitest';
import { enableRelaxedSimd } from '../node/relaxed-simd';
import { assembleModule, multiplyAddInto, op, relaxedSimdAvailable, VALUE_I32, VALUE_V128 } from './wasmAssembler';

/**
 * multiplyAddInto: memory[0..16) += memory[16..32) · memory[32..48) on four f32 lanes, assembled
 * fused (relaxed SIMD's f32x4.relaxed_madd) and unfused (f32x4.mul, f32x4.add), checked against
 * hand-worked values, including one where the single rounding of a fused multiply-add shows.
 */
function multiplyAdd(fused: boolean, accumulator: number[], left: number[], right: number[]): Float32Array {
  const [address, sum] = [0, 1];
  const load = (offset: number) => [...op.localGet(address), ...op.v128Load(offset)];
  const body = [
    ...load(0),
    ...op.localSet(sum),
    ...multiplyAddInto(sum, load(16), load(32), fused),
    ...op.localGet(address),
    ...op.localGet(sum),
    ...op.v128Store(0),
  ];
  const bytes = assembleModule(1, [{ name: 'run', parameters: [VALUE_I32], results: [], locals: [[1, VALUE_V128]], body }]);
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  const memory = new Float32Array((exports.memory as WebAssembly.Memory).buffer, 0, 12);
  memory.set([...accumulator, ...left, ...right]);
  (exports.run as (address: number) => void)(0);
  return memory.slice(0, 4);
}

describe('multiplyAddInto', () => {
  // (1 + 2⁻²³)(1 − 2⁻²³) = 1 − 2⁻⁴⁶: rounded to float32 it is 1, so the unfused sum with −1 is 0;
  // the fused one keeps −2⁻⁴⁶. Other lanes: 0.5 + 2 · 3 = 6.5, 1 + (−4) · 0.25 = 0, −2 + 0 · 7 = −2.
  const epsilon = 2 ** -23;
  const accumulator = [-1, 0.5, 1, -2];
  const left = [1 + epsilon, 2, -4, 0];
  const right = [1 - epsilon, 3, 0.25, 7];

  it('adds the product into the accumulator with a multiply and an add (one rounding each)', () => {
    expect(Array.from(multiplyAdd(false, accumulator, left, right))).toEqual([0, 6.5, 0, -2]);
  });

  it('fuses them into relaxed SIMD’s f32x4.relaxed_madd where the runtime has it (Node 20 after enableRelaxedSimd)', () => {
    expect(enableRelaxedSimd()).toBe(true);
    expect(relaxedSimdAvailable()).toBe(true);
    const fused = Array.from(multiplyAdd(true, accumulator, left, right));
    expect(fused.slice(1)).toEqual([6.5, 0, -2]);
    // One rounding where the CPU has FMA (x86-64 with FMA3, ARMv8); relaxed SIMD also allows two.
    expect([-(2 ** -46), 0]).toContain(fused[0]);
  });
});
