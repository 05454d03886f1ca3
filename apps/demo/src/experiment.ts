/**
 * Runs an experiment config: loads the data, builds one transfer task per pair and seed, fits
 * every pipeline on it and scores the predictions.
 */
import { dirname, resolve } from 'node:path';
import {
  type ByteStorage,
  type JsonValue,
  type StepReport,
  createRng,
  networkHeads,
  predictWithHead,
  type PreparedTask,
  prepareTask,
  type ProgressListener,
  scoreClassification,
  scoreRegression,
  TlkitError,
  type TransferTask,
} from '@tlkit/core';
import {
  cropImages,
  type DatasetDomain,
  getDatasetInfo,
  type LoadedDataset,
  preprocess,
  resizeImages,
  sampleLabeledPerClass,
  selectDomainRows,
  selectSplit,
} from '@tlkit/datasets';
import { loadDatasetFromDirectory, loadShippedDataset } from '@tlkit/datasets/node';
import type { ExperimentConfig, PipelineConfig } from './config';
import { applySettings, buildPipeline, gridCandidates, selectByCrossValidation, type SelectionResult } from './selection';
import { runCheckpointSteps } from './checkpoint-keys';
import { bareMessage, pipelinePlace } from './steps';
import { mean, standardDeviation } from './statistics';

/** One fitted-and-scored pipeline on one pair and seed. */
export interface RunRecord {
  readonly pipeline: string;
  readonly source: string;
  readonly target: string;
  /** The scored domain when it is not the target itself (e.g. `usps:test`). */
  readonly test?: string;
  readonly seed: number;
  /** Unrounded fractions (accuracy, balancedAccuracy, macroF1) or regression errors. */
  readonly metrics: Record<string, number>;
  /** Wall time of the run: the pipeline's selection fits (with `select`), its fit, and scoring. */
  readonly seconds: number;
  /** Number of samples scored. */
  readonly scored: number;
  /** With `holdOut`: the head that scored the held-out rows (`'source'` or `'task'`). */
  readonly heldOutHead?: string;
  /** Each step's timing and its scalar diagnostics (see {@link stepDiagnostics}). */
  readonly steps: readonly StepDiagnostics[];
  /** With the pipeline's `select`: the settings chosen by cross-validation and every candidate's score. */
  readonly selection?: SelectionResult;
}

/** One step's report in a {@link RunRecord}. */
export interface StepDiagnostics {
  readonly step: string;
  readonly role: string;
  readonly seconds: number;
  /** The step's `info`, keeping numbers, strings, booleans and numeric lists of at most 100 entries. */
  readonly info: Record<string, JsonValue>;
}

const MAX_LIST_IN_RECORD = 100;

/**
 * The steps' reports of a fitted pipeline, trimmed for a run record: scalar diagnostics (KMM's
 * effective sample size, TrAdaBoost's per-round errors, a trainer's epochs) stay; per-sample
 * vectors and nested objects (training histories, per-round weight vectors) are left out.
 */
export function stepDiagnostics(reports: readonly StepReport[]): StepDiagnostics[] {
  return reports.map((report) => {
    const info: Record<string, JsonValue> = {};
    for (const [key, value] of Object.entries(report.info ?? {})) {
      const scalar = typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean';
      const shortNumericList = Array.isArray(value) && value.length <= MAX_LIST_IN_RECORD && value.every((entry) => typeof entry === 'number');
      if (scalar || shortNumericList) info[key] = value;
    }
    return { step: report.step, role: report.role, seconds: report.seconds, info };
  });
}

/** Mean and standard deviation of a metric over seeds. */
export interface SummaryRecord {
  readonly pipeline: string;
  /** `'average'` for the mean over pairs. */
  readonly pair: string;
  readonly metric: string;
  readonly mean: number;
  /** Sample standard deviation over seeds (0 with one seed). */
  readonly std: number;
  readonly seeds: number;
}

/** What {@link runExperiment} returns. */
export interface ExperimentResult {
  readonly name?: string;
  readonly dataset: string;
  readonly pairs: readonly string[];
  readonly pipelines: readonly string[];
  readonly runs: RunRecord[];
  readonly summary: SummaryRecord[];
}

/** Hooks for progress output. */
export interface ExperimentCallbacks {
  onRunStart?(info: { index: number; total: number; pipeline: string; pair: string; seed: number }): void;
  onRunEnd?(record: RunRecord, info: { index: number; total: number; pair: string }): void;
  onProgress?: ProgressListener;
  readonly storage?: ByteStorage;
  readonly signal?: AbortSignal;
}

interface DomainReference {
  readonly domain: string;
  readonly split?: string;
  readonly text: string;
}

function parseReference(text: string): DomainReference {
  const [domain, split] = text.split(':');
  return split ? { domain, split, text } : { domain, text };
}

/** Loads the dataset a config names (a path is relative to the config file). */
export async function loadExperimentDataset(config: ExperimentConfig, configPath?: string): Promise<LoadedDataset> {
  const wanted = new Set<string>();
  if (config.pairs !== 'all') for (const pair of config.pairs) for (const entry of pair) wanted.add(parseReference(entry).domain);
  if (typeof config.dataset === 'string') {
    return loadShippedDataset(config.dataset, wanted.size ? { domains: [...wanted] } : {});
  }
  const base = configPath ? dirname(resolve(configPath)) : process.cwd();
  return loadDatasetFromDirectory(resolve(base, config.dataset.path), {
    ...(wanted.size ? { domains: [...wanted] } : {}),
    ...(config.dataset.name ? { name: config.dataset.name } : {}),
  });
}

/** The `[source, target, test?]` triples a config asks for. */
export function resolvePairs(config: ExperimentConfig, dataset: LoadedDataset): string[][] {
  if (config.pairs !== 'all') return config.pairs.map((pair) => [...pair]);
  if (typeof config.dataset === 'string') {
    return getDatasetInfo(config.dataset).standardTasks.map((task) => [task.source, task.target]);
  }
  const names = Object.keys(dataset.domains).sort();
  return names.flatMap((source) => names.filter((target) => target !== source).map((target) => [source, target]));
}

/** `C→A` for shipped datasets with letters, `caltech→amazon` otherwise. */
export function pairLabel(config: ExperimentConfig, pair: readonly string[]): string {
  const letter = (text: string) => {
    const { domain, split } = parseReference(text);
    if (typeof config.dataset === 'string') {
      const entry = getDatasetInfo(config.dataset).domains.find((candidate) => candidate.name === domain);
      if (entry) return split ? `${entry.letter}:${split}` : entry.letter;
    }
    return text;
  };
  const label = `${letter(pair[0])}→${letter(pair[1])}`;
  return pair[2] ? `${label} (test ${letter(pair[2])})` : label;
}

/** Scores predictions: classification accuracy, balanced accuracy, macro F1; or regression errors. */
function score(
  problem: 'classification' | 'regression',
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  numClasses: number,
): Record<string, number> {
  if (problem === 'classification') {
    const scores = scoreClassification(truth, predicted, { numClasses });
    return { accuracy: scores.accuracy, balancedAccuracy: scores.balancedAccuracy, macroF1: scores.macro.f1 };
  }
  const scores = scoreRegression(truth, predicted);
  return { meanSquaredError: scores.meanSquaredError, meanAbsoluteError: scores.meanAbsoluteError, r2: scores.r2 };
}

/** Builds one task for a pair and seed. @internal */
export function buildTask(
  config: ExperimentConfig,
  domains: (reference: string) => DatasetDomain,
  pair: readonly string[],
  seed: number,
  numClasses: number,
): { task: PreparedTask; scoredOn: string } {
  const source = domains(pair[0]);
  const target = domains(pair[1]);
  const test = pair[2] ? domains(pair[2]) : undefined;
  let targetUnlabelled: DatasetDomain = target;
  let targetLabeled: DatasetDomain | undefined;
  if (config.targetLabeled) {
    const split = sampleLabeledPerClass(target.y, config.targetLabeled.perClass, config.targetLabeled.seed ?? seed, numClasses);
    targetLabeled = selectDomainRows(target, split.labeled);
    targetUnlabelled = selectDomainRows(target, split.rest);
  }
  const scored = test ?? targetUnlabelled;
  const asDomain = (domain: DatasetDomain) => ({
    X: domain.X,
    y: domain.y,
    name: domain.name,
    ...(domain.shape ? { shape: domain.shape } : {}),
  });
  const task: TransferTask = {
    source: asDomain(source),
    target: { X: targetUnlabelled.X, name: target.name, ...(target.shape ? { shape: target.shape } : {}) },
    ...(targetLabeled ? { targetLabeled: asDomain(targetLabeled) } : {}),
    targetTest: asDomain(scored),
    problem: config.problem,
    ...(config.problem === 'classification' ? { numClasses } : {}),
  };
  return { task: prepareTask(task), scoredOn: test ? pair[2] : config.targetLabeled ? `${pair[1]} (unlabelled rest)` : pair[1] };
}

/**
 * Resolves every step of every pipeline (and of every `select` candidate) and checks what the
 * steps need against what the config gives (problem type, labelled target samples, images), so a
 * typo or a missing `targetLabeled` fails before the dataset loads and before any pipeline runs.
 * Errors name the JSON path (`pipelines[2].steps[1].use`) and the pipeline.
 *
 * @param facts - `images`: whether the domains have an image shape (unknown before loading: not checked).
 * @throws TlkitError `UNKNOWN_PLUGIN`, `INVALID_CONFIG`, `BAD_STEP_ORDER`, `UNUSED_SAMPLE_WEIGHTS`,
 *   `UNSUPPORTED_PROBLEM`, `MISSING_TARGET_LABELS`.
 */
export function checkPipelines(config: ExperimentConfig, facts: { images?: boolean } = {}): void {
  config.pipelines.forEach((pipeline, index) => {
    const place = pipelinePlace(index, pipeline.name);
    const built = buildPipeline(pipeline.name, pipeline.steps, place);
    if (pipeline.select) {
      for (const candidate of gridCandidates(pipeline.select.grid)) {
        try {
          buildPipeline(pipeline.name, applySettings(pipeline.steps, candidate), place);
        } catch (error) {
          if (!(error instanceof TlkitError)) throw error;
          throw new TlkitError(error.code, `${place.path}.select.grid ${JSON.stringify(candidate)}: ${bareMessage(error)}`, {
            ...error.details,
            argument: `${place.path}.select.grid`,
          });
        }
      }
    }
    built.steps.forEach((step, position) => {
      const where = `${place.path}.steps[${position}] (pipeline "${pipeline.name}", '${step.name}')`;
      if (!step.needs.problems.includes(config.problem)) {
        throw new TlkitError(
          'UNSUPPORTED_PROBLEM',
          `${where}: '${step.name}' supports ${step.needs.problems.join(' and ') || 'no problem type'}, but the config's "problem" is ${config.problem}; use another step (tlkit list shows each step's problems).`,
          { step: step.name, argument: `${place.path}.steps[${position}]`, pipeline: pipeline.name },
        );
      }
      if (step.needs.targetLabels === 'required' && !config.targetLabeled) {
        throw new TlkitError(
          'MISSING_TARGET_LABELS',
          `${where}: '${step.name}' needs a few labelled target samples; add "targetLabeled": { "perClass": 3 } to the config.`,
          { step: step.name, argument: `${place.path}.steps[${position}]`, pipeline: pipeline.name },
        );
      }
      if (step.needs.images && facts.images === false) {
        throw new TlkitError(
          'INVALID_CONFIG',
          `${where}: '${step.name}' needs images, but the dataset's domains have no image shape (meta.json "shape"); use an image dataset or another step.`,
          { step: step.name, argument: `${place.path}.steps[${position}]`, pipeline: pipeline.name },
        );
      }
    });
  });
}

/**
 * Runs every pipeline of `config` on every pair and seed. Target labels reach only the scoring
 * (and the steps that declare they use the few labelled target samples).
 */
export async function runExperiment(
  config: ExperimentConfig,
  dataset: LoadedDataset,
  callbacks: ExperimentCallbacks = {},
): Promise<ExperimentResult> {
  const pairs = resolvePairs(config, dataset);
  const seeds = config.seeds ?? [config.seed ?? 0];
  const firstDomain = Object.values(dataset.domains)[0];
  const numClasses =
    firstDomain?.meta.classes?.length ??
    Math.max(...Object.values(dataset.domains).map((domain) => domain.y.reduce((max, label) => Math.max(max, label), 0))) + 1;

  // Preprocess whole domains once, then crop and resize; splits are taken afterwards.
  const prepared = new Map<string, DatasetDomain>();
  const names = Object.keys(dataset.domains);
  for (const [name, margins] of Object.entries(config.crop ?? {})) {
    const domain = dataset.domains[name];
    if (!domain) {
      throw new TlkitError('INVALID_CONFIG', `crop names domain '${name}', which is not in dataset ${dataset.name} (it has ${names.join(', ')}).`, {
        argument: `crop.${name}`,
      });
    }
    if (!domain.shape) {
      throw new TlkitError('INVALID_CONFIG', `crop.${name}: domain '${name}' of ${dataset.name} has no image shape (meta.json "shape"), so it cannot be cropped; remove it from crop.`, {
        argument: `crop.${name}`,
      });
    }
    const [top, bottom, left, right] = typeof margins === 'number' ? [margins, margins, margins, margins] : margins;
    const [height, width] = domain.shape;
    if (top + bottom >= height || left + right >= width) {
      throw new TlkitError(
        'INVALID_CONFIG',
        `crop.${name} [top ${top}, bottom ${bottom}, left ${left}, right ${right}] leaves no pixels of the ${height} x ${width} images of '${name}'; crop fewer pixels.`,
        { argument: `crop.${name}` },
      );
    }
  }
  if (config.resize) {
    for (const name of names) {
      if (!dataset.domains[name].shape) {
        throw new TlkitError(
          'INVALID_CONFIG',
          `resize: domain '${name}' of ${dataset.name} has no image shape (meta.json "shape"), so it cannot be resized; remove "resize" from the config (it applies to image datasets only).`,
          { argument: 'resize' },
        );
      }
    }
  }
  const processed = preprocess(dataset.name, names.map((name) => dataset.domains[name]), config.preprocess);
  names.forEach((name, index) => {
    let domain = processed[index];
    const margins = config.crop?.[name];
    if (margins !== undefined && domain.shape) {
      const [top, bottom, left, right] = typeof margins === 'number' ? [margins, margins, margins, margins] : margins;
      const cropped = cropImages(domain.X, domain.shape, { top, bottom, left, right });
      domain = { ...domain, X: cropped.X, shape: cropped.shape };
    }
    if (config.resize && domain.shape) {
      const shape = [config.resize[0], config.resize[1], domain.shape[2]] as const;
      if (shape[0] !== domain.shape[0] || shape[1] !== domain.shape[1]) {
        domain = { ...domain, X: resizeImages(domain.X, domain.shape, shape), shape };
      }
    }
    prepared.set(name, domain);
  });

  // Held-out rows: removed from the domain everywhere, scored after every run.
  let heldOut: DatasetDomain | undefined;
  if (config.holdOut) {
    const { domain: name, rows, seed } = config.holdOut;
    const domain = prepared.get(name);
    if (!domain) {
      throw new TlkitError('INVALID_CONFIG', `holdOut.domain '${name}' is not in dataset ${dataset.name} (it has ${names.join(', ')}).`, {
        argument: 'holdOut.domain',
      });
    }
    if (rows >= domain.X.rows) {
      throw new TlkitError('INVALID_CONFIG', `holdOut.rows ${rows} leaves nothing of domain '${name}' (${domain.X.rows} rows); hold out fewer rows.`, {
        argument: 'holdOut.rows',
      });
    }
    const order = createRng(seed).permutation(domain.X.rows);
    const held = Int32Array.from(order.subarray(0, rows)).sort();
    const kept = Int32Array.from(order.subarray(rows)).sort();
    heldOut = selectDomainRows(domain, held);
    prepared.set(name, selectDomainRows(domain, kept));
  }
  const domainFor = (text: string): DatasetDomain => {
    const reference = parseReference(text);
    const domain = prepared.get(reference.domain);
    if (!domain) {
      throw new TlkitError('DATA_NOT_FOUND', `domain '${reference.domain}' is not in dataset ${dataset.name} (it has ${names.join(', ')}).`, {
        argument: 'pairs',
      });
    }
    return reference.split ? selectSplit(domain, reference.split) : domain;
  };

  // Every step was resolved up front (checkPipelines); this also checks the image needs now that the shapes are known.
  checkPipelines(config, { images: [...prepared.values()].every((domain) => domain.shape !== undefined) });
  const pipelines = config.pipelines.map((pipeline: PipelineConfig, position) => ({
    config: pipeline,
    build: (steps: PipelineConfig['steps'] = pipeline.steps) => buildPipeline(pipeline.name, steps, pipelinePlace(position, pipeline.name)),
  }));

  const runs: RunRecord[] = [];
  const total = pairs.length * seeds.length * pipelines.length;
  let index = 0;
  for (const pair of pairs) {
    const label = pairLabel(config, pair);
    for (const seed of seeds) {
      const { task, scoredOn } = buildTask(config, domainFor, pair, seed, numClasses);
      for (const pipeline of pipelines) {
        // Let a pending signal (Ctrl-C) through between runs: synchronous steps never yield to the event loop.
        if (callbacks.signal) {
          await new Promise((resolve) => setImmediate(resolve));
          if (callbacks.signal.aborted) throw new TlkitError('ABORTED', `the experiment was aborted after ${runs.length} of ${total} runs.`, { finished: runs.length, total });
        }
        index++;
        callbacks.onRunStart?.({ index, total, pipeline: pipeline.config.name, pair: label, seed });
        const started = performance.now();
        const fitOptions = {
          seed,
          trainOn: pipeline.config.trainOn,
          ...(callbacks.onProgress ? { onProgress: callbacks.onProgress } : {}),
          ...(callbacks.storage ? { storage: callbacks.storage } : {}),
          ...(callbacks.signal ? { signal: callbacks.signal } : {}),
        };
        let selection: SelectionResult | undefined;
        if (pipeline.config.select) {
          const select = pipeline.config.select;
          selection = await selectByCrossValidation(pipeline.config, select, task, fitOptions, (candidate, candidateIndex, candidates) =>
            callbacks.onProgress?.({
              step: 'select',
              stepIndex: -1,
              phase: 'candidate',
              current: candidateIndex + 1,
              total: candidates,
              metrics: { cvScore: candidate.score },
              message: JSON.stringify(candidate.values),
            }),
          );
        }
        const steps = runCheckpointSteps(selection ? applySettings(pipeline.config.steps, selection.chosen) : pipeline.config.steps, {
          experiment: config.name ?? 'experiment',
          pipeline: pipeline.config.name,
          source: pair[0],
          target: pair[1],
          seed,
        });
        const fitted = await pipeline.build(steps).fit(task, fitOptions);
        const scoredSet = task.targetTest!;
        let predicted: Int32Array | Float64Array;
        let heldOutMetrics: Record<string, number> = {};
        let heldOutHead: string | undefined;
        try {
          predicted = fitted.predict(scoredSet.X);
          if (heldOut && config.holdOut) {
            heldOutHead = networkHeads(fitted).includes(config.holdOut.head) ? config.holdOut.head : 'task';
            const heldPredicted = heldOutHead === 'task' ? fitted.predict(heldOut.X) : predictWithHead(fitted, heldOut.X, heldOutHead);
            const heldScores = score(config.problem, heldOut.y, heldPredicted, numClasses);
            heldOutMetrics = Object.fromEntries(
              Object.entries(heldScores).map(([metric, value]) => [`heldOut${metric[0].toUpperCase()}${metric.slice(1)}`, value]),
            );
          }
        } finally {
          fitted.dispose();
        }
        const diagnostics = stepDiagnostics(fitted.reports);
        const record: RunRecord = {
          pipeline: pipeline.config.name,
          source: pair[0],
          target: pair[1],
          ...(pair[2] || config.targetLabeled ? { test: scoredOn } : {}),
          seed,
          metrics: { ...score(config.problem, scoredSet.y, predicted, numClasses), ...heldOutMetrics },
          seconds: (performance.now() - started) / 1000,
          scored: scoredSet.X.rows,
          ...(heldOutHead ? { heldOutHead } : {}),
          steps: diagnostics,
          ...(selection ? { selection } : {}),
        };
        runs.push(record);
        callbacks.onRunEnd?.(record, { index, total, pair: label });
      }
    }
  }

  const summary: SummaryRecord[] = [];
  const labels = pairs.map((pair) => pairLabel(config, pair));
  for (const pipeline of config.pipelines) {
    const metricNames = Object.keys(runs.find((run) => run.pipeline === pipeline.name)?.metrics ?? {});
    for (const metric of metricNames) {
      const perSeedAverages = seeds.map((seed) =>
        mean(pairs.map((pair) => runs.find((run) => run.pipeline === pipeline.name && run.source === pair[0] && run.target === pair[1] && run.seed === seed && (run.test === undefined || !pair[2] || run.test === pair[2]))!.metrics[metric])),
      );
      pairs.forEach((pair, pairIndex) => {
        const values = runs
          .filter((run) => run.pipeline === pipeline.name && run.source === pair[0] && run.target === pair[1] && (!pair[2] || run.test === pair[2]))
          .map((run) => run.metrics[metric]);
        summary.push({ pipeline: pipeline.name, pair: labels[pairIndex], metric, mean: mean(values), std: standardDeviation(values), seeds: values.length });
      });
      summary.push({
        pipeline: pipeline.name,
        pair: 'average',
        metric,
        mean: mean(perSeedAverages),
        std: standardDeviation(perSeedAverages),
        seeds: seeds.length,
      });
    }
  }
  return {
    ...(config.name ? { name: config.name } : {}),
    dataset: dataset.name,
    pairs: labels,
    pipelines: config.pipelines.map((pipeline) => pipeline.name),
    runs,
    summary,
  };
}
