import * as tf from '@tensorflow/tfjs';
import { setHeapHelperPool } from './heap-helpers';
import { TlkitError } from '../errors';
import { registerWasmKernels } from './wasm-kernels';

/** What {@link setupBackend} chose, and why. */
export interface BackendInfo {
  /** The tfjs backend now active (`'tensorflow'` is tfjs-node's native backend). */
  readonly name: string;
  /** The backend that was asked for (`'auto'` unless TLKIT_BACKEND or `backend` named one). */
  readonly requested: string;
  /** True for a native TensorFlow backend (tfjs-node / tfjs-node-gpu). */
  readonly native: boolean;
  /** One line saying why this backend was picked. */
  readonly reason: string;
  /** Threads the backend computes on (wasm with tfjs's threaded binary: the pool size; else 1). */
  readonly threads: number;
}

/** Options of {@link setupBackend}. */
export interface SetupBackendOptions {
  /**
   * The backend to use: `'auto'` (default: the fastest available), or a tfjs backend name
   * (`'wasm'`, `'cpu'`, `'webgl'`, `'tensorflow'`). The `TLKIT_BACKEND` environment variable, when
   * set, overrides `'auto'`.
   */
  readonly backend?: string;
  /**
   * Where the browser fetches tfjs's wasm binaries (`tfjs-backend-wasm.wasm`, `-simd.wasm`,
   * `-threaded-simd.wasm`, from `node_modules/@tensorflow/tfjs-backend-wasm/dist/`): a folder (URL
   * or path ending in `/`) you serve them from, or a map from each file name to its URL (what a
   * bundler's `?url` imports give). Passed to tfjs's `setWasmPaths`. Without it tfjs looks next to
   * the page, which a bundled app usually does not serve (see docs/browser.md).
   */
  readonly wasmPaths?: string | Readonly<Record<string, string>>;
  /**
   * Threads of the wasm backend. In Node (`setupNodeBackend`) tlkit loads tfjs's multithreaded
   * wasm binary itself; the default is the cores other processes leave idle (every core on an idle
   * machine, judged from the load average; at most 8), and `TLKIT_WASM_THREADS` overrides it. In a
   * browser the value goes to tfjs's `setThreadsCount` (threads need a cross-origin isolated
   * page). `1` keeps tfjs's single-threaded binary. With more than one thread in Node, tlkit's
   * own loops also split large batches over helper threads, so filter gradients can differ from a
   * one-thread run in the last bits; pin the count when results must be bit-identical across
   * machines or loads.
   */
  readonly threads?: number;
  /**
   * Where the one-line report goes; `false` for silence. Default: `console.error` (stderr) where
   * there is a `process` (Node), `console.info` in a browser.
   */
  readonly log?: ((line: string) => void) | false;
}

/** A step of backend set-up that can fail softly. @internal */
export interface BackendCandidate {
  readonly name: string;
  /** What the report calls it (a package name for native backends). */
  readonly label: string;
  readonly native: boolean;
  /** Loads the backend's package; returns a reason string when it is not available. */
  load(): Promise<string | null>;
  /** Threads the backend will compute on, known after `load` (default 1). */
  threads?(): number;
  /** A note for the report (e.g. why threads were not used), known after `load` and `ready`. */
  note?(): string | null;
  /** Work once this candidate's backend is active and tlkit's kernels are registered. */
  ready?(): Promise<void>;
}

/** Reads `TLKIT_BACKEND` where an environment exists (Node); undefined in browsers. @internal */
export function environmentBackend(): string | undefined {
  const processLike = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const value = processLike?.env?.TLKIT_BACKEND?.trim();
  return value ? value : undefined;
}

/** Hooks run after a backend is active (e.g. tlkit's extra wasm kernels). @internal */
const afterSetup: ((backend: string) => void | Promise<void>)[] = [];

/** Registers work to run after every successful {@link setupBackend} (e.g. extra kernels). @internal */
export function onBackendReady(hook: (backend: string) => void | Promise<void>): void {
  if (!afterSetup.includes(hook)) afterSetup.push(hook);
}

/** The wasm candidate: loads @tensorflow/tfjs-backend-wasm (an optional peer). @internal */
export function wasmCandidate(wasmPaths?: string | Readonly<Record<string, string>>, threads?: number): BackendCandidate {
  let loaded: typeof import('@tensorflow/tfjs-backend-wasm') | null = null;
  return {
    name: 'wasm',
    label: 'wasm',
    native: false,
    async load() {
      try {
        const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as typeof import('@tensorflow/tfjs-backend-wasm');
        loaded = wasm;
        if (wasmPaths) wasm.setWasmPaths(wasmPaths as Parameters<typeof wasm.setWasmPaths>[0]);
        if (threads !== undefined) wasm.setThreadsCount(threads);
        return null;
      } catch (error) {
        return `@tensorflow/tfjs-backend-wasm could not be loaded (${(error as Error).message.split('\n')[0]})`;
      }
    },
    // The pool tfjs actually made (a browser caps it at half the logical cores; the
    // single-threaded binary has 1), read once the backend is ready.
    threads() {
      try {
        return Math.max(1, loaded?.getThreadsCount() ?? 1);
      } catch {
        return 1;
      }
    },
  };
}

const cpuCandidate: BackendCandidate = { name: 'cpu', label: 'cpu', native: false, load: async () => null };
const webglCandidate: BackendCandidate = {
  name: 'webgl',
  label: 'webgl',
  native: false,
  load: async () => (typeof document === 'undefined' ? 'webgl needs a browser' : null),
};

/**
 * Activates the given candidates in order and returns the first that works. @internal
 * (`@tlkit/core/node` prepends the native candidates.)
 */
export async function activateBackend(candidates: readonly BackendCandidate[], options: SetupBackendOptions): Promise<BackendInfo> {
  if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1)) {
    throw new TlkitError('INVALID_ARGUMENT', `threads: expected a whole number of threads ≥ 1, got ${options.threads}.`, { argument: 'threads' });
  }
  const requested = options.backend && options.backend !== 'auto' ? options.backend : (environmentBackend() ?? 'auto');
  const log = options.log === false ? () => {} : (options.log ?? defaultLog());
  const skipped: string[] = [];
  const pool = requested === 'auto' ? candidates : candidates.filter((candidate) => candidate.name === requested);
  if (pool.length === 0) {
    throw new TlkitError(
      'BACKEND_UNAVAILABLE',
      `backend '${requested}' (from ${options.backend ? 'the backend option' : 'TLKIT_BACKEND'}) is not one tlkit can set up here; use one of: auto, ${[...new Set(candidates.map((candidate) => candidate.name))].join(', ')}.`,
      { requested },
    );
  }
  for (const candidate of pool) {
    const problem = await candidate.load();
    if (problem) {
      skipped.push(`${candidate.label}: ${problem}`);
      continue;
    }
    let active = false;
    try {
      active = await tf.setBackend(candidate.name);
      await tf.ready();
    } catch (error) {
      skipped.push(`${candidate.label}: ${(error as Error).message.split('\n')[0]}`);
      continue;
    }
    if (!active || tf.getBackend() !== candidate.name) {
      // In a browser the usual cause is a .wasm file the page does not serve (an HTTP 404 in the
      // network panel): tfjs only reports false.
      const hint =
        candidate.name === 'wasm' && isBrowser()
          ? `; the page probably could not fetch tfjs's .wasm binaries: serve them and pass wasmPaths (${options.wasmPaths ? `now ${JSON.stringify(options.wasmPaths)}` : 'not set'}; docs/browser.md)`
          : '';
      skipped.push(`${candidate.label}: tf.setBackend returned false${hint}`);
      continue;
    }
    // tlkit's gradient kernels for wasm: registered once the backend is active, never at import.
    if (candidate.name === 'wasm') registerWasmKernels();
    // Helper threads belong to the backend whose candidate started them (Node's threaded wasm).
    if (candidate.ready) await candidate.ready();
    else setHeapHelperPool(null);
    for (const hook of afterSetup) await hook(candidate.name);
    const note = candidate.note?.();
    const reason =
      (requested === 'auto'
        ? `fastest available${skipped.length ? ` (skipped ${skipped.join('; ')})` : ''}`
        : `requested by ${options.backend ? 'the backend option' : 'TLKIT_BACKEND'}`) + (note ? `; ${note}` : '');
    const threads = candidate.threads?.() ?? 1;
    log(`tlkit: tfjs backend '${candidate.name}'${threads > 1 ? ` (${threads} threads)` : ''} — ${reason}`);
    return { name: candidate.name, requested, native: candidate.native, reason, threads };
  }
  throw new TlkitError(
    'BACKEND_UNAVAILABLE',
    `could not set up tfjs backend '${requested}': ${skipped.join('; ')}. ${requested === 'wasm' ? 'Install @tensorflow/tfjs-backend-wasm, or ' : ''}Unset TLKIT_BACKEND (or set it to cpu) to fall back.`,
    { requested, skipped },
  );
}

/**
 * Picks and activates the fastest available tfjs backend: an explicit, async call (nothing
 * happens at import time). In the browser or any non-Node runtime the order is wasm, webgl
 * (browser only), cpu; `@tlkit/core/node`'s `setupNodeBackend` puts tfjs-node-gpu and tfjs-node
 * first. `TLKIT_BACKEND` (or `options.backend`) forces one. Reports the choice through
 * `options.log` (stderr in Node, `console.info` in a browser, by default). In a browser, pass
 * `wasmPaths` unless the page serves tfjs's `.wasm` files next to itself (docs/browser.md).
 *
 * @example
 * ```ts
 * const backend = await setupBackend();         // e.g. { name: 'wasm', ... }
 * await setupBackend({ backend: 'cpu', log: false });
 * ```
 * @throws TlkitError `BACKEND_UNAVAILABLE` when the requested backend cannot be activated.
 */
export async function setupBackend(options: SetupBackendOptions = {}): Promise<BackendInfo> {
  return activateBackend([wasmCandidate(options.wasmPaths, options.threads), webglCandidate, cpuCandidate], options);
}

/** True in a page or a web worker (no Node `process`). */
function isBrowser(): boolean {
  return typeof (globalThis as { process?: unknown }).process === 'undefined' && (typeof document !== 'undefined' || typeof self !== 'undefined');
}

/** The report's default sink: stderr in Node (so stdout stays clean), `console.info` in a browser (not a red error). */
function defaultLog(): (line: string) => void {
  return isBrowser() ? (line) => console.info(line) : (line) => console.error(line);
}

/** The cpu candidate (tfjs's stock cpu backend). @internal */
export function cpuBackendCandidate(): BackendCandidate {
  return cpuCandidate;
}
