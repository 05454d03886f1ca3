/**
 * Runs before every test file: picks the tfjs backend for tests (TLKIT_BACKEND, default cpu —
 * tests use small tensors, where cpu is as fast as anything) and silences tfjs's console hints.
 */
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from './packages/core/src/backend/setup';

tf.env().set('IS_TEST', true);
await setupBackend({ backend: process.env.TLKIT_BACKEND ?? 'cpu', log: false });
