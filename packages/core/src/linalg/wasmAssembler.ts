/**
 * A minimal WebAssembly assembler for the linalg kernels: LEB128 encoders, the instructions the
 * kernels use, and a module builder (one memory, exported functions). Instruction encodings:
 * WebAssembly Core Specification 2.0, §5.4 (including the 0xFD-prefixed vector instructions);
 * module layout: §5.5.
 * @internal
 */

export const VALUE_I32 = 0x7f;
export const VALUE_F64 = 0x7c;
export const VALUE_V128 = 0x7b;
export const VALUE_F32 = 0x7d;

/** Unsigned LEB128. @internal */
export function unsignedLeb(value: number): number[] {
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

/** Signed LEB128 (32-bit). @internal */
export function signedLeb(value: number): number[] {
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

/** A length-prefixed vector of already-encoded items. @internal */
export function encodeVector(items: number[][]): number[] {
  return [...unsignedLeb(items.length), ...items.flat()];
}

/** A module section: id, byte length, content. @internal */
export function encodeSection(id: number, content: number[]): number[] {
  return [id, ...unsignedLeb(content.length), ...content];
}

/** A UTF-8 (here: ASCII) name. @internal */
export function encodeName(text: string): number[] {
  return [...unsignedLeb(text.length), ...Array.from(text, (character) => character.charCodeAt(0))];
}

/** Instruction builders; each returns the encoded bytes. @internal */
export const op = {
  block: () => [0x02, 0x40],
  loop: () => [0x03, 0x40],
  end: () => [0x0b],
  br: (depth: number) => [0x0c, ...unsignedLeb(depth)],
  brIf: (depth: number) => [0x0d, ...unsignedLeb(depth)],
  call: (index: number) => [0x10, ...unsignedLeb(index)],
  select: () => [0x1b],
  ifVoid: () => [0x04, 0x40],
  localGet: (index: number) => [0x20, ...unsignedLeb(index)],
  localSet: (index: number) => [0x21, ...unsignedLeb(index)],
  localTee: (index: number) => [0x22, ...unsignedLeb(index)],
  i32Const: (value: number) => [0x41, ...signedLeb(value)],
  i32Eqz: () => [0x45],
  i32LtU: () => [0x49],
  i32GeU: () => [0x4f],
  i32Add: () => [0x6a],
  i32Sub: () => [0x6b],
  i32Mul: () => [0x6c],
  i32Shl: () => [0x74],
  f64Load: (offset = 0) => [0x2b, 3, ...unsignedLeb(offset)],
  f64Store: (offset = 0) => [0x39, 3, ...unsignedLeb(offset)],
  f64Const0: () => [0x44, 0, 0, 0, 0, 0, 0, 0, 0],
  f64Add: () => [0xa0],
  f64Sub: () => [0xa1],
  f64Mul: () => [0xa2],
  v128Load: (offset = 0) => [0xfd, ...unsignedLeb(0x00), 3, ...unsignedLeb(offset)],
  v128Store: (offset = 0) => [0xfd, ...unsignedLeb(0x0b), 3, ...unsignedLeb(offset)],
  /** One f32 from memory in all four lanes (one `vbroadcastss` from memory on x86-64 with AVX). */
  v128Load32Splat: (offset = 0) => [0xfd, ...unsignedLeb(0x09), 2, ...unsignedLeb(offset)],
  v128Load64Splat: (offset = 0) => [0xfd, ...unsignedLeb(0x0a), 3, ...unsignedLeb(offset)],
  v128Zero: () => [0xfd, ...unsignedLeb(0x0c), ...new Array<number>(16).fill(0)],
  f64x2Splat: () => [0xfd, ...unsignedLeb(0x14)],
  f64x2ExtractLane: (lane: number) => [0xfd, ...unsignedLeb(0x21), lane],
  f64x2Add: () => [0xfd, ...unsignedLeb(0xf0)],
  f64x2Sub: () => [0xfd, ...unsignedLeb(0xf1)],
  f64x2Mul: () => [0xfd, ...unsignedLeb(0xf2)],
  i32GtS: () => [0x4a],
  i32And: () => [0x71],
  i32ShrU: () => [0x76],
  f32Load: (offset = 0) => [0x2a, 2, ...unsignedLeb(offset)],
  f32Store: (offset = 0) => [0x38, 2, ...unsignedLeb(offset)],
  f32Sqrt: () => [0x91],
  f32Add: () => [0x92],
  f32Sub: () => [0x93],
  f32Mul: () => [0x94],
  f32Div: () => [0x95],
  f32x4Splat: () => [0xfd, ...unsignedLeb(0x13)],
  f32x4Eq: () => [0xfd, ...unsignedLeb(0x41)],
  f32x4Ne: () => [0xfd, ...unsignedLeb(0x42)],
  f32x4Gt: () => [0xfd, ...unsignedLeb(0x44)],
  v128And: () => [0xfd, ...unsignedLeb(0x4e)],
  v128AndNot: () => [0xfd, ...unsignedLeb(0x4f)],
  v128Or: () => [0xfd, ...unsignedLeb(0x50)],
  /** Four equal f32 lanes as a constant. */
  f32x4Const: (value: number) => [0xfd, ...unsignedLeb(0x0c), ...Array.from({ length: 4 }, () => [...new Uint8Array(new Float32Array([value]).buffer)]).flat()],
  f32x4Sqrt: () => [0xfd, ...unsignedLeb(0xe3)],
  f32x4Add: () => [0xfd, ...unsignedLeb(0xe4)],
  f32x4Sub: () => [0xfd, ...unsignedLeb(0xe5)],
  f32x4Mul: () => [0xfd, ...unsignedLeb(0xe6)],
  f32x4Div: () => [0xfd, ...unsignedLeb(0xe7)],
  /** Relaxed SIMD's `f32x4.relaxed_madd` (a · b + c; one rounding where the CPU has FMA). */
  f32x4RelaxedMultiplyAdd: () => [0xfd, ...unsignedLeb(0x105)],
};

/**
 * `accumulator += left · right` on four f32 lanes (`left` and `right` push one v128 each): one
 * `f32x4.relaxed_madd` when `fused` (WebAssembly relaxed SIMD, §"Relaxed multiply-add" of its
 * proposal: a · b + c, fused into one FMA instruction on CPUs that have it), else `f32x4.mul` then
 * `f32x4.add`. Fused sums differ from unfused ones by rounding only (one rounding per step
 * instead of two). @internal
 */
export function multiplyAddInto(accumulator: number, left: readonly number[], right: readonly number[], fused: boolean): number[] {
  return fused
    ? [...left, ...right, ...op.localGet(accumulator), ...op.f32x4RelaxedMultiplyAdd(), ...op.localSet(accumulator)]
    : [...op.localGet(accumulator), ...left, ...right, ...op.f32x4Mul(), ...op.f32x4Add(), ...op.localSet(accumulator)];
}

/** A module with one function (v128, v128, v128) → v128 running `f32x4.relaxed_madd`. */
const RELAXED_SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b,
  0x03, 0x02, 0x01, 0x00,
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b,
]);

/**
 * Whether tlkit's f32 loops are assembled with `f32x4.relaxed_madd`: the runtime validates relaxed
 * SIMD (Chrome ≥ 114, Node ≥ 22; Node 20 after `setupNodeBackend` turns on V8's flag) and
 * `TLKIT_RELAXED_SIMD` is not `0`. Asked at each assembly (not cached), so a flag turned on later
 * counts for the loops assembled after it. @internal
 */
export function relaxedSimdAvailable(): boolean {
  const processLike = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  if (processLike?.env?.TLKIT_RELAXED_SIMD?.trim() === '0') return false;
  const wasm = (globalThis as { WebAssembly?: typeof WebAssembly }).WebAssembly;
  try {
    return wasm ? wasm.validate(RELAXED_SIMD_PROBE) : false;
  } catch {
    return false;
  }
}

/**
 * `while (counter < limit) { body; counter += step }` with an unsigned compare, from the counter's
 * current value (set it first); `limit` is the instructions that push the bound, `step` a constant
 * or the instructions that push it (e.g. a local's value). @internal
 */
export function loopWhileBelow(counter: number, limit: readonly number[], step: number | readonly number[], body: readonly number[]): number[] {
  return [
    ...op.block(),
    ...op.loop(),
    ...op.localGet(counter),
    ...limit,
    ...op.i32GeU(),
    ...op.brIf(1),
    ...body,
    ...op.localGet(counter),
    ...(typeof step === 'number' ? op.i32Const(step) : step),
    ...op.i32Add(),
    ...op.localSet(counter),
    ...op.br(0),
    ...op.end(),
    ...op.end(),
  ];
}

/** `for (counter = 0; counter < limit; counter += step) body` ({@link loopWhileBelow} from 0). @internal */
export function loopFromZero(counter: number, limit: readonly number[], step: number | readonly number[], body: readonly number[]): number[] {
  return [...op.i32Const(0), ...op.localSet(counter), ...loopWhileBelow(counter, limit, step, body)];
}

/** One exported function: parameter and result types, extra locals, body (without the final `end`). */
export interface AssembledFunction {
  readonly name: string;
  readonly parameters: readonly number[];
  readonly results: readonly number[];
  /** Runs of extra locals: `[count, type]`. */
  readonly locals: readonly (readonly [number, number])[];
  readonly body: readonly number[];
}

/** An imported memory, `env.memory` (e.g. another module's heap); `shared` for a threaded one (at most 65536 pages). */
export interface ImportedMemory {
  readonly shared: boolean;
}

/**
 * The bytes of a module with the functions and one memory: its own (`memoryPages` x 64 KiB,
 * exported as `memory`), or an imported `env.memory` (not exported). @internal
 */
export function assembleModule(memory: number | ImportedMemory, functions: readonly AssembledFunction[]): Uint8Array<ArrayBuffer> {
  const types = functions.map((fn) => [0x60, ...encodeVector(fn.parameters.map((type) => [type])), ...encodeVector(fn.results.map((type) => [type]))]);
  const codes = functions.map((fn) => {
    const code = [...encodeVector(fn.locals.map(([count, type]) => [...unsignedLeb(count), type])), ...fn.body, 0x0b];
    return [...unsignedLeb(code.length), ...code];
  });
  const ownMemory = typeof memory === 'number';
  const exports = [
    ...functions.map((fn, index) => [...encodeName(fn.name), 0x00, ...unsignedLeb(index)]),
    ...(ownMemory ? [[...encodeName('memory'), 0x02, 0]] : []),
  ];
  // Memory limits (§5.3.7): 0x00 min, or 0x03 min max for a shared memory.
  const importedLimits = !ownMemory && memory.shared ? [0x03, 0, ...unsignedLeb(65536)] : [0x00, 0];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...encodeSection(1, encodeVector(types)),
    ...(ownMemory ? [] : encodeSection(2, encodeVector([[...encodeName('env'), ...encodeName('memory'), 0x02, ...importedLimits]]))),
    ...encodeSection(3, encodeVector(functions.map((_, index) => unsignedLeb(index)))),
    ...(ownMemory ? encodeSection(5, encodeVector([[0x00, ...unsignedLeb(memory)]])) : []),
    ...encodeSection(7, encodeVector(exports)),
    ...encodeSection(10, encodeVector(codes)),
  ]);
}

/** `WebAssembly` if this runtime has it and validates SIMD modules, else null. @internal */
export function webAssemblyWithSimd(probe: Uint8Array<ArrayBuffer>): typeof WebAssembly | null {
  const wasm = (globalThis as { WebAssembly?: typeof WebAssembly }).WebAssembly;
  if (!wasm) return null;
  try {
    return wasm.validate(probe) ? wasm : null;
  } catch {
    return null;
  }
}
