import { describe, expect, it } from 'vitest';
import { type CpuSample, defaultThreadCount, idleCoreCount, idleCoresBetween, resolveThreadCount } from './wasm-threads';

const sample = (...cores: [busy: number, idle: number][]): CpuSample[] => cores.map(([busy, idle]) => ({ times: { user: busy, nice: 0, sys: 0, idle, irq: 0 } }));

describe('wasm thread count', () => {
  it('takes the cores the load average leaves idle (this process counted as one runnable) as a first look, at least one', () => {
    expect(idleCoreCount(2, 0)).toBe(2); // idle machine, fresh process
    expect(idleCoreCount(2, 1)).toBe(2); // only this process running
    expect(idleCoreCount(2, 2)).toBe(1); // one other busy process
    expect(idleCoreCount(2, 7.5)).toBe(1); // oversubscribed
    expect(idleCoreCount(8, 3.4)).toBe(6); // 8 − 2.4, rounded
    expect(idleCoreCount(4, 0.2)).toBe(4);
  });

  it('counts idle cores between two samples of the CPU counters, over the wall time that passed', () => {
    const before = sample([1000, 5000], [2000, 7000]);
    // 200 ms: core 0 idle 200 ms, core 1 idle 50 ms (busy 150) → 250 of 400 ms idle → 1.25 of 2 cores.
    expect(idleCoresBetween(before, sample([1000, 5200], [2150, 7050]), 2, 200)).toBeCloseTo(1.25, 12);
    // Time the counters do not show (stolen by a hypervisor) is not idle: 100 ms idle of 200 on each.
    expect(idleCoresBetween(before, sample([1000, 5100], [2000, 7100]), 2, 200)).toBeCloseTo(1, 12);
    // This process's own threads (its collector, say) busy 120 ms of that: not another process's load.
    expect(idleCoresBetween(before, sample([1000, 5200], [2150, 7050]), 2, 200, 120)).toBeCloseTo(1.85, 12);
    expect(idleCoresBetween(before, sample([1000, 5200], [2150, 7050]), 2, 200, 500)).toBe(2); // at most every core
    // Four CPUs listed, two usable by this process: the idle share of all of them, times 2.
    expect(idleCoresBetween(sample([0, 0], [0, 0], [0, 0], [0, 0]), sample([0, 100], [0, 100], [100, 0], [0, 100]), 2, 100)).toBeCloseTo(1.5, 12);
    expect(idleCoresBetween([], [], 2, 200)).toBeNull();
    expect(idleCoresBetween(before, sample([1000, 5000]), 2, 200)).toBeNull();
    expect(idleCoresBetween(before, before, 2, 0)).toBeNull(); // no time passed
  });

  it('uses every core when the load average says idle, else the cores idle now, else the load average’s count', async () => {
    let sampled = 0;
    const watch = (idle: number | null) => async () => {
      sampled++;
      return idle;
    };
    expect(await defaultThreadCount(2, 0.5, watch(0))).toBe(2);
    expect(sampled).toBe(0); // idle by the load average: not watched
    expect(await defaultThreadCount(2, 4.5, watch(1.97))).toBe(2); // just after a build: cores idle now
    expect(await defaultThreadCount(2, 4.5, watch(1.75))).toBe(2); // three quarters of the second core idle
    expect(await defaultThreadCount(2, 4.5, watch(1.74))).toBe(1);
    expect(await defaultThreadCount(2, 4.5, watch(1.5))).toBe(1); // the second core half busy
    expect(await defaultThreadCount(2, 4.5, watch(1.02))).toBe(1); // another process on one core
    expect(await defaultThreadCount(2, 4.5, watch(0.1))).toBe(1); // at least one
    expect(await defaultThreadCount(2, 4.5, watch(null))).toBe(1); // cannot watch: the load average's count
    expect(await defaultThreadCount(8, 3.4, watch(null))).toBe(6);
    expect(sampled).toBe(8);
    expect(await defaultThreadCount(16, 5, watch(0))).toBe(12); // 12 idle by the load average: more than the 8 used
    expect(sampled).toBe(8);
  });

  it('takes the option first, then TLKIT_WASM_THREADS, then the idle cores, and caps at the 8 workers tfjs preallocates', async () => {
    process.env.TLKIT_WASM_THREADS = '3';
    try {
      expect(await resolveThreadCount(2)).toBe(2);
      expect(await resolveThreadCount()).toBe(3);
      expect(await resolveThreadCount(16)).toBe(8);
      process.env.TLKIT_WASM_THREADS = 'two';
      await expect(resolveThreadCount()).rejects.toThrow(/TLKIT_WASM_THREADS: expected a whole number of threads/);
    } finally {
      delete process.env.TLKIT_WASM_THREADS;
    }
    expect(await resolveThreadCount(undefined, async () => 2)).toBe(2);
    expect(await resolveThreadCount(undefined, async () => 12)).toBe(8);
  });
});
