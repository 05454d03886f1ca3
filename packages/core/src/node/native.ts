import * as tf from '@tensorflow/tfjs';
import {
  activateBackend,
  type BackendCandidate,
  type BackendInfo,
  cpuBackendCandidate,
  type SetupBackendOptions,
  wasmCandidate,
} from '../backend/setup';
import { heapHelperPool, setHeapHelperPool, setPoolWorkersSpin } from '../backend/heap-helpers';
import { backendMemory } from '../backend/wasm-module';
import { startHeapHelperPool } from './heap-helper-pool';
import { enableRelaxedSimd } from './relaxed-simd';
import { registerThreadedWasmBackend, resolveThreadCount, restoreStockWasmBackend, workerWait } from './wasm-threads';
import { resolveWorkerSpin } from './worker-spin';

/** True when an import failed because the package (or its native binding) is not installed. @internal */
export function isMissingModule(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  const message = String((error as Error | null)?.message ?? '');
  return (
    code === 'MODULE_NOT_FOUND' ||
    code === 'ERR_MODULE_NOT_FOUND' ||
    /Cannot find (module|package)/.test(message) ||
    /Could not resolve "/.test(message) ||
    // tfjs-node installed without its libtensorflow download: treat like "not installed".
    /tfjs_binding\.node can not be found/.test(message)
  );
}

function nativeCandidate(name: 'tfjs-node-gpu' | 'tfjs-node'): BackendCandidate {
  // A variable specifier keeps bundlers from resolving an optional peer that is not installed.
  const specifier = `@tensorflow/${name}`;
  return {
    name: 'tensorflow',
    label: specifier,
    native: true,
    async load() {
      try {
        await import(/* @vite-ignore */ specifier);
        return null;
      } catch (error) {
        return isMissingModule(error)
          ? 'not installed'
          : `failed to load (${(error as Error).message.split('\n')[0]})`;
      }
    },
  };
}

/**
 * The wasm candidate in Node: tfjs's wasm package, on `threads` threads through tfjs's
 * multithreaded binary (see wasm-threads.ts), or tfjs's own single-threaded loader for 1 thread
 * or when the threaded binary cannot be used (the report says why).
 */
function nodeWasmCandidate(options: SetupBackendOptions): BackendCandidate {
  const stock = wasmCandidate(options.wasmPaths);
  let threads = 1;
  let note: string | null = null;
  return {
    ...stock,
    async load() {
      const problem = await stock.load();
      if (problem) return problem;
      enableRelaxedSimd();
      const workerSpin = resolveWorkerSpin(); // a bad TLKIT_WASM_WORKER_SPIN fails here, at any thread count
      const wanted = await resolveThreadCount(options.threads);
      threads = 1;
      note = null;
      if (wanted > 1) {
        const threadProblem = await registerThreadedWasmBackend(wanted, workerSpin);
        if (threadProblem) {
          note = `single-threaded: ${threadProblem}`;
        } else {
          // Initialise now, so a threaded binary that cannot start falls back to tfjs's own.
          let started = false;
          try {
            started = await tf.setBackend('wasm');
          } catch {
            started = false;
          }
          if (started) threads = wanted;
          else note = 'single-threaded: the threaded wasm binary did not start';
          if (started && workerWait() === 'unknown') note = "tfjs's pool workers spin as built (their wait was not found in this binary)";
        }
      }
      if (threads === 1) restoreStockWasmBackend();
      return null;
    },
    async ready() {
      // tlkit's own WebAssembly loops run on the calling thread; helper threads take parts of
      // their batches when the threaded binary's memory is shared (heap-helpers.ts).
      // Loops split from 1 ms per part, or 5 ms while tfjs's pool workers spin long after each operator.
      setPoolWorkersSpin(threads > 1 && workerWait() !== 'short');
      const memory = threads > 1 ? backendMemory(tf.backend()) : null;
      const current = heapHelperPool();
      if (memory && current?.memory === memory && current.size === threads - 1) return;
      setHeapHelperPool(null);
      if (!memory) return;
      try {
        setHeapHelperPool(await startHeapHelperPool(memory, threads - 1));
      } catch (error) {
        note = `tlkit's loops single-threaded: ${(error as Error).message}`;
      }
    },
    threads: () => threads,
    note: () => note,
  };
}

/**
 * Node's backend set-up: `@tensorflow/tfjs-node-gpu` if installed (and its CUDA libraries load),
 * else `@tensorflow/tfjs-node`, else wasm, else cpu. Neither native package is a dependency of
 * tlkit (they download libtensorflow at install time); install one yourself to use it.
 * `TLKIT_BACKEND` (`tensorflow`, `wasm`, `cpu`) forces a choice. The choice is reported on stderr.
 *
 * wasm runs on the idle cores (every core on an idle machine, at most 8; `options.threads` or
 * `TLKIT_WASM_THREADS` set the count):
 * tlkit loads tfjs's multithreaded wasm binary, which tfjs itself never uses in Node, and adds its
 * gradient kernels (convolution, depthwise, max-pool, segment-sum) so CNNs train on wasm. On
 * Node 20 it also turns on V8's relaxed SIMD (`--experimental-wasm-relaxed-simd`; on by default
 * from Node 22), so tlkit's WebAssembly loops fuse their multiply-adds; `TLKIT_RELAXED_SIMD=0`
 * keeps them unfused (docs/backends.md).
 *
 * @example
 * ```ts
 * import { setupNodeBackend } from '@tlkit/core/node';
 * await setupNodeBackend(); // "tlkit: tfjs backend 'wasm' — fastest available (skipped ...)"
 * ```
 */
export async function setupNodeBackend(options: SetupBackendOptions = {}): Promise<BackendInfo> {
  return activateBackend([nativeCandidate('tfjs-node-gpu'), nativeCandidate('tfjs-node'), nodeWasmCandidate(options), cpuBackendCandidate()], options);
}
