import { TlkitError } from './errors';
import { Matrix } from './matrix';

/** A JSON value (what a saved manifest can hold). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The element types a saved array may have. */
export type StoredDtype = 'float64' | 'float32' | 'int32' | 'uint8';

/** A typed array that can be saved. */
export type StoredData = Float64Array | Float32Array | Int32Array | Uint8Array;

/** A saved array: its element type, its shape and its values. */
export interface StoredArray {
  readonly dtype: StoredDtype;
  readonly shape: readonly number[];
  readonly data: StoredData;
}

/**
 * What a fitted step saves: small facts as JSON, large numeric arrays as binary.
 * A fitted TCA, for instance, keeps its training matrix in `arrays` and its options in `json`.
 */
export interface StepState {
  readonly json?: JsonValue;
  readonly arrays?: Readonly<Record<string, StoredArray>>;
}

/** The dtype tag of a typed array. @internal */
export function dtypeOf(data: StoredData): StoredDtype {
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array) return 'uint8';
  throw new TlkitError('INVALID_ARGUMENT', 'stored arrays must be Float64Array, Float32Array, Int32Array or Uint8Array.');
}

/** Wraps a typed array as a {@link StoredArray} (a vector unless `shape` is given). */
export function storeArray(data: StoredData, shape: readonly number[] = [data.length]): StoredArray {
  return { dtype: dtypeOf(data), shape, data };
}

/** Wraps a {@link Matrix} as a {@link StoredArray}. */
export function storeMatrix(matrix: Matrix): StoredArray {
  return { dtype: 'float64', shape: [matrix.rows, matrix.cols], data: matrix.data };
}

/** Reads a {@link StoredArray} saved with {@link storeMatrix} back into a {@link Matrix}. */
export function readMatrix(state: StepState, name: string): Matrix {
  const stored = readArray(state, name);
  if (stored.shape.length !== 2) {
    throw new TlkitError('INVALID_ARTIFACT', `saved array '${name}' has shape [${stored.shape.join(', ')}], expected a matrix.`);
  }
  return new Matrix(stored.shape[0], stored.shape[1], Float64Array.from(stored.data));
}

/** Reads a saved array by name, failing with `INVALID_ARTIFACT` if it is missing. */
export function readArray(state: StepState, name: string): StoredArray {
  const stored = state.arrays?.[name];
  if (!stored) throw new TlkitError('INVALID_ARTIFACT', `saved state has no array '${name}'.`);
  return stored;
}

/** Reads the JSON part of a saved state as an object, failing with `INVALID_ARTIFACT` otherwise. */
export function readJson<T extends Record<string, JsonValue>>(state: StepState): T {
  const json = state.json;
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new TlkitError('INVALID_ARTIFACT', 'saved state has no JSON object.');
  }
  return json as T;
}
