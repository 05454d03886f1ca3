import * as tf from '@tensorflow/tfjs';
import type { Matrix } from '../matrix';

/**
 * A float32 copy of a data set that hands out batches as tensors. Rows are copied on the CPU, so
 * batching works the same on every backend (no gather kernel, no gradient through indices).
 * @internal
 */
export class BatchSource {
  readonly rows: number;
  readonly rowLength: number;
  private readonly values: Float32Array;

  constructor(
    X: Matrix,
    private readonly inputShape: readonly number[],
  ) {
    this.rows = X.rows;
    this.rowLength = X.cols;
    this.values = Float32Array.from(X.data);
  }

  /**
   * The rows at `indices` as a tensor `[b, ...inputShape]`; `transform` may rewrite the copied
   * rows in place first (data augmentation).
   */
  batch(indices: ArrayLike<number>, transform?: (values: Float32Array, count: number) => void): tf.Tensor {
    const length = this.rowLength;
    const out = new Float32Array(indices.length * length);
    for (let k = 0; k < indices.length; k++) {
      const start = indices[k] * length;
      out.set(this.values.subarray(start, start + length), k * length);
    }
    transform?.(out, indices.length);
    return tf.tensor(out, [indices.length, ...this.inputShape], 'float32');
  }

  /** Rows `start..end-1` as a tensor. */
  slice(start: number, end: number): tf.Tensor {
    const length = this.rowLength;
    return tf.tensor(this.values.slice(start * length, end * length), [end - start, ...this.inputShape], 'float32');
  }
}

/** Labels at `indices`: int32 class ids or float32 targets. @internal */
export function labelBatch(y: Int32Array | Float64Array, indices: ArrayLike<number>): tf.Tensor1D {
  if (y instanceof Int32Array) {
    const out = new Int32Array(indices.length);
    for (let k = 0; k < indices.length; k++) out[k] = y[indices[k]];
    return tf.tensor1d(out, 'int32');
  }
  const out = new Float32Array(indices.length);
  for (let k = 0; k < indices.length; k++) out[k] = y[indices[k]];
  return tf.tensor1d(out, 'float32');
}

/** Weights at `indices` (1 when absent). @internal */
export function weightBatch(weights: Float64Array | undefined, indices: ArrayLike<number>): tf.Tensor1D {
  const out = new Float32Array(indices.length);
  for (let k = 0; k < indices.length; k++) out[k] = weights ? weights[indices[k]] : 1;
  return tf.tensor1d(out, 'float32');
}
