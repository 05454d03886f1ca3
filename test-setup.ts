/**
 * Runs before every test file: picks the tfjs backend for tests (TLKIT_BACKEND, default cpu —
 * tests use small tensors, where cpu is as fast as anything: the core suite passes on both and
 * took 54 s on cpu against 62 s on wasm) and silences tfjs's console hints. A test that trains a
 * convolutional network should set up wasm itself (`setupBackend({ backend: 'wasm' })`): tfjs's
 * cpu convolution gradients are scalar loops, hundreds of times slower than tlkit's wasm kernels.
 * It also turns on WebAssembly relaxed SIMD as the Node set-up does.
 */
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from './packages/core/src/backend/setup';
import { enableRelaxedSimd } from './packages/core/src/node/relaxed-simd';

tf.env().set('IS_TEST', true);
// As setupNodeBackend does: tlkit's wasm loops fuse their multiply-adds where V8 allows relaxed
// SIMD (the unfused forms are tested explicitly in packages/core/src/backend/wasm-module.test.ts).
enableRelaxedSimd();
await setupBackend({ backend: process.env.TLKIT_BACKEND ?? 'cpu', log: false });
