/** A suite that trains through core's loop runs on tlkit's wasm set-up, then puts the previous backend back. */
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '@tlkit/core';
import { afterAll, beforeAll } from 'vitest';

/** Call inside a `describe`: the suite's tests run on the wasm backend. */
export function onWasmBackend(): void {
  let previous: string;
  beforeAll(async () => {
    previous = tf.getBackend();
    await setupBackend({ backend: 'wasm', log: false });
  });
  afterAll(async () => {
    await setupBackend({ backend: previous, log: false });
  });
}
