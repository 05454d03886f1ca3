/**
 * Node's pool of helper threads for tlkit's WebAssembly loops (see `backend/heap-helpers.ts`):
 * `worker_threads` workers that instantiate the loops' modules on the threaded wasm backend's
 * shared memory and run one part of a call each while the calling thread runs its own.
 *
 * Hand-off: jobs travel through a `MessagePort` that the worker reads synchronously
 * (`receiveMessageOnPort`); a shared `Int32Array` counts jobs posted and done, and the two sides
 * sleep on it with `Atomics.wait` (Node lets the main thread block). The workers are unref'd, so
 * they never keep a process alive. Each helper keeps one instance of every module it was given
 * (one per loop and shape) for the pool's life.
 *
 * A pool that fails — a helper exits, a job traps or cannot be instantiated, or a helper does not
 * answer within {@link ANSWER_TIMEOUT_MS} — terminates its helpers and takes itself out of the
 * registry, so later calls run on the calling thread; the call that saw the failure throws.
 */
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { TlkitError } from '../errors';
import { forgetHeapHelperPool, type HeapHelperPool, type HeapJob } from '../backend/heap-helpers';

// Control words, per helper.
const POSTED = 0;
const DONE = 1;
const FAILED = 2;

/** The helper's script (CommonJS, evaluated by `new Worker(…, { eval: true })`). */
const helperScript = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const { port, control, claims } = workerData;
const words = new Int32Array(control);
const counter = new Int32Array(claims);
const instances = new Map();
let done = 0;
port.postMessage('ready');
for (;;) {
  Atomics.wait(words, ${POSTED}, done);
  while (done < Atomics.load(words, ${POSTED})) {
    const entry = receiveMessageOnPort(port);
    if (!entry) continue;
    const message = entry.message;
    if (message.kind === 'module') {
      try {
        instances.set(message.id, new WebAssembly.Instance(message.module, { env: { memory: message.memory } }).exports);
      } catch (error) {
        instances.set(message.id, null);
      }
      continue;
    }
    try {
      const exports = instances.get(message.id);
      if (!exports) throw new Error('module ' + message.id + ' could not be instantiated');
      if (message.shared) {
        // Take the next unclaimed entry of the shared list until none is left.
        for (let index = Atomics.add(counter, 0, 1); index < message.shared.length; index = Atomics.add(counter, 0, 1)) exports[message.name](...message.shared[index]);
      } else {
        exports[message.name](...message.args);
      }
    } catch (error) {
      Atomics.store(words, ${FAILED}, 1);
    }
    done++;
    Atomics.store(words, ${DONE}, done);
    Atomics.notify(words, ${DONE});
  }
}
`;

/**
 * How long the calling thread waits for a helper before it gives up. A part is estimated at
 * milliseconds to a second; a helper that takes this long is hung or gone (a worker's 'exit' event
 * cannot reach a thread blocked in `Atomics.wait`).
 */
export const ANSWER_TIMEOUT_MS = 120_000;

interface Helper {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly words: Int32Array;
  /** Module ids this helper has instantiated. */
  readonly known: Set<number>;
  posted: number;
}

/** Node's pool; `workers` are its threads (for tests and diagnostics). @internal */
export interface NodeHeapHelperPool extends HeapHelperPool {
  readonly workers: readonly Worker[];
}

/**
 * Starts `size` helper threads on `memory` (a shared WebAssembly.Memory: tfjs's threaded wasm
 * binary's). Resolves once every helper runs. @internal
 */
export async function startHeapHelperPool(memory: WebAssembly.Memory, size: number): Promise<NodeHeapHelperPool> {
  if (!(typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer)) {
    throw new TlkitError('BACKEND_UNAVAILABLE', 'heap helper threads need the threaded wasm backend (its memory is shared); set up wasm with threads ≥ 2.');
  }
  const moduleIds = new WeakMap<WebAssembly.Module, number>();
  let nextModuleId = 1;
  const helpers: Helper[] = [];
  // The pool's claim counter: the next unclaimed entry of a shared list (share below).
  const claims = new Int32Array(new SharedArrayBuffer(4));
  try {
    for (let index = 0; index < size; index++) {
      const { port1, port2 } = new MessageChannel();
      const words = new Int32Array(new SharedArrayBuffer(3 * 4));
      const worker = new Worker(helperScript, { eval: true, workerData: { port: port2, control: words.buffer, claims: claims.buffer }, transferList: [port2] });
      helpers.push({ worker, port: port1, words, known: new Set(), posted: 0 });
      await new Promise<void>((resolve, reject) => {
        port1.once('message', () => resolve());
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`helper thread exited with code ${code}`)));
      });
      worker.removeAllListeners('error');
      worker.removeAllListeners('exit');
      worker.unref();
      port1.unref();
    }
  } catch (error) {
    for (const helper of helpers) void helper.worker.terminate();
    throw new TlkitError('BACKEND_UNAVAILABLE', `heap helper threads could not start (${(error as Error).message.split('\n')[0]}).`);
  }
  let closed = false;
  const pool: NodeHeapHelperPool = {
    memory,
    size,
    workers: helpers.map((helper) => helper.worker),
    run(jobs: readonly HeapJob[], own: () => void): void {
      if (closed) throw new TlkitError('BACKEND_UNAVAILABLE', 'heap helper threads were closed.');
      if (jobs.length > helpers.length) throw new TlkitError('INVALID_ARGUMENT', `heap helpers: ${jobs.length} jobs for ${helpers.length} threads.`);
      // Helpers [0, posted) have a job; whatever happens below, they are waited for.
      let posted = 0;
      let failure: unknown = null;
      try {
        for (const job of jobs) {
          const helper = helpers[posted]!;
          let id = moduleIds.get(job.module);
          if (id === undefined) moduleIds.set(job.module, (id = nextModuleId++));
          if (!helper.known.has(id)) {
            helper.port.postMessage({ kind: 'module', id, module: job.module, memory });
            helper.known.add(id);
          }
          helper.port.postMessage({ kind: 'job', id, name: job.name, args: job.args, shared: job.shared });
          helper.posted++;
          posted++;
          Atomics.store(helper.words, POSTED, helper.posted);
          Atomics.notify(helper.words, POSTED);
        }
        own();
      } catch (error) {
        failure = error;
      }
      let helperFailed = false;
      for (let index = 0; index < posted; index++) {
        const helper = helpers[index]!;
        for (;;) {
          const done = Atomics.load(helper.words, DONE);
          if (done >= helper.posted) break;
          if (Atomics.wait(helper.words, DONE, done, ANSWER_TIMEOUT_MS) === 'timed-out' && Atomics.load(helper.words, DONE) === done) {
            // Stop the helper before the caller frees the memory it may still be writing.
            pool.close();
            throw new TlkitError('BACKEND_UNAVAILABLE', `heap helper thread ${index} did not answer within ${ANSWER_TIMEOUT_MS / 1000} s; tlkit's loops run on one thread from now on.`);
          }
        }
        if (Atomics.exchange(helper.words, FAILED, 0) !== 0) helperFailed = true;
      }
      if (helperFailed) pool.close();
      if (failure) throw failure;
      if (helperFailed) {
        throw new TlkitError('BACKEND_UNAVAILABLE', "a heap helper thread failed to run its part of a WebAssembly loop; tlkit's loops run on one thread from now on.");
      }
    },
    share(module: WebAssembly.Module, name: string, parts: readonly (readonly number[])[], own: (index: number) => void): void {
      // Entries are claimed one at a time: a helper that starts late or runs slowly takes fewer.
      Atomics.store(claims, 0, 0);
      const jobs = Array.from({ length: Math.min(helpers.length, parts.length - 1) }, () => ({ module, name, args: [], shared: parts }));
      pool.run(jobs, () => {
        for (let index = Atomics.add(claims, 0, 1); index < parts.length; index = Atomics.add(claims, 0, 1)) own(index);
      });
    },
    close(): void {
      if (closed) return;
      closed = true;
      forgetHeapHelperPool(pool);
      for (const helper of helpers) {
        helper.port.close();
        void helper.worker.terminate();
      }
    },
  };
  // A helper that exits (terminated, out of memory) closes the pool: later calls stay on the
  // calling thread instead of waiting for it.
  for (const helper of helpers) {
    helper.worker.on('error', () => {});
    helper.worker.on('exit', () => pool.close());
  }
  return pool;
}
