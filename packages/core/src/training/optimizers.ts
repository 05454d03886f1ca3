import * as tf from '@tensorflow/tfjs';
import * as z from 'zod';
import { TlkitError } from '../errors';
import type { StoredArray } from '../state';
import { type AdamStep, wasmAdamStep } from '../backend/wasm-adam';
import { type HeapBackend, heapByteOffset } from '../backend/wasm-module';

/**
 * Gradient-descent optimisers owned by core's loop. tfjs has its own, but the loop needs per-variable
 * learning-rate factors (discriminative learning rates) and state it can checkpoint and restore in
 * a known order, so the three standard rules are written here:
 *
 * - `sgd`: w ← w − η g;
 * - `momentum`: v ← μ v + g; w ← w − η v (Polyak heavy ball, as in tfjs/PyTorch);
 * - `adam`: Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, with bias
 *   correction; `weightDecay` > 0 makes it AdamW (Loshchilov & Hutter, ICLR 2019: decoupled decay).
 *
 * `weightDecay` (all three types) is decoupled from the gradient and scaled by the learning rate,
 * the PyTorch/Keras convention: every step w ← w − η·f·λ·w beside the update above (η the learning
 * rate, f the weight's learning-rate factor, λ = `weightDecay`), on every trainable weight, biases
 * and BN γ and β included. Loshchilov & Hutter's Algorithm 2 writes the decay without η, so their
 * λ is η × this `weightDecay`. With `momentum` the decay stays outside the velocity (SGDW).
 */
export const optimizerSchema = z
  .object({
    type: z.enum(['adam', 'sgd', 'momentum']).default('adam'),
    learningRate: z.number().positive().default(1e-3),
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.999),
    epsilon: z.number().positive().default(1e-8),
    momentum: z.number().min(0).lt(1).default(0.9),
    weightDecay: z.number().min(0).default(0),
  })
  .strict();

/** Optimiser options (see {@link optimizerSchema} for defaults). */
export type OptimizerOptions = z.input<typeof optimizerSchema>;

/** One optimiser over a set of variables. @internal */
export interface ParameterOptimizer {
  /**
   * Applies one update. `scales[i]` multiplies the learning rate of `variables[i]`; a variable
   * with scale 0 is left unchanged (and its moments are not advanced).
   */
  apply(variables: readonly tf.Variable[], gradients: readonly tf.Tensor[], scales: readonly number[]): void;
  /** Moments of the given variables in a fixed order, for checkpoints. */
  getState(variables: readonly tf.Variable[]): { json: { steps: number }; arrays: Record<string, StoredArray> };
  /** Restores {@link ParameterOptimizer.getState} for the same variables in the same order. */
  setState(variables: readonly tf.Variable[], state: { json: { steps: number }; arrays: Record<string, StoredArray> }): void;
  dispose(): void;
}

/** Backends whose tensors live in host memory, where one JavaScript pass per variable beats ~10 kernels. */
const HOST_MEMORY_BACKENDS = new Set(['cpu', 'wasm']);

const MOMENTS = ['first', 'second'] as const;

/** A variable's optimiser state: its own step count and its moments (Adam: both; momentum: first). */
interface SlotState {
  readonly steps: number;
  readonly first?: Float32Array;
  readonly second?: Float32Array;
}

/**
 * The checkpoint form every optimiser shares, so a run can resume on another: `steps` (int32, one
 * count per variable, 0 for a variable never updated) and `<index>/first`, `<index>/second`.
 */
function packState(
  variables: readonly tf.Variable[],
  globalSteps: number,
  slotOf: (variable: tf.Variable) => SlotState | undefined,
): { json: { steps: number }; arrays: Record<string, StoredArray> } {
  const arrays: Record<string, StoredArray> = {};
  const steps: number[] = [];
  variables.forEach((variable, index) => {
    const slot = slotOf(variable);
    steps.push(slot?.steps ?? 0);
    for (const name of MOMENTS) {
      const moment = slot?.[name];
      if (moment) arrays[`${index}/${name}`] = { dtype: 'float32', shape: variable.shape, data: moment };
    }
  });
  arrays.steps = { dtype: 'int32', shape: [steps.length], data: Int32Array.from(steps) };
  return { json: { steps: globalSteps }, arrays };
}

/** Reads {@link packState}'s form back through `restore`, per variable; returns the global step count. */
function unpackState(
  variables: readonly tf.Variable[],
  state: { json: { steps: number }; arrays: Record<string, StoredArray> },
  restore: (variable: tf.Variable, steps: number, moments: { first?: Float32Array; second?: Float32Array }) => void,
): number {
  const steps = state.arrays.steps?.data;
  if (!steps || steps.length !== variables.length) {
    throw new TlkitError('INVALID_ARTIFACT', 'the checkpoint holds optimiser state for a different set of variables.');
  }
  const moment = (index: number, name: string) => state.arrays[`${index}/${name}`]?.data as Float32Array | undefined;
  // Every length checked before anything is restored.
  variables.forEach((variable, index) => {
    for (const name of MOMENTS) {
      const values = moment(index, name);
      if (values && values.length !== variable.size) {
        throw new TlkitError('INVALID_ARTIFACT', `the checkpoint's optimiser moment '${index}/${name}' has ${values.length} values; variable '${variable.name}' has ${variable.size}.`);
      }
    }
  });
  variables.forEach((variable, index) => restore(variable, steps[index]!, { first: moment(index, 'first'), second: moment(index, 'second') }));
  return state.json.steps;
}

/**
 * Creates an optimiser: on wasm, Adam runs as tlkit's WebAssembly loop on the heap
 * ({@link createHeapAdamOptimizer}); on cpu and for the other rules on wasm, one JavaScript pass
 * per variable; elsewhere, tensor operations. @internal
 */
export function createOptimizer(options: z.output<typeof optimizerSchema>): ParameterOptimizer {
  const adamStep = options.type === 'adam' && tf.getBackend() === 'wasm' ? wasmAdamStep(tf.backend()) : null;
  if (adamStep) return createHeapAdamOptimizer(options, adamStep);
  return HOST_MEMORY_BACKENDS.has(tf.getBackend()) ? createHostOptimizer(options) : createTensorOptimizer(options);
}

/** The moments of one variable, as host arrays. */
interface HostSlot {
  first?: Float32Array;
  second?: Float32Array;
  steps: number;
}

/**
 * The update rules as one JavaScript pass per variable over host copies of the weights, the
 * gradient and float32 moments; one `assign` per variable. On cpu and wasm this replaces about ten
 * kernel launches (and their engine bookkeeping) per variable and step. The arithmetic is the same
 * as {@link createTensorOptimizer}'s, in float64 per element, rounded to float32 when stored.
 * @internal
 */
export function createHostOptimizer(options: z.output<typeof optimizerSchema>): ParameterOptimizer {
  const slots = new Map<tf.Variable, HostSlot>();
  let globalSteps = 0;
  const { type, momentum, beta1, beta2, epsilon, weightDecay } = options;

  const slotFor = (variable: tf.Variable): HostSlot => {
    let slot = slots.get(variable);
    if (!slot) {
      slot = { steps: 0 };
      if (type !== 'sgd') slot.first = new Float32Array(variable.size);
      if (type === 'adam') slot.second = new Float32Array(variable.size);
      slots.set(variable, slot);
    }
    return slot;
  };

  return {
    apply(variables, gradients, scales) {
      globalSteps++;
      variables.forEach((variable, index) => {
        const scale = scales[index];
        const gradientTensor = gradients[index];
        if (!gradientTensor || scale === 0) return;
        const rate = options.learningRate * scale;
        const slot = slotFor(variable);
        slot.steps++;
        const gradient = gradientTensor.dataSync() as Float32Array;
        const weights = variable.dataSync() as Float32Array;
        const next = new Float32Array(weights.length);
        const decay = rate * weightDecay;
        if (type === 'sgd') {
          for (let i = 0; i < next.length; i++) next[i] = weights[i] - rate * gradient[i] - decay * weights[i];
        } else if (type === 'momentum') {
          const velocity = slot.first!;
          for (let i = 0; i < next.length; i++) {
            const v = (velocity[i] = momentum * velocity[i] + gradient[i]);
            next[i] = weights[i] - rate * v - decay * weights[i];
          }
        } else {
          const first = slot.first!;
          const second = slot.second!;
          // Bias corrections folded into two constants: η/(1 − β₁ᵗ) and 1/(1 − β₂ᵗ).
          const stepSize = rate / (1 - beta1 ** slot.steps);
          const secondScale = 1 / (1 - beta2 ** slot.steps);
          const firstWeight = 1 - beta1;
          const secondWeight = 1 - beta2;
          for (let i = 0; i < next.length; i++) {
            const g = gradient[i];
            const m = beta1 * first[i] + firstWeight * g;
            const v = beta2 * second[i] + secondWeight * g * g;
            first[i] = m;
            second[i] = v;
            const w = weights[i];
            next[i] = w - (stepSize * m) / (Math.sqrt(v * secondScale) + epsilon) - decay * w;
          }
        }
        tf.tidy(() => variable.assign(tf.tensor(next, variable.shape, 'float32')));
      });
    },
    getState(variables) {
      return packState(variables, globalSteps, (variable) => {
        const slot = slots.get(variable);
        return slot && { steps: slot.steps, first: slot.first?.slice(), second: slot.second?.slice() };
      });
    },
    setState(variables, state) {
      globalSteps = unpackState(variables, state, (variable, steps, stored) => {
        const slot = slotFor(variable);
        slot.steps = steps;
        for (const name of MOMENTS) {
          const values = stored[name];
          const moment = slot[name];
          if (values && moment) moment.set(values);
        }
      });
    },
    dispose() {
      slots.clear();
    },
  };
}

/**
 * Adam on the wasm backend's heap: the moments are float32 tensors owned by the optimiser and
 * updated in place, and each variable's next value is written by `adamStep` (`backend/wasm-adam.ts`)
 * into a new tensor that the variable takes over — no copies to JavaScript, four weights per SIMD
 * step (LeNet-5's 61 k weights: about 3 ms per step by the host pass). The arithmetic is float32
 * (β rounded to float32), so weights stay within about 1e-6 relative of
 * {@link createHostOptimizer}'s over a few steps; the rule and the checkpoint state are the same (a
 * run can resume on either). It is bound to the wasm backend it was created on: `apply` on another
 * backend throws before any update. @internal
 */
export function createHeapAdamOptimizer(options: z.output<typeof optimizerSchema>, adamStep: AdamStep): ParameterOptimizer {
  const slots = new Map<tf.Variable, { first: tf.Tensor; second: tf.Tensor; steps: number }>();
  let globalSteps = 0;
  const { beta1, beta2, epsilon, weightDecay } = options;
  const home = tf.backend();

  const slotFor = (variable: tf.Variable) => {
    let slot = slots.get(variable);
    if (!slot) {
      // Kept: apply may run inside a caller's tidy.
      slot = { first: tf.keep(tf.zeros(variable.shape, 'float32')), second: tf.keep(tf.zeros(variable.shape, 'float32')), steps: 0 };
      slots.set(variable, slot);
    }
    return slot;
  };

  return {
    apply(variables, gradients, scales) {
      // Every check before any update.
      const backend = tf.backend();
      if (backend !== home) {
        throw new TlkitError('BACKEND_UNAVAILABLE', `Adam: this optimiser updates weights on the wasm backend it was created on, but the active backend is now '${tf.getBackend()}'; create the optimiser after setting the backend.`);
      }
      variables.forEach((variable, index) => {
        const gradient = gradients[index];
        if (!gradient || scales[index] === 0) return;
        if (variable.dtype !== 'float32' || gradient.dtype !== 'float32' || gradient.size !== variable.size) {
          throw new TlkitError('INVALID_ARGUMENT', `Adam: variable '${variable.name}' and its gradient must be float32 of the same size (got ${variable.dtype} ${variable.size}, ${gradient.dtype} ${gradient.size}).`);
        }
      });
      globalSteps++;
      variables.forEach((variable, index) => {
        const scale = scales[index];
        const gradient = gradients[index];
        if (!gradient || scale === 0) return;
        const rate = options.learningRate * scale;
        const slot = slotFor(variable);
        slot.steps++;
        const next = tf.engine().makeTensorFromTensorInfo((backend as unknown as HeapBackend).makeOutput([...variable.shape], 'float32'));
        const at = (tensor: tf.Tensor) => heapByteOffset(backend, tensor.dataId);
        try {
          adamStep(
            at(variable),
            at(gradient),
            at(slot.first),
            at(slot.second),
            at(next),
            variable.size,
            rate / (1 - beta1 ** slot.steps),
            1 / (1 - beta2 ** slot.steps),
            beta1,
            beta2,
            1 - beta1,
            1 - beta2,
            epsilon,
            rate * weightDecay,
          );
          variable.assign(next);
        } finally {
          next.dispose();
        }
      });
    },
    getState(variables) {
      return packState(variables, globalSteps, (variable) => {
        const slot = slots.get(variable);
        return slot && { steps: slot.steps, first: slot.first.dataSync() as Float32Array, second: slot.second.dataSync() as Float32Array };
      });
    },
    setState(variables, state) {
      globalSteps = unpackState(variables, state, (variable, steps, stored) => {
        const slot = slotFor(variable);
        slot.steps = steps;
        for (const name of MOMENTS) {
          const values = stored[name];
          if (!values) continue;
          const restored = tf.keep(tf.tensor(values, variable.shape, 'float32'));
          slot[name].dispose();
          slot[name] = restored;
        }
      });
    },
    dispose() {
      for (const slot of slots.values()) tf.dispose([slot.first, slot.second]);
      slots.clear();
    },
  };
}

/** The update rules as tensor operations (backends whose memory is not the host's: webgl, native). @internal */
export function createTensorOptimizer(options: z.output<typeof optimizerSchema>): ParameterOptimizer {
  const slots = new Map<tf.Variable, { first?: tf.Variable; second?: tf.Variable; steps: number }>();
  let globalSteps = 0;

  const slotFor = (variable: tf.Variable) => {
    let slot = slots.get(variable);
    if (!slot) {
      slot = { steps: 0 };
      if (options.type !== 'sgd') slot.first = tf.variable(tf.zerosLike(variable), false);
      if (options.type === 'adam') slot.second = tf.variable(tf.zerosLike(variable), false);
      slots.set(variable, slot);
    }
    return slot;
  };

  return {
    apply(variables, gradients, scales) {
      globalSteps++;
      tf.tidy(() => {
        variables.forEach((variable, index) => {
          const scale = scales[index];
          const gradient = gradients[index];
          if (!gradient || scale === 0) return;
          const rate = options.learningRate * scale;
          const slot = slotFor(variable);
          slot.steps++;
          let update: tf.Tensor;
          if (options.type === 'sgd') {
            update = gradient;
          } else if (options.type === 'momentum') {
            const velocity = tf.add(tf.mul(slot.first!, options.momentum), gradient);
            slot.first!.assign(velocity);
            update = velocity;
          } else {
            const { beta1, beta2, epsilon } = options;
            const first = tf.add(tf.mul(slot.first!, beta1), tf.mul(gradient, 1 - beta1));
            const second = tf.add(tf.mul(slot.second!, beta2), tf.mul(tf.square(gradient), 1 - beta2));
            slot.first!.assign(first);
            slot.second!.assign(second);
            const correctedFirst = tf.div(first, 1 - beta1 ** slot.steps);
            const correctedSecond = tf.div(second, 1 - beta2 ** slot.steps);
            update = tf.div(correctedFirst, tf.add(tf.sqrt(correctedSecond), epsilon));
          }
          let next = tf.sub(variable, tf.mul(update, rate));
          if (options.weightDecay > 0) next = tf.sub(next, tf.mul(variable, rate * options.weightDecay));
          variable.assign(next);
        });
      });
    },
    getState(variables) {
      return packState(variables, globalSteps, (variable) => {
        const slot = slots.get(variable);
        return slot && { steps: slot.steps, first: slot.first?.dataSync() as Float32Array | undefined, second: slot.second?.dataSync() as Float32Array | undefined };
      });
    },
    setState(variables, state) {
      globalSteps = unpackState(variables, state, (variable, steps, stored) => {
        const slot = slotFor(variable);
        slot.steps = steps;
        for (const name of MOMENTS) {
          const values = stored[name];
          const moment = slot[name];
          if (values && moment) tf.tidy(() => moment.assign(tf.tensor(values, moment.shape, 'float32')));
        }
      });
    },
    dispose() {
      for (const slot of slots.values()) {
        slot.first?.dispose();
        slot.second?.dispose();
      }
      slots.clear();
    },
  };
}
