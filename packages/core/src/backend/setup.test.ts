import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { setupNodeBackend } from '../node/native';
import { isMissingModule } from '../node/native';
import { setupBackend } from './setup';

const original = process.env.TLKIT_BACKEND;
afterEach(async () => {
  if (original === undefined) delete process.env.TLKIT_BACKEND;
  else process.env.TLKIT_BACKEND = original;
  await tf.setBackend('cpu');
});

// Leave tfjs's single-threaded wasm registered for the test files that follow in this worker.
afterAll(async () => {
  await setupNodeBackend({ backend: 'wasm', threads: 1, log: false });
  await tf.setBackend('cpu');
});

describe('backend set-up', () => {
  it('activates the requested backend and reports why', async () => {
    const lines: string[] = [];
    const info = await setupBackend({ backend: 'cpu', log: (line) => lines.push(line) });
    expect(info).toMatchObject({ name: 'cpu', requested: 'cpu', native: false });
    expect(tf.getBackend()).toBe('cpu');
    expect(lines).toEqual(["tlkit: tfjs backend 'cpu' — requested by the backend option"]);
  });

  it('picks wasm first when nothing is requested (no native backend is installed here)', async () => {
    delete process.env.TLKIT_BACKEND;
    const info = await setupNodeBackend({ log: false });
    expect(info.name).toBe('wasm');
    expect(info.reason).toMatch(/skipped @tensorflow\/tfjs-node-gpu: not installed; @tensorflow\/tfjs-node: not installed\)$/);
    expect(tf.getBackend()).toBe('wasm');
  });

  it('lets TLKIT_BACKEND override the automatic choice', async () => {
    process.env.TLKIT_BACKEND = 'cpu';
    const info = await setupNodeBackend({ log: false });
    expect(info).toMatchObject({ name: 'cpu', requested: 'cpu' });
    expect(info.reason).toBe('requested by TLKIT_BACKEND');
  });

  it('fails with BACKEND_UNAVAILABLE for a backend it cannot set up, naming the fix', async () => {
    await expect(setupBackend({ backend: 'quantum', log: false })).rejects.toThrow(/BACKEND_UNAVAILABLE.*'quantum'.*auto, wasm/);
    // Node lists 'tensorflow' once although two native candidates (cpu and gpu builds) carry the name.
    await expect(setupNodeBackend({ backend: 'quantum', log: false })).rejects.toThrow(/use one of: auto, tensorflow, wasm, cpu\.$/);
    process.env.TLKIT_BACKEND = 'tensorflow';
    await expect(setupNodeBackend({ log: false })).rejects.toThrow(/BACKEND_UNAVAILABLE.*@tensorflow\/tfjs-node: not installed.*Unset TLKIT_BACKEND/);
  });

  it('runs wasm on tfjs\'s threaded binary in Node with the requested threads, with the same results as one thread', async () => {
    const convolve = () =>
      tf.tidy(() => {
        const x = tf.randomNormal([4, 12, 12, 8], 0, 1, 'float32', 1) as tf.Tensor4D;
        const filter = tf.randomNormal([3, 3, 8, 16], 0, 1, 'float32', 2) as tf.Tensor4D;
        const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'))))([x, filter]);
        return [...dx.dataSync(), ...df.dataSync(), ...tf.matMul(tf.reshape(x, [48, 96]), tf.reshape(x, [48, 96]), true).dataSync()];
      });
    const lines: string[] = [];
    const threaded = await setupNodeBackend({ backend: 'wasm', threads: 2, log: (line) => lines.push(line) });
    expect(threaded).toMatchObject({ name: 'wasm', threads: 2 });
    expect(lines[0]).toMatch(/^tlkit: tfjs backend 'wasm' \(2 threads\)/);
    const withTwo = convolve();
    process.env.TLKIT_WASM_THREADS = '1';
    const single = await setupNodeBackend({ backend: 'wasm', log: false });
    delete process.env.TLKIT_WASM_THREADS;
    expect(single.threads).toBe(1);
    const withOne = convolve();
    expect(withTwo.length).toBe(withOne.length);
    let worst = 0;
    for (let i = 0; i < withOne.length; i++) worst = Math.max(worst, Math.abs(withTwo[i] - withOne[i]) / (1 + Math.abs(withOne[i])));
    expect(worst).toBeLessThan(1e-5);
  });

  it('rejects a thread count that is not a whole number ≥ 1, from the option or TLKIT_WASM_THREADS', async () => {
    await expect(setupBackend({ backend: 'wasm', threads: 0, log: false })).rejects.toThrow(/INVALID_ARGUMENT.*threads: expected a whole number of threads ≥ 1, got 0/);
    await expect(setupNodeBackend({ backend: 'wasm', threads: 1.5, log: false })).rejects.toThrow(/threads: expected a whole number/);
    process.env.TLKIT_WASM_THREADS = 'two';
    try {
      await expect(setupNodeBackend({ backend: 'wasm', log: false })).rejects.toThrow(/TLKIT_WASM_THREADS: expected a whole number of threads ≥ 1, got 'two'; unset it/);
    } finally {
      delete process.env.TLKIT_WASM_THREADS;
    }
  });

  it('treats a missing native binding like a missing package', () => {
    expect(isMissingModule({ code: 'ERR_MODULE_NOT_FOUND', message: '' })).toBe(true);
    expect(isMissingModule(new Error('The Node.js native addon module (tfjs_binding.node) can not be found at path: x'))).toBe(false);
    expect(isMissingModule(new Error('tfjs_binding.node can not be found at path: x'))).toBe(true);
    expect(isMissingModule(new Error('syntax error'))).toBe(false);
  });
});
