/**
 * The browser entry of the check, bundled by esbuild for `platform: 'browser'`. It imports the
 * built packages by their published names, exactly as a web app would, and installs
 * {@link PageApi} on `globalThis` for the test to call through `page.evaluate`.
 */
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { setupBackend } from '@tlkit/core';
import { fetchDataset } from '@tlkit/datasets';
import { registerModelLayers } from '@tlkit/models';
import {
  buildReferenceModel,
  datasetFingerprint,
  OFFICE_PAIR,
  DIGITS_PAIR,
  referencePredictions,
  runLenetTraining,
  runShallowCheck,
  TensorLedger,
} from '../checks';
import { type BackendReport, type ModelFilesReport, PAGE_API_NAME, type PageApi } from './api';

/** Where the page's server mounts the `data/` folder of `@tlkit/datasets`. */
const DATA_URL = '/data';
/** The IndexedDB key of the model-file check. */
const INDEXED_DB_MODEL = 'indexeddb://tlkit-browser-check-lenet';
/** tlkit's dropout layer class name, as `registerModelLayers` registers it. */
const DROPOUT_CLASS = 'TlkitSeededDropout';

function flattenWeights(model: tf.LayersModel): number[] {
  return model.getWeights().flatMap((weight) => Array.from(weight.dataSync()));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function setupBackendInPage(threads: number): Promise<BackendReport> {
  const ledger = new TensorLedger();
  const log: string[] = [];
  const info = await ledger.measure('setupBackend', () => setupBackend({ wasmPaths: '/wasm/', threads, log: (line) => log.push(line) }));
  let wasmThreads: number | null = null;
  try {
    wasmThreads = getThreadsCount();
  } catch {
    wasmThreads = null;
  }
  return {
    name: info.name,
    requested: info.requested,
    reason: info.reason,
    reportedThreads: info.threads,
    wasmThreads,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    simdSupported: (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true,
    threadsSupported: (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) === true,
    log,
    tensorCounts: ledger.counts,
  };
}

async function modelFiles(modelUrl: string): Promise<ModelFilesReport> {
  const ledger = new TensorLedger();
  const registeredBeforeCall = DROPOUT_CLASS in tf.serialization.SerializationMap.getMap().classNameMap;
  // Expected to fail (importing @tlkit/models registers nothing), and not to strand any tensor.
  const errorWithoutRegistration = await ledger.measure('tf.loadLayersModel(url) before registerModelLayers', async () => {
    try {
      const unexpected = await tf.loadLayersModel(modelUrl);
      unexpected.dispose();
      return null;
    } catch (error) {
      return messageOf(error);
    }
  });

  await ledger.measure('registerModelLayers', () => registerModelLayers());
  const fromUrl = await ledger.measure('tf.loadLayersModel(url)', () => tf.loadLayersModel(modelUrl), (model) => model.weights.length);
  const urlPredictions = await ledger.measure('predict (url model)', () => referencePredictions(fromUrl));
  const saved = await ledger.measure('model.save(indexeddb://)', () => fromUrl.save(INDEXED_DB_MODEL));
  const storedModels = Object.keys(await tf.io.listModels());
  const fromIndexedDb = await ledger.measure('tf.loadLayersModel(indexeddb://)', () => tf.loadLayersModel(INDEXED_DB_MODEL), (model) => model.weights.length);
  const indexedDbPredictions = await ledger.measure('predict (indexeddb model)', () => referencePredictions(fromIndexedDb));
  const urlWeights = flattenWeights(fromUrl);
  const indexedDbWeights = flattenWeights(fromIndexedDb);
  await ledger.measure('dispose (url model)', () => fromUrl.dispose(), () => -fromUrl.weights.length);
  await ledger.measure('dispose (indexeddb model)', () => fromIndexedDb.dispose(), () => -fromIndexedDb.weights.length);
  const built = await ledger.measure('buildReferenceModel', () => buildReferenceModel(), (model) => model.weights.length);
  const builtPredictions = await ledger.measure('predict (built model)', () => referencePredictions(built));
  await ledger.measure('dispose (built model)', () => built.dispose(), () => -built.weights.length);
  await tf.io.removeModel(INDEXED_DB_MODEL);
  const removed = !(INDEXED_DB_MODEL in (await tf.io.listModels()));
  return {
    registeredBeforeCall,
    errorWithoutRegistration,
    urlPredictions,
    savedBytes: { topology: saved.modelArtifactsInfo.modelTopologyBytes ?? -1, weights: saved.modelArtifactsInfo.weightDataBytes ?? -1 },
    storedModels,
    indexedDbPredictions,
    urlWeights,
    indexedDbWeights,
    builtPredictions,
    removed,
    tensorCounts: ledger.counts,
  };
}

const api: PageApi = {
  setupBackend: setupBackendInPage,
  modelFiles,
  async shallow() {
    const office = await fetchDataset('office_caltech10_surf', { baseUrl: DATA_URL, domains: [OFFICE_PAIR.source, OFFICE_PAIR.target] });
    return { fingerprint: datasetFingerprint(office), result: await runShallowCheck(office) };
  },
  async lenet() {
    const digits = await fetchDataset('mnist_usps_jda', { baseUrl: DATA_URL, domains: [DIGITS_PAIR.source, DIGITS_PAIR.target] });
    return { fingerprint: datasetFingerprint(digits), result: await runLenetTraining(digits) };
  },
};

(globalThis as unknown as Record<string, PageApi>)[PAGE_API_NAME] = api;
document.title = 'tlkit browser check: ready';
