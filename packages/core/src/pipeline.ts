import {
  type ArrayReference,
  type Artifacts,
  type BlobRecord,
  blobRecord,
  BlobWriter,
  matchesBlobRecord,
  decodeState,
  type EncodedState,
  packArtifacts,
  readReference,
  unpackArtifacts,
} from './artifacts';
import { validateStepOrder } from './compose';
import { type ImageShape, isPreparedTask, type MatrixInput, type PreparedTask, type ProblemType, prepareTask, toMatrix, type TransferTask } from './data';
import { TlkitError } from './errors';
import { didYouMean } from './suggest';
import { Matrix } from './matrix';
import { createReporter, type ProgressListener } from './progress';
import { getPlugin, type StepConfig, strategyToConfig } from './registry';
import { createRng, deriveSeed } from './rng';
import type { JsonValue } from './state';
import { storeArray } from './state';
import { type ByteStorage, memoryStorage } from './storage';
import { yieldToEventLoop } from './training/event-loop';
import type {
  EstimatorStrategy,
  FittedEstimator,
  FittedMapping,
  LabeledSet,
  MappingStrategy,
  StepContext,
  Strategy,
  TrainingStrategy,
  WeightingStrategy,
} from './strategy';

/**
 * What the estimator of a run learns from (the training loop and weighting steps included):
 * `'source'` (default, unsupervised domain adaptation), `'target'` (the labelled target samples
 * alone: a baseline) or `'source+target'` (both merged: a baseline).
 */
export type TrainOn = 'source' | 'target' | 'source+target';

/** Options of {@link Pipeline.fit}. */
export interface FitOptions {
  /** Run seed; each step gets its own seed derived from it and its position. Default 0. */
  seed?: number;
  /** Receives progress events from every step. */
  onProgress?: ProgressListener;
  /** Stops the run between (and, for long steps, inside) steps with `TlkitError('ABORTED')`. */
  signal?: AbortSignal;
  /** Where checkpoints and caches go. Default: in memory. Node: `fileStorage(dir)` from `@tlkit/core/node`. */
  storage?: ByteStorage;
  /** What the estimator learns from. Default `'source'`. */
  trainOn?: TrainOn;
}

const FIT_OPTIONS = ['seed', 'onProgress', 'signal', 'storage', 'trainOn'] as const;

/**
 * Rejects a misspelt or mistyped fit option before anything runs (`{ seeed: 7 }` ran with seed 0,
 * a `signal` that is not an AbortSignal never aborted). @internal
 */
function checkFitOptions(options: FitOptions): void {
  for (const key of Object.keys(options)) {
    if (!(FIT_OPTIONS as readonly string[]).includes(key)) {
      throw new TlkitError('INVALID_ARGUMENT', `options.${key} is not an option of fit.${didYouMean(key, FIT_OPTIONS)} Its options: ${FIT_OPTIONS.join(', ')}.`, {
        argument: `options.${key}`,
      });
    }
  }
  const { onProgress, signal, storage } = options;
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new TlkitError('INVALID_ARGUMENT', `options.onProgress must be a function (event) => void, got ${typeof onProgress}.`, { argument: 'options.onProgress' });
  }
  if (signal !== undefined && !(typeof signal === 'object' && signal !== null && typeof signal.aborted === 'boolean' && typeof signal.addEventListener === 'function')) {
    throw new TlkitError('INVALID_ARGUMENT', 'options.signal must be an AbortSignal (e.g. new AbortController().signal).', { argument: 'options.signal' });
  }
  if (storage !== undefined) {
    const methods = ['read', 'write', 'remove'] as const;
    const missing = typeof storage === 'object' && storage !== null ? methods.filter((method) => typeof storage[method] !== 'function') : [...methods];
    if (missing.length > 0) {
      throw new TlkitError(
        'INVALID_ARGUMENT',
        `options.storage must be a ByteStorage with async read, write and remove (memoryStorage(), indexedDbStorage(), fileStorage(dir) from @tlkit/core/node); it lacks ${missing.join(', ')}.`,
        { argument: 'options.storage' },
      );
    }
  }
}

/** One step's report after fitting. */
export interface StepReport {
  readonly step: string;
  readonly role: Strategy['role'];
  readonly seconds: number;
  readonly info?: Readonly<Record<string, JsonValue>>;
}

/** The saved manifest of a fitted pipeline. */
export interface PipelineManifest {
  readonly format: 'tlkit-pipeline';
  readonly formatVersion: 1;
  readonly specificationVersion: 'v1';
  readonly problem: ProblemType;
  readonly numClasses: number;
  readonly featureDim: number;
  readonly shape?: ImageShape;
  readonly steps: readonly { readonly config: StepConfig; readonly state?: EncodedState }[];
  /** Size and hash of the blob saved with this manifest (absent in artifacts of earlier builds). */
  readonly blob?: BlobRecord;
  readonly sourceWeights?: ArrayReference;
}

/** A pipeline's saved form. */
export type PipelineArtifacts = Artifacts<PipelineManifest>;

function abortError(): TlkitError {
  return new TlkitError('ABORTED', 'the run was aborted through its AbortSignal.');
}

/**
 * Steps composed into a runnable pipeline. Build it with {@link compose}.
 */
export class Pipeline {
  readonly steps: readonly Strategy[];

  /** @internal Use {@link compose}. */
  constructor(steps: readonly Strategy[]) {
    validateStepOrder(steps);
    this.steps = [...steps];
  }

  /** The pipeline as JSON step configs (what a CLI config's `steps` holds). */
  toConfig(): StepConfig[] {
    return this.steps.map(strategyToConfig);
  }

  /**
   * Fits every step in order on `task` and returns the fitted pipeline.
   *
   * Weighting steps' weights are multiplied and handed to every later step; mapping steps
   * transform both domains in turn; the estimator (or the trainer with the training steps) learns
   * on the result. The target domain's labels are never passed to any step; the few labelled
   * target samples reach only steps whose `needs.targetLabels` is not `'never'`.
   *
   * @throws TlkitError `INVALID_ARGUMENT` for an unknown option (with the nearest name), a `seed`
   * that is not an integer in 0 … 2³² − 1 (`null` included), a `signal` that is not an
   * AbortSignal, a non-function `onProgress` or a `storage` without read/write/remove; for invalid
   * data (see {@link prepareTask}); `UNSUPPORTED_PROBLEM`, `MISSING_TARGET_LABELS`, `ABORTED`, and
   * whatever a step raises.
   */
  async fit(task: TransferTask | PreparedTask, options: FitOptions = {}): Promise<FittedPipeline> {
    if (!task || typeof task !== 'object') {
      throw new TlkitError('INVALID_ARGUMENT', `task must be an object { source, target, problem } (or prepareTask's result), got ${task === null ? 'null' : typeof task}.`, {
        argument: 'task',
      });
    }
    if (options === null || typeof options !== 'object') {
      throw new TlkitError('INVALID_ARGUMENT', `options must be an object such as { seed: 0 } (or left out), got ${options === null ? 'null' : typeof options}.`, {
        argument: 'options',
      });
    }
    checkFitOptions(options);
    // Only prepareTask's own results skip validation: a look-alike (e.g. a spread copy with another featureDim) is checked again.
    const prepared = isPreparedTask(task) ? task : prepareTask(task as TransferTask);
    const seed = options.seed === undefined ? 0 : options.seed;
    createRng(seed); // validates the seed (null included: only a seed left out means 0)
    const trainOn = options.trainOn ?? 'source';
    if (!['source', 'target', 'source+target'].includes(trainOn)) {
      throw new TlkitError('INVALID_ARGUMENT', `trainOn must be 'source', 'target' or 'source+target', got ${JSON.stringify(trainOn)}.`, {
        argument: 'trainOn',
      });
    }
    this.checkNeeds(prepared, trainOn);
    const storage = options.storage ?? memoryStorage();
    const { signal } = options;
    const throwIfAborted = () => {
      if (signal?.aborted) throw abortError();
    };
    throwIfAborted();
    const pipelineReporter = createReporter(options.onProgress, 'pipeline', -1);
    pipelineReporter({ phase: 'start', current: 0, total: this.steps.length });

    const contextFor = (step: Strategy, index: number, shape: ImageShape | undefined): StepContext => {
      const stepSeed = deriveSeed(seed, index, step.name);
      return {
        seed: stepSeed,
        rng: createRng(stepSeed),
        problem: prepared.problem,
        numClasses: prepared.numClasses,
        ...(shape ? { shape } : {}),
        progress: createReporter(options.onProgress, step.name, index),
        ...(signal ? { signal } : {}),
        throwIfAborted,
        storage,
      };
    };
    const mayUseTargetLabels = (step: Strategy) => step.needs.targetLabels !== 'never';

    let weights: Float64Array | undefined;
    let sourceX = prepared.source.X;
    let targetX = prepared.target.X;
    let targetLabeledX = prepared.targetLabeled?.X;
    let shape = prepared.shape;
    const reports: StepReport[] = [];
    const mappings: FittedMapping[] = [];
    const trainingSteps = this.steps.filter((step): step is TrainingStrategy => step.role === 'training');

    try {
      for (const [index, step] of this.steps.entries()) {
        if (step.role === 'training') continue;
        // Between steps the event loop gets a turn, so a timer, a Stop button or a Ctrl-C handler
        // can abort the fit there (a step's own solver is one synchronous task; in a browser page,
        // long shallow fits belong in a Web Worker: docs/browser.md).
        await yieldToEventLoop();
        throwIfAborted();
        const started = performance.now();
        const context = contextFor(step, index, shape);
        context.progress({ phase: 'start' });
        const source: LabeledSet = { X: sourceX, y: prepared.source.y, ...(weights ? { weights } : {}) };
        const targetLabeled =
          prepared.targetLabeled && targetLabeledX && mayUseTargetLabels(step)
            ? { X: targetLabeledX, y: prepared.targetLabeled.y }
            : undefined;
        const input = { source, target: { X: targetX }, ...(targetLabeled ? { targetLabeled } : {}) };
        let info: Readonly<Record<string, JsonValue>> | undefined;

        if (step.role === 'weighting') {
          const result = await (step as WeightingStrategy).doFitWeights(input, context);
          checkWeights(result.weights, sourceX.rows, step.name);
          weights = weights ? multiply(weights, result.weights) : Float64Array.from(result.weights);
          info = result.info;
        } else if (step.role === 'mapping') {
          const mapping = await (step as MappingStrategy).doFit(input, context);
          mappings.push(mapping);
          sourceX = mapping.fitted?.source ?? mapping.transform(sourceX, 'source');
          targetX = mapping.fitted?.target ?? mapping.transform(targetX, 'target');
          if (targetLabeledX) targetLabeledX = mapping.fitted?.targetLabeled ?? mapping.transform(targetLabeledX, 'target');
          shape = mapping.outputShape;
          info = mapping.info;
        } else {
          const estimatorStep = step as EstimatorStrategy;
          const train = trainingSet(trainOn, source, prepared.targetLabeled && targetLabeledX ? { X: targetLabeledX, y: prepared.targetLabeled.y } : undefined);
          const estimator = await estimatorStep.doFit({ ...input, train, trainingSteps }, context);
          info = estimator.info;
          const seconds = (performance.now() - started) / 1000;
          reports.push({ step: step.name, role: step.role, seconds, ...(info ? { info } : {}) });
          context.progress({ phase: 'done', message: `${seconds.toFixed(2)} s` });
          pipelineReporter({ phase: 'done', current: this.steps.length, total: this.steps.length });
          return new FittedPipeline({
            steps: this.steps,
            mappings,
            estimator,
            problem: prepared.problem,
            numClasses: prepared.numClasses,
            featureDim: prepared.featureDim,
            ...(prepared.shape ? { shape: prepared.shape } : {}),
            ...(weights ? { sourceWeights: weights } : {}),
            reports,
          });
        }
        const seconds = (performance.now() - started) / 1000;
        reports.push({ step: step.name, role: step.role, seconds, ...(info ? { info } : {}) });
        context.progress({ phase: 'done', message: `${seconds.toFixed(2)} s` });
        pipelineReporter({ phase: 'step', current: index + 1, total: this.steps.length });
      }
    } catch (error) {
      for (const mapping of mappings) mapping.dispose?.();
      throw error;
    }
    throw new TlkitError('BAD_STEP_ORDER', 'the pipeline has no estimator.');
  }

  private checkNeeds(task: PreparedTask, trainOn: TrainOn): void {
    for (const [index, step] of this.steps.entries()) {
      if (!step.needs.problems.includes(task.problem)) {
        throw new TlkitError(
          'UNSUPPORTED_PROBLEM',
          `step ${index + 1} '${step.name}' supports ${step.needs.problems.join(' and ') || 'no problem type'}, but the task is ${task.problem}.`,
          { step: step.name },
        );
      }
      if (step.needs.targetLabels === 'required' && !task.targetLabeled) {
        throw new TlkitError(
          'MISSING_TARGET_LABELS',
          `step ${index + 1} '${step.name}' needs a few labelled target samples; pass task.targetLabeled (the CLI: "targetLabeled": { "perClass": 3 }).`,
          { step: step.name },
        );
      }
      if (step.needs.images && !task.shape) {
        throw new TlkitError(
          'INVALID_ARGUMENT',
          `step ${index + 1} '${step.name}' needs images; give the domains a shape [h, w, c] (or pass rank-4 tensors).`,
          { step: step.name, argument: 'task.source.shape' },
        );
      }
    }
    if (trainOn !== 'source' && !task.targetLabeled) {
      throw new TlkitError(
        'MISSING_TARGET_LABELS',
        `trainOn '${trainOn}' trains on the labelled target samples, but task.targetLabeled is missing.`,
        { argument: 'trainOn' },
      );
    }
    if (trainOn === 'target' && task.problem === 'classification' && task.targetLabeled && new Set(task.targetLabeled.y).size < 2) {
      throw new TlkitError(
        'TOO_FEW_SAMPLES',
        `trainOn 'target' trains on task.targetLabeled alone, but its labels hold a single class (${task.targetLabeled.y[0]}); classification needs at least 2 classes. Label samples of another class, or use trainOn 'source+target'.`,
        { argument: 'task.targetLabeled.y' },
      );
    }
  }
}

function trainingSet(trainOn: TrainOn, source: LabeledSet, targetLabeled: LabeledSet | undefined): LabeledSet {
  if (trainOn === 'source' || !targetLabeled) return source;
  if (trainOn === 'target') return targetLabeled;
  const y =
    source.y instanceof Int32Array
      ? Int32Array.from([...source.y, ...targetLabeled.y])
      : Float64Array.from([...source.y, ...targetLabeled.y]);
  const merged: LabeledSet = { X: Matrix.vstack([source.X, targetLabeled.X]), y };
  if (!source.weights) return merged;
  const weights = new Float64Array(source.X.rows + targetLabeled.X.rows).fill(1);
  weights.set(source.weights);
  return { ...merged, weights };
}

function checkWeights(weights: Float64Array, rows: number, step: string): void {
  if (!(weights instanceof Float64Array) || weights.length !== rows) {
    throw new TlkitError('INVALID_ARGUMENT', `weighting step '${step}' returned ${weights?.length} weights for ${rows} source samples.`);
  }
  for (let i = 0; i < weights.length; i++) {
    if (!(weights[i] >= 0) || !Number.isFinite(weights[i])) {
      throw new TlkitError('NON_FINITE_INPUT', `weighting step '${step}' returned weight ${weights[i]} at index ${i}; weights must be finite and ≥ 0.`);
    }
  }
}

function multiply(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] * b[i];
  return out;
}

interface FittedPipelineParts {
  readonly steps: readonly Strategy[];
  readonly mappings: readonly FittedMapping[];
  readonly estimator: FittedEstimator;
  readonly problem: ProblemType;
  readonly numClasses: number;
  readonly featureDim: number;
  readonly shape?: ImageShape;
  readonly sourceWeights?: Float64Array;
  readonly reports: readonly StepReport[];
}

/** A fitted pipeline: predicts, transforms, reports what each step did, saves and restores. */
export class FittedPipeline {
  readonly steps: readonly Strategy[];
  readonly problem: ProblemType;
  readonly numClasses: number;
  /** Number of input features expected by `predict` and `transform`. */
  readonly featureDim: number;
  readonly shape?: ImageShape;
  /** The product of the weighting steps' weights, one per source sample (absent without weighting). */
  readonly sourceWeights?: Float64Array;
  /** Per-step timings and diagnostics from `fit` (empty after `loadPipeline`). */
  readonly reports: readonly StepReport[];
  private readonly mappings: readonly FittedMapping[];
  private readonly estimator: FittedEstimator;
  private disposed = false;

  /** @internal */
  constructor(parts: FittedPipelineParts) {
    this.steps = parts.steps;
    this.mappings = parts.mappings;
    this.estimator = parts.estimator;
    this.problem = parts.problem;
    this.numClasses = parts.numClasses;
    this.featureDim = parts.featureDim;
    if (parts.shape) this.shape = parts.shape;
    if (parts.sourceWeights) this.sourceWeights = parts.sourceWeights;
    this.reports = parts.reports;
  }

  private input(X: MatrixInput, argument: string): Matrix {
    if (this.disposed) throw new TlkitError('NOT_FITTED', 'this fitted pipeline was disposed.');
    const { matrix, shape } = toMatrix(X, argument);
    // Images given as a tensor carry their shape: one of another layout with as many values per
    // sample would be read silently in the fitted layout (determinism review finding 4).
    if (shape && this.shape && shape.join('x') !== this.shape.join('x')) {
      throw new TlkitError(
        'DIMENSION_MISMATCH',
        `${argument} holds images of shape [${shape.join(', ')}]; the pipeline was fitted on [${this.shape.join(', ')}]. Resize them first (resizeImages from @tlkit/datasets).`,
        { argument, expected: [...this.shape], actual: [...shape] },
      );
    }
    if (matrix.cols !== this.featureDim) {
      throw new TlkitError(
        'DIMENSION_MISMATCH',
        `${argument} has ${matrix.cols} features; the pipeline was fitted on ${this.featureDim}.`,
        { argument, expected: this.featureDim, actual: matrix.cols },
      );
    }
    return matrix;
  }

  /**
   * The fitted estimator step (for deep pipelines, the trained network — see `predictWithHead`).
   * Prefer `predict`/`predictProba`, which apply the mappings first.
   */
  get fittedEstimator(): FittedEstimator {
    if (this.disposed) throw new TlkitError('NOT_FITTED', 'this fitted pipeline was disposed.');
    return this.estimator;
  }

  /**
   * Applies the fitted mappings to samples of `domain` (default `'target'`).
   * @throws TlkitError `INVALID_ARGUMENT` for a `domain` other than `'source'` or `'target'`.
   */
  transform(X: MatrixInput, domain: 'source' | 'target' = 'target'): Matrix {
    if (domain !== 'source' && domain !== 'target') {
      throw new TlkitError('INVALID_ARGUMENT', `domain must be 'source' or 'target', got ${JSON.stringify(domain)}.`, { argument: 'domain' });
    }
    let current = this.input(X, 'X');
    for (const mapping of this.mappings) current = mapping.transform(current, domain);
    return current;
  }

  /** Predicts target samples: class ids (`Int32Array`) or regression values (`Float64Array`). */
  predict(X: MatrixInput): Int32Array | Float64Array {
    return this.estimator.predict(this.transform(X, 'target'));
  }

  /** Class probabilities (`n x numClasses`) for target samples, if the estimator has them. */
  predictProba(X: MatrixInput): Matrix {
    const predictProba = this.estimator.predictProba;
    if (!predictProba) {
      const name = this.steps.find((step) => step.role === 'estimator')?.name;
      throw new TlkitError('INVALID_ARGUMENT', `estimator '${name}' gives no probabilities; use predict().`);
    }
    return predictProba.call(this.estimator, this.transform(X, 'target'));
  }

  /** The saved form: a JSON manifest and a binary blob (see `savePipeline` in `@tlkit/core/node`). */
  async save(): Promise<PipelineArtifacts> {
    if (this.disposed) throw new TlkitError('NOT_FITTED', 'this fitted pipeline was disposed; save it before dispose().');
    const writer = new BlobWriter();
    let mappingIndex = 0;
    const steps: PipelineManifest['steps'][number][] = [];
    for (const step of this.steps) {
      const config = strategyToConfig(step);
      if (step.role === 'mapping') {
        steps.push({ config, state: writer.encodeState(await this.mappings[mappingIndex++].saveState()) });
      } else if (step.role === 'estimator') {
        steps.push({ config, state: writer.encodeState(await this.estimator.saveState()) });
      } else {
        steps.push({ config });
      }
    }
    const sourceWeights = this.sourceWeights ? writer.add(storeArray(this.sourceWeights)) : undefined;
    const manifest: PipelineManifest = {
      format: 'tlkit-pipeline',
      formatVersion: 1,
      specificationVersion: 'v1',
      problem: this.problem,
      numClasses: this.numClasses,
      featureDim: this.featureDim,
      ...(this.shape ? { shape: this.shape } : {}),
      steps,
      ...(sourceWeights ? { sourceWeights } : {}),
    };
    const data = writer.finish();
    // The blob's size and hash: loadPipeline refuses a blob that is not this manifest's.
    return { manifest: { ...manifest, blob: blobRecord(data) }, data };
  }

  /** The saved form packed into one byte array. */
  async saveBytes(): Promise<Uint8Array> {
    return packArtifacts(await this.save());
  }

  /** Frees the tensors held by the fitted steps. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const mapping of this.mappings) mapping.dispose?.();
    this.estimator.dispose?.();
  }
}

/**
 * Restores a fitted pipeline saved with {@link FittedPipeline.save} (or `saveBytes`). Every
 * step's plugin must be registered (see {@link registerPlugin}).
 *
 * @throws TlkitError `INVALID_ARTIFACT`, `UNKNOWN_PLUGIN`.
 */
export async function loadPipeline(saved: PipelineArtifacts | Uint8Array): Promise<FittedPipeline> {
  const { manifest, data } = saved instanceof Uint8Array ? unpackArtifacts<PipelineManifest>(saved) : saved;
  if (manifest?.format !== 'tlkit-pipeline' || manifest.formatVersion !== 1) {
    throw new TlkitError('INVALID_ARTIFACT', 'not a tlkit pipeline (format "tlkit-pipeline", formatVersion 1).');
  }
  if (manifest.blob !== undefined && !matchesBlobRecord(manifest.blob, data)) {
    throw new TlkitError(
      'INVALID_ARTIFACT',
      `the saved pipeline's data (${data.byteLength} bytes) is not the data its manifest was saved with (${JSON.stringify(manifest.blob)}): the bytes were cut short, changed, or paired with another save. Save the pipeline again.`,
    );
  }
  const steps: Strategy[] = [];
  const mappings: FittedMapping[] = [];
  let estimator: FittedEstimator | undefined;
  let sourceWeights: Float64Array | undefined;
  try {
    for (const [index, entry] of manifest.steps.entries()) {
      const { use, ...options } = entry.config;
      const strategy = getPlugin(use).create(options);
      steps.push(strategy);
      if (strategy.role === 'mapping' || strategy.role === 'estimator') {
        if (!entry.state) throw new TlkitError('INVALID_ARTIFACT', `step ${index + 1} '${use}' has no saved state.`);
        const state = decodeState(data, entry.state);
        if (strategy.role === 'mapping') mappings.push(await strategy.doRestore(state));
        else estimator = await strategy.doRestore(state);
      }
    }
    validateStepOrder(steps);
    if (!estimator) throw new TlkitError('INVALID_ARTIFACT', 'the saved pipeline has no estimator state.');
    sourceWeights = manifest.sourceWeights ? (readReference(data, manifest.sourceWeights).data as Float64Array) : undefined;
  } catch (error) {
    // Free the steps already restored (their tensors) before reporting the damaged one.
    for (const mapping of mappings) mapping.dispose?.();
    (estimator as FittedEstimator | undefined)?.dispose?.();
    throw error;
  }
  return new FittedPipeline({
    steps,
    mappings,
    estimator,
    problem: manifest.problem,
    numClasses: manifest.numClasses,
    featureDim: manifest.featureDim,
    ...(manifest.shape ? { shape: manifest.shape } : {}),
    ...(sourceWeights ? { sourceWeights } : {}),
    reports: [],
  });
}

/**
 * Composes steps into a {@link Pipeline}, checking their order:
 * `weighting* mapping* (estimator | trainer + training*)`.
 *
 * @example
 * ```ts
 * const pipeline = compose(kmm(), tca({ dim: 30 }), logisticRegression());
 * const fitted = await pipeline.fit(task, { seed: 7, onProgress: console.error });
 * fitted.predict(task.target.X);
 * ```
 * @throws TlkitError `BAD_STEP_ORDER`, `UNUSED_SAMPLE_WEIGHTS`.
 */
export function compose(...steps: Strategy[]): Pipeline {
  return new Pipeline(steps);
}
