import * as tf from '@tensorflow/tfjs';
import { assert, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { type PreparedTask, prepareTask, type ProblemType, type TransferTask } from '../data';
import { TlkitError } from '../errors';
import { Matrix } from '../matrix';
import { knn, knnPlugin } from '../estimators/knn';
import { logisticRegression, logisticRegressionPlugin } from '../estimators/logistic-regression';
import { ridge, ridgePlugin } from '../estimators/ridge';
import { compose, type FittedPipeline, loadPipeline } from '../pipeline';
import { definePlugin, type Plugin } from '../plugin';
import { registerPlugin } from '../registry';
import {
  type EstimatorFitInput,
  type EstimatorStrategy,
  type FittedEstimator,
  type FittedMapping,
  type MappingStrategy,
  STRATEGY_KINDS,
  STRATEGY_ROLES,
  type StepFitInput,
  type Strategy,
  type WeightingStrategy,
} from '../strategy';
import { trainer, trainerPlugin, type TrainerOptions } from '../training/trainer';
import { harnessTask } from './synthetic';

/** What the conformance suite needs to know about a plugin. */
export interface ConformanceOptions {
  /** The plugin under test (made with `definePlugin`). */
  readonly plugin: Plugin;
  /** Valid options for the runs (the plugin's defaults when omitted). Keep runs small. */
  readonly options?: Record<string, unknown>;
  /**
   * Invalid options, each of which must be rejected with `INVALID_CONFIG` naming `field`.
   * The suite always also tries an unknown option and a non-object.
   */
  readonly invalidOptions?: readonly { readonly options: unknown; readonly field: string }[];
  /** Problem types to run (default: every problem the plugin declares). */
  readonly problems?: readonly ProblemType[];
  /** Trainer options for `training` plugins (default: an MLP [16], 2 epochs, batch 32). */
  readonly trainer?: TrainerOptions;
  /** Other plugins the runs need registered for save/load (nested base learners, backbones' owners). */
  readonly alsoRegister?: readonly Plugin[];
  /** A task factory replacing the built-in synthetic shift (must honour `seed`). */
  readonly task?: (seed: number, problem: ProblemType) => TransferTask;
}

const DEFAULT_TRAINER: TrainerOptions = { backbone: { use: 'mlp', hidden: [16] }, epochs: 2, batchSize: 32 };

/** The pipeline a role is tested in, and what of it is compared. */
function harnessPipeline(strategy: Strategy, problem: ProblemType, options: ConformanceOptions): Strategy[] {
  switch (strategy.role) {
    case 'weighting':
      return [strategy, problem === 'classification' ? logisticRegression() : ridge()];
    case 'mapping':
      return [strategy, problem === 'classification' ? knn({ k: 1 }) : ridge()];
    case 'estimator':
      return [strategy];
    case 'training':
      return [strategy, trainer(options.trainer ?? DEFAULT_TRAINER)];
  }
}

/** The numbers that must match between two runs. */
function output(fitted: FittedPipeline, strategy: Strategy, task: TransferTask): number[] {
  const X = task.target.X;
  switch (strategy.role) {
    case 'weighting':
      return Array.from(fitted.sourceWeights ?? []);
    case 'mapping':
      return Array.from(fitted.transform(X).data);
    case 'estimator':
      return Array.from(fitted.predict(X));
    case 'training':
      return fitted.problem === 'classification' ? Array.from(fitted.predictProba(X).data) : Array.from(fitted.predict(X));
  }
}

/** `tf.memory().numTensors` now. */
function numTensors(): number {
  return tf.memory().numTensors;
}

/** Fails with a message that says how many tensors `where` left allocated. */
function expectNoLeak(before: number, where: string): void {
  const after = numTensors();
  if (after !== before) {
    const what = after > before ? `left ${after - before} tensor(s) allocated` : `freed ${before - after} tensor(s) it did not own`;
    assert.fail(`${where} ${what} (tf.memory().numTensors ${before} → ${after}); dispose every tensor you create (tf.tidy, tensor.dispose) and free what a fitted step holds in its dispose().`);
  }
}

/** Fails unless every prediction is a class id: an integer in `0..numClasses-1`. */
function expectClassIds(predictions: ArrayLike<number>, numClasses: number, where: string): void {
  for (let i = 0; i < predictions.length; i++) {
    const value = predictions[i];
    if (!Number.isInteger(value) || value < 0 || value >= numClasses) {
      assert.fail(`${where}: prediction [${i}] = ${value} is not a class id (an integer in 0..${numClasses - 1}).`);
    }
  }
}

/** Copies of the arrays a step is handed, to check afterwards that it did not write to them. */
type Snapshot = { readonly label: string; readonly array: ArrayLike<number>; readonly copy: Float64Array }[];

function snapshot(parts: Record<string, ArrayLike<number> | undefined>): Snapshot {
  return Object.entries(parts)
    .filter((entry): entry is [string, ArrayLike<number>] => entry[1] !== undefined)
    .map(([label, array]) => ({ label, array, copy: Float64Array.from(array) }));
}

function snapshotInput(input: StepFitInput | EstimatorFitInput): Snapshot {
  const train = (input as Partial<EstimatorFitInput>).train;
  return snapshot({
    'input.source.X': input.source.X.data,
    'input.source.y': input.source.y,
    'input.source.weights': input.source.weights,
    'input.target.X': input.target.X.data,
    'input.targetLabeled.X': input.targetLabeled?.X.data,
    'input.targetLabeled.y': input.targetLabeled?.y,
    'input.train.X': train?.X.data,
    'input.train.y': train?.y,
    'input.train.weights': train?.weights,
  });
}

function snapshotTask(task: PreparedTask): Snapshot {
  return snapshot({
    'task.source.X': task.source.X.data,
    'task.source.y': task.source.y,
    'task.target.X': task.target.X.data,
    'task.targetLabeled.X': task.targetLabeled?.X.data,
    'task.targetLabeled.y': task.targetLabeled?.y,
  });
}

/** Fails when an array of the snapshot differs from its copy (NaN equals NaN). */
function expectUnchanged(saved: Snapshot, where: string): void {
  for (const { label, array, copy } of saved) {
    for (let i = 0; i < copy.length; i++) {
      const now = array[i];
      if (now !== copy[i] && !(Number.isNaN(now) && Number.isNaN(copy[i]))) {
        assert.fail(`${where} modified ${label} in place (element ${i}: ${copy[i]} → ${now}); inputs are read-only: copy them before changing anything (X.clone(), Float64Array.from(weights)).`);
      }
    }
  }
}

/**
 * `target` with some members replaced. A Proxy, not `Object.create(target)`: the plugin's own
 * methods and getters run on `target` itself, so classes with `#private` fields keep working.
 */
function withOverrides<T extends object>(target: T, overrides: Record<string, unknown>): T {
  return new Proxy(target, {
    get(object, key) {
      if (typeof key === 'string' && Object.hasOwn(overrides, key)) return overrides[key];
      const value: unknown = Reflect.get(object, key, object);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value;
    },
  });
}

/**
 * The strategy with its `do*` methods, and the fitted mapping's `transform` and the fitted
 * estimator's `predict`/`predictProba`, checked for writing to their inputs; the fitted mapping's
 * `transform` is also checked to return `outputDim` columns.
 */
function instrument(strategy: Strategy): Strategy {
  const matrixCall = <T>(X: Matrix, where: string, call: () => T): T => {
    const saved = snapshot({ X: X.data });
    const result = call();
    expectUnchanged(saved, where);
    return result;
  };
  const mapping = (fitted: FittedMapping): FittedMapping => {
    return withOverrides(fitted, {
      transform: (X: Matrix, domain: 'source' | 'target') => {
        const result = matrixCall(X, `${strategy.name}: transform(X, '${domain}')`, () => fitted.transform(X, domain));
        if (result.cols !== fitted.outputDim) {
          assert.fail(`${strategy.name}: the fitted mapping says outputDim ${fitted.outputDim}, but transform(X, '${domain}') returned ${result.cols} columns.`);
        }
        return result;
      },
    });
  };
  const estimator = (fitted: FittedEstimator): FittedEstimator => {
    const overrides: Record<string, unknown> = {
      predict: (X: Matrix) => matrixCall(X, `${strategy.name}: predict(X)`, () => fitted.predict(X)),
    };
    if (fitted.predictProba) {
      const predictProba = fitted.predictProba;
      overrides['predictProba'] = (X: Matrix) => matrixCall(X, `${strategy.name}: predictProba(X)`, () => predictProba.call(fitted, X));
    }
    return withOverrides(fitted, overrides);
  };
  const checked = async <T>(input: StepFitInput, where: string, call: () => Promise<T>): Promise<T> => {
    const saved = snapshotInput(input);
    const result = await call();
    expectUnchanged(saved, `${strategy.name}: ${where}`);
    return result;
  };
  switch (strategy.role) {
    case 'weighting': {
      const step = strategy as WeightingStrategy;
      return withOverrides(strategy, {
        doFitWeights: (input: StepFitInput, context: never) => checked(input, 'fit (doFitWeights)', () => step.doFitWeights(input, context)),
      });
    }
    case 'mapping': {
      const step = strategy as MappingStrategy;
      return withOverrides(strategy, {
        doFit: async (input: StepFitInput, context: never) => mapping(await checked(input, 'fit (doFit)', () => step.doFit(input, context))),
      });
    }
    case 'estimator': {
      const step = strategy as EstimatorStrategy;
      return withOverrides(strategy, {
        doFit: async (input: EstimatorFitInput, context: never) => estimator(await checked(input, 'fit (doFit)', () => step.doFit(input, context))),
      });
    }
    case 'training':
      return strategy; // training hooks are not handed the task's arrays
  }
}

/** Fixed source weights (1, 1.5, 2, 1, ...) in front of the step, so that it is handed weights to leave alone. */
const conformanceWeightsPlugin = definePlugin({
  name: 'conformance-weights',
  kind: 'instance',
  role: 'weighting',
  description: 'conformance suite: fixed source weights 1, 1.5, 2, 1, ...',
  needs: { problems: ['classification', 'regression'], targetLabels: 'never', acceptsSampleWeights: false },
  configSchema: z.object({}).strict(),
  create: () => ({
    async doFitWeights(input: StepFitInput) {
      const weights = new Float64Array(input.source.X.rows);
      for (let i = 0; i < weights.length; i++) weights[i] = 1 + (i % 3) / 2;
      return { weights };
    },
  }),
});

/** The read-only check's pipeline: the harness pipeline, with weights in front where a later step takes them. */
function readOnlyPipeline(strategy: Strategy, problem: ProblemType, options: ConformanceOptions): Strategy[] {
  const weights = conformanceWeightsPlugin.create({});
  const learner = problem === 'classification' ? logisticRegression() : ridge();
  switch (strategy.role) {
    case 'weighting':
    case 'mapping':
      return [weights, strategy, learner];
    case 'estimator':
      return strategy.needs.acceptsSampleWeights ? [weights, strategy] : [strategy];
    case 'training':
      return [strategy, trainer(options.trainer ?? DEFAULT_TRAINER)];
  }
}

/**
 * One check of the suite: a name, the problem type it runs on (absent: once per plugin) and the
 * check itself, which throws (an assertion error) when the plugin fails it.
 * @internal Exposed for the suite's own tests.
 */
export interface ConformanceCheck {
  readonly name: string;
  readonly problem?: ProblemType;
  run(): Promise<void>;
}

/**
 * The checks {@link describeStrategyConformance} registers, in order.
 * @internal Exposed for the suite's own tests; plugin authors call `describeStrategyConformance`.
 */
export function conformanceChecks(options: ConformanceOptions): ConformanceCheck[] {
  const { plugin } = options;
  const make = () => plugin.create(options.options ?? {});
  const problems = options.problems ?? plugin.needs.problems;
  const taskFor = (seed: number, problem: ProblemType): TransferTask =>
    options.task
      ? options.task(seed, problem)
      : harnessTask({
          problem,
          seed,
          images: make().needs.images ?? false,
          labeledTargetPerClass: make().needs.targetLabels === 'never' ? 0 : 3,
        });
  const register = () =>
    registerPlugin([plugin, knnPlugin, logisticRegressionPlugin, ridgePlugin, trainerPlugin, ...(options.alsoRegister ?? [])]);

  const checks: ConformanceCheck[] = [
    {
      name: 'declares a kind, a role and needs from the contract',
      async run() {
        expect(STRATEGY_KINDS).toContain(plugin.kind);
        expect(STRATEGY_ROLES).toContain(plugin.role);
        expect(plugin.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
        const strategy = make();
        expect(strategy.specificationVersion).toBe('v1');
        expect([strategy.name, strategy.kind, strategy.role]).toEqual([plugin.name, plugin.kind, plugin.role]);
        expect(strategy.needs.problems.length).toBeGreaterThan(0);
        expect(['never', 'optional', 'required']).toContain(strategy.needs.targetLabels);
        expect(typeof plugin.description).toBe('string');
        expect(plugin.description.length).toBeGreaterThan(10);
      },
    },
    {
      name: 'rejects junk options with INVALID_CONFIG naming the field',
      async run() {
        const cases: { options: unknown; field: string }[] = [
          { options: { ...(options.options ?? {}), notAnOptionOfThisPlugin: 1 }, field: 'notAnOptionOfThisPlugin' },
          ...(options.invalidOptions ?? []),
        ];
        for (const { options: bad, field } of cases) {
          let caught: unknown;
          try {
            plugin.create(bad as never);
          } catch (error) {
            caught = error;
          }
          expect(caught, `options ${JSON.stringify(bad)} must be rejected`).toBeInstanceOf(TlkitError);
          expect((caught as TlkitError).code).toBe('INVALID_CONFIG');
          expect((caught as TlkitError).message).toContain(field);
        }
        expect(() => plugin.create('not options' as never)).toThrow(TlkitError);
      },
    },
  ];

  for (const problem of problems) {
    const declared = make();
    checks.push(
      {
        name: 'fits on a seeded synthetic shift without leaking tensors',
        problem,
        async run() {
          const task = taskFor(1, problem);
          const before = numTensors();
          const fitted = await compose(...harnessPipeline(make(), problem, options)).fit(task, { seed: 1 });
          let values: number[];
          try {
            values = output(fitted, make(), task);
            // A second call must allocate nothing that outlives it (the first may build caches the fitted step frees).
            const beforeOutput = numTensors();
            output(fitted, make(), task);
            const predictions = fitted.predict(task.target.X);
            expectNoLeak(beforeOutput, 'predict / transform on the fitted pipeline');
            if (problem === 'classification') expectClassIds(predictions, fitted.numClasses, 'predict after fit');
          } finally {
            fitted.dispose();
          }
          expectNoLeak(before, 'fit (then dispose)');
          expect(values.length).toBeGreaterThan(0);
          expect(values.every(Number.isFinite)).toBe(true);
        },
      },
      {
        name: 'gives identical output for the same seed',
        problem,
        async run() {
          const task = taskFor(2, problem);
          const run = async () => {
            const fitted = await compose(...harnessPipeline(make(), problem, options)).fit(task, { seed: 7 });
            const values = output(fitted, make(), task);
            fitted.dispose();
            return values;
          };
          expect(await run()).toEqual(await run());
        },
      },
      {
        name: 'leaves its inputs unchanged (fit, transform, predict) and transforms to outputDim columns',
        problem,
        async run() {
          const prepared = prepareTask(taskFor(3, problem));
          const saved = snapshotTask(prepared);
          const fitted = await compose(...readOnlyPipeline(instrument(make()), problem, options)).fit(prepared, { seed: 3 });
          try {
            expectUnchanged(saved, 'fit');
            const X = new Matrix(prepared.target.X.rows, prepared.target.X.cols, Float64Array.from(prepared.target.X.data));
            const savedX = snapshot({ X: X.data });
            fitted.transform(X, 'target');
            fitted.transform(X, 'source');
            fitted.predict(X);
            if (problem === 'classification' && fitted.fittedEstimator.predictProba) fitted.predictProba(X);
            expectUnchanged(savedX, 'transform / predict on the fitted pipeline');
            expectUnchanged(saved, 'transform / predict on the fitted pipeline');
          } finally {
            fitted.dispose();
          }
        },
      },
      {
        name: 'round-trips through save and load with identical output, without leaking tensors',
        problem,
        async run() {
          register();
          const task = taskFor(4, problem);
          const strategy = make();
          const before = numTensors();
          const fitted = await compose(...harnessPipeline(make(), problem, options)).fit(task, { seed: 3 });
          let bytes: Uint8Array;
          let expected: number[];
          let predictions: number[];
          let probabilities: number[] | undefined;
          try {
            expected = output(fitted, strategy, task);
            predictions = Array.from(fitted.predict(task.target.X));
            if (problem === 'classification' && strategy.role === 'estimator' && fitted.fittedEstimator.predictProba) {
              probabilities = Array.from(fitted.predictProba(task.target.X).data);
            }
            bytes = await fitted.saveBytes();
          } finally {
            fitted.dispose();
          }
          expectNoLeak(before, 'fit + saveBytes (then dispose)');

          const beforeLoad = numTensors();
          const restored = await loadPipeline(bytes);
          try {
            if (strategy.role === 'weighting') {
              expect(Array.from(restored.sourceWeights ?? []), 'source weights after save → load').toEqual(expected);
            } else {
              expect(output(restored, strategy, task), 'output after save → load').toEqual(expected);
            }
            // Predictions of the whole pipeline survive too.
            const restoredPredictions = restored.predict(task.target.X);
            expect(Array.from(restoredPredictions), 'predict after save → load').toEqual(predictions);
            if (problem === 'classification') expectClassIds(restoredPredictions, restored.numClasses, 'predict after save → load');
            if (probabilities) {
              if (!restored.fittedEstimator.predictProba) assert.fail('predictProba is gone after save → load.');
              expect(Array.from(restored.predictProba(task.target.X).data), 'predictProba after save → load').toEqual(probabilities);
            }
          } finally {
            restored.dispose();
          }
          expectNoLeak(beforeLoad, "loadPipeline (the plugin's doRestore) + predict (then dispose)");
        },
      },
    );

    if (problem === 'classification' && declared.role === 'estimator' && declared.probabilities !== undefined) {
      checks.push({
        name: `keeps its declaration probabilities: ${declared.probabilities}, before and after save/load`,
        problem,
        async run() {
          register();
          const task = taskFor(5, problem);
          const fitted = await compose(...harnessPipeline(make(), problem, options)).fit(task, { seed: 5 });
          const restored = await loadPipeline(await fitted.saveBytes());
          try {
            for (const pipeline of [fitted, restored]) {
              if (declared.probabilities) {
                expectProbabilities(pipeline.predictProba(task.target.X), pipeline.predict(task.target.X).length, fitted.numClasses);
              } else {
                expect(() => pipeline.predictProba(task.target.X)).toThrow(/gives no probabilities/);
              }
            }
          } finally {
            fitted.dispose();
            restored.dispose();
          }
        },
      });
    }
  }
  return checks;
}

/**
 * Registers the conformance tests for a strategy plugin with vitest. Run it in a test file of the
 * plugin's package:
 *
 * ```ts
 * import { describeStrategyConformance } from '@tlkit/core/testing';
 * import { tcaPlugin } from './tca';
 * describeStrategyConformance({ plugin: tcaPlugin, options: { dim: 2 } });
 * ```
 *
 * It checks, for every problem type the plugin supports: the declared kind, role and needs are
 * valid; the config schema rejects junk with `INVALID_CONFIG`; a fit on a seeded synthetic shift
 * leaves `tf.memory().numTensors` unchanged (after `dispose`), and so does predicting again; the
 * same seed gives identical output; the step writes to none of its inputs (the task's features,
 * labels and sample weights, in fit, `transform`, `predict` and `predictProba`: they are
 * read-only) and a fitted mapping's `transform` returns `outputDim` columns; save/load gives
 * identical output (and identical `predictProba` for estimators that have it), and neither the
 * fit nor the restore leaks tensors; classification predictions are class ids in
 * `0..numClasses-1`.
 * The output compared depends on the role: weights (weighting, followed by logistic regression or
 * ridge), transformed target features (mapping, followed by 1-NN or ridge), predictions
 * (estimator), or the probabilities of a tiny seeded training run (training, with the trainer).
 * Plugins that need labelled target samples get three per class; image plugins get 6×6 images.
 *
 * It does not check how a plugin handles inputs of the wrong width: the orchestrator rejects them
 * with `DIMENSION_MISMATCH` (in `fit`, `predict` and `transform`) before any step sees them.
 */
export function describeStrategyConformance(options: ConformanceOptions): void {
  const { plugin } = options;
  describe(`conformance: ${plugin.name} (${plugin.kind} / ${plugin.role})`, () => {
    const checks = conformanceChecks(options);
    for (const check of checks.filter((check) => check.problem === undefined)) it(check.name, () => check.run());
    const problems = [...new Set(checks.flatMap((check) => (check.problem ? [check.problem] : [])))];
    for (const problem of problems) {
      describe(problem, () => {
        for (const check of checks.filter((check) => check.problem === problem)) it(check.name, () => check.run());
      });
    }
  });
}

/** Rows of class probabilities: `rows x numClasses`, each value in [0, 1], each row summing to 1. */
function expectProbabilities(probabilities: Matrix, rows: number, numClasses: number): void {
  expect([probabilities.rows, probabilities.cols]).toEqual([rows, numClasses]);
  for (let i = 0; i < rows; i++) {
    let sum = 0;
    for (let k = 0; k < numClasses; k++) {
      const value = probabilities.data[i * numClasses + k];
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(1);
      sum += value;
    }
    // float32 networks sum their softmax to 1 within a few ulps of float32.
    expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
  }
}
