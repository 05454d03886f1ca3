/**
 * tfjs's multithreaded wasm binary (`tfjs-backend-wasm-threaded-simd.wasm`, XNNPACK on a
 * pthreadpool) in Node. tfjs 4.22 never uses it there: its `WASM_HAS_MULTITHREAD_SUPPORT` flag is
 * hard-wired to false under Node, its loader hands the pthread workers a `blob:` URL (Node's
 * `worker_threads` cannot load one), and its C++ side caps the pool at half the logical cores
 * (1 on a 2-core machine). Emscripten's own Node support for pthreads works, so this module loads
 * the same binary with its own Emscripten configuration:
 *
 * - the pthread worker script is the one tfjs ships, written once to a file in the OS temporary
 *   folder (Node workers need a file);
 * - workers load the threaded factory from its file in the installed package;
 * - the core count the binary sees (`emscripten_num_logical_cores`) is 2 × the requested threads,
 *   so the pool gets exactly the requested size;
 * - the pool's workers are unref'd, so an idle pool does not keep the process alive.
 * - the pool's workers spin 5,000 loads, not 1,000,000, before they sleep after an operation
 *   (worker-spin.ts; `TLKIT_WASM_WORKER_SPIN` sets the count).
 *
 * The kernels stay tfjs's own (the backend object is tfjs's `BackendWasm`), so every kernel
 * registered for `'wasm'` — tfjs's and tlkit's — runs unchanged; XNNPACK splits convolutions,
 * matrix products and its element-wise operators over the pool.
 * @internal
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { TlkitError } from '../errors';
import { withWorkerSpin, WORKER_SPIN } from './worker-spin';

/** The Emscripten module of the threaded binary, as far as tlkit touches it. */
interface ThreadedModule {
  cwrap(name: string, returnType: string | null, argumentTypes: string[]): (...args: number[]) => number;
  PThread?: { runningWorkers: { unref(): void }[]; unusedWorkers: { unref(): void }[] };
  tfjs?: Record<string, unknown>;
}

type ModuleFactory = (config: Record<string, unknown>) => Promise<ThreadedModule>;

/** Where this file lives (ESM and CJS builds). */
function hereUrl(): string {
  // eslint-disable-next-line no-undef
  if (typeof __filename === 'string') return pathToFileURL(__filename).href;
  return import.meta.url;
}

/**
 * Cores the load average leaves idle: cores − (1-minute load average − 1), counting this process
 * as one of the runnable ones, at least 1 — GNU OpenMP's dynamic thread count (`OMP_DYNAMIC`)
 * reads the load average the same way. Where other processes keep the cores busy, XNNPACK's
 * per-operation thread hand-offs wait for descheduled threads, and one thread is faster (measured
 * here: LeNet-5 training at load average 4 on 2 cores ran at 670 samples/s on one thread and 365
 * on two). The average trails the machine by about a minute, so {@link defaultThreadCount} takes
 * it as the first look only.
 * @internal
 */
export function idleCoreCount(cores = availableParallelism(), loadAverage = loadavg()[0]): number {
  return Math.max(1, Math.min(cores, Math.round(cores - Math.max(0, loadAverage - 1))));
}

/** The per-core counters of `os.cpus()` that {@link idleCoresBetween} reads (milliseconds). */
export interface CpuSample {
  readonly times: { readonly user: number; readonly nice: number; readonly sys: number; readonly idle: number; readonly irq: number };
}

/**
 * Cores other processes leave idle between two `os.cpus()` samples taken `elapsedMs` apart: the
 * listed CPUs' idle time, plus `ownBusyMs` (the CPU time this process's own threads used meanwhile:
 * its collector, helper threads finishing), over their wall time (so time stolen by a hypervisor,
 * which `os.cpus()` does not count, is not taken for idle), times `cores` (the CPUs this process
 * may use, which a container can make fewer than those listed). Null when the samples cannot say
 * (no CPUs, a different count, no time passed).
 * @internal
 */
export function idleCoresBetween(before: readonly CpuSample[], after: readonly CpuSample[], cores: number, elapsedMs: number, ownBusyMs = 0): number | null {
  if (before.length === 0 || before.length !== after.length || !(elapsedMs > 0)) return null;
  let idle = Math.max(0, ownBusyMs);
  before.forEach((first, index) => {
    idle += Math.max(0, after[index]!.times.idle - first.times.idle);
  });
  return cores * Math.min(1, idle / (elapsedMs * before.length));
}

/** How long {@link defaultThreadCount} watches the CPUs when the load average says they are busy. */
export const IDLE_SAMPLE_MS = 200;

/** Cores other processes leave idle over the next `milliseconds` (this thread sleeps meanwhile), or null (see {@link idleCoresBetween}). @internal */
export async function sampleIdleCores(milliseconds = IDLE_SAMPLE_MS, cores = availableParallelism()): Promise<number | null> {
  const before = cpus();
  const own = process.cpuUsage();
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, milliseconds));
  const after = cpus();
  const used = process.cpuUsage(own);
  return idleCoresBetween(before, after, cores, performance.now() - started, (used.user + used.system) / 1000);
}

/**
 * Threads for a default set-up: every core (at most 8) when the load average says the machine is
 * idle ({@link idleCoreCount}); else the cores that are idle now, watched for
 * {@link IDLE_SAMPLE_MS}: a core counts when at least three quarters of it is idle (at least 1
 * thread), so a machine that has just finished a build — load average 4–5 for a minute after it,
 * cores idle — still gets them, and one whose second core is half busy does not; the load
 * average's count where the CPUs cannot be watched. On this 2-core machine LeNet-5 and small-CNN
 * train faster on two threads than on one since the worker spin was shortened (`pnpm bench` at
 * 07:49 UTC on 2026-11-23: 5,878 against 5,086 and 794 against 485 samples/s).
 * Limits: the load average is not read on Windows (always 0 there, so every core is used); in a
 * container the watch sees the host's CPUs and scales their idle share to the cores this process
 * may use.
 * @internal
 */
export async function defaultThreadCount(
  cores = availableParallelism(),
  loadAverage = loadavg()[0],
  sample: (cores: number) => Promise<number | null> = (count) => sampleIdleCores(IDLE_SAMPLE_MS, count),
): Promise<number> {
  const byLoad = idleCoreCount(cores, loadAverage);
  if (byLoad >= Math.min(cores, 8)) return byLoad;
  const idle = await sample(cores);
  return idle === null ? byLoad : Math.max(1, Math.min(cores, Math.floor(idle + 0.25)));
}

/**
 * The threads to use: `requested`, else TLKIT_WASM_THREADS, else {@link defaultThreadCount}; at
 * most 8 (the pthread workers tfjs's binary preallocates). @internal
 */
export async function resolveThreadCount(requested?: number, idleCores: () => Promise<number> = () => defaultThreadCount()): Promise<number> {
  const variable = process.env.TLKIT_WASM_THREADS?.trim();
  if (requested === undefined && variable) {
    const fromEnvironment = Number(variable);
    if (!(Number.isInteger(fromEnvironment) && fromEnvironment >= 1)) {
      throw new TlkitError('INVALID_ARGUMENT', `TLKIT_WASM_THREADS: expected a whole number of threads ≥ 1, got '${variable}'; unset it to use every core.`, {
        argument: 'TLKIT_WASM_THREADS',
      });
    }
    requested = fromEnvironment;
  }
  // tfjs's binary preallocates 8 pthread workers; more would be created on demand, blocking.
  return Math.min(8, requested ?? (await idleCores()));
}

let activeThreads = 0;
/** The worker spin count asked for the binary tlkit registered. */
let activeWorkerSpin = 0;
/** How that binary's pool workers wait: 'short' (rewritten), 'built' (tfjs's count was asked for), 'unknown' (the wait was not found). */
let activeWorkerWait: 'short' | 'built' | 'unknown' = 'built';

/** Spin counts up to this leave the other cores free between operators (about 0.1 ms). */
const SHORT_WORKER_SPIN = 50_000;

/**
 * How the pool workers of the threaded binary tlkit registered wait after an operator: `'short'`
 * (rewritten to at most 50,000 loads), `'built'` (tfjs's count, or a long one, asked for) or
 * `'unknown'` (the binary's wait was not found: tfjs's count). @internal
 */
export function workerWait(): 'short' | 'built' | 'unknown' {
  return activeWorkerWait;
}
/** tfjs's own wasm backend factory, kept to restore it for single-threaded use. */
let stockFactory: (() => tf.KernelBackend | Promise<tf.KernelBackend>) | null = null;

/** Threads of the wasm backend tlkit registered (0 when tfjs's own loader is in use). @internal */
export function wasmThreadCount(): number {
  return activeThreads;
}

function workerScriptPath(contents: string): string {
  const digest = createHash('sha256').update(contents).digest('hex').slice(0, 16);
  const folder = join(tmpdir(), 'tlkit');
  const path = join(folder, `tfjs-wasm-pthread-${digest}.cjs`);
  if (!existsSync(path) || readFileSync(path, 'utf8') !== contents) {
    mkdirSync(folder, { recursive: true });
    const partial = `${path}.${process.pid}.partial`;
    writeFileSync(partial, contents);
    renameSync(partial, path);
  }
  return path;
}

/**
 * Registers tfjs's `'wasm'` backend anew, backed by the threaded binary with `threads` threads
 * (1 = the same binary on the calling thread only). Replaces (and disposes) a wasm backend that is
 * already initialised with a different thread count (or worker spin count: `workerSpin` loads, see
 * worker-spin.ts). Returns a reason string when threads cannot be used here (then nothing changed);
 * throws a `TlkitError` for an invalid `workerSpin`.
 * @internal
 */
export async function registerThreadedWasmBackend(threads: number, workerSpin = WORKER_SPIN): Promise<string | null> {
  if (activeThreads === threads && activeWorkerSpin === workerSpin && tf.findBackend('wasm')) return null;
  let wasmPackage: typeof import('@tensorflow/tfjs-backend-wasm');
  let factory: ModuleFactory;
  let packageDirectory: string;
  let workerContents: string;
  try {
    wasmPackage = (await import('@tensorflow/tfjs-backend-wasm')) as typeof import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(hereUrl());
    packageDirectory = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    factory = require(join(packageDirectory, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js')) as ModuleFactory;
    const worker = require(join(packageDirectory, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
    // tfjs ships the worker as a JS string whose "\n" escapes became real newlines; restore them.
    workerContents = worker.wasmWorkerContents.replace(/\n/g, '\\n');
  } catch (error) {
    return `the threaded wasm binary could not be found (${(error as Error).message.split('\n')[0]})`;
  }
  const wasmFile = join(packageDirectory, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.wasm');
  const mainScript = join(packageDirectory, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  let workerFile: string;
  try {
    workerFile = workerScriptPath(workerContents);
  } catch (error) {
    return `the pthread worker script could not be written to ${tmpdir()} (${(error as Error).message.split('\n')[0]})`;
  }
  // Workers that sleep soon after an operation leave the other cores to tlkit's helpers (worker-spin.ts).
  const { binary, patched, site } = withWorkerSpin(readFileSync(wasmFile), workerSpin);
  const wait = site < 0 ? 'unknown' : patched && workerSpin <= SHORT_WORKER_SPIN ? 'short' : 'built';

  const initialise = async () => {
    const module = await factory({
      locateFile: (path: string, prefix: string) => {
        if (path.endsWith('.worker.js')) return workerFile;
        if (path.endsWith('.wasm')) return wasmFile;
        return prefix + path;
      },
      mainScriptUrlOrBlob: mainScript,
      // Instantiate ourselves to tell the binary how many cores to size its pool for.
      instantiateWasm: (
        imports: { env: Record<string, unknown> },
        receiveInstance: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
      ) => {
        const env = { ...imports.env, emscripten_num_logical_cores: () => 2 * threads };
        void WebAssembly.instantiate(binary, { ...imports, env }).then(({ instance, module }) => receiveInstance(instance, module));
        return {};
      },
    });
    module.tfjs = {
      init: module.cwrap('init', null, []),
      initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
      getThreadsCount: module.cwrap('get_threads_count', 'number', []),
      registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
      disposeData: module.cwrap('dispose_data', null, ['number']),
      dispose: module.cwrap('dispose', null, []),
    };
    wasmPackage.setThreadsCount(threads);
    const backend = new wasmPackage.BackendWasm(module as unknown as ConstructorParameters<typeof wasmPackage.BackendWasm>[0]);
    for (const worker of [...(module.PThread?.runningWorkers ?? []), ...(module.PThread?.unusedWorkers ?? [])]) worker.unref();
    return backend;
  };

  // findBackendFactory returns undefined for a name nobody registered (its typing says otherwise).
  const current = tf.findBackendFactory('wasm') as ReturnType<typeof tf.findBackendFactory> | undefined;
  if (activeThreads === 0 && current !== undefined) stockFactory = current;
  if (current !== undefined) tf.removeBackend('wasm');
  tf.registerBackend('wasm', initialise, 2);
  activeThreads = threads;
  activeWorkerSpin = workerSpin;
  activeWorkerWait = wait;
  return null;
}

/** Puts tfjs's own (single-threaded) wasm backend back if tlkit replaced it. @internal */
export function restoreStockWasmBackend(): void {
  if (activeThreads === 0 || !stockFactory) return;
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', stockFactory, 2);
  activeThreads = 0;
}
