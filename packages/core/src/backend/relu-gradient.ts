/**
 * ReLU's gradient in one pass on the wasm backend.
 *
 * tfjs's gradient of `Relu` is `dy · cast(step(x))`: a `Step` kernel writes a tensor of ones and
 * zeros and a `Multiply` kernel reads it back (LeNet-5's first layer, 64 × 28 × 28 × 6, took
 * 0.25 + 0.31 ms per step at two threads, against 0.25 ms for this kernel). tlkit registers the one-pass kernel {@link RELU_GRADIENT_KERNEL} for wasm and, in
 * the same set-up call, a gradient for `Relu` that runs it on float32 tensors of equal shape on a
 * backend that has it, and tfjs's own gradient everywhere else (other backends, other dtypes,
 * no SIMD). The values are tfjs's bit for bit (`wasm-elementwise.ts`). {@link unregisterReluGradient}
 * puts tfjs's gradient back once no backend name has the kernel.
 * @internal
 */
import * as tf from '@tensorflow/tfjs';
import { elementwiseLoops } from './wasm-elementwise';
import { hasHeap, heapByteOffset } from './wasm-module';

/** The kernel's name: dy · step(x) of float32 tensors of one shape (inputs `dy`, `x`). */
export const RELU_GRADIENT_KERNEL = 'TlkitReluGrad';

type Info = tf.TensorInfo;

/** Whether {@link reluGradientKernel} runs its SIMD loop on `backend` (its heap and tlkit's module are reachable). */
export function reluGradientLoopOn(backend: tf.KernelBackend): boolean {
  return hasHeap(backend) && elementwiseLoops(backend) !== null;
}

/**
 * The kernel: tlkit's SIMD loop over whole vectors and the last count mod 4 elements here; the
 * whole tensor here when the loop cannot be built (no SIMD, memory not found).
 */
export function reluGradientKernel({ inputs, backend: untypedBackend }: Parameters<tf.KernelFunc>[0]): Info {
  const backend = untypedBackend as tf.KernelBackend;
  const { dy, x } = inputs as { dy: Info; x: Info };
  if (dy.dtype !== 'float32' || x.dtype !== 'float32' || !tf.util.arraysEqual(dy.shape, x.shape)) {
    throw new Error(`tlkit: ${RELU_GRADIENT_KERNEL} takes float32 dy and x of one shape (got ${dy.dtype} [${dy.shape.join(', ')}] and ${x.dtype} [${x.shape.join(', ')}]).`);
  }
  if (!hasHeap(backend)) throw new Error(`tlkit: ${RELU_GRADIENT_KERNEL} runs on a backend with a wasm heap only.`);
  const count = tf.util.sizeFromShape(x.shape);
  const out = backend.makeOutput([...x.shape], 'float32');
  const loops = elementwiseLoops(backend);
  const whole = loops ? count - (count % 4) : 0;
  if (loops) loops.reluGradient(heapByteOffset(backend, dy.dataId), heapByteOffset(backend, x.dataId), heapByteOffset(backend, out.dataId), whole);
  // Views after the allocation (a growing heap replaces the buffer).
  const outValues = backend.typedArrayFromHeap(out) as Float32Array;
  const dyValues = backend.typedArrayFromHeap(dy) as Float32Array;
  const xValues = backend.typedArrayFromHeap(x) as Float32Array;
  for (let index = whole; index < count; index++) {
    const value = xValues[index]!;
    outValues[index] = dyValues[index]! * (Number.isNaN(value) ? value : value > 0 ? 1 : 0);
  }
  return out;
}

/** tfjs's gradient of `Relu`, while tlkit's is registered. */
let stockGradient: tf.GradConfig | null = null;
/** The backend names tlkit registered the kernel for (the gradient is global: restored when none is left). */
const backendNames = new Set<string>();

/**
 * Registers {@link RELU_GRADIENT_KERNEL} for `backendName` and, once, a gradient for `Relu` that
 * runs it where the active backend has it, the tensors are float32 of one shape and its SIMD loop
 * can be built ({@link reluGradientLoopOn}); tfjs's own gradient everywhere else. Idempotent.
 */
export function registerReluGradient(backendName: string): void {
  if (!tf.getKernel(RELU_GRADIENT_KERNEL, backendName)) tf.registerKernel({ kernelName: RELU_GRADIENT_KERNEL, backendName, kernelFunc: reluGradientKernel });
  backendNames.add(backendName);
  if (stockGradient) return;
  const stock = tf.getGradient('Relu');
  if (!stock) return;
  stockGradient = stock;
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: stock.inputsToSave ?? ['x'],
    gradFunc: (dy, saved, attrs) => {
      const gradient = dy as tf.Tensor;
      const [x] = saved;
      const here =
        x !== undefined &&
        gradient.dtype === 'float32' &&
        x.dtype === 'float32' &&
        tf.util.arraysEqual(gradient.shape, x.shape) &&
        tf.getKernel(RELU_GRADIENT_KERNEL, tf.getBackend()) !== undefined &&
        reluGradientLoopOn(tf.backend());
      if (here) return { x: () => tf.engine().runKernel(RELU_GRADIENT_KERNEL, { dy: gradient, x }, {}) as tf.Tensor };
      return stock.gradFunc(dy, saved, attrs);
    },
  });
  // A second derivative: dy · step(x) is linear in dy with the same mask, and step's derivative is 0.
  tf.registerGradient({
    kernelName: RELU_GRADIENT_KERNEL,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const gradient = dy as tf.Tensor;
      const [x] = saved;
      return { dy: () => tf.engine().runKernel(RELU_GRADIENT_KERNEL, { dy: gradient, x: x! }, {}) as tf.Tensor, x: () => tf.zerosLike(x!) };
    },
  });
}

/** Removes the kernel for `backendName`; puts tfjs's gradient of `Relu` back when no backend name has it. */
export function unregisterReluGradient(backendName: string): void {
  if (tf.getKernel(RELU_GRADIENT_KERNEL, backendName)) tf.unregisterKernel(RELU_GRADIENT_KERNEL, backendName);
  backendNames.delete(backendName);
  if (backendNames.size > 0 || !stockGradient) return;
  tf.registerGradient(stockGradient);
  tf.unregisterGradient(RELU_GRADIENT_KERNEL);
  stockGradient = null;
}
