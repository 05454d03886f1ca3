/**
 * Hyperparameter selection by k-fold cross-validation on the labelled target samples — the only
 * target labels a few-shot transfer run is allowed to see (Kohavi, "A study of cross-validation
 * and bootstrap for accuracy estimation and model selection", IJCAI 1995). For every candidate of
 * a pipeline's `select.grid`, the pipeline is fitted `folds` times, each time on all labelled
 * target samples but one stratified fold, and scored on that fold; the candidate with the best
 * mean fold score wins (ties: the one listed first). The score is the mean of the folds' scores,
 * not Kohavi's pooled count of correct predictions over all samples; the two are equal when the
 * folds have equal sizes (k dividing the samples of every class, as 5 folds of 10 per class).
 * The final run refits with the winner on every labelled sample. The scored test domain is never
 * touched.
 */
import {
  deriveSeed,
  type FitOptions,
  type JsonValue,
  kFoldSplits,
  type Pipeline,
  type PreparedTask,
  prepareTask,
  scoreClassification,
  scoreRegression,
  TlkitError,
  type TransferTask,
} from '@tlkit/core';
import type { PipelineConfig } from './config';
import { buildConfigPipeline, type PipelinePlace } from './steps';
import { mean } from './statistics';

/** A pipeline's `select` entry (validated by the config schema). */
export interface SelectionConfig {
  /** Number of stratified folds of the labelled target samples. */
  readonly folds: number;
  /** Candidate values per setting path, e.g. `{ "steps[1].optimizer.learningRate": [1e-4, 1e-3] }`. */
  readonly grid: Readonly<Record<string, readonly JsonValue[]>>;
}

/** One candidate's cross-validated score. */
export interface CandidateScore {
  readonly values: Record<string, JsonValue>;
  /** Mean over folds: accuracy (classification) or mean squared error (regression). */
  readonly score: number;
  readonly foldScores: number[];
}

/** What {@link selectByCrossValidation} found. */
export interface SelectionResult {
  readonly metric: 'accuracy' | 'meanSquaredError';
  readonly folds: number;
  readonly chosen: Record<string, JsonValue>;
  readonly candidates: CandidateScore[];
}

const PATH = /^steps\[(\d+)\]((?:\.[A-Za-z_$][A-Za-z0-9_$]*)+)$/;

/**
 * A pipeline from a config's steps; errors name the step's JSON path (`place.path`, by default
 * `pipelines.NAME`, then `.steps[i]`) and the pipeline.
 */
export function buildPipeline(name: string, steps: PipelineConfig['steps'], place: PipelinePlace = { path: `pipelines.${name}`, name }): Pipeline {
  return buildConfigPipeline(steps, place);
}

/**
 * Parses `steps[N].key.key...`; null when the text is not such a path.
 *
 * @example
 * ```ts
 * parseSettingPath('steps[1].optimizer.learningRate'); // { step: 1, keys: ['optimizer', 'learningRate'] }
 * ```
 */
export function parseSettingPath(path: string): { step: number; keys: string[] } | null {
  const match = PATH.exec(path);
  if (!match) return null;
  return { step: Number(match[1]), keys: match[2].slice(1).split('.') };
}

/**
 * Every combination of the grid's values, the first path varying slowest.
 *
 * @example
 * ```ts
 * gridCandidates({ a: [1, 2], b: ['x'] }); // [{ a: 1, b: 'x' }, { a: 2, b: 'x' }]
 * ```
 */
export function gridCandidates(grid: Readonly<Record<string, readonly JsonValue[]>>): Record<string, JsonValue>[] {
  let candidates: Record<string, JsonValue>[] = [{}];
  for (const [path, values] of Object.entries(grid)) {
    candidates = candidates.flatMap((candidate) => values.map((value) => ({ ...candidate, [path]: value })));
  }
  return candidates;
}

/**
 * A copy of `steps` with each `steps[N].a.b` path set to its value (missing objects on the way are
 * created; the originals are not modified).
 */
export function applySettings(steps: PipelineConfig['steps'], values: Readonly<Record<string, JsonValue>>): PipelineConfig['steps'] {
  const copy = structuredClone(steps) as Record<string, unknown>[];
  for (const [path, value] of Object.entries(values)) {
    const parsed = parseSettingPath(path);
    if (!parsed || parsed.step >= copy.length) {
      throw new TlkitError('INVALID_CONFIG', `select.grid path '${path}' does not name a setting of one of the pipeline's ${copy.length} steps; write steps[N].option.option (N from 0).`, {
        argument: 'select.grid',
      });
    }
    let node: Record<string, unknown> = copy[parsed.step];
    parsed.keys.slice(0, -1).forEach((key) => {
      const next = node[key];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
      node = node[key] as Record<string, unknown>;
    });
    node[parsed.keys.at(-1)!] = structuredClone(value);
  }
  return copy as PipelineConfig['steps'];
}

/** The fold task: every labelled target sample but the fold's to train on, the fold's to score. */
function foldTask(task: PreparedTask, train: Int32Array, test: Int32Array): PreparedTask {
  const labeled = task.targetLabeled!;
  const pick = <T extends Int32Array | Float64Array>(y: T, rows: Int32Array): T => {
    const out = new (y.constructor as { new (length: number): T })(rows.length);
    rows.forEach((row, k) => (out[k] = y[row]));
    return out;
  };
  const shape = task.shape ? { shape: task.shape } : {};
  const fold: TransferTask = {
    source: { X: task.source.X, y: task.source.y, ...(task.source.name ? { name: task.source.name } : {}), ...shape },
    target: { X: task.target.X, ...(task.target.name ? { name: task.target.name } : {}), ...shape },
    targetLabeled: { X: labeled.X.selectRows(train), y: pick(labeled.y, train), ...shape },
    targetTest: { X: labeled.X.selectRows(test), y: pick(labeled.y, test), ...shape },
    problem: task.problem,
    ...(task.problem === 'classification' ? { numClasses: task.numClasses } : {}),
  };
  return prepareTask(fold);
}

/**
 * Chooses a pipeline's settings by k-fold cross-validation on `task.targetLabeled` (stratified by
 * class; folds seeded by `deriveSeed(seed, 'select-folds')`). Each fold fit uses `fitOptions`
 * (seed, trainOn, storage...). The fold tasks keep the task's source and unlabelled target rows;
 * the held-out fold's rows are scored only (they are not added to the unlabelled target).
 *
 * @param pipeline - the pipeline config (its steps; `select` gives the grid).
 * @param selection - folds and grid.
 * @param task - the run's task; only `source`, `target` and `targetLabeled` are used.
 * @param fitOptions - passed to every fold fit.
 * @param onCandidate - called after each candidate's folds (progress).
 *
 * @throws TlkitError `INVALID_CONFIG` when the task has no labelled target samples or a path is bad.
 */
export async function selectByCrossValidation(
  pipeline: PipelineConfig,
  selection: SelectionConfig,
  task: PreparedTask,
  fitOptions: FitOptions & { seed: number },
  onCandidate?: (candidate: CandidateScore, index: number, total: number) => void,
): Promise<SelectionResult> {
  const labeled = task.targetLabeled;
  if (!labeled) {
    throw new TlkitError('INVALID_CONFIG', `pipeline '${pipeline.name}' has "select", which cross-validates on the labelled target samples; add "targetLabeled": { "perClass": N } to the config.`, {
      argument: `pipelines.${pipeline.name}.select`,
    });
  }
  const classification = task.problem === 'classification';
  const splits = kFoldSplits(labeled.X.rows, {
    k: selection.folds,
    // Not the run seed itself, which also drew the labelled samples.
    seed: deriveSeed(fitOptions.seed, 'select-folds'),
    ...(classification ? { stratify: labeled.y } : {}),
  });
  const candidates = gridCandidates(selection.grid);
  const folds = splits.map((split) => foldTask(task, split.train, split.test));
  const scores: CandidateScore[] = [];
  for (const [index, values] of candidates.entries()) {
    const steps = applySettings(pipeline.steps, values);
    const foldScores: number[] = [];
    for (const fold of folds) {
      const fitted = await buildPipeline(pipeline.name, steps).fit(fold, fitOptions);
      try {
        const truth = fold.targetTest!;
        const predicted = fitted.predict(truth.X);
        foldScores.push(
          classification
            ? scoreClassification(truth.y, predicted, { numClasses: task.numClasses }).accuracy
            : scoreRegression(truth.y, predicted).meanSquaredError,
        );
      } finally {
        fitted.dispose();
      }
    }
    const candidate = { values, score: mean(foldScores), foldScores };
    scores.push(candidate);
    onCandidate?.(candidate, index, candidates.length);
  }
  const best = bestCandidate(scores, classification);
  return { metric: classification ? 'accuracy' : 'meanSquaredError', folds: selection.folds, chosen: best.values, candidates: scores };
}

/**
 * Whether `score` beats `best` by more than rounding: fold means of the same fold scores summed in
 * another order differ in their last bits (0.3 + 0.2 + 0.1 and 0.1 + 0.2 + 0.3), and such a
 * difference must not decide between candidates.
 */
function clearlyBetter(score: number, best: number, higherIsBetter: boolean): boolean {
  const margin = 1e-12 * Math.max(Math.abs(score), Math.abs(best));
  return higherIsBetter ? score > best + margin : score < best - margin;
}

/**
 * The best-scoring candidate (highest when `higherIsBetter`, else lowest); ties, including scores
 * equal up to rounding (a relative 1e-12), go to the first listed, and a non-finite score (a
 * diverged fit) is never chosen.
 *
 * @throws TlkitError `NON_FINITE_INPUT` when no candidate has a finite score.
 */
export function bestCandidate(scores: readonly CandidateScore[], higherIsBetter: boolean): CandidateScore {
  let best: CandidateScore | undefined;
  for (const candidate of scores) {
    if (!Number.isFinite(candidate.score)) continue;
    if (!best || clearlyBetter(candidate.score, best.score, higherIsBetter)) best = candidate;
  }
  if (!best) {
    throw new TlkitError('NON_FINITE_INPUT', `every select candidate scored a non-finite value (${scores.map((candidate) => candidate.score).join(', ')}): the fits diverged; lower the learning rates in select.grid.`, {
      argument: 'select.grid',
    });
  }
  return best;
}
