/**
 * The conformance suite's own tests: each check runs against a tiny correct plugin (it must pass)
 * and against a plugin broken in the one way the check is there for (it must fail, saying why).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { definePlugin, Matrix, type Plugin, readArray, readJson, storeArray } from '../src/index';
import type { EstimatorFitInput, FittedEstimator } from '../src/strategy';
import { type ConformanceOptions, conformanceChecks } from '../src/testing/conformance';

const needs = { problems: ['classification' as const], targetLabels: 'never' as const, acceptsSampleWeights: false };

function columnMeans(X: Matrix): Float64Array {
  const means = new Float64Array(X.cols);
  for (let i = 0; i < X.rows; i++) for (let j = 0; j < X.cols; j++) means[j] += X.data[i * X.cols + j];
  for (let j = 0; j < X.cols; j++) means[j] /= X.rows;
  return means;
}

/** Domain centering, correct unless one defect is switched on. */
function centering(name: string, defect: { leakRestore?: boolean; leakFit?: boolean; mutate?: boolean; outputDim?: number } = {}) {
  return definePlugin({
    name,
    kind: 'feature',
    role: 'mapping',
    description: `conformance self-test: domain centering (${name})`,
    needs,
    configSchema: z.object({}).strict(),
    create: () => {
      const fitted = (s: Float64Array, t: Float64Array) => ({
        outputDim: defect.outputDim ?? s.length,
        transform: (X: Matrix, domain: 'source' | 'target') => X.map((value, _i, j) => value - (domain === 'source' ? s : t)[j]),
        saveState: () => ({ arrays: { s: storeArray(s), t: storeArray(t) } }),
      });
      return {
        async doFit(input) {
          if (defect.leakFit) tf.tensor([1, 2, 3]);
          const s = columnMeans(input.source.X);
          const t = columnMeans(input.target.X);
          if (defect.mutate) for (let i = 0; i < input.target.X.data.length; i++) input.target.X.data[i] -= t[i % t.length];
          return fitted(s, t);
        },
        doRestore: (state) => {
          if (defect.leakRestore) tf.tensor([1, 2, 3]);
          return fitted(readArray(state, 's').data as Float64Array, readArray(state, 't').data as Float64Array);
        },
      };
    },
  });
}

/** Weighted nearest class mean with softmax(-distance² / temperature) probabilities. */
function centroid(name: string, defect: { forgetTemperature?: boolean; shiftClasses?: number; scaleWeights?: boolean } = {}) {
  return definePlugin({
    name,
    kind: 'base',
    role: 'estimator',
    description: `conformance self-test: nearest centroid (${name})`,
    needs: { ...needs, acceptsSampleWeights: true },
    configSchema: z.object({ temperature: z.number().positive().default(1) }).strict(),
    create: (options) => {
      const fitted = (means: Matrix, temperature: number): FittedEstimator => {
        const scores = (X: Matrix) => {
          const P = new Matrix(X.rows, means.rows);
          for (let i = 0; i < X.rows; i++) {
            const d = Array.from({ length: means.rows }, (_, k) => {
              let sum = 0;
              for (let j = 0; j < X.cols; j++) sum += (X.data[i * X.cols + j] - means.data[k * X.cols + j]) ** 2;
              return -sum / temperature;
            });
            const top = Math.max(...d);
            const e = d.map((v) => Math.exp(v - top));
            const total = e.reduce((a, b) => a + b, 0);
            e.forEach((v, k) => (P.data[i * means.rows + k] = v / total));
          }
          return P;
        };
        return {
          predict: (X) => {
            const P = scores(X);
            return Int32Array.from({ length: X.rows }, (_, i) => {
              let best = 0;
              for (let k = 1; k < P.cols; k++) if (P.data[i * P.cols + k] > P.data[i * P.cols + best]) best = k;
              return best + (defect.shiftClasses ?? 0);
            });
          },
          predictProba: scores,
          saveState: () => ({ json: { temperature }, arrays: { means: storeArray(means.data, [means.rows, means.cols]) } }),
        };
      };
      return {
        probabilities: true,
        async doFit(input: EstimatorFitInput, context) {
          const { X, y, weights } = input.train;
          if (defect.scaleWeights && weights) for (let i = 0; i < weights.length; i++) weights[i] /= 2;
          const means = new Matrix(context.numClasses, X.cols);
          const totals = new Float64Array(context.numClasses);
          for (let i = 0; i < X.rows; i++) {
            const w = weights?.[i] ?? 1;
            totals[y[i]] += w;
            for (let j = 0; j < X.cols; j++) means.data[y[i] * X.cols + j] += w * X.data[i * X.cols + j];
          }
          for (let k = 0; k < means.rows; k++) for (let j = 0; j < X.cols; j++) means.data[k * X.cols + j] /= totals[k];
          return fitted(means, options.temperature);
        },
        doRestore: (state) => {
          const stored = readArray(state, 'means');
          const means = new Matrix(stored.shape[0], stored.shape[1], Float64Array.from(stored.data));
          return fitted(means, defect.forgetTemperature ? 1 : readJson<{ temperature: number }>(state).temperature);
        },
      };
    },
  });
}

/** Runs the check whose name contains `name`: resolves when the plugin passes it. */
function runCheck(options: ConformanceOptions, name: string): Promise<void> {
  const check = conformanceChecks(options).find((candidate) => candidate.name.includes(name) && candidate.problem === 'classification');
  if (!check) throw new Error(`no check named like '${name}'`);
  return check.run();
}

const goodCentering = centering('good-centering');
const goodCentroid = centroid('good-centroid');
const ROUND_TRIP = 'round-trips through save and load';
const FIT = 'fits on a seeded synthetic shift';
const READ_ONLY = 'leaves its inputs unchanged';

describe('conformance suite self-tests', () => {
  it('passes the correct plugins on every check', async () => {
    for (const options of [{ plugin: goodCentering }, { plugin: goodCentroid as Plugin, options: { temperature: 5 } }]) {
      for (const check of conformanceChecks(options)) await check.run();
    }
  });

  it('passes an honest mapping written as a class with #private fields (the checks wrap it without changing `this`)', async () => {
    class PrivateCentering {
      readonly #source: Float64Array;
      readonly #target: Float64Array;
      #disposed = false;
      constructor(source: Float64Array, target: Float64Array) {
        this.#source = source;
        this.#target = target;
      }
      get outputDim(): number {
        return this.#source.length;
      }
      transform(X: Matrix, domain: 'source' | 'target'): Matrix {
        const means = domain === 'source' ? this.#source : this.#target;
        return X.map((value, _i, j) => value - means[j]);
      }
      saveState() {
        return { arrays: { s: storeArray(this.#source), t: storeArray(this.#target) } };
      }
      dispose(): void {
        this.#disposed = true;
      }
      get disposed(): boolean {
        return this.#disposed;
      }
    }
    const plugin = definePlugin({
      name: 'private-centering',
      kind: 'feature',
      role: 'mapping',
      description: 'conformance self-test: domain centering as a class with #private fields',
      needs,
      configSchema: z.object({}).strict(),
      create: () => ({
        doFit: async (input) => new PrivateCentering(columnMeans(input.source.X), columnMeans(input.target.X)),
        doRestore: (state) => new PrivateCentering(readArray(state, 's').data as Float64Array, readArray(state, 't').data as Float64Array),
      }),
    });
    for (const check of conformanceChecks({ plugin })) await check.run();
  });

  it('fails a tensor leaked in doRestore, naming the restore', async () => {
    await expect(runCheck({ plugin: centering('leak-restore', { leakRestore: true }) }, ROUND_TRIP)).rejects.toThrow(
      /loadPipeline \(the plugin's doRestore\) \+ predict \(then dispose\) left 1 tensor\(s\) allocated/,
    );
  });

  it('says how many tensors a fit leaked instead of "expected 1 to be +0"', async () => {
    await expect(runCheck({ plugin: centering('leak-fit', { leakFit: true }) }, FIT)).rejects.toThrow(
      /^fit \(then dispose\) left 1 tensor\(s\) allocated \(tf\.memory\(\)\.numTensors \d+ → \d+\)/,
    );
    // The leaking fit is caught by the round trip too, before the restore is looked at.
    await expect(runCheck({ plugin: centering('leak-fit-2', { leakFit: true }) }, ROUND_TRIP)).rejects.toThrow(
      /fit \+ saveBytes \(then dispose\) left 1 tensor/,
    );
  });

  it('fails a restore that changes predictProba but not predict', async () => {
    const forgetful = centroid('forgetful-centroid', { forgetTemperature: true });
    await expect(runCheck({ plugin: forgetful, options: { temperature: 5 } }, ROUND_TRIP)).rejects.toThrow(/predictProba after save → load/);
    // With the temperature it forgets at its default, the same plugin is indistinguishable from a correct one.
    await runCheck({ plugin: forgetful, options: { temperature: 1 } }, ROUND_TRIP);
  });

  it('fails class ids outside 0..numClasses-1', async () => {
    const outOfRange = centroid('out-of-range', { shiftClasses: 7 });
    await expect(runCheck({ plugin: outOfRange }, FIT)).rejects.toThrow(/predict after fit: prediction \[0\] = \d+ is not a class id \(an integer in 0\.\.2\)/);
    await expect(runCheck({ plugin: outOfRange }, ROUND_TRIP)).rejects.toThrow(/is not a class id/);
  });

  it('fails a mapping that modifies the target features in place', async () => {
    await expect(runCheck({ plugin: centering('mutate-input', { mutate: true }) }, READ_ONLY)).rejects.toThrow(
      /mutate-input: fit \(doFit\) modified input\.target\.X in place/,
    );
  });

  it('fails an estimator that modifies the sample weights it is handed', async () => {
    await expect(runCheck({ plugin: centroid('scale-weights', { scaleWeights: true }) }, READ_ONLY)).rejects.toThrow(
      /scale-weights: fit \(doFit\) modified input\.source\.weights in place/,
    );
  });

  it('fails a mapping whose outputDim is not the width of what it returns', async () => {
    await expect(runCheck({ plugin: centering('wrong-output-dim', { outputDim: 2 }) }, READ_ONLY)).rejects.toThrow(
      /says outputDim 2, but transform\(X, 'source'\) returned 6 columns/,
    );
  });
});
