import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { setupNodeBackend } from '../node/native';
import { isMissingModule } from '../node/native';
import { setupBackend } from './setup';

const original = process.env.TLKIT_BACKEND;
afterEach(async () => {
  if (original === undefined) delete process.env.TLKIT_BACKEND;
  else process.env.TLKIT_BACKEND = original;
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
    process.env.TLKIT_BACKEND = 'tensorflow';
    await expect(setupNodeBackend({ log: false })).rejects.toThrow(/BACKEND_UNAVAILABLE.*@tensorflow\/tfjs-node: not installed.*Unset TLKIT_BACKEND/);
  });

  it('treats a missing native binding like a missing package', () => {
    expect(isMissingModule({ code: 'ERR_MODULE_NOT_FOUND', message: '' })).toBe(true);
    expect(isMissingModule(new Error('The Node.js native addon module (tfjs_binding.node) can not be found at path: x'))).toBe(false);
    expect(isMissingModule(new Error('tfjs_binding.node can not be found at path: x'))).toBe(true);
    expect(isMissingModule(new Error('syntax error'))).toBe(false);
  });
});
