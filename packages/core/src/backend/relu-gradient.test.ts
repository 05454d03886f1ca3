import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { onWasmBackend } from './fixtures/wasm-suite';
import { createRng } from '../rng';
import { RELU_GRADIENT_KERNEL, reluGradientKernel, reluGradientLoopOn } from './relu-gradient';
import { registerWasmKernels, unregisterWasmKernels } from './wasm-kernels';

onWasmBackend();

/** x with positives, negatives, ±0 and NaN; 107 values (26 SIMD vectors and three left over: −0.5, NaN, 1.5). */
function inputs(): { x: Float32Array; w: Float32Array } {
  const rng = createRng(3);
  const x = Float32Array.from({ length: 107 }, () => rng.normal());
  x[0] = 0;
  x[1] = -0;
  x[7] = Number.NaN;
  x[104] = -0.5; // the elements after the whole vectors
  x[105] = Number.NaN;
  x[106] = 1.5;
  const w = Float32Array.from({ length: 107 }, () => rng.normal());
  return { x, w };
}

/** A backend with a heap in plain arrays (no WebAssembly memory: tlkit's loops cannot be built on it). */
function arrayHeap(): tf.KernelBackend {
  const arrays = new Map<object, Float32Array>();
  return {
    makeOutput: (shape: number[], dtype: tf.DataType) => {
      const info = { dataId: {}, shape, dtype };
      arrays.set(info.dataId, new Float32Array(shape.reduce((a, b) => a * b, 1)));
      return info;
    },
    typedArrayFromHeap: (info: tf.TensorInfo) => arrays.get(info.dataId)!,
    write: (values: Float32Array) => {
      const dataId = {};
      arrays.set(dataId, values);
      return dataId;
    },
  } as unknown as tf.KernelBackend;
}

/** ∂/∂x Σ w ⊙ relu(x) on the active backend, and the kernels that ran. */
async function reluGradientOnActive(): Promise<{ values: ArrayLike<number>; kernels: string[] }> {
  const { x, w } = inputs();
  let values: ArrayLike<number> = [];
  const profile = await tf.profile(() => {
    tf.tidy(() => {
      values = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.relu(input), tf.tensor(w, [107]))))(tf.tensor(x, [107])).dataSync();
    });
  });
  return { values, kernels: profile.kernels.map((kernel) => kernel.name) };
}

const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

describe("ReLU's gradient in one pass", () => {
  it('runs tlkit’s kernel on wasm, equal to tfjs’s dy · step(x) on cpu bit for bit (signed zeros, NaN, the last element)', async () => {
    const start = tf.memory().numTensors;
    const wasm = await reluGradientOnActive();
    expect(tf.memory().numTensors).toBe(start);
    expect(wasm.kernels).toContain(RELU_GRADIENT_KERNEL);
    expect(wasm.kernels).not.toContain('Step');
    await tf.setBackend('cpu');
    const cpu = await reluGradientOnActive();
    await tf.setBackend('wasm');
    expect(cpu.kernels).toContain('Step'); // tfjs's own gradient where tlkit's kernel is not registered
    expect(cpu.kernels).not.toContain(RELU_GRADIENT_KERNEL);
    const { x, w } = inputs();
    for (let index = 0; index < x.length; index++) {
      expect(same(wasm.values[index]!, cpu.values[index]!)).toBe(true);
      // Independent: w where x > 0, w · 0 where x ≤ 0, NaN where x is NaN.
      const expected = Number.isNaN(x[index]!) ? Number.NaN : w[index]! * (x[index]! > 0 ? 1 : 0);
      expect(same(wasm.values[index]!, expected)).toBe(true);
    }
  });

  it('differentiates once more: d/d(dy) is step(x) times the upstream gradient, d/dx is 0', () => {
    const x = tf.tensor1d([2, -1, 0, 3, -4]);
    const v = tf.tensor1d([1, 2, 3, 4, 5]);
    const [dDy, dX] = tf.grads((dy: tf.Tensor, input: tf.Tensor) => tf.sum(tf.mul(v, tf.engine().runKernel(RELU_GRADIENT_KERNEL, { dy, x: input }, {}) as tf.Tensor)))([tf.tensor1d([1, 1, 1, 1, 1]), x]);
    expect(Array.from(dDy!.dataSync())).toEqual([1, 0, 0, 4, 0]);
    expect(Array.from(dX!.dataSync())).toEqual([0, 0, 0, 0, 0]);
    tf.dispose([x, v, dDy!, dX!]);
  });

  it('gives tfjs’s gradient back when tlkit’s wasm kernels are unregistered, and takes it again on registering', async () => {
    unregisterWasmKernels();
    try {
      const stock = await reluGradientOnActive();
      expect(stock.kernels).toContain('Step');
      expect(stock.kernels).not.toContain(RELU_GRADIENT_KERNEL);
    } finally {
      registerWasmKernels();
    }
    expect((await reluGradientOnActive()).kernels).toContain(RELU_GRADIENT_KERNEL);
  });

  it('computes every element in JavaScript where the SIMD loop cannot be built, and the gradient then stays tfjs’s', () => {
    const backend = arrayHeap() as tf.KernelBackend & { write(values: Float32Array): object };
    expect(reluGradientLoopOn(backend)).toBe(false);
    expect(reluGradientLoopOn(tf.backend())).toBe(true);
    // 7 values: one whole vector and a tail of 3 holding NaN, a positive and −0.
    const xValues = new Float32Array([1, -2, 0, 3, Number.NaN, 5, -0]);
    const dyValues = new Float32Array([-1, 2, -3, 4, 5, -6, -7]);
    const x = { dataId: backend.write(xValues), shape: [7], dtype: 'float32' as const };
    const dy = { dataId: backend.write(dyValues), shape: [7], dtype: 'float32' as const };
    const out = reluGradientKernel({ inputs: { dy, x }, backend, attrs: {} }) as tf.TensorInfo;
    const values = Array.from((backend as unknown as { typedArrayFromHeap(info: tf.TensorInfo): Float32Array }).typedArrayFromHeap(out));
    const expected = [-1, 0, -0, 4, Number.NaN, -6, -0];
    values.forEach((value, index) => expect(same(value, expected[index]!)).toBe(true));
    expect(() => reluGradientKernel({ inputs: { dy, x: { ...x, shape: [1, 7] } }, backend, attrs: {} })).toThrow(/float32 dy and x of one shape/);
  });

  it('keeps the gradient while another backend name still has the kernel', async () => {
    registerWasmKernels('wasm-second');
    unregisterWasmKernels('wasm-second');
    expect((await reluGradientOnActive()).kernels).toContain(RELU_GRADIENT_KERNEL);
    registerWasmKernels('wasm-second');
    try {
      unregisterWasmKernels();
      expect(tf.getKernel(RELU_GRADIENT_KERNEL, 'wasm-second')).toBeDefined();
      expect((await reluGradientOnActive()).kernels).toContain('Step'); // 'wasm' itself no longer has it
    } finally {
      registerWasmKernels();
      unregisterWasmKernels('wasm-second');
    }
    expect((await reluGradientOnActive()).kernels).toContain(RELU_GRADIENT_KERNEL);
  });
});
