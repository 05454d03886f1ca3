/**
 * Letting the event loop run during training. Training is a chain of synchronous tfjs calls: a
 * loop that never awaits a macrotask keeps timers, I/O callbacks (a SIGINT handler), UI events and
 * painting waiting until it ends, so an `AbortSignal` fired by any of them is seen only then.
 */

/**
 * Resolves on the macrotask queue: `setImmediate` where it exists (Node), else a
 * `MessageChannel` message (browsers, workers; not clamped like nested timers), else
 * `setTimeout(0)`. Awaiting it lets pending timers and events run. @internal
 */
export function yieldToEventLoop(): Promise<void> {
  const scope = globalThis as { setImmediate?: (callback: () => void) => unknown; MessageChannel?: typeof MessageChannel };
  if (typeof scope.setImmediate === 'function') {
    const setImmediate = scope.setImmediate;
    return new Promise((resolve) => void setImmediate(resolve));
  }
  if (typeof scope.MessageChannel === 'function') {
    const channel = new scope.MessageChannel();
    return new Promise((resolve) => {
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => void setTimeout(resolve, 0));
}

/** Wall time between two yields inside an epoch, in milliseconds. */
export const YIELD_INTERVAL_MS = 50;

/**
 * Yields to the event loop when asked to ({@link EventLoopYielder.yieldNow}, once per epoch) and
 * whenever {@link YIELD_INTERVAL_MS} of wall time have passed since the last yield
 * ({@link EventLoopYielder.isDue}, asked every step): time-based, so a step costs one clock read,
 * and short steps do not pay a macrotask each. Yielding changes no number of the run. @internal
 */
export class EventLoopYielder {
  private last: number;

  constructor(
    private readonly intervalMs = YIELD_INTERVAL_MS,
    private readonly now: () => number = () => performance.now(),
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
