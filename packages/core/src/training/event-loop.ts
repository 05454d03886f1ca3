/**
 * Letting the event loop run during training. Training is a chain of synchronous tfjs calls: a
 * loop that never awaits a macrotask keeps timers, I/O callbacks (a SIGINT handler), UI events and
 * painting waiting until it ends, so an `AbortSignal` fired by any of them is seen only then.
 *
 * The scheduling functions and the clock are the ones the environment had when this module was
 * loaded: fake timers installed later (`vi.useFakeTimers()`, `jest.useFakeTimers()`, sinon's
 * `useFakeTimers`) replace the globals but not these, so `fit` still finishes under them and
 * yielding still lets real timers and I/O run. Fake timers already installed when tlkit is
 * imported (a setup file, Jest's `fakeTimers.enableGlobally`) are captured as if real: `fit` then
 * waits at every yield for the fake clock, which the test must run (`vi.runAllTimersAsync()`),
 * unless `setImmediate` is left out of the faked methods (and, where there is no `setImmediate`
 * and no `MessageChannel`, `setTimeout`).
 */

type Schedule = (callback: () => void) => unknown;

const scope = globalThis as {
  setImmediate?: (callback: () => void) => unknown;
  MessageChannel?: typeof MessageChannel;
  setTimeout?: (callback: () => void, ms: number) => unknown;
  performance?: { now(): number };
};

/** `setImmediate` as it was at load (Node), bound so a later replacement of the global is not seen. */
const realSetImmediate: Schedule | undefined = typeof scope.setImmediate === 'function' ? scope.setImmediate.bind(globalThis) : undefined;
/** `MessageChannel` as it was at load (browsers, workers). */
const RealMessageChannel: typeof MessageChannel | undefined = typeof scope.MessageChannel === 'function' ? scope.MessageChannel : undefined;
/** `setTimeout` as it was at load. */
const realSetTimeout: ((callback: () => void, ms: number) => unknown) | undefined =
  typeof scope.setTimeout === 'function' ? scope.setTimeout.bind(globalThis) : undefined;
/** `performance.now` as it was at load (fake timers may replace `performance`), else `Date.now` as it was at load. */
const dateNow = Date.now;
const realNow: () => number =
  scope.performance && typeof scope.performance.now === 'function' ? scope.performance.now.bind(scope.performance) : () => dateNow();

/**
 * Resolves on the macrotask queue: `setImmediate` where it exists (Node), else a
 * `MessageChannel` message (browsers, workers; not clamped like nested timers), else
 * `setTimeout(0)` — each as it was when this module was loaded (see the module's doc on fake
 * timers). Awaiting it lets pending timers and events run. @internal
 */
export function yieldToEventLoop(): Promise<void> {
  if (realSetImmediate) {
    const schedule = realSetImmediate;
    return new Promise((resolve) => void schedule(resolve));
  }
  if (RealMessageChannel) {
    const channel = new RealMessageChannel();
    return new Promise((resolve) => {
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    });
  }
  const schedule = realSetTimeout;
  // No macrotask scheduler at all: a microtask still lets other promise callbacks run.
  if (!schedule) return Promise.resolve();
  return new Promise((resolve) => void schedule(resolve, 0));
}

/** Wall time between two yields inside an epoch, in milliseconds. */
export const YIELD_INTERVAL_MS = 50;

/**
 * Yields to the event loop when asked to ({@link EventLoopYielder.yieldNow}, once per epoch) and
 * whenever {@link YIELD_INTERVAL_MS} of wall time have passed since the last yield
 * ({@link EventLoopYielder.isDue}, asked every step): time-based, so a step costs one clock read,
 * and short steps do not pay a macrotask each. The clock is `performance.now` as it was when
 * this module was loaded. Yielding changes no number of the run. @internal
 */
export class EventLoopYielder {
  private last: number;

  constructor(
    private readonly intervalMs = YIELD_INTERVAL_MS,
    private readonly now: () => number = realNow,
  ) {
    this.last = now();
  }

  /** Yields now. */
  async yieldNow(): Promise<void> {
    await yieldToEventLoop();
    this.last = this.now();
  }

  /** True when the interval has passed since the last yield (the caller then awaits {@link yieldNow}). */
  isDue(): boolean {
    return this.now() - this.last >= this.intervalMs;
  }
}
