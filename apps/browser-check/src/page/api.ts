/**
 * What the page exposes to the test as `globalThis.tlkitBrowserCheck` (types only: the test
 * calls these through `page.evaluate`, so every result is plain JSON).
 */
import type { ShallowResult, TensorCount, TrainingResult } from '../checks';

/** The global name the page entry installs its API under. */
export const PAGE_API_NAME = 'tlkitBrowserCheck';

/** What `setupBackend` chose in the page, and what tfjs's wasm backend says about itself. */
export interface BackendReport {
  /** `setupBackend`'s answer (`BackendInfo`). */
  readonly name: string;
  readonly requested: string;
  readonly reason: string;
  /** The threads `setupBackend` reports. */
  readonly reportedThreads: number;
  /** `getThreadsCount()` of `@tensorflow/tfjs-backend-wasm`: the XNNPACK pool tfjs really uses. */
  readonly wasmThreads: number | null;
  /** `crossOriginIsolated` of the page (needed for SharedArrayBuffer, hence wasm threads). */
  readonly crossOriginIsolated: boolean;
  /** tfjs's own feature tests. */
  readonly simdSupported: boolean;
  readonly threadsSupported: boolean;
  /** The lines `setupBackend` logged. */
  readonly log: string[];
  readonly tensorCounts: TensorCount[];
}

/** A check's result with the fingerprint of the data the page fetched. */
export interface WithFingerprint<Result> {
  readonly fingerprint: Record<string, number[]>;
  readonly result: Result;
}

/** What the model-file check saw in the page. */
export interface ModelFilesReport {
  /** Whether tlkit's dropout class was registered before the page called `registerModelLayers` (must be false). */
  readonly registeredBeforeCall: boolean;
  /** The error `tf.loadLayersModel(url)` gave before `registerModelLayers` (null if it loaded). */
  readonly errorWithoutRegistration: string | null;
  /** Predictions of the model loaded from the server's URL (after `registerModelLayers`). */
  readonly urlPredictions: number[];
  /** What `model.save('indexeddb://…')` reported. */
  readonly savedBytes: { readonly topology: number; readonly weights: number };
  /** `tf.io.listModels()` keys after the save. */
  readonly storedModels: string[];
  /** Predictions of the model loaded back from IndexedDB. */
  readonly indexedDbPredictions: number[];
  /** Every weight of the URL model and of the IndexedDB model, flattened (float32 values). */
  readonly urlWeights: number[];
  readonly indexedDbWeights: number[];
  /** Predictions of the same model built in the page from its seeds. */
  readonly builtPredictions: number[];
  /** Whether `tf.io.removeModel` cleaned the IndexedDB entry. */
  readonly removed: boolean;
  readonly tensorCounts: TensorCount[];
}

/** The page's API. */
export interface PageApi {
  /** `setupBackend({ wasmPaths: '/wasm/', threads })` from `@tlkit/core`, reported. */
  setupBackend(threads: number): Promise<BackendReport>;
  /** Loads the model saved in Node from `modelUrl`, round-trips it through IndexedDB. */
  modelFiles(modelUrl: string): Promise<ModelFilesReport>;
  /** Fetches Office-Caltech10 SURF from `/data` and runs {@link ShallowResult}'s check. */
  shallow(): Promise<WithFingerprint<ShallowResult>>;
  /** Fetches `mnist_usps_jda` from `/data` and runs the LeNet training check. */
  lenet(): Promise<WithFingerprint<TrainingResult>>;
}
