import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { onWasmBackend } from './fixtures/wasm-suite';
import { createRng } from '../rng';
import { biasAddPath, internalKernel, registerWasmKernels, tilePlan, unregisterWasmKernels, WASM_KERNELS } from './wasm-kernels';

/**
 * tlkit's wasm kernels against two independent references: tfjs's stock cpu backend, and central
 * finite differences of a float64 re-implementation of each forward op (straight from the
 * definitions), on the same float32 inputs. Every loss is L = Σ w ⊙ f(θ) with a fixed random w,
 * so ∂L/∂θ is exactly what backpropagation computes.
 */

onWasmBackend();

function randomValues(length: number, seed: number, round = false): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length }, () => (round ? Math.round(rng.normal() * 0.7) : rng.normal()));
}

/** ‖a − b‖ / ‖b‖. */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let difference = 0;
  let norm = 0;
  for (let i = 0; i < b.length; i++) {
    difference += (a[i] - b[i]) ** 2;
    norm += b[i] ** 2;
  }
  return Math.sqrt(difference / Math.max(norm, 1e-300));
}

/** ‖a − b‖ / ‖b‖ over the entries where b is defined (not NaN): b from sampled finite differences. */
function relativeErrorWhereDefined(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let difference = 0;
  let norm = 0;
  let defined = 0;
  for (let i = 0; i < b.length; i++) {
    if (Number.isNaN(b[i])) continue;
    defined++;
    difference += (a[i] - b[i]) ** 2;
    norm += b[i] ** 2;
  }
  if (defined === 0) throw new Error('no finite-difference entries to compare');
  return Math.sqrt(difference / Math.max(norm, 1e-300));
}

/** Gradients of Σ w ⊙ f(inputs) on a backend, as arrays. */
async function gradientsOn(
  backend: string,
  inputs: { values: Float32Array; shape: number[] }[],
  forward: (...tensors: tf.Tensor[]) => tf.Tensor,
  weightSeed: number,
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const tensors = inputs.map(({ values, shape }) => tf.tensor(values, shape, 'float32'));
    const outputShape = forward(...tensors).shape;
    const weights = tf.tensor(randomValues(outputShape.reduce((a, b) => a * b, 1), weightSeed), outputShape);
    const gradients = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(forward(...xs), weights)))(tensors);
    return gradients.map((gradient) => gradient.dataSync() as Float32Array);
  });
}

/** Coordinates whose finite differences are computed: every one up to this many, else a seeded sample of this many. */
const FINITE_DIFFERENCE_COORDINATES = 200;

/**
 * Central differences of Σ w ⊙ f in float64 with respect to input `which`: at every coordinate of
 * a small input, at a seeded random sample of {@link FINITE_DIFFERENCE_COORDINATES} of a large one
 * (NaN elsewhere; compare with {@link relativeErrorWhereDefined}). Each difference re-runs the
 * whole float64 forward op, so a full pass over a 16 → 40-channel filter gradient took half a minute.
 */
function finiteDifferences(
  inputs: { values: Float32Array; shape: number[] }[],
  reference: (values: Float64Array[]) => Float64Array,
  weights: Float32Array,
  which: number,
  step = 1e-3,
): Float64Array {
  const values = inputs.map(({ values: v }) => Float64Array.from(v));
  const loss = () => {
    const out = reference(values);
    let sum = 0;
    for (let i = 0; i < out.length; i++) sum += weights[i] * out[i];
    return sum;
  };
  const target = values[which];
  const gradient = new Float64Array(target.length);
  let coordinates = Array.from({ length: target.length }, (_, i) => i);
  if (target.length > FINITE_DIFFERENCE_COORDINATES) {
    gradient.fill(Number.NaN);
    const rng = createRng(target.length + which);
    for (let i = coordinates.length - 1; i > 0; i--) {
      const j = Math.floor(rng.float() * (i + 1));
      [coordinates[i], coordinates[j]] = [coordinates[j], coordinates[i]];
    }
    coordinates = coordinates.slice(0, FINITE_DIFFERENCE_COORDINATES);
  }
  for (const i of coordinates) {
    const saved = target[i];
    target[i] = saved + step;
    const up = loss();
    target[i] = saved - step;
    const down = loss();
    target[i] = saved;
    gradient[i] = (up - down) / (2 * step);
  }
  return gradient;
}

interface Geometry {
  top: number;
  left: number;
  outHeight: number;
  outWidth: number;
}

/** TensorFlow's padding arithmetic for one axis. */
function padding(size: number, filter: number, stride: number, dilation: number, mode: 'same' | 'valid'): { before: number; out: number } {
  const effective = (filter - 1) * dilation + 1;
  if (mode === 'valid') return { before: 0, out: Math.floor((size - effective) / stride) + 1 };
  const out = Math.ceil(size / stride);
  const total = Math.max(0, (out - 1) * stride + effective - size);
  return { before: Math.floor(total / 2), out };
}

function geometry(h: number, w: number, fh: number, fw: number, stride: [number, number], dilation: [number, number], mode: 'same' | 'valid'): Geometry {
  const rows = padding(h, fh, stride[0], dilation[0], mode);
  const columns = padding(w, fw, stride[1], dilation[1], mode);
  return { top: rows.before, left: columns.before, outHeight: rows.out, outWidth: columns.out };
}

/** conv2d (NHWC, filter [fh, fw, cIn, cOut]) by its definition, in float64. */
function convolution(
  x: Float64Array,
  [b, h, w, cIn]: number[],
  filter: Float64Array,
  [fh, fw, , cOut]: number[],
  stride: [number, number],
  mode: 'same' | 'valid',
): Float64Array {
  const g = geometry(h, w, fh, fw, stride, [1, 1], mode);
  const out = new Float64Array(b * g.outHeight * g.outWidth * cOut);
  for (let n = 0; n < b; n++)
    for (let r = 0; r < g.outHeight; r++)
      for (let c = 0; c < g.outWidth; c++)
        for (let o = 0; o < cOut; o++) {
          let sum = 0;
          for (let i = 0; i < fh; i++)
            for (let j = 0; j < fw; j++) {
              const row = r * stride[0] + i - g.top;
              const column = c * stride[1] + j - g.left;
              if (row < 0 || row >= h || column < 0 || column >= w) continue;
              for (let k = 0; k < cIn; k++) sum += x[((n * h + row) * w + column) * cIn + k] * filter[((i * fw + j) * cIn + k) * cOut + o];
            }
          out[((n * g.outHeight + r) * g.outWidth + c) * cOut + o] = sum;
        }
  return out;
}

/** depthwise conv2d (filter [fh, fw, c, m], output channel c·m + q) by its definition, in float64. */
function depthwise(
  x: Float64Array,
  [b, h, w, channels]: number[],
  filter: Float64Array,
  [fh, fw, , multiplier]: number[],
  stride: [number, number],
  dilation: [number, number],
  mode: 'same' | 'valid',
): Float64Array {
  const g = geometry(h, w, fh, fw, stride, dilation, mode);
  const out = new Float64Array(b * g.outHeight * g.outWidth * channels * multiplier);
  for (let n = 0; n < b; n++)
    for (let r = 0; r < g.outHeight; r++)
      for (let c = 0; c < g.outWidth; c++)
        for (let k = 0; k < channels; k++)
          for (let q = 0; q < multiplier; q++) {
            let sum = 0;
            for (let i = 0; i < fh; i++)
              for (let j = 0; j < fw; j++) {
                const row = r * stride[0] + i * dilation[0] - g.top;
                const column = c * stride[1] + j * dilation[1] - g.left;
                if (row < 0 || row >= h || column < 0 || column >= w) continue;
                sum += x[((n * h + row) * w + column) * channels + k] * filter[((i * fw + j) * channels + k) * multiplier + q];
              }
            out[(((n * g.outHeight + r) * g.outWidth + c) * channels + k) * multiplier + q] = sum;
          }
  return out;
}

/** max-pool (NHWC) by its definition, in float64. */
function maxPooling(x: Float64Array, [b, h, w, channels]: number[], size: number, stride: number, mode: 'same' | 'valid'): Float64Array {
  const g = geometry(h, w, size, size, [stride, stride], [1, 1], mode);
  const out = new Float64Array(b * g.outHeight * g.outWidth * channels);
  for (let n = 0; n < b; n++)
    for (let r = 0; r < g.outHeight; r++)
      for (let c = 0; c < g.outWidth; c++)
        for (let k = 0; k < channels; k++) {
          let best = Number.NEGATIVE_INFINITY;
          for (let i = 0; i < size; i++)
            for (let j = 0; j < size; j++) {
              const row = r * stride + i - g.top;
              const column = c * stride + j - g.left;
              if (row >= 0 && row < h && column >= 0 && column < w) best = Math.max(best, x[((n * h + row) * w + column) * channels + k]);
            }
          out[((n * g.outHeight + r) * g.outWidth + c) * channels + k] = best;
        }
  return out;
}

function outputSize(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The four (transposeA, transposeB) cases of a matrix product. */
const TRANSPOSE_CASES = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

describe('tlkit wasm kernels', () => {
  it('are registered for wasm by the set-up call, and tfjs has no filter gradient of its own there', () => {
    for (const name of WASM_KERNELS) expect(tf.getKernel(name, 'wasm'), name).toBeDefined();
  });

  it('call tfjs\'s own convolution inside other kernels (products as 1 × 1 convolutions), and tlkit\'s for everything else', () => {
    for (const name of ['Conv2D', 'FusedConv2D']) {
      const internal = internalKernel(name, 'wasm');
      expect(internal, name).toBeDefined();
      expect(internal!.kernelFunc, name).not.toBe(tf.getKernel(name, 'wasm')!.kernelFunc);
    }
    expect(internalKernel('Transpose', 'wasm')!.kernelFunc).toBe(tf.getKernel('Transpose', 'wasm')!.kernelFunc);
    // With tlkit's kernels taken out, the internal one is the registered one.
    unregisterWasmKernels();
    try {
      expect(internalKernel('Conv2D', 'wasm')!.kernelFunc).toBe(tf.getKernel('Conv2D', 'wasm')!.kernelFunc);
    } finally {
      registerWasmKernels();
    }
  });

  const convolutionCases: { x: number[]; f: number[]; stride: [number, number]; mode: 'same' | 'valid' }[] = [
    { x: [2, 7, 7, 3], f: [3, 3, 3, 4], stride: [1, 1], mode: 'valid' },
    { x: [2, 7, 6, 3], f: [3, 3, 3, 4], stride: [1, 1], mode: 'same' },
    { x: [2, 8, 7, 3], f: [3, 2, 3, 4], stride: [2, 2], mode: 'same' },
    { x: [2, 9, 8, 3], f: [3, 3, 3, 4], stride: [2, 3], mode: 'valid' },
    { x: [2, 6, 6, 1], f: [5, 5, 1, 2], stride: [1, 1], mode: 'same' },
    // One input channel: the filter gradient by tlkit's WebAssembly loops (taps in SIMD lanes, one
    // pass per group of outputs: one group of 3; 3 + 3; 5 + 5 + 5 + 5; 4; 4 + 4; 4 + 3; filters
    // wider than 24 taps: outputs in SIMD lanes).
    { x: [2, 9, 8, 1], f: [5, 5, 1, 3], stride: [1, 1], mode: 'same' },
    { x: [2, 8, 9, 1], f: [3, 6, 1, 6], stride: [1, 1], mode: 'valid' },
    { x: [2, 6, 7, 1], f: [3, 3, 1, 20], stride: [1, 1], mode: 'valid' },
    { x: [2, 7, 6, 1], f: [3, 3, 1, 4], stride: [1, 1], mode: 'valid' },
    { x: [3, 6, 5, 1], f: [5, 4, 1, 8], stride: [1, 1], mode: 'same' },
    { x: [2, 7, 8, 1], f: [3, 3, 1, 7], stride: [1, 1], mode: 'valid' },
    { x: [1, 2, 28, 1], f: [1, 25, 1, 4], stride: [1, 1], mode: 'valid' },
    // Unpadded stride 1, an even number of input channels, outputs a multiple of 16: the forward and
    // filter-gradient WebAssembly loops (blocked, streamed).
    { x: [2, 7, 6, 8], f: [3, 3, 8, 16], stride: [1, 1], mode: 'valid' },
    { x: [1, 6, 5, 4], f: [3, 2, 4, 32], stride: [1, 1], mode: 'valid' },
    // Unpadded stride 1 with input channels a multiple of 8: the input gradient by the blocked
    // WebAssembly loop (whole 4-column blocks and the columns after them; fewer columns than a block).
    { x: [2, 6, 9, 24], f: [3, 3, 24, 5], stride: [1, 1], mode: 'valid' },
    { x: [1, 5, 4, 8], f: [2, 2, 8, 3], stride: [1, 1], mode: 'valid' },
    // Input channels not a multiple of 8 (LeNet-5's second layer has 6): padded to whole blocks, then compacted.
    { x: [2, 9, 8, 6], f: [5, 5, 6, 4], stride: [1, 1], mode: 'valid' },
    { x: [1, 6, 9, 12], f: [3, 3, 12, 5], stride: [1, 1], mode: 'valid' },
    // Unpadded stride 1 (LeNet-5's second layer, 6 → 16: the streamed loop); 2–6 input channels with
    // outputs a multiple of 8 but not of 16, or an odd count: the few-channel filter-gradient loop.
    { x: [2, 9, 8, 6], f: [5, 5, 6, 16], stride: [1, 1], mode: 'valid' },
    // An image whose x and dy take more than 32 KiB (36.3 KiB): the streamed loop row by row.
    { x: [1, 16, 16, 24], f: [3, 3, 24, 16], stride: [1, 1], mode: 'valid' },
    { x: [3, 6, 7, 2], f: [3, 2, 2, 8], stride: [1, 1], mode: 'valid' },
    { x: [1, 5, 5, 5], f: [2, 3, 5, 24], stride: [1, 1], mode: 'valid' },
    // Padded stride 1 with rows of ≥ 8 outputs (ResNet's 'same' 3 × 3; asymmetric for a 2 × 3
    // filter): the forward and filter-gradient loops on x with its padding written out.
    { x: [2, 8, 9, 8], f: [3, 3, 8, 16], stride: [1, 1], mode: 'same' },
    { x: [1, 9, 10, 16], f: [2, 3, 16, 16], stride: [1, 1], mode: 'same' },
    // ≥ 16 input channels and a smaller x than dy: the filter gradient with x as the filter.
    { x: [2, 5, 5, 16], f: [3, 3, 16, 24], stride: [1, 1], mode: 'same' },
    { x: [1, 6, 5, 16], f: [3, 2, 16, 40], stride: [1, 1], mode: 'valid' },
    // 3 × 3 with ≥ 1024 channel pairs and whole 2 × 2 output tiles: Winograd's F(2 × 2, 3 × 3) for
    // the forward pass and the input gradient (dy padded by 2, or by 1 for 'same').
    { x: [2, 6, 8, 32], f: [3, 3, 32, 32], stride: [1, 1], mode: 'valid' },
    { x: [1, 8, 8, 32], f: [3, 3, 32, 32], stride: [1, 1], mode: 'same' },
  ];
  for (const { x, f, stride, mode } of convolutionCases) {
    it(`conv2d gradients (x ${x}, filter ${f}, stride ${stride}, ${mode}) match cpu and finite differences`, async () => {
      const inputs = [
        { values: randomValues(outputSize(x), 1), shape: x },
        { values: randomValues(outputSize(f), 2), shape: f },
      ];
      const forward = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, mode);
      const before = tf.memory().numTensors;
      const [dxWasm, dfWasm] = await gradientsOn('wasm', inputs, forward, 3);
      expect(tf.memory().numTensors).toBe(before);
      const [dxCpu, dfCpu] = await gradientsOn('cpu', inputs, forward, 3);
      await tf.setBackend('wasm');
      expect(relativeError(dxWasm, dxCpu)).toBeLessThan(1e-5);
      expect(relativeError(dfWasm, dfCpu)).toBeLessThan(1e-5);
      const g = geometry(x[1], x[2], f[0], f[1], stride, [1, 1], mode);
      const weights = randomValues(x[0] * g.outHeight * g.outWidth * f[3], 3);
      const reference = ([a, b]: Float64Array[]) => convolution(a, x, b, f, stride, mode);
      expect(relativeErrorWhereDefined(dxWasm, finiteDifferences(inputs, reference, weights, 0))).toBeLessThan(1e-4);
      expect(relativeErrorWhereDefined(dfWasm, finiteDifferences(inputs, reference, weights, 1))).toBeLessThan(1e-4);
    });
  }

  const depthwiseCases: { x: number[]; f: number[]; stride: [number, number]; mode: 'same' | 'valid' }[] = [
    { x: [2, 7, 7, 3], f: [3, 3, 3, 1], stride: [1, 1], mode: 'valid' },
    { x: [2, 7, 6, 3], f: [3, 3, 3, 2], stride: [1, 1], mode: 'same' },
    { x: [2, 8, 8, 3], f: [3, 2, 3, 2], stride: [2, 2], mode: 'same' },
  ];
  for (const { x, f, stride, mode } of depthwiseCases) {
    it(`depthwise gradients (x ${x}, filter ${f}, stride ${stride}, ${mode}) match cpu and finite differences`, async () => {
      const inputs = [
        { values: randomValues(outputSize(x), 4), shape: x },
        { values: randomValues(outputSize(f), 5), shape: f },
      ];
      const forward = (a: tf.Tensor, b: tf.Tensor) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, mode);
      const [dxWasm, dfWasm] = await gradientsOn('wasm', inputs, forward, 6);
      const [dxCpu, dfCpu] = await gradientsOn('cpu', inputs, forward, 6);
      await tf.setBackend('wasm');
      expect(relativeError(dxWasm, dxCpu)).toBeLessThan(1e-5);
      expect(relativeError(dfWasm, dfCpu)).toBeLessThan(1e-5);
      const g = geometry(x[1], x[2], f[0], f[1], stride, [1, 1], mode);
      const weights = randomValues(x[0] * g.outHeight * g.outWidth * f[2] * f[3], 6);
      const reference = ([a, b]: Float64Array[]) => depthwise(a, x, b, f, stride, [1, 1], mode);
      expect(relativeErrorWhereDefined(dxWasm, finiteDifferences(inputs, reference, weights, 0))).toBeLessThan(1e-4);
      expect(relativeErrorWhereDefined(dfWasm, finiteDifferences(inputs, reference, weights, 1))).toBeLessThan(1e-4);
    });
  }

  it('an input gradient whose dy does not fit the declared input shape (tfjs checks only depths) keeps the declared shape, as on cpu', async () => {
    // dy 8 × 8 with a valid 3 × 3 filter implies a 10 × 10 input; 8 × 8 is declared. Winograd's path
    // derives dx's size from dy, so it must step aside.
    const run = () =>
      tf.tidy(() => {
        const dy = tf.tensor(randomValues(8 * 8 * 64, 5), [1, 8, 8, 64]) as tf.Tensor4D;
        const filter = tf.tensor(randomValues(9 * 32 * 64, 6), [3, 3, 32, 64]) as tf.Tensor4D;
        const dx = tf.conv2dTranspose(dy, filter, [1, 8, 8, 32], 1, 'valid');
        return { shape: dx.shape, values: dx.dataSync() as Float32Array };
      });
    const onWasm = run();
    await tf.setBackend('cpu');
    try {
      const onCpu = run();
      expect(onWasm.shape).toEqual([1, 8, 8, 32]);
      expect(onWasm.shape).toEqual(onCpu.shape);
      // The values of such a call are not defined (cpu reads dy as if it had the implied size), so only shapes are compared.
      expect(onWasm.values.length).toBe(onCpu.values.length);
    } finally {
      await tf.setBackend('wasm');
    }
  });

  it('depthwise backprop kernels with dilation 2 match finite differences (tfjs gradients refuse dilation; the kernels do not)', () => {
    const x = [1, 9, 8, 2];
    const f = [3, 2, 2, 2];
    const inputs = [
      { values: randomValues(outputSize(x), 7), shape: x },
      { values: randomValues(outputSize(f), 8), shape: f },
    ];
    const g = geometry(x[1], x[2], f[0], f[1], [1, 1], [2, 2], 'same');
    const dyShape = [1, g.outHeight, g.outWidth, f[2] * f[3]];
    const weights = randomValues(outputSize(dyShape), 9);
    const attrs = { strides: [1, 1], dilations: [2, 2], pad: 'same' };
    const [dx, df] = tf.tidy(() => {
      const xTensor = tf.tensor(inputs[0].values, x);
      const filter = tf.tensor(inputs[1].values, f);
      const dy = tf.tensor(weights, dyShape);
      const dxTensor = tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter }, { ...attrs, inputShape: x }) as tf.Tensor;
      const dfTensor = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: xTensor, dy }, { ...attrs, filterShape: f }) as tf.Tensor;
      return [dxTensor.dataSync(), dfTensor.dataSync()];
    });
    const reference = ([a, b]: Float64Array[]) => depthwise(a, x, b, f, [1, 1], [2, 2], 'same');
    expect(relativeErrorWhereDefined(dx, finiteDifferences(inputs, reference, weights, 0))).toBeLessThan(1e-4);
    expect(relativeErrorWhereDefined(df, finiteDifferences(inputs, reference, weights, 1))).toBeLessThan(1e-4);
  });

  for (const { x, size, stride, mode } of [
    { x: [2, 6, 6, 3], size: 2, stride: 2, mode: 'valid' as const },
    { x: [2, 7, 7, 3], size: 3, stride: 2, mode: 'same' as const },
    { x: [2, 7, 5, 2], size: 3, stride: 1, mode: 'same' as const },
    // 2 × 2 at stride 2 with an odd size: the last row and column lie in no window.
    { x: [2, 7, 5, 3], size: 2, stride: 2, mode: 'valid' as const },
    // 4 or more channels: the SIMD loop, which stores every window element (no zero fill first) …
    { x: [2, 6, 8, 6], size: 2, stride: 2, mode: 'valid' as const },
    // … and with a last row in no window (filled with zeros first).
    { x: [2, 7, 6, 5], size: 2, stride: 2, mode: 'valid' as const },
  ]) {
    it(`max-pool gradient (x ${x}, ${size}×${size}, stride ${stride}, ${mode}) matches cpu and finite differences, and cpu on ties`, async () => {
      const forward = (a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, size, stride, mode);
      const distinct = [{ values: randomValues(outputSize(x), 10), shape: x }];
      const [wasm] = await gradientsOn('wasm', distinct, forward, 11);
      const [cpu] = await gradientsOn('cpu', distinct, forward, 11);
      // Integers in [-2, 2] (after ReLU-like rounding): most windows hold tied maxima.
      const tied = [{ values: randomValues(outputSize(x), 12, true), shape: x }];
      const [wasmTied] = await gradientsOn('wasm', tied, forward, 13);
      const [cpuTied] = await gradientsOn('cpu', tied, forward, 13);
      await tf.setBackend('wasm');
      expect(relativeError(wasm, cpu)).toBeLessThan(1e-6);
      // Misrouted ties would be O(1) errors; overlapping windows only add in another order.
      expect(relativeError(wasmTied, cpuTied)).toBeLessThan(1e-6);
      const g = geometry(x[1], x[2], size, size, [stride, stride], [1, 1], mode);
      const weights = randomValues(x[0] * g.outHeight * g.outWidth * x[3], 11);
      const reference = ([a]: Float64Array[]) => maxPooling(a, x, size, stride, mode);
      expect(relativeErrorWhereDefined(wasm, finiteDifferences(distinct, reference, weights, 0, 1e-5))).toBeLessThan(1e-4);
    });
  }

  it('max-pool gradient without the pooled output (scan path) equals the one given it', () => {
    const attrs = { filterSize: [3, 3], strides: [2, 2], pad: 'same' };
    const [scanned, matched] = tf.tidy(() => {
      const input = tf.tensor(randomValues(2 * 7 * 6 * 3, 25, true), [2, 7, 6, 3]);
      const output = tf.maxPool(input as tf.Tensor4D, 3, 2, 'same');
      const dy = tf.tensor(randomValues(output.size, 26), output.shape);
      return [
        (tf.engine().runKernel('MaxPoolGrad', { dy, input }, attrs) as tf.Tensor).dataSync(),
        (tf.engine().runKernel('MaxPoolGrad', { dy, input, output }, attrs) as tf.Tensor).dataSync(),
      ];
    });
    expect(Array.from(scanned)).toEqual(Array.from(matched));
  });

  it('max-pool gradient sends a tied window to its first maximum in row-major order (hand-worked)', () => {
    // One 2×2 window [[1, 3], [3, 2]]: the maximum 3 is tied; the first in scan order is (0, 1).
    const dx = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'), 5)))(tf.tensor4d([1, 3, 3, 2], [1, 2, 2, 1])).dataSync());
    expect(Array.from(dx)).toEqual([0, 5, 0, 0]);
  });

  it('max-pool gradient (2 × 2, stride 2) on negative, tied and −∞ windows (hand-worked)', () => {
    // Windows [[-1, -1], [-2, -1]] (first maximum −1 at (0, 0)), [[0, -3], [0, 0]] (first 0 at
    // (0, 0)), [[-5, 4], [4, -6]] (first 4 at (0, 1)), [[−∞, −∞], [−∞, −∞]] (no maximum: no gradient).
    const minus = Number.NEGATIVE_INFINITY;
    const x = [
      [-1, -1, 0, -3, -5, 4, minus, minus],
      [-2, -1, 0, 0, 4, -6, minus, minus],
    ].flat();
    const dx = tf.tidy(() =>
      tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(input as tf.Tensor4D, 2, 2, 'valid'), tf.tensor4d([2, 3, 5, 7], [1, 1, 4, 1]))))(tf.tensor4d(x, [1, 2, 8, 1])).dataSync(),
    );
    expect(Array.from(dx)).toEqual([2, 0, 3, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('bias additions ([..., c] + [c], either order) equal cpu bit for bit; other additions are untouched', async () => {
    const cases: { a: number[]; b: number[]; path: 'simd' | 'tiled' | 'stock' }[] = [
      { a: [4, 9, 9, 6], b: [6], path: 'simd' }, // 1944 values: 162 runs of the 12-value pattern
      { a: [6], b: [4, 9, 9, 6], path: 'simd' },
      { a: [4, 9, 9, 6], b: [1, 1, 1, 6], path: 'simd' },
      { a: [64, 200], b: [200], path: 'simd' }, // a pattern of 200
      { a: [64, 10], b: [10], path: 'simd' }, // 640 values, a pattern of 20
      { a: [5, 13, 7, 11], b: [11], path: 'tiled' }, // 5005 values, not whole runs of 44: 35 rows of 13 · 11
      { a: [4, 9, 9, 6], b: [4, 9, 9, 6], path: 'stock' }, // same shapes
      { a: [4, 9, 9, 6], b: [4, 1, 1, 6], path: 'stock' }, // another broadcast
      { a: [3, 5], b: [5], path: 'stock' }, // 15 values, not whole runs of 20, small
    ];
    for (const { a, b, path } of cases) {
      const [large, vector] = outputSize(a) >= outputSize(b) ? [a, b] : [b, a];
      expect(biasAddPath({ shape: large, dtype: 'float32' }, { shape: vector, dtype: 'float32' })).toBe(path);
    }
    expect(biasAddPath({ shape: [4, 9, 9, 6], dtype: 'int32' }, { shape: [6], dtype: 'int32' })).toBe('stock');
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() =>
        cases.map(({ a, b }, index) => {
          const sum = tf.add(tf.tensor(randomValues(outputSize(a), 40 + index), a), tf.tensor(randomValues(outputSize(b), 60 + index), b));
          return { shape: sum.shape, values: Array.from(sum.dataSync()) };
        }),
      );
    };
    const before = tf.memory().numTensors;
    const wasm = await run('wasm');
    expect(tf.memory().numTensors).toBe(before);
    const cpu = await run('cpu');
    await tf.setBackend('wasm');
    wasm.forEach((result, index) => {
      expect(result.shape).toEqual(cpu[index].shape);
      expect(result.values).toEqual(cpu[index].values); // one float32 addition per element either way
    });
    // Independent: one element by hand.
    const [first] = cases;
    const a = randomValues(outputSize(first.a), 40);
    const b = randomValues(6, 60);
    expect(wasm[0].values[6 * 17 + 4]).toBe(Math.fround(a[6 * 17 + 4] + b[4]));
  });

  it('forward convolutions (the one-channel and blocked WebAssembly loops, padded or not, FusedConv2D without bias; their fallbacks) equal cpu and float64', async () => {
    type Case = { x: number[]; f: number[]; mode: 'same' | 'valid'; fused?: 'plain' | 'bias-relu' };
    const cases: Case[] = [
      { x: [2, 8, 8, 1], f: [5, 5, 1, 6], mode: 'same' }, // the one-channel loop
      { x: [2, 7, 10, 1], f: [3, 3, 1, 5], mode: 'valid' },
      { x: [1, 6, 8, 1], f: [2, 3, 1, 12], mode: 'same' },
      { x: [2, 7, 9, 1], f: [3, 3, 1, 4], mode: 'valid' }, // output width 7: tfjs's kernel
      { x: [2, 8, 8, 1], f: [3, 3, 1, 16], mode: 'same' }, // one channel, 16 outputs: the blocked loop
      { x: [2, 9, 7, 1], f: [3, 3, 1, 32], mode: 'valid' }, // one channel, 32 outputs (small-CNN's first layer): the blocked loop
      { x: [2, 9, 8, 6], f: [5, 5, 6, 16], mode: 'valid' }, // the blocked loop: 2-column blocks and one column after them
      { x: [2, 8, 9, 8], f: [3, 3, 8, 16], mode: 'same' }, // padding written out, rows of 9 outputs
      { x: [1, 9, 10, 4], f: [2, 3, 4, 32], mode: 'same', fused: 'plain' }, // FusedConv2D, no bias: the loop
      { x: [2, 6, 6, 8], f: [3, 3, 8, 16], mode: 'same' }, // rows of 6 outputs: tfjs's kernel
      { x: [2, 7, 7, 3], f: [3, 3, 3, 8], mode: 'valid' }, // 8 outputs: tfjs's kernel
      { x: [1, 9, 10, 4], f: [2, 3, 4, 32], mode: 'same', fused: 'bias-relu' }, // fused bias and ReLU: tfjs's kernel
    ];
    const shape4 = (shape: number[]) => shape as [number, number, number, number];
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() =>
        cases.map(({ x, f, mode, fused }, index) => {
          const input = tf.tensor4d(randomValues(outputSize(x), 60 + index), shape4(x));
          const filter = tf.tensor4d(randomValues(outputSize(f), 70 + index), shape4(f));
          const y = !fused
            ? tf.conv2d(input, filter, 1, mode)
            : tf.fused.conv2d({ x: input, filter, strides: 1, pad: mode, ...(fused === 'bias-relu' ? { bias: tf.tensor1d(randomValues(f[3]!, 80)), activation: 'relu' as const } : {}) });
          return { shape: y.shape, values: y.dataSync().slice() };
        }),
      );
    };
    const before = tf.memory().numTensors;
    const wasm = await run('wasm');
    expect(tf.memory().numTensors).toBe(before);
    const cpu = await run('cpu');
    await tf.setBackend('wasm');
    wasm.forEach((result, index) => {
      expect(result.shape).toEqual(cpu[index]!.shape);
      expect(relativeError(result.values, cpu[index]!.values), `case ${index}`).toBeLessThan(1e-6);
    });
    // Independent: the float64 definition at every output of the loops' cases.
    for (const index of [0, 1, 2, 4, 5, 6, 7, 8]) {
      const { x, f, mode } = cases[index]!;
      const reference = convolution(Float64Array.from(randomValues(outputSize(x), 60 + index)), x, Float64Array.from(randomValues(outputSize(f), 70 + index)), f, [1, 1], mode);
      expect(relativeError(wasm[index]!.values, reference), `case ${index}`).toBeLessThan(1e-6);
    }
  });

  /**
   * Applies each case's op to seeded values of its shape as float32, int32 and bool, on wasm then
   * on cpu (seed `seed` + case index), checks that wasm leaves no tensor behind and gives exactly
   * cpu's shapes and values, and returns the wasm results (three per case, in that dtype order).
   */
  async function exactlyAsCpu(cases: { shape: number[]; apply: (x: tf.Tensor) => tf.Tensor }[], seed: number): Promise<{ shape: number[]; values: number[] }[]> {
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() =>
        cases.flatMap(({ shape, apply }, index) =>
          (['float32', 'int32', 'bool'] as const).map((dtype) => {
            const values = randomValues(outputSize(shape), seed + index).map((value) => (dtype === 'float32' ? value : Math.round(value * 100)));
            const result = apply(tf.tensor(dtype === 'bool' ? values.map((value) => (value > 0 ? 1 : 0)) : values, shape, dtype));
            return { shape: result.shape, values: Array.from(result.dataSync()) };
          }),
        ),
      );
    };
    const before = tf.memory().numTensors;
    const wasm = await run('wasm');
    expect(tf.memory().numTensors).toBe(before);
    const cpu = await run('cpu');
    await tf.setBackend('wasm');
    wasm.forEach((result, index) => {
      expect(result.shape).toEqual(cpu[index]!.shape);
      expect(result.values).toEqual(cpu[index]!.values);
    });
    return wasm;
  }

  it('transposes equal cpu exactly (float32 and int32, size-1 axes, merged axes, contiguous rows); rank 5 and bool fall back', async () => {
    const cases: { shape: number[]; perm: number[] }[] = [
      { shape: [6, 7], perm: [1, 0] },
      { shape: [4, 5, 6, 3], perm: [3, 1, 2, 0] }, // every axis moves: element by element
      { shape: [4, 5, 6, 3], perm: [1, 2, 0, 3] }, // rows of 3 stay contiguous: row copies
      { shape: [4, 1, 6, 3], perm: [3, 1, 2, 0] }, // a size-1 axis
      { shape: [2, 3, 4, 5], perm: [0, 2, 3, 1] }, // axes 2 and 3 merge
      { shape: [2, 3, 4, 5, 2], perm: [4, 3, 2, 1, 0] }, // five axes: tfjs's kernel
      { shape: [3, 4, 5], perm: [0, 1, 2] }, // no change: tfjs's kernel
    ];
    const wasm = await exactlyAsCpu(cases.map(({ shape, perm }) => ({ shape, apply: (x: tf.Tensor) => tf.transpose(x, perm) })), 80);
    // Independent: one element by hand, out[i, j, k, l] = x[l, j, k, i] for perm [3, 1, 2, 0].
    const values = randomValues(4 * 5 * 6 * 3, 81);
    const element = wasm[3].values[((2 * 5 + 4) * 6 + 1) * 4 + 3]; // float32 case of cases[1] at [2, 4, 1, 3]
    expect(element).toBe(values[((3 * 5 + 4) * 6 + 1) * 3 + 2]);
  });

  it('tiles equal cpu exactly (broadcast axes, true repeats, merged axes, float32 and int32), with a hand-checked element; too many axes and bool fall back', async () => {
    const cases: { shape: number[]; reps: number[] }[] = [
      { shape: [1, 1, 1, 16], reps: [3, 4, 5, 1] }, // batch-norm gradient: one stride-0 axis and one contiguous row
      { shape: [2, 3], reps: [2, 2] }, // true repeats on both axes: four axes
      { shape: [3, 1, 5], reps: [1, 4, 2] },
      { shape: [1, 6, 1], reps: [2, 1, 3] },
      { shape: [2, 2, 2], reps: [2, 2, 2] }, // six axes: tfjs's kernel
      { shape: [7], reps: [1] },
    ];
    expect(tilePlan([1, 1, 1, 16], [3, 4, 5, 1])).toEqual({ sizes: [1, 1, 60, 16], byteStrides: [0, 0, 0, 4], used: 2 });
    expect(tilePlan([2, 2, 2], [2, 2, 2])).toBeNull();
    const wasm = await exactlyAsCpu(cases.map(({ shape, reps }) => ({ shape, apply: (x: tf.Tensor) => tf.tile(x, reps) })), 90);
    // Independent: [2, 3] tiled by [2, 2] is 4 × 6 with out[r, c] = x[r mod 2, c mod 3].
    const x = randomValues(6, 91);
    const out = wasm[3]!.values; // float32 case of cases[1]
    for (let r = 0; r < 4; r++) for (let c = 0; c < 6; c++) expect(out[r * 6 + c]).toBe(x[(r % 2) * 3 + (c % 3)]);
  });

  it('small matrix products (tlkit\'s loop: 4-row blocks, single rows, columns padded to 8; transposed left operands with few columns as the transposed product) equal a float64 product', () => {
    for (const [batch, rows, inner, columns] of [
      [1, 13, 9, 17],
      [1, 4, 1, 8],
      [2, 5, 9, 11],
      [1, 64, 40, 12],
      [1, 96, 9, 10], // transposeA: the transposed product (96 rows in whole blocks, 10 columns)
      [1, 160, 5, 3],
    ]) {
      for (const [transposeA, transposeB] of TRANSPOSE_CASES) {
        if (batch > 1 && transposeA) continue; // a batched, transposed left operand goes to tfjs's kernel
        const a = randomValues(batch * rows * inner, 31);
        const b = randomValues(inner * columns, 32);
        const shapeA = batch > 1 ? [batch, rows, inner] : transposeA ? [inner, rows] : [rows, inner];
        const shapeB = transposeB ? [columns, inner] : [inner, columns];
        const before = tf.memory().numTensors;
        const got = tf.tidy(() => tf.matMul(tf.tensor(a, shapeA), tf.tensor(b, shapeB), transposeA, transposeB).dataSync());
        expect(tf.memory().numTensors).toBe(before);
        const expected = new Float64Array(batch * rows * columns);
        for (let t = 0; t < batch; t++)
          for (let m = 0; m < rows; m++)
            for (let n = 0; n < columns; n++) {
              let sum = 0;
              for (let k = 0; k < inner; k++) {
                const left = transposeA ? a[k * rows + m] : a[(t * rows + m) * inner + k];
                const right = transposeB ? b[n * inner + k] : b[k * columns + n];
                sum += left * right;
              }
              expected[(t * rows + m) * columns + n] = sum;
            }
        expect(relativeError(got, expected), `${[batch, rows, inner, columns]} ${transposeA} ${transposeB}`).toBeLessThan(1e-6);
      }
    }
  });

  it('matrix products (all four transpose cases) and the fused dense product match cpu and finite differences', async () => {
    for (const [transposeA, transposeB] of TRANSPOSE_CASES) {
      const shapeA = transposeA ? [7, 5] : [5, 7];
      const shapeB = transposeB ? [3, 7] : [7, 3];
      const inputs = [
        { values: randomValues(35, 14), shape: shapeA },
        { values: randomValues(21, 15), shape: shapeB },
      ];
      const forward = (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, b, transposeA, transposeB);
      const wasm = await gradientsOn('wasm', inputs, forward, 16);
      const cpu = await gradientsOn('cpu', inputs, forward, 16);
      await tf.setBackend('wasm');
      const weights = randomValues(15, 16);
      const reference = ([a, b]: Float64Array[]) => {
        const out = new Float64Array(15);
        for (let i = 0; i < 5; i++)
          for (let j = 0; j < 3; j++)
            for (let k = 0; k < 7; k++) out[i * 3 + j] += (transposeA ? a[k * 5 + i] : a[i * 7 + k]) * (transposeB ? b[j * 7 + k] : b[k * 3 + j]);
        return out;
      };
      for (const which of [0, 1]) {
        expect(relativeError(wasm[which], cpu[which])).toBeLessThan(1e-5);
        expect(relativeErrorWhereDefined(wasm[which], finiteDifferences(inputs, reference, weights, which))).toBeLessThan(1e-4);
      }
    }
    const dense = [
      { values: randomValues(30, 17), shape: [6, 5] },
      { values: randomValues(20, 18), shape: [5, 4] },
      { values: randomValues(4, 19), shape: [4] },
    ];
    const fused = (a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor) => tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias, activation: 'relu' });
    const wasm = await gradientsOn('wasm', dense, fused, 20);
    const cpu = await gradientsOn('cpu', dense, fused, 20);
    await tf.setBackend('wasm');
    for (let i = 0; i < 3; i++) expect(relativeError(wasm[i], cpu[i])).toBeLessThan(1e-5);
  });

  it('batched products with a batched right operand fall back to tfjs and stay exact', () => {
    const [a, b] = [randomValues(70, 21), randomValues(42, 22)];
    const product = tf.tidy(() => tf.matMul(tf.tensor(a, [2, 5, 7]), tf.tensor(b, [2, 7, 3])).dataSync());
    for (let n = 0; n < 2; n++)
      for (let i = 0; i < 5; i++)
        for (let j = 0; j < 3; j++) {
          let sum = 0;
          for (let k = 0; k < 7; k++) sum += a[n * 35 + i * 7 + k] * b[n * 21 + k * 3 + j];
          expect(product[n * 15 + i * 3 + j]).toBeCloseTo(sum, 4);
        }
  });

  it('sums over leading axes (bias gradients) equal cpu, with and without keepDims; other reductions are untouched', async () => {
    const values = randomValues(8 * 12 * 10 * 20, 27);
    const reductions: { axis: number[]; keepDims: boolean }[] = [
      { axis: [0, 1, 2], keepDims: false },
      { axis: [0, 1], keepDims: true },
      { axis: [0], keepDims: false },
      { axis: [1, 2], keepDims: false },
      { axis: [0, 1, 2, 3], keepDims: false },
    ];
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const x = tf.tensor(values, [8, 12, 10, 20]);
        return reductions.map(({ axis, keepDims }) => {
          const total = tf.sum(x, axis, keepDims);
          return { shape: total.shape, values: total.dataSync() };
        });
      });
    };
    const wasm = await run('wasm');
    const cpu = await run('cpu');
    await tf.setBackend('wasm');
    wasm.forEach((result, index) => {
      expect(result.shape).toEqual(cpu[index].shape);
      expect(relativeError(result.values, cpu[index].values)).toBeLessThan(1e-5); // float32 sums in another order
    });
  });

  it('UnsortedSegmentSum adds rows by segment and drops negative ids (hand-worked); gather trains through it', () => {
    const sums = tf.tidy(() =>
      tf.unsortedSegmentSum(tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [5, 2]), tf.tensor1d([2, -1, 0, 2, 1], 'int32'), 4).arraySync(),
    );
    expect(sums).toEqual([
      [5, 6],
      [9, 10],
      [8, 10],
      [0, 0],
    ]);
    // d/dx Σ w ⊙ gather(x, [0, 2, 2, 1]) adds w's rows at their indices.
    const gradient = tf.tidy(() =>
      tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.gather(x, tf.tensor1d([0, 2, 2, 1], 'int32')), tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]))))(tf.zeros([3, 2])).arraySync(),
    );
    expect(gradient).toEqual([
      [1, 2],
      [7, 8],
      [8, 10],
    ]);
    expect(() => tf.unsortedSegmentSum(tf.ones([2, 2]), tf.tensor1d([0, 4], 'int32'), 4)).toThrow(/segmentIds: id 4 at position 1 is not below numSegments 4/);
  });

  it('UnsortedSegmentSum matches cpu on random rows with repeated and negative ids, and gather trains through it (finite differences)', async () => {
    const rows = 12;
    const ids = Int32Array.from(randomValues(rows, 28), (value) => Math.floor(Math.abs(value) * 3) - 1); // −1 … 5, repeats
    expect(ids.some((id) => id < 0) && new Set(ids).size < rows).toBe(true); // the case covers dropped and repeated ids
    const values = randomValues(rows * 4, 29);
    const segmentSums = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() => tf.unsortedSegmentSum(tf.tensor2d(values, [rows, 4]), tf.tensor1d(ids, 'int32'), 7).dataSync());
    };
    const wasmSums = await segmentSums('wasm');
    const cpuSums = await segmentSums('cpu');
    await tf.setBackend('wasm');
    expect(relativeError(wasmSums, cpuSums)).toBeLessThan(1e-6);
    // d/dx Σ w ⊙ gather(x, indices): tfjs's gather gradient is an UnsortedSegmentSum of w.
    const indices = Int32Array.from(randomValues(15, 30), (value) => Math.floor(Math.abs(value) * 2.5) % 6);
    const inputs = [{ values: randomValues(6 * 3, 31), shape: [6, 3] }];
    const forward = (x: tf.Tensor) => tf.gather(x, tf.tensor1d(indices, 'int32'));
    const [wasm] = await gradientsOn('wasm', inputs, forward, 32);
    const [cpu] = await gradientsOn('cpu', inputs, forward, 32);
    await tf.setBackend('wasm');
    expect(relativeError(wasm, cpu)).toBeLessThan(1e-6);
    const weights = randomValues(15 * 3, 32);
    const reference = ([x]: Float64Array[]) => Float64Array.from({ length: 15 * 3 }, (_, at) => x[indices[Math.floor(at / 3)] * 3 + (at % 3)]);
    expect(relativeErrorWhereDefined(wasm, finiteDifferences(inputs, reference, weights, 0))).toBeLessThan(1e-4);
  });

  it('frees every intermediate on the backend (no leaked wasm memory)', () => {
    const backend = tf.engine().backend;
    const x = tf.tensor(randomValues(2 * 8 * 8 * 3, 23), [2, 8, 8, 3]);
    const f = tf.tensor(randomValues(3 * 3 * 3 * 4, 24), [3, 3, 3, 4]);
    const step = () =>
      tf.tidy(() => {
        const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.maxPool(tf.relu(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')), 2, 2, 'same')))([x, f]);
        return tf.add(tf.sum(dx), tf.sum(df)).dataSync()[0];
      });
    step();
    const dataIds = backend.numDataIds();
    const tensors = tf.memory().numTensors;
    step();
    expect(backend.numDataIds()).toBe(dataIds);
    expect(tf.memory().numTensors).toBe(tensors);
    tf.dispose([x, f]);
  });
});
