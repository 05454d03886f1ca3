import { describe, expect, it } from 'vitest';
import { idleCoreCount, resolveThreadCount } from './wasm-threads';

describe('wasm thread count', () => {
  it('defaults to the cores other processes leave idle (this process counted as one runnable), at least one', () => {
    expect(idleCoreCount(2, 0)).toBe(2); // idle machine, fresh process
    expect(idleCoreCount(2, 1)).toBe(2); // only this process running
    expect(idleCoreCount(2, 2)).toBe(1); // one other busy process
    expect(idleCoreCount(2, 7.5)).toBe(1); // oversubscribed
    expect(idleCoreCount(8, 3.4)).toBe(6); // 8 − 2.4, rounded
    expect(idleCoreCount(4, 0.2)).toBe(4);
  });

  it('takes the option first, then TLKIT_WASM_THREADS, and caps at the 8 workers tfjs preallocates', () => {
    process.env.TLKIT_WASM_THREADS = '3';
    try {
      expect(resolveThreadCount(2)).toBe(2);
      expect(resolveThreadCount()).toBe(3);
      expect(resolveThreadCount(16)).toBe(8);
    } finally {
      delete process.env.TLKIT_WASM_THREADS;
    }
  });
});
