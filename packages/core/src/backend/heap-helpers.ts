/**
 * Helper threads for tlkit's WebAssembly loops (`wasm-module.ts`). tfjs's threaded wasm binary
 * spreads XNNPACK's kernels over its own pthreads, but the loops tlkit adds run on the calling
 * thread. When the backend's memory is a shared `WebAssembly.Memory`, a helper thread can
 * instantiate the same module on the same memory and run one part of a call (e.g. half of the
 * batch) while the calling thread runs the other: no copies, the parts write disjoint memory.
 *
 * This file holds what every runtime shares: the registry of the active pool and `runInParts`,
 * which the kernels call. The pool itself is runtime-specific (`@tlkit/core/node` starts one in
 * `setupNodeBackend`; in a browser the calling thread may not block, so none is started there and
 * the loops run as before).
 */

/**
 * A job for a helper thread: call export `name` of `module` (instantiated on `memory`) with `args`;
 * or, with `shared`, with each entry of that list the helper claims from the pool's counter (see
 * {@link HeapHelperPool.share}).
 */
export interface HeapJob {
  readonly module: WebAssembly.Module;
  readonly name: string;
  readonly args: readonly number[];
  readonly shared?: readonly (readonly number[])[];
}

/** Threads that run jobs on one shared backend memory. @internal */
export interface HeapHelperPool {
  /** The memory the helpers' instances use. */
  readonly memory: WebAssembly.Memory;
  /** Number of helper threads. */
  readonly size: number;
  /**
   * Starts `jobs` (at most `size`, one per helper), runs `own` on this thread, and returns once
   * every job is done. Throws when a job failed or a helper did not answer.
   */
  run(jobs: readonly HeapJob[], own: () => void): void;
  /**
   * Runs export `name` of `module` once for every entry of `parts`: this thread (through `own`,
   * given the entry's index) and up to `size` helpers each take the next unclaimed entry until none
   * is left, so a helper that starts late or runs slowly takes fewer. Returns once all are done.
   */
  share(module: WebAssembly.Module, name: string, parts: readonly (readonly number[])[], own: (index: number) => void): void;
  /** Ends the helper threads. */
  close(): void;
}

let activePool: HeapHelperPool | null = null;

/** Sets (or, with null, clears and closes) the pool the kernels use. @internal */
export function setHeapHelperPool(pool: HeapHelperPool | null): void {
  if (activePool && activePool !== pool) activePool.close();
  activePool = pool;
}

/** Clears the registry if `pool` is the active pool (a pool that closed itself). @internal */
export function forgetHeapHelperPool(pool: HeapHelperPool): void {
  if (activePool === pool) activePool = null;
}

/** The pool the kernels use, or null. @internal */
export function heapHelperPool(): HeapHelperPool | null {
  return activePool;
}

/** Where a function exported by a tlkit module comes from, so a helper can run the same code. */
const sources = new WeakMap<object, { module: WebAssembly.Module; name: string; memory: WebAssembly.Memory }>();

/** Records that `fn` is export `name` of `module` instantiated on `memory`. @internal */
export function recordSource(fn: unknown, module: WebAssembly.Module, name: string, memory: WebAssembly.Memory): void {
  if (typeof fn === 'function') sources.set(fn, { module, name, memory });
}

/** The pool that can run `fn` (its module was instantiated on the pool's memory), or null. */
function poolFor(fn: object): HeapHelperPool | null {
  const source = sources.get(fn);
  return activePool && source && source.memory === activePool.memory ? activePool : null;
}

/**
 * Estimated single-thread cost of the loops' units of work on the 2-core development machine
 * (docs/backends.md): a multiply-add of the SIMD convolution loops about 0.3 ns (small-CNN's
 * second-layer filter gradient: 680 M in 174–238 ms), an element of the 2 × 2 max-pool gradient
 * about 5 ns (2.4 M in 12–15 ms).
 */
export const NANOSECONDS_PER = { multiplyAdd: 0.3, poolElement: 5 } as const;

/**
 * Estimated time (ns) below which a part is not worth a hand-off: 1 ms. Waking a helper and
 * collecting it costs about 50 µs. While tfjs's pthread spun on the other core for about 2 ms
 * after every XNNPACK kernel, LeNet-5's 2–6 ms loops got slower when split (a 2 ms loop split in
 * two right after a matMul took 2.1 ms, against 1.1 ms without the matMul) and the threshold was
 * 5 ms. With the workers spinning 5,000 loads instead (node/worker-spin.ts), 1 ms per part made
 * LeNet-5's steps at two threads 15.9–17.0 → 14.8–15.2 ms, small-CNN's 95.8–99.1 → 92.5–93.2 and
 * ResNet-18 width 16's 582.6–589.3 → 554.1–557.4 (interleaved runs; 0.5 ms was no better).
 */
export const MIN_NANOSECONDS_PER_PART = 1e6;

let minNanosecondsPerPart = MIN_NANOSECONDS_PER_PART;

/**
 * The threshold while tfjs's pool workers spin their built-in count after every operator (the
 * worker-spin rewrite not applied: `TLKIT_WASM_WORKER_SPIN` long, or a binary it does not know):
 * the 5 ms per part measured then.
 */
export const SPINNING_POOL_NANOSECONDS_PER_PART = 5e6;

let poolWorkersSpin = false;

/** Tells {@link parallelParts} whether tfjs's pool workers spin long after each operator. @internal */
export function setPoolWorkersSpin(spinning: boolean): void {
  poolWorkersSpin = spinning;
}

/** Sets the hand-off threshold (tests split small calls with 0); returns the previous value. @internal */
export function setMinNanosecondsPerPart(nanoseconds: number): number {
  const previous = minNanosecondsPerPart;
  minNanosecondsPerPart = nanoseconds;
  return previous;
}

/**
 * How many parts a call of `fn` estimated to take `nanoseconds` on one thread should run in: 1 +
 * the helper threads when `fn` is a tlkit loop on the pool's memory and every part gets at least
 * {@link MIN_NANOSECONDS_PER_PART} ({@link SPINNING_POOL_NANOSECONDS_PER_PART} while tfjs's pool
 * workers spin long), fewer when the call is shorter, else 1. @internal
 */
export function parallelParts(fn: object, nanoseconds: number): number {
  const threads = 1 + (poolFor(fn)?.size ?? 0);
  if (minNanosecondsPerPart <= 0) return threads;
  const threshold = poolWorkersSpin ? Math.max(minNanosecondsPerPart, SPINNING_POOL_NANOSECONDS_PER_PART) : minNanosecondsPerPart;
  const worth = Math.min(threads, Math.floor(nanoseconds / threshold));
  return worth <= 1 ? 1 : worth * PARTS_PER_THREAD;
}

/**
 * Parts per thread of a split call: the threads claim them one at a time
 * ({@link HeapHelperPool.share}), so a helper that wakes late or runs on a busier core takes fewer
 * instead of holding up the call.
 */
export const PARTS_PER_THREAD = 4;

/**
 * Calls `fn(...args)` once for every entry of `parts`: shared between this thread and the helper
 * threads when a pool can run `fn` (each takes the next unclaimed entry, {@link HeapHelperPool.share}),
 * else one after another here. The parts must write disjoint memory; which thread ran a part does
 * not change any result (partial sums are kept per part and added in part order). @internal
 */
export function runInParts(fn: (...args: number[]) => void, parts: readonly (readonly number[])[]): void {
  if (parts.length === 0) return;
  const pool = parts.length > 1 ? poolFor(fn) : null;
  if (!pool) {
    for (const args of parts) fn(...args);
    return;
  }
  const { module, name } = sources.get(fn)!;
  pool.share(module, name, parts, (index) => fn(...parts[index]!));
}

/**
 * Splits `count` items (e.g. the images of a batch) into at most `parts` contiguous ranges of
 * near-equal size: `[start, size]` pairs, none empty (for count 0, the one range `[0, 0]`). @internal
 */
export function splitRange(count: number, parts: number): [number, number][] {
  const used = Math.max(1, Math.min(parts, count));
  const ranges: [number, number][] = [];
  let start = 0;
  for (let part = 0; part < used; part++) {
    const size = Math.floor(count / used) + (part < count % used ? 1 : 0);
    ranges.push([start, size]);
    start += size;
  }
  return ranges;
}
