/**
 * How long the pthread workers of tfjs's multithreaded wasm binary spin before they sleep.
 *
 * XNNPACK splits an operator over pthreadpool's workers (pthreadpool, Marat Dukhan's thread pool that
 * XNNPACK is built on). A worker that has finished its share waits for the next command by
 * spinning through 1,000,000 atomic loads (`PTHREADPOOL_SPIN_WAIT_ITERATIONS`, about 2 ms here)
 * before it falls back to a futex wait, unless the last command carried
 * `PTHREADPOOL_FLAG_YIELD_WORKERS`, which tfjs never sets. In a training step of many small
 * operations that keeps the second core busy the whole step: measured on LeNet-5 at two threads
 * (three runs interleaved with one-thread runs, before this rewrite), the process used 46–58 ms of
 * CPU per 27–35 ms step, against 29–34 ms per 21–27 ms step on one thread, and
 * tlkit's helper thread, V8's collector and compiler threads got what was left of that core.
 *
 * {@link withWorkerSpin} rewrites the one constant of that loop in the binary's bytes before it is
 * compiled (the workers run the same compiled module). The site is found by its code — the constant
 * followed by the test of the yield flag (`last_flags & 2`) that only the worker's wait has — and
 * must occur exactly once, with the loop counting that constant's local down by 5 after it;
 * otherwise the binary is left as it is. Nothing else changes: a worker that sleeps is woken by the futex the pool already signals.
 * @internal
 */
import { TlkitError } from '../errors';

/** The spin count tfjs's binary is built with (pthreadpool's default). */
export const TFJS_WORKER_SPIN = 1_000_000;

/**
 * tlkit's spin count: about 10 µs of atomic loads (1,000,000 take about 2 ms), about a tfjs
 * operation's own dispatch cost. LeNet-5 at two threads, steps interleaved with one-thread runs:
 * 1,000,000 (tfjs's) 33.6–33.7 ms per step, 50,000 30.5–31.3, 5,000 27.4–28.0, against 26.9–27.2
 * on one thread (docs/backends.md, "Eighth pass").
 */
export const WORKER_SPIN = 5_000;

/** The loop counts down by 5 (five loads per pass), so the count must be a multiple of 5. */
const SPIN_STEP = 5;

/**
 * The worker's wait: `i32.const 1000000; local.set _; local.get _; i32.const 2; i32.and; i32.eqz;
 * if; loop` (null: any local index).
 */
const SITE: readonly (number | null)[] = [0x41, 0xc0, 0x84, 0x3d, 0x21, null, 0x20, null, 0x41, 0x02, 0x71, 0x45, 0x04, 0x40, 0x03, 0x40];

/**
 * The loop's count-down of the counter the site sets (`local.get n; i32.const 5; i32.sub;
 * local.tee n; br_if 0`), within this many bytes after the site.
 */
const stepCode = (counter: number): number[] => [0x20, counter, 0x41, SPIN_STEP, 0x6b, 0x22, counter, 0x0d, 0x00];
const STEP_WITHIN = 160;

function matchesAt(bytes: Uint8Array, at: number, pattern: readonly (number | null)[]): boolean {
  for (let index = 0; index < pattern.length; index++) {
    const expected = pattern[index];
    if (expected !== null && bytes[at + index] !== expected) return false;
  }
  return true;
}

/**
 * Byte offset of the worker's spin-count constant (its `i32.const`) in `binary`, or −1 unless the
 * site occurs exactly once with the loop's step of 5 after it.
 */
export function workerSpinSite(binary: Uint8Array): number {
  let found = -1;
  for (let at = binary.indexOf(SITE[0] as number); at >= 0 && at <= binary.length - SITE.length; at = binary.indexOf(SITE[0] as number, at + 1)) {
    if (!matchesAt(binary, at, SITE)) continue;
    if (found >= 0) return -1;
    found = at;
  }
  if (found < 0) return -1;
  const step = stepCode(binary[found + 5]!);
  const after = binary.subarray(found + SITE.length, found + SITE.length + STEP_WITHIN);
  for (let at = 0; at <= after.length - step.length; at++) if (matchesAt(after, at, step)) return found;
  return -1;
}

/** The spin count at `site` (the constant's three-byte signed LEB128). */
export function readWorkerSpin(binary: Uint8Array, site: number): number {
  return (binary[site + 1]! & 0x7f) | ((binary[site + 2]! & 0x7f) << 7) | ((binary[site + 3]! & 0x7f) << 14);
}

/**
 * A copy of `binary` whose pthread workers spin `iterations` loads before they sleep, or `binary`
 * itself (`patched: false`) when the site is not found exactly once (`site` −1, see
 * {@link workerSpinSite}) or `iterations` is already its count. `iterations`: a multiple of 5 from
 * 5 to 1,000,000.
 */
export function withWorkerSpin(binary: Uint8Array<ArrayBuffer>, iterations: number): { binary: Uint8Array<ArrayBuffer>; patched: boolean; site: number } {
  requireSpin(iterations, 'iterations');
  const site = workerSpinSite(binary);
  if (site < 0 || readWorkerSpin(binary, site) === iterations) return { binary, patched: false, site };
  const copy = new Uint8Array(binary);
  // The same three bytes, padded (continuation bits on the first two): WebAssembly accepts any
  // LEB128 length up to five bytes for an i32, and a value below 2^20 keeps the sign bit clear.
  copy[site + 1] = 0x80 | (iterations & 0x7f);
  copy[site + 2] = 0x80 | ((iterations >> 7) & 0x7f);
  copy[site + 3] = (iterations >> 14) & 0x3f;
  return { binary: copy, patched: true, site };
}

function requireSpin(iterations: number, argument: string): void {
  if (!(Number.isInteger(iterations) && iterations >= SPIN_STEP && iterations <= TFJS_WORKER_SPIN && iterations % SPIN_STEP === 0)) {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `${argument}: expected a multiple of ${SPIN_STEP} from ${SPIN_STEP} to ${TFJS_WORKER_SPIN} (tfjs's own count), got ${String(iterations)}.`,
      { argument },
    );
  }
}

/** The spin count to use: `TLKIT_WASM_WORKER_SPIN` (checked like `iterations`), else {@link WORKER_SPIN}. */
export function resolveWorkerSpin(): number {
  const variable = process.env.TLKIT_WASM_WORKER_SPIN?.trim();
  if (!variable) return WORKER_SPIN;
  const iterations = Number(variable);
  requireSpin(iterations, 'TLKIT_WASM_WORKER_SPIN');
  return iterations;
}
