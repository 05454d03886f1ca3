import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readWorkerSpin, resolveWorkerSpin, TFJS_WORKER_SPIN, WORKER_SPIN, withWorkerSpin, workerSpinSite } from './worker-spin';

const require = createRequire(import.meta.url);
const wasmOut = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
const threaded = new Uint8Array(readFileSync(join(wasmOut, 'tfjs-backend-wasm-threaded-simd.wasm')));

/** The worker's wait as a byte sequence, with its loop's step of 5 after it (local indices 7 and 6). */
const site = [0x41, 0xc0, 0x84, 0x3d, 0x21, 7, 0x20, 6, 0x41, 2, 0x71, 0x45, 0x04, 0x40, 0x03, 0x40];
const stepCode = [0x20, 7, 0x41, 5, 0x6b, 0x22, 7, 0x0d, 0];
const bytes = (...parts: number[][]) => new Uint8Array(parts.flat());

describe('tfjs pthread workers’ spin count', () => {
  it('finds the one worker wait in tfjs’s threaded binary, with pthreadpool’s 1,000,000 loads', () => {
    const at = workerSpinSite(threaded);
    expect(at).toBeGreaterThan(0);
    expect(readWorkerSpin(threaded, at)).toBe(TFJS_WORKER_SPIN);
  });

  it('rewrites only that constant, to a count the binary still validates with', () => {
    const { binary, patched } = withWorkerSpin(threaded, WORKER_SPIN);
    expect(patched).toBe(true);
    const at = workerSpinSite(threaded);
    expect(readWorkerSpin(binary, at)).toBe(5000);
    const changed: number[] = [];
    for (let index = 0; index < binary.length; index++) if (binary[index] !== threaded[index]) changed.push(index);
    expect(changed.every((index) => index > at && index <= at + 3)).toBe(true);
    expect(changed.length).toBeGreaterThan(0);
    expect(WebAssembly.validate(binary)).toBe(true);
    // The input is not modified; the stock count round-trips to the stock bytes.
    expect(readWorkerSpin(threaded, at)).toBe(TFJS_WORKER_SPIN);
    expect(withWorkerSpin(threaded, TFJS_WORKER_SPIN)).toEqual({ binary: threaded, patched: false, site: at });
  });

  it('encodes every count in the same three bytes (padded LEB128)', () => {
    const code = bytes([0], site, stepCode);
    for (const iterations of [5, 125, 640, 16_385, 999_995, 1_000_000]) {
      const { binary } = withWorkerSpin(code, iterations);
      expect(binary.length).toBe(code.length);
      expect(readWorkerSpin(binary, 1)).toBe(iterations);
    }
    // 16 385 = 1 + 2 × 2^13 → payload bytes 0x81, 0x80, 0x01.
    expect([...withWorkerSpin(code, 16_385).binary.subarray(2, 5)]).toEqual([0x81, 0x80, 0x01]);
  });

  it('leaves a binary alone unless the site occurs exactly once with the loop’s step after it', () => {
    const none = bytes([0x41, 0xc0, 0x84, 0x3d, 0x21, 7], stepCode);
    const twice = bytes(site, stepCode, site, stepCode);
    const noStep = bytes(site, [0x20, 7, 0x41, 4, 0x6b, 0x22, 7, 0x0d, 0]);
    const otherCounter = bytes(site, [0x20, 8, 0x41, 5, 0x6b, 0x22, 8, 0x0d, 0]); // counts down another local
    for (const binary of [none, twice, noStep, otherCounter]) {
      expect(workerSpinSite(binary)).toBe(-1);
      expect(withWorkerSpin(binary, 5000)).toEqual({ binary, patched: false, site: -1 });
    }
    expect(workerSpinSite(bytes(site, stepCode))).toBe(0);
  });

  it('rejects counts the loop cannot count down to zero, naming the argument', () => {
    for (const iterations of [0, 4, 5001, 1_000_005, 2.5, Number.NaN]) {
      expect(() => withWorkerSpin(threaded, iterations)).toThrow(/INVALID_ARGUMENT.*iterations: expected a multiple of 5/);
    }
    process.env.TLKIT_WASM_WORKER_SPIN = '1000';
    try {
      expect(resolveWorkerSpin()).toBe(1000);
      process.env.TLKIT_WASM_WORKER_SPIN = 'often';
      expect(() => resolveWorkerSpin()).toThrow(/TLKIT_WASM_WORKER_SPIN: expected a multiple of 5/);
    } finally {
      delete process.env.TLKIT_WASM_WORKER_SPIN;
    }
    expect(resolveWorkerSpin()).toBe(WORKER_SPIN);
  });
});
