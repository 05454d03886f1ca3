import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { TlkitError } from '@tlkit/core';
import { registerModelLayers } from '../register-model-layers';

const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';

const BYTES_PER_ELEMENT: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

async function writeAtomically(path: string, bytes: Uint8Array | string): Promise<void> {
  const temporary = `${path}.partial-${process.pid}`;
  await writeFile(temporary, bytes);
  await rename(temporary, path);
}

/** Where the model lives: a directory, or the path of its `model.json`. */
function locate(path: string): { directory: string; modelFile: string } {
  if (typeof path !== 'string' || path.length === 0) {
    throw new TlkitError('INVALID_ARGUMENT', `directory must be a non-empty path; got ${JSON.stringify(path)}.`, { argument: 'directory' });
  }
  const absolute = resolve(path);
  if (absolute.endsWith('.json')) return { directory: dirname(absolute), modelFile: basename(absolute) };
  return { directory: absolute, modelFile: MODEL_FILE };
}

/** Bytes the weight specs describe, or null when they cannot be counted (quantised or string weights). */
function expectedWeightBytes(specs: readonly tf.io.WeightsManifestEntry[]): number | null {
  let total = 0;
  for (const spec of specs) {
    const perElement = BYTES_PER_ELEMENT[spec.dtype];
    if (spec.quantization !== undefined || perElement === undefined) return null;
    total += spec.shape.reduce((product, side) => product * side, 1) * perElement;
  }
  return total;
}

/**
 * A tfjs `IOHandler` that saves and loads a model in a directory of the file system, in tfjs's own
 * layout (the one `tensorflowjs_converter` writes and `tf.loadLayersModel('http://…/model.json')`
 * reads): `model.json` (topology, training config, weights manifest) and `weights.bin` (all weights,
 * little-endian, in manifest order). tfjs's `file://` handler ships only with tfjs-node, which
 * needs a native download; this one needs nothing but Node's `fs`.
 *
 * Saving creates the directory if needed and writes each file atomically (temporary file +
 * rename). Loading registers tlkit's layer classes with tfjs (`registerModelLayers`), reads every
 * path of the manifest (models sharded by the converter load too) and checks the byte count
 * against the manifest. `directory` may also be the path of a `model.json`.
 *
 * @throws TlkitError `DATA_NOT_FOUND` when the directory or `model.json` does not exist;
 *   `INVALID_ARTIFACT` when `model.json` is malformed, a weights path leaves the directory, or the
 *   weights do not have the manifest's size.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { fileSystemIO } from '@tlkit/models/node';
 * await model.save(fileSystemIO('models/lenet-mnist'));
 * const same = await tf.loadLayersModel(fileSystemIO('models/lenet-mnist'));
 * ```
 */
export function fileSystemIO(directory: string): tf.io.IOHandler {
  const location = locate(directory);
  const modelPath = join(location.directory, location.modelFile);
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new TlkitError('INVALID_ARGUMENT', 'fileSystemIO saves layers models (JSON topology); this model has a binary topology.', { argument: 'model' });
      }
      const weights = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as tf.io.ModelJSON['modelTopology'],
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        ...(artifacts.signature ? { signature: artifacts.signature } : {}),
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
        ...(artifacts.modelInitializer ? { modelInitializer: artifacts.modelInitializer } : {}),
        ...(artifacts.initializerSignature ? { initializerSignature: artifacts.initializerSignature } : {}),
      };
      await mkdir(location.directory, { recursive: true });
      await writeAtomically(join(location.directory, WEIGHTS_FILE), new Uint8Array(weights));
      await writeAtomically(modelPath, `${JSON.stringify(modelJson)}\n`);
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      // Before tfjs deserialises the topology: a saved dropout LeNet names tlkit's layer class.
      registerModelLayers();
      const found = await stat(location.directory).catch(() => null);
      if (!found?.isDirectory()) {
        throw new TlkitError(
          'DATA_NOT_FOUND',
          `no model directory at ${location.directory}: expected ${MODEL_FILE} and ${WEIGHTS_FILE} there. Save one with saveModel(model, '${directory}') or check the path.`,
          { path: location.directory },
        );
      }
      let text: string;
      try {
        text = await readFile(modelPath, 'utf8');
      } catch {
        throw new TlkitError('DATA_NOT_FOUND', `no ${location.modelFile} in ${location.directory}; a saved tfjs model has model.json and its weight files there.`, {
          path: modelPath,
        });
      }
      let modelJson: tf.io.ModelJSON;
      try {
        modelJson = JSON.parse(text) as tf.io.ModelJSON;
      } catch (error) {
        throw new TlkitError('INVALID_ARTIFACT', `${modelPath} is not valid JSON (${(error as Error).message}).`, { path: modelPath });
      }
      if (typeof modelJson !== 'object' || modelJson === null || modelJson.modelTopology === undefined) {
        throw new TlkitError('INVALID_ARTIFACT', `${modelPath} has no modelTopology; it is not a tfjs model.json.`, { path: modelPath });
      }
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const parts: ArrayBuffer[] = [];
        for (const group of manifest) {
          for (const relative of group.paths) {
            const path = resolve(location.directory, relative);
            if (!path.startsWith(location.directory + sep)) {
              throw new TlkitError('INVALID_ARTIFACT', `weights path '${relative}' in ${modelPath} leaves the model directory.`, { path: modelPath });
            }
            let bytes: Buffer;
            try {
              bytes = await readFile(path);
            } catch {
              throw new TlkitError('DATA_NOT_FOUND', `weights file ${path} (listed in ${modelPath}) is missing.`, { path });
            }
            parts.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
          }
        }
        const weightData = tf.io.concatenateArrayBuffers(parts);
        const expected = expectedWeightBytes(specs);
        if (expected !== null && expected !== weightData.byteLength) {
          throw new TlkitError(
            'INVALID_ARTIFACT',
            `the weights of ${modelPath} have ${weightData.byteLength} bytes; its manifest describes ${expected}. The files are truncated or from another model.`,
            { path: modelPath, expected, actual: weightData.byteLength },
          );
        }
        return [specs, weightData];
      });
    },
  };
}

/**
 * Saves a LayersModel (architecture, weights, training config) to `directory` as `model.json` +
 * `weights.bin` through {@link fileSystemIO}.
 *
 * @example
 * ```ts
 * await saveModel(model, '.tlkit-cache/lenet-mnist');
 * ```
 */
export async function saveModel(model: tf.LayersModel, directory: string): Promise<tf.io.SaveResult> {
  if (!(model instanceof tf.LayersModel)) {
    throw new TlkitError('INVALID_ARGUMENT', 'model must be a tfjs LayersModel.', { argument: 'model' });
  }
  return model.save(fileSystemIO(directory));
}

/**
 * Loads a LayersModel saved by {@link saveModel}, by tfjs (`model.save(...)`) or by the
 * `tensorflowjs_converter` (Keras → tfjs layers format) from `directory` (or the path of its
 * `model.json`). Nothing is downloaded. tlkit's own layer classes (a `lenet`'s seeded dropout) are
 * registered with tfjs first, so no set-up call is needed.
 *
 * @throws TlkitError `DATA_NOT_FOUND` for a missing directory or file, `INVALID_ARTIFACT` for a
 *   malformed one.
 * @example
 * ```ts
 * const pretrained = await loadModel('.tlkit-cache/lenet-mnist');
 * ```
 */
export async function loadModel(directory: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(fileSystemIO(directory));
}
