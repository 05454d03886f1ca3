import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../backend/setup';
import { createRng } from '../rng';
import { createHostOptimizer, createOptimizer, createTensorOptimizer, optimizerSchema, type ParameterOptimizer } from './optimizers';

const settings = (overrides: Record<string, unknown>) => optimizerSchema.parse(overrides);

/** Runs `steps` updates of one optimiser over two variables with fixed gradients; returns the weights. */
function run(optimizer: ParameterOptimizer, gradients: number[][][], scales: number[] = [1, 1]): { weights: number[][]; variables: tf.Variable[] } {
  const variables = tf.tidy(() => [tf.variable(tf.tensor1d([0.5, -1, 2])), tf.variable(tf.tensor1d([3, -0.25]))]);
  for (const step of gradients) {
    const tensors = step.map((values) => tf.tensor1d(values));
    optimizer.apply(variables, tensors, scales);
    tf.dispose(tensors);
  }
  return { weights: variables.map((variable) => Array.from(variable.dataSync())), variables };
}

const gradients = [
  [
    [0.1, -0.2, 0.3],
    [1, -2],
  ],
  [
    [-0.4, 0.5, 0.05],
    [0.5, 0.25],
  ],
  [
    [0.2, 0.2, -0.1],
    [-1, 3],
  ],
];

describe('optimisers', () => {
  it('Adam takes the bias-corrected steps of Kingma & Ba (hand-worked for two steps)', () => {
    const learningRate = 0.1;
    const { weights, variables } = run(createHostOptimizer(settings({ type: 'adam', learningRate })), gradients.slice(0, 2));
    // Element 0 of the first variable: g₁ = 0.1, g₂ = −0.4, β₁ = 0.9, β₂ = 0.999, ε = 1e-8.
    let w = 0.5;
    w -= learningRate * (0.1 / (Math.sqrt(0.01) + 1e-8)); // step 1: m̂ = g₁, v̂ = g₁²
    const m = 0.9 * 0.1 * 0.1 + 0.1 * -0.4; // m₂ = β₁ (1 − β₁) g₁ + (1 − β₁) g₂
    const v = 0.999 * 0.001 * 0.01 + 0.001 * 0.16;
    w -= (learningRate * (m / (1 - 0.81))) / (Math.sqrt(v / (1 - 0.999 ** 2)) + 1e-8);
    expect(weights[0][0]).toBeCloseTo(w, 6);
    tf.dispose(variables);
  });

  for (const type of ['sgd', 'momentum', 'adam'] as const) {
    it(`${type}: the host-memory update equals the tensor-op update (with AdamW-style decay and a per-variable scale)`, () => {
      const options = settings({ type, learningRate: 0.05, weightDecay: 0.01 });
      const host = run(createHostOptimizer(options), gradients, [1, 0.5]);
      const tensor = run(createTensorOptimizer(options), gradients, [1, 0.5]);
      for (let v = 0; v < 2; v++) for (let i = 0; i < host.weights[v].length; i++) expect(host.weights[v][i]).toBeCloseTo(tensor.weights[v][i], 6);
      tf.dispose([...host.variables, ...tensor.variables]);
    });
  }

  it('a variable with scale 0 is left unchanged and its moments do not advance', () => {
    const optimizer = createHostOptimizer(settings({ type: 'adam', learningRate: 0.1 }));
    const { weights, variables } = run(optimizer, gradients, [1, 0]);
    expect(weights[1]).toEqual([3, -0.25]);
    const state = optimizer.getState(variables);
    expect(Array.from(state.arrays.steps.data)).toEqual([3, 0]);
    expect(state.arrays['1/first']).toBeUndefined();
    tf.dispose(variables);
  });

  it('restores its state exactly: 1 step + checkpoint + 2 steps equals 3 steps, with no tensor left behind', () => {
    const before = tf.memory().numTensors;
    const options = settings({ type: 'adam', learningRate: 0.05 });
    const whole = run(createHostOptimizer(options), gradients);
    const first = createHostOptimizer(options);
    const part = run(first, gradients.slice(0, 1));
    const state = first.getState(part.variables);
    const resumed = createHostOptimizer(options);
    resumed.setState(part.variables, state);
    for (const step of gradients.slice(1)) {
      const tensors = step.map((values) => tf.tensor1d(values));
      resumed.apply(part.variables, tensors, [1, 1]);
      tf.dispose(tensors);
    }
    expect(part.variables.map((variable) => Array.from(variable.dataSync()))).toEqual(whole.weights);
    expect(resumed.getState(part.variables).json.steps).toBe(3);
    tf.dispose([...whole.variables, ...part.variables]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('Adam on the wasm heap (WebAssembly loop)', () => {
  let before: string;
  beforeAll(async () => {
    before = tf.getBackend();
    await setupBackend({ backend: 'wasm', log: false });
  });
  afterAll(async () => {
    await tf.setBackend(before);
  });

  it('is what createOptimizer picks on wasm, and takes the hand-worked steps of Kingma & Ba', () => {
    const learningRate = 0.1;
    const optimizer = createOptimizer(settings({ type: 'adam', learningRate }));
    const { weights, variables } = run(optimizer, gradients.slice(0, 2));
    let w = 0.5;
    w -= learningRate * (0.1 / (Math.sqrt(0.01) + 1e-8));
    const m = 0.9 * 0.1 * 0.1 + 0.1 * -0.4;
    const v = 0.999 * 0.001 * 0.01 + 0.001 * 0.16;
    w -= (learningRate * (m / (1 - 0.81))) / (Math.sqrt(v / (1 - 0.999 ** 2)) + 1e-8);
    expect(weights[0][0]).toBeCloseTo(w, 6);
    const state = optimizer.getState(variables);
    expect(Array.from(state.arrays['0/first'].data).map((x) => Number(x.toFixed(6)))).toEqual([-0.031, 0.032, 0.032]);
    // The heap optimiser holds its moments as tensors: two per variable, freed by dispose (the
    // host optimiser holds none, so this also shows which one createOptimizer picked).
    const held = tf.memory().numTensors;
    optimizer.dispose();
    expect(held - tf.memory().numTensors).toBe(2 * variables.length);
    tf.dispose(variables);
  });

  it('rejects bad input before any update: a non-float32 pair, another active backend, a checkpoint of the wrong length', async () => {
    const optimizer = createOptimizer(settings({ type: 'adam', learningRate: 0.1 }));
    const [a, b] = tf.tidy(() => [tf.variable(tf.tensor1d([1, 2, 3])), tf.variable(tf.tensor1d([1, 2], 'int32'))]);
    const gradients2 = tf.tidy(() => [tf.tensor1d([0.1, 0.1, 0.1]), tf.tensor1d([1, 1], 'int32')]);
    expect(() => optimizer.apply([a!, b!], gradients2, [1, 1])).toThrow(/INVALID_ARGUMENT.*float32 of the same size/);
    expect(Array.from(a!.dataSync())).toEqual([1, 2, 3]); // untouched
    expect(optimizer.getState([a!, b!]).json.steps).toBe(0);
    await tf.setBackend('cpu');
    try {
      expect(() => optimizer.apply([a!], [gradients2[0]!], [1])).toThrow(/BACKEND_UNAVAILABLE.*created on.*'cpu'/);
    } finally {
      await tf.setBackend('wasm');
    }
    optimizer.apply([a!], [gradients2[0]!], [1]);
    const state = optimizer.getState([a!]);
    const broken = { json: state.json, arrays: { ...state.arrays, '0/first': { dtype: 'float32' as const, shape: [2], data: new Float32Array(2) } } };
    expect(() => optimizer.setState([a!], broken)).toThrow(/INVALID_ARTIFACT.*'0\/first' has 2 values.*has 3/);
    optimizer.apply([a!], [gradients2[0]!], [1]); // still works
    expect(optimizer.getState([a!]).json.steps).toBe(2);
    optimizer.dispose();
    tf.dispose([a!, b!, ...gradients2]);
  });

  it('equals the host-memory update over SIMD blocks and the scalar tail, with decay and per-variable scales', () => {
    const options = settings({ type: 'adam', learningRate: 0.03, weightDecay: 0.02 });
    const sizes = [4, 11, 37];
    const rng = createRng(4);
    const initial = sizes.map((size) => Float32Array.from({ length: size }, () => rng.normal()));
    const steps = Array.from({ length: 5 }, () => sizes.map((size) => Float32Array.from({ length: size }, () => rng.normal())));
    const scales = [1, 0.5, 2];
    const train = (optimizer: ParameterOptimizer) => {
      const variables = tf.tidy(() => initial.map((values) => tf.variable(tf.tensor1d(values))));
      for (const step of steps) {
        const tensors = step.map((values) => tf.tensor1d(values));
        optimizer.apply(variables, tensors, scales);
        tf.dispose(tensors);
      }
      const weights = variables.map((variable) => Array.from(variable.dataSync()));
      optimizer.dispose();
      tf.dispose(variables);
      return weights;
    };
    const tensorsBefore = tf.memory().numTensors;
    const heap = train(createOptimizer(options));
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    const host = train(createHostOptimizer(options));
    let worst = 0;
    for (let v = 0; v < sizes.length; v++) for (let i = 0; i < sizes[v]; i++) worst = Math.max(worst, Math.abs(heap[v][i] - host[v][i]) / (1e-3 + Math.abs(host[v][i])));
    expect(worst).toBeLessThan(1e-5); // float32 against float64 arithmetic over 5 steps: measured 1.1e-6
    expect(heap[0]).not.toEqual(initial[0].map((x) => x)); // it moved
  });

  it("checkpoints in the host optimiser's format: a run resumed across the two gives the uninterrupted weights", () => {
    const options = settings({ type: 'adam', learningRate: 0.05 });
    const whole = run(createHostOptimizer(options), gradients);
    const first = createOptimizer(options);
    const part = run(first, gradients.slice(0, 1));
    const state = first.getState(part.variables);
    first.dispose();
    const resumed = createHostOptimizer(options);
    resumed.setState(part.variables, state);
    const back = createOptimizer(options);
    const tensors = gradients[1]!.map((values) => tf.tensor1d(values));
    resumed.apply(part.variables, tensors, [1, 1]);
    back.setState(part.variables, resumed.getState(part.variables));
    const last = gradients[2]!.map((values) => tf.tensor1d(values));
    back.apply(part.variables, last, [1, 1]);
    const resumedWeights = part.variables.map((variable) => Array.from(variable.dataSync()));
    // float32 arithmetic on the heap against the host's float64: within a few float32 ulps.
    for (let v = 0; v < 2; v++) for (let i = 0; i < whole.weights[v].length; i++) expect(Math.abs(resumedWeights[v][i] - whole.weights[v][i])).toBeLessThan(1e-6 * (1 + Math.abs(whole.weights[v][i])));
    expect(back.getState(part.variables).json.steps).toBe(3);
    back.dispose();
    tf.dispose([...tensors, ...last, ...whole.variables, ...part.variables]);
  });
});
