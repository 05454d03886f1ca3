/**
 * Node's pool of helper threads for tlkit's WebAssembly loops (see `backend/heap-helpers.ts`):
 * `worker_threads` workers that instantiate the loops' modules on the threaded wasm backend's
 * shared memory and run one part of a call each while the calling thread runs its own.
 *
 * Hand-off: jobs travel through a `MessagePort` that the worker reads synchronously
 * (`receiveMessageOnPort`); a shared `Int32Array` counts jobs posted and done, and the two sides
 * sleep on it with `Atomics.wait` (Node lets the main thread block). The workers are unref'd, so
 * they never keep a process alive.
 */
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { TlkitError } from '../errors';
import type { HeapHelperPool, HeapJob } from '../backend/heap-helpers';

// Control words, per helper.
const POSTED = 0;
const DONE = 1;
const FAILED = 2;

/** The helper's script (CommonJS, evaluated by `new Worker(…, { eval: true })`). */
const helperScript = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const { port, control } = workerData;
const words = new Int32Array(control);
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
      exports[message.name](...message.args);
    } catch (error) {
      Atomics.store(words, ${FAILED}, 1);
    }
    done++;
    Atomics.store(words, ${DONE}, done);
    Atomics.notify(words, ${DONE});
  }
}
`;

/** How long the calling thread waits for a helper before it gives up (a hung helper is a bug). */
const ANSWER_TIMEOUT_MS = 120_000;

interface Helper {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly words: Int32Array;
  /** Module ids this helper has instantiated. */
  readonly known: Set<number>;
  posted: number;
}

/**
 * Starts `size` helper threads on `memory` (a shared WebAssembly.Memory: tfjs's threaded wasm
 * binary's). Resolves once every helper runs. @internal
 */
export async function startHeapHelperPool(memory: WebAssembly.Memory, size: number): Promise<HeapHelperPool> {
  if (!(typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer)) {
    throw new TlkitError('BACKEND_UNAVAILABLE', 'heap helper threads need the threaded wasm backend (its memory is shared); set up wasm with threads ≥ 2.');
  }
  const moduleIds = new WeakMap<WebAssembly.Module, number>();
  let nextModuleId = 1;
  const helpers: Helper[] = [];
  try {
    for (let index = 0; index < size; index++) {
      const { port1, port2 } = new MessageChannel();
      const words = new Int32Array(new SharedArrayBuffer(3 * 4));
      const worker = new Worker(helperScript, { eval: true, workerData: { port: port2, control: words.buffer }, transferList: [port2] });
      helpers.push({ worker, port: port1, words, known: new Set(), posted: 0 });
      await new Promise<void>((resolve, reject) => {
        port1.once('message', () => resolve());
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`helper thread exited with code ${code}`)));
      });
      worker.removeAllListeners('error');
      worker.removeAllListeners('exit');
      // An error after start-up surfaces as a failed or unanswered job, not as an unhandled event.
      worker.on('error', () => {});
      worker.unref();
      port1.unref();
    }
  } catch (error) {
    for (const helper of helpers) void helper.worker.terminate();
    throw new TlkitError('BACKEND_UNAVAILABLE', `heap helper threads could not start (${(error as Error).message.split('\n')[0]}).`);
  }
  let closed = false;
  return {
    memory,
    size,
    run(jobs: readonly HeapJob[], own: () => void): void {
      if (closed) throw new TlkitError('BACKEND_UNAVAILABLE', 'heap helper threads were closed.');
      if (jobs.length > helpers.length) throw new TlkitError('INVALID_ARGUMENT', `heap helpers: ${jobs.length} jobs for ${helpers.length} threads.`);
      jobs.forEach((job, index) => {
        const helper = helpers[index]!;
        let id = moduleIds.get(job.module);
        if (id === undefined) moduleIds.set(job.module, (id = nextModuleId++));
        if (!helper.known.has(id)) {
          helper.port.postMessage({ kind: 'module', id, module: job.module, memory });
          helper.known.add(id);
        }
        helper.port.postMessage({ kind: 'job', id, name: job.name, args: job.args });
        helper.posted++;
        Atomics.store(helper.words, POSTED, helper.posted);
        Atomics.notify(helper.words, POSTED);
      });
      let ownError: unknown = null;
      try {
        own();
      } catch (error) {
        ownError = error;
      }
      let failed = false;
      for (let index = 0; index < jobs.length; index++) {
        const helper = helpers[index]!;
        for (;;) {
          const done = Atomics.load(helper.words, DONE);
          if (done >= helper.posted) break;
          if (Atomics.wait(helper.words, DONE, done, ANSWER_TIMEOUT_MS) === 'timed-out' && Atomics.load(helper.words, DONE) === done) {
            throw new TlkitError('BACKEND_UNAVAILABLE', `heap helper thread ${index} did not answer within ${ANSWER_TIMEOUT_MS / 1000} s.`);
          }
        }
        if (Atomics.exchange(helper.words, FAILED, 0) !== 0) failed = true;
      }
      if (ownError) throw ownError;
      if (failed) throw new TlkitError('BACKEND_UNAVAILABLE', 'a heap helper thread failed to run its part of a WebAssembly loop.');
    },
    close(): void {
      if (closed) return;
      closed = true;
      for (const helper of helpers) {
        helper.port.close();
        void helper.worker.terminate();
      }
    },
  };
}
