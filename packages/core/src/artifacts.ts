/**
 * The saved form of fitted pipelines and training checkpoints: a JSON manifest plus one binary
 * blob holding every numeric array (as tfjs stores weights: `model.json` + `weights.bin`).
 */
import { TlkitError } from './errors';
import { Hasher } from './training/fingerprint';
import type { JsonValue, StepState, StoredArray, StoredData, StoredDtype } from './state';

/** Where one array sits in the binary blob. */
export interface ArrayReference {
  readonly dtype: StoredDtype;
  readonly shape: readonly number[];
  /** Byte offset in the blob (8-byte aligned). */
  readonly offset: number;
  /** Number of elements. */
  readonly length: number;
}

/** A {@link StepState} whose arrays are references into a blob. */
export interface EncodedState {
  readonly json?: JsonValue;
  readonly arrays?: Readonly<Record<string, ArrayReference>>;
}

const BYTES: Record<StoredDtype, number> = { float64: 8, float32: 4, int32: 4, uint8: 1 };

/** Collects arrays into one blob while states are encoded. @internal */
export class BlobWriter {
  private readonly chunks: { offset: number; data: StoredData }[] = [];
  private size = 0;

  add(array: StoredArray): ArrayReference {
    const elements = array.shape.reduce((a, b) => a * b, 1);
    if (elements !== array.data.length) {
      throw new TlkitError(
        'INVALID_ARTIFACT',
        `an array of shape [${array.shape.join(', ')}] must hold ${elements} values, it holds ${array.data.length}.`,
      );
    }
    const offset = Math.ceil(this.size / 8) * 8;
    this.chunks.push({ offset, data: array.data });
    this.size = offset + array.data.byteLength;
    return { dtype: array.dtype, shape: [...array.shape], offset, length: array.data.length };
  }

  encodeState(state: StepState): EncodedState {
    const arrays: Record<string, ArrayReference> = {};
    for (const [name, array] of Object.entries(state.arrays ?? {})) arrays[name] = this.add(array);
    return { ...(state.json !== undefined ? { json: state.json } : {}), arrays };
  }

  finish(): Uint8Array {
    const blob = new Uint8Array(Math.ceil(this.size / 8) * 8);
    for (const { offset, data } of this.chunks) {
      blob.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
    }
    return blob;
  }
}

/** Reads arrays back out of a blob. @internal */
export function readReference(blob: Uint8Array, reference: ArrayReference): StoredArray {
  const { dtype, shape, offset, length } = reference;
  const bytes = BYTES[dtype];
  if (bytes === undefined || offset + length * bytes > blob.byteLength || offset % 8 !== 0) {
    throw new TlkitError(
      'INVALID_ARTIFACT',
      `an array reference (${dtype} at byte ${offset}, ${length} values) falls outside the ${blob.byteLength}-byte blob.`,
    );
  }
  // A copy into a buffer of its own: `blob.slice` would not do for a Node Buffer, whose `slice` is a
  // view into Node's shared pool (its `.buffer` is the whole pool).
  const copy = new Uint8Array(new Uint8Array(blob.buffer, blob.byteOffset + offset, length * bytes)).buffer;
  const data: StoredData =
    dtype === 'float64'
      ? new Float64Array(copy)
      : dtype === 'float32'
        ? new Float32Array(copy)
        : dtype === 'int32'
          ? new Int32Array(copy)
          : new Uint8Array(copy);
  return { dtype, shape, data };
}

/** Decodes an {@link EncodedState} against its blob. @internal */
export function decodeState(blob: Uint8Array, state: EncodedState): StepState {
  const arrays: Record<string, StoredArray> = {};
  for (const [name, reference] of Object.entries(state.arrays ?? {})) arrays[name] = readReference(blob, reference);
  return { ...(state.json !== undefined ? { json: state.json } : {}), arrays };
}

/** Manifest + blob, the portable form of anything tlkit saves. */
export interface Artifacts<Manifest> {
  readonly manifest: Manifest;
  readonly data: Uint8Array;
}

/** Packs artifacts into one byte array: a 4-byte manifest length, the manifest JSON, the blob. */
export function packArtifacts<Manifest>(artifacts: Artifacts<Manifest>): Uint8Array {
  const manifest = new TextEncoder().encode(JSON.stringify(artifacts.manifest));
  const headerSize = Math.ceil((4 + manifest.byteLength) / 8) * 8;
  const out = new Uint8Array(headerSize + artifacts.data.byteLength);
  new DataView(out.buffer).setUint32(0, manifest.byteLength, true);
  out.set(manifest, 4);
  out.set(artifacts.data, headerSize);
  return out;
}

/** Unpacks {@link packArtifacts}. */
export function unpackArtifacts<Manifest>(bytes: Uint8Array): Artifacts<Manifest> {
  if (bytes.byteLength < 4) throw new TlkitError('INVALID_ARTIFACT', 'packed artifacts are truncated.');
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  if (4 + length > bytes.byteLength) throw new TlkitError('INVALID_ARTIFACT', 'packed artifacts are truncated.');
  let manifest: Manifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + length))) as Manifest;
  } catch {
    throw new TlkitError('INVALID_ARTIFACT', 'packed artifacts hold a manifest that is not JSON.');
  }
  const headerSize = Math.ceil((4 + length) / 8) * 8;
  // A plain copy whatever `bytes` is (a Node Buffer's `slice` is a view, not a copy).
  return { manifest, data: new Uint8Array(bytes.subarray(headerSize)) };
}

/** The size and a 64-bit hash of a blob, kept in a manifest so a blob that is not its own is refused. @internal */
export interface BlobRecord {
  readonly bytes: number;
  readonly hash: string;
}

/** {@link BlobRecord} of `data`. @internal */
export function blobRecord(data: Uint8Array): BlobRecord {
  const padded = new Uint8Array(Math.ceil(data.length / 4) * 4);
  padded.set(data);
  return { bytes: data.length, hash: new Hasher().number(data.length).words32(new Uint32Array(padded.buffer)).digest() };
}

/** True when `record` is a well-formed {@link BlobRecord} that matches `data`. @internal */
export function matchesBlobRecord(record: unknown, data: Uint8Array): boolean {
  if (typeof record !== 'object' || record === null) return false;
  const { bytes, hash } = record as Partial<BlobRecord>;
  const found = blobRecord(data);
  return bytes === found.bytes && hash === found.hash;
}
