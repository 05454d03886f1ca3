import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { ProblemType, TransferTask } from '../data';
import { TlkitError } from '../errors';
import type { Matrix } from '../matrix';
import { knn, knnPlugin } from '../estimators/knn';
import { logisticRegression, logisticRegressionPlugin } from '../estimators/logistic-regression';
import { ridge, ridgePlugin } from '../estimators/ridge';
import { compose, type FittedPipeline, loadPipeline } from '../pipeline';
import type { Plugin } from '../plugin';
import { registerPlugin } from '../registry';
import { STRATEGY_KINDS, STRATEGY_ROLES, type Strategy } from '../strategy';
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
 * leaves `tf.memory().numTensors` unchanged (after `dispose`); the same seed gives identical output;
 * a target domain of another dimension gives `DIMENSION_MISMATCH`; save/load gives identical output.
 * The output compared depends on the role: weights (weighting, followed by logistic regression or
 * ridge), transformed target features (mapping, followed by 1-NN or ridge), predictions
 * (estimator), or the probabilities of a tiny seeded training run (training, with the trainer).
 * Plugins that need labelled target samples get three per class; image plugins get 6×6 images.
 */
export function describeStrategyConformance(options: ConformanceOptions): void {
  const { plugin } = options;
  const make = () => plugin.create(options.options ?? {});
  const problems = options.problems ?? plugin.needs.problems;
  const taskFor = (seed: number, problem: ProblemType, extraTargetColumns = 0): TransferTask =>
    options.task && extraTargetColumns === 0
      ? options.task(seed, problem)
      : harnessTask({
          problem,
          seed,
          images: make().needs.images ?? false,
          labeledTargetPerClass: make().needs.targetLabels === 'never' ? 0 : 3,
          extraTargetColumns,
        });

  describe(`conformance: ${plugin.name} (${plugin.kind} / ${plugin.role})`, () => {
    it('declares a kind, a role and needs from the contract', () => {
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
    });

    it('rejects junk options with INVALID_CONFIG naming the field', () => {
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
    });

    for (const problem of problems) {
      describe(problem, () => {
        it('fits on a seeded synthetic shift without leaking tensors', async () => {
          const task = taskFor(1, problem);
          const before = tf.memory().numTensors;
          const fitted = await compose(...harnessPipeline(make(), problem, options)).fit(task, { seed: 1 });
          const values = output(fitted, make(), task);
          fitted.dispose();
          expect(tf.memory().numTensors).toBe(before);
          expect(values.length).toBeGreaterThan(0);
          expect(values.every(Number.isFinite)).toBe(true);
        });

        it('gives identical output for the same seed', async () => {
          const task = taskFor(2, problem);
          const run = async () => {
            const fitted = await compose(...harnessPipeline(make(), problem, options)).fit(task, { seed: 7 });
            const values = output(fitted, make(), task);
            fitted.dispose();
            return values;
          };
          expect(await run()).toEqual(await run());
        });

        it('rejects a target domain of another dimension with DIMENSION_MISMATCH', async () => {
          const task = taskFor(3, problem, 2);
          let caught: unknown;
          try {
            await compose(...harnessPipeline(make(), problem, options)).fit(task, { seed: 1 });
          } catch (error) {
            caught = error;
          }
          expect(caught).toBeInstanceOf(TlkitError);
          expect((caught as TlkitError).code).toBe('DIMENSION_MISMATCH');
        });

        it('round-trips through save and load with identical output', async () => {
          registerPlugin([plugin, knnPlugin, logisticRegressionPlugin, ridgePlugin, trainerPlugin, ...(options.alsoRegister ?? [])]);
          const task = taskFor(4, problem);
          const fitted = await compose(...harnessPipeline(make(), problem, options)).fit(task, { seed: 3 });
          const restored = await loadPipeline(await fitted.saveBytes());
          const strategy = make();
          if (strategy.role === 'weighting') {
            expect(Array.from(restored.sourceWeights ?? [])).toEqual(output(fitted, strategy, task));
          } else {
            expect(output(restored, strategy, task)).toEqual(output(fitted, strategy, task));
          }
          // Predictions of the whole pipeline survive too.
          expect(Array.from(restored.predict(task.target.X))).toEqual(Array.from(fitted.predict(task.target.X)));
          fitted.dispose();
          restored.dispose();
        });

        const declared = make();
        if (problem === 'classification' && declared.role === 'estimator' && declared.probabilities !== undefined) {
          it(`keeps its declaration probabilities: ${declared.probabilities}, before and after save/load`, async () => {
            registerPlugin([plugin, ...(options.alsoRegister ?? [])]);
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
          });
        }
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
