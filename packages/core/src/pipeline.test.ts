import { beforeEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { logisticRegression } from './estimators';
import { Matrix } from './matrix';
import {
  resetSeen,
  seen,
  spyEstimatorPlugin,
  spyMappingPlugin,
  spyWeightingPlugin,
  twoBlobTask,
} from '../test/spy-plugins';
import { unpackArtifacts } from './artifacts';
import { TlkitError } from './errors';
import { prepareTask } from './data';
import { compose, loadPipeline, type PipelineManifest } from './pipeline';
import { definePlugin } from './plugin';
import { registerPlugin } from './registry';
import * as z from 'zod';
import type { EstimatorFitInput } from './strategy';

const weighting = (options?: Parameters<typeof spyWeightingPlugin.create>[0]) => spyWeightingPlugin.create(options);
const mapping = (options?: Parameters<typeof spyMappingPlugin.create>[0]) => spyMappingPlugin.create(options);
const estimator = (options?: Parameters<typeof spyEstimatorPlugin.create>[0]) => spyEstimatorPlugin.create(options);

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof TlkitError ? error.code : `not a TlkitError: ${String(error)}`;
  }
  return undefined;
}

async function asyncCodeOf(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run();
  } catch (error) {
    return error instanceof TlkitError ? error.code : `not a TlkitError: ${String(error)}`;
  }
  return undefined;
}

beforeEach(() => resetSeen());

describe('compose: step order', () => {
  it('accepts weighting* mapping* estimator', () => {
    expect(compose(weighting(), weighting(), mapping(), mapping(), estimator()).steps).toHaveLength(5);
  });

  it('rejects a weighting step after a mapping step, naming both', () => {
    expect(() => compose(mapping(), weighting(), estimator())).toThrow(
      /step 2 'spy-weighting' \(weighting\) comes after step 1 'spy-mapping' \(mapping\)/,
    );
  });

  it('rejects a mapping step after the estimator', () => {
    expect(codeOf(() => compose(estimator(), mapping()))).toBe('BAD_STEP_ORDER');
  });

  it('rejects a pipeline without an estimator, and one with two', () => {
    expect(() => compose(mapping())).toThrow(/no estimator/);
    expect(() => compose(estimator(), estimator())).toThrow(/2 estimators/);
    expect(codeOf(() => compose())).toBe('BAD_STEP_ORDER');
  });

  it('rejects weights that nothing consumes, naming the steps', () => {
    // spy-mapping does not accept weights, but the estimator does: fine.
    expect(() => compose(weighting(), mapping(), estimator())).not.toThrow();
    const noWeights = { ...estimator(), needs: { ...estimator().needs, acceptsSampleWeights: false } };
    expect(() => compose(weighting(), noWeights)).toThrow(/'spy-weighting'.*produces source weights.*'spy-estimator'/);
    expect(codeOf(() => compose(weighting(), noWeights))).toBe('UNUSED_SAMPLE_WEIGHTS');
  });

  it('rejects objects that are not strategies or speak another spec version', () => {
    expect(() => compose({} as never)).toThrow(/not a strategy/);
    expect(() => compose({ ...estimator(), specificationVersion: 'v2' } as never)).toThrow(/specification "v2"/);
  });
});

describe('Pipeline.fit: what each step sees', () => {
  it('multiplies weights of successive weighting steps and hands them to the estimator', async () => {
    const task = twoBlobTask();
    await compose(weighting({ factor: 2 }), weighting({ factor: 3, label: 'second' }), estimator()).fit(task);
    // The second weighting step sees the first one's weights.
    expect(Array.from(seen.second[0].source.weights!)).toEqual([2, 1, 2, 1, 2, 1]);
    const train = (seen['spy-estimator'][0] as EstimatorFitInput).train;
    expect(Array.from(train.weights!)).toEqual([6, 1, 6, 1, 6, 1]);
  });

  it('exposes the weights it used on the fitted pipeline', async () => {
    const fitted = await compose(weighting({ factor: 4 }), estimator()).fit(twoBlobTask());
    expect(Array.from(fitted.sourceWeights!)).toEqual([4, 1, 4, 1, 4, 1]);
  });

  it('passes mapped features to later steps and applies mappings before predicting', async () => {
    const task = twoBlobTask();
    const fitted = await compose(mapping({ shift: 10 }), mapping({ shift: 100, label: 'second' }), estimator()).fit(task);
    expect(seen.second[0].source.X.get(0, 0)).toBe(10);
    expect((seen['spy-estimator'][0] as EstimatorFitInput).train.X.get(0, 0)).toBe(110);
    expect(fitted.transform([[1, 2]]).toRows()).toEqual([[111, 112]]);
    expect(Array.from(fitted.predict(task.target.X))).toEqual([0, 0, 1, 1]);
  });

  it('never shows target labels to a step that does not declare it uses them', async () => {
    const task = twoBlobTask();
    await compose(weighting(), mapping(), estimator()).fit(task);
    for (const inputs of Object.values(seen)) {
      for (const input of inputs) {
        expect(input.targetLabeled).toBeUndefined();
        expect(Object.keys(input.target)).toEqual(['X']);
      }
    }
  });

  it('shows the labelled target samples to a step that declares it may use them', async () => {
    const task = twoBlobTask();
    await compose(mapping(), estimator({ useTargetLabels: true })).fit(task);
    const input = seen['spy-estimator'][0] as EstimatorFitInput;
    expect(Array.from(input.targetLabeled!.y)).toEqual([0, 1]);
    expect(input.targetLabeled!.X.get(0, 0)).toBeCloseTo(10.8, 12); // mapped like the target
    expect(seen['spy-mapping'][0].targetLabeled).toBeUndefined();
  });

  it('trains on the labelled target samples, or both, when trainOn asks', async () => {
    const task = twoBlobTask();
    await compose(estimator({ label: 'target-only' })).fit(task, { trainOn: 'target' });
    expect((seen['target-only'][0] as EstimatorFitInput).train.X.rows).toBe(2);
    await compose(weighting(), estimator({ label: 'both' })).fit(task, { trainOn: 'source+target' });
    const both = (seen.both[0] as EstimatorFitInput).train;
    expect(both.X.rows).toBe(8);
    expect(Array.from(both.weights!)).toEqual([2, 1, 2, 1, 2, 1, 1, 1]);
  });

  it('checks declared needs before fitting', async () => {
    const task = twoBlobTask();
    expect(await asyncCodeOf(() => compose(estimator()).fit({ ...task, problem: 'regression' }))).toBe('UNSUPPORTED_PROBLEM');
    const needsLabels = { ...estimator(), needs: { ...estimator().needs, targetLabels: 'required' as const } };
    const { targetLabeled: _omitted, ...unlabelled } = task;
    expect(await asyncCodeOf(() => compose(needsLabels).fit(unlabelled))).toBe('MISSING_TARGET_LABELS');
    expect(await asyncCodeOf(() => compose(estimator()).fit(unlabelled, { trainOn: 'target' }))).toBe('MISSING_TARGET_LABELS');
    expect(seen['spy-estimator']).toBeUndefined();
  });

  it('stops with ABORTED when the signal has fired', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(await asyncCodeOf(() => compose(estimator()).fit(twoBlobTask(), { signal: controller.signal }))).toBe('ABORTED');
  });

  it('gives the event loop a turn between steps, so an abort fired by a timer or an event during a step stops the fit before the next (browser review finding 1)', async () => {
    const controller = new AbortController();
    const code = await asyncCodeOf(() =>
      compose(mapping(), estimator()).fit(twoBlobTask(), {
        signal: controller.signal,
        // A "Stop click" that arrives while the mapping fits: a macrotask, which runs only when the fit yields.
        onProgress: (event) => {
          if (event.step === 'spy-mapping' && event.phase === 'start') setImmediate(() => controller.abort());
        },
      }),
    );
    expect(code).toBe('ABORTED');
    expect(seen['spy-mapping']).toBeDefined();
    expect(seen['spy-estimator']).toBeUndefined();
  });

  it('predict refuses images of another shape with as many values (determinism review finding 4)', async () => {
    const images = (n: number, shape: [number, number, number]) => tf.tensor4d(Array.from({ length: n * 16 }, (_, i) => Math.sin(i)), [n, ...shape]);
    const source = images(12, [4, 4, 1]);
    const target = images(4, [4, 4, 1]);
    const fitted = await compose(logisticRegression()).fit({ source: { X: source, y: Array.from({ length: 12 }, (_, i) => i % 2) }, target: { X: target }, problem: 'classification' });
    const other = images(4, [2, 8, 1]);
    expect(fitted.predict(target)).toHaveLength(4);
    expect(fitted.predict(Matrix.fromRows(Array.from({ length: 4 }, () => new Array(16).fill(0.5))))).toHaveLength(4); // rows carry no shape
    const failure = (() => {
      try {
        fitted.predict(other);
      } catch (error) {
        return error as TlkitError;
      }
      return undefined;
    })();
    expect(failure?.code).toBe('DIMENSION_MISMATCH');
    expect(failure?.message).toMatch(/X holds images of shape \[2, 8, 1\]; the pipeline was fitted on \[4, 4, 1\]/);
    tf.dispose([source, target, other]);
  });

  it('rejects a misspelt or mistyped fit option before any step runs, and a null seed (determinism review findings 7, 11)', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ seeed: 7 }, /options\.seeed is not an option of fit\. Did you mean 'seed'\? Its options: seed, onProgress, signal, storage, trainOn\./],
      [{ signal: 'yes' }, /options\.signal must be an AbortSignal/],
      [{ onProgress: 5 }, /options\.onProgress must be a function/],
      [{ storage: {} }, /options\.storage must be a ByteStorage .* it lacks read, write, remove/],
      [{ seed: null }, /seed/],
    ];
    for (const [options, message] of cases) {
      const failure = await compose(estimator()).fit(twoBlobTask(), options as never).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(TlkitError);
      expect((failure as TlkitError).code).toBe('INVALID_ARGUMENT');
      expect((failure as TlkitError).message).toMatch(message);
    }
    expect(seen['spy-estimator']).toBeUndefined();
  });

  it('loads from a Node Buffer (a view into a shared pool, as readFileSync gives), with the same predictions (diff review s18)', async () => {
    const fitted = await compose(logisticRegression()).fit(twoBlobTask(), { seed: 1 });
    const bytes = await fitted.saveBytes();
    // A Buffer at a non-zero offset of a larger buffer, like Node's pooled small reads.
    const pool = Buffer.alloc(bytes.length + 4096, 7);
    bytes.forEach((value, index) => (pool[64 + index] = value));
    const view = pool.subarray(64, 64 + bytes.length);
    expect(view.byteOffset).toBe(64);
    const loaded = await loadPipeline(view);
    const query = twoBlobTask().target.X;
    expect(Array.from(loaded.predictProba(query).data)).toEqual(Array.from(fitted.predictProba(query).data));
  });

  it('saveBytes/save carry the blob\'s size and hash: one changed byte, or another save\'s blob, is refused (fix review s18 finding 5)', async () => {
    const fitted = await compose(logisticRegression()).fit(twoBlobTask(), { seed: 1 });
    const other = await compose(logisticRegression({ C: 0.1 })).fit(twoBlobTask(), { seed: 1 });
    const saved = await fitted.save();
    expect(saved.manifest.blob).toMatchObject({ bytes: saved.data.byteLength, hash: expect.stringMatching(/^[0-9a-f]{16}$/) });
    const flipped = saved.data.slice();
    flipped[flipped.length - 5] ^= 1;
    for (const data of [flipped, (await other.save()).data]) {
      const failure = await loadPipeline({ manifest: saved.manifest, data }).catch((error: unknown) => error);
      expect((failure as TlkitError).code).toBe('INVALID_ARTIFACT');
      expect((failure as TlkitError).message).toMatch(/is not the data its manifest was saved with .* Save the pipeline again/);
    }
    const bytes = await fitted.saveBytes();
    bytes[bytes.length - 5] ^= 1;
    expect(await asyncCodeOf(() => loadPipeline(bytes))).toBe('INVALID_ARTIFACT');
    // A manifest without the record (saved by an earlier build) loads unchecked.
    const { blob: _dropped, ...older } = saved.manifest;
    expect((await loadPipeline({ manifest: older, data: saved.data })).predict(twoBlobTask().target.X)).toEqual(fitted.predict(twoBlobTask().target.X));
    await expect(loadPipeline({ manifest: { ...saved.manifest, blob: null as never }, data: saved.data })).rejects.toThrow(TlkitError);
  });

  it('save() after dispose() is NOT_FITTED (determinism review finding 6)', async () => {
    const fitted = await compose(mapping(), estimator()).fit(twoBlobTask());
    fitted.dispose();
    expect(await asyncCodeOf(() => fitted.save())).toBe('NOT_FITTED');
    expect(await asyncCodeOf(() => fitted.saveBytes())).toBe('NOT_FITTED');
  });

  it('reports progress for every step', async () => {
    const events: string[] = [];
    await compose(weighting(), mapping(), estimator()).fit(twoBlobTask(), {
      onProgress: (event) => events.push(`${event.stepIndex}:${event.step}:${event.phase}`),
    });
    expect(events).toEqual([
      '-1:pipeline:start',
      '0:spy-weighting:start',
      '0:spy-weighting:done',
      '-1:pipeline:step',
      '1:spy-mapping:start',
      '1:spy-mapping:done',
      '-1:pipeline:step',
      '2:spy-estimator:start',
      '2:spy-estimator:done',
      '-1:pipeline:done',
    ]);
  });

  it('rejects predict inputs with the wrong number of features', async () => {
    const fitted = await compose(estimator()).fit(twoBlobTask());
    expect(codeOf(() => fitted.predict([[1, 2, 3]]))).toBe('DIMENSION_MISMATCH');
  });
});

describe('save and load', () => {
  it('round-trips a fitted pipeline through its manifest and blob', async () => {
    registerPlugin([spyWeightingPlugin, spyMappingPlugin, spyEstimatorPlugin]);
    const task = twoBlobTask();
    const fitted = await compose(weighting({ factor: 3 }), mapping({ shift: 5 }), estimator()).fit(task);
    const bytes = await fitted.saveBytes();
    const { manifest } = unpackArtifacts<PipelineManifest>(bytes);
    expect(manifest.steps.map((step) => step.config)).toEqual([
      { use: 'spy-weighting', factor: 3, label: 'spy-weighting' },
      { use: 'spy-mapping', shift: 5, label: 'spy-mapping' },
      { use: 'spy-estimator', useTargetLabels: false, label: 'spy-estimator' },
    ]);
    const restored = await loadPipeline(bytes);
    const probe = [[0, 0], [3, 3], [5, 5], [-1, 2]];
    expect(Array.from(restored.predict(probe))).toEqual(Array.from(fitted.predict(probe)));
    expect(restored.transform(probe).toRows()).toEqual(fitted.transform(probe).toRows());
    expect(Array.from(restored.sourceWeights!)).toEqual([3, 1, 3, 1, 3, 1]);
  });

  it('rejects artifacts that are not a tlkit pipeline', async () => {
    expect(await asyncCodeOf(() => loadPipeline({ manifest: { format: 'other' } as never, data: new Uint8Array() }))).toBe(
      'INVALID_ARTIFACT',
    );
  });
});

describe('Pipeline.fit and FittedPipeline: arguments of the wrong kind (review U1, D8, D10, D3)', () => {
  it('fit(undefined) and fit(task, null) throw INVALID_ARGUMENT naming task / options, before any step runs', async () => {
    for (const [args, argument] of [
      [[undefined], 'task'],
      [[null], 'task'],
      [['task'], 'task'],
      [[twoBlobTask(), null], 'options'],
      [[twoBlobTask(), 7], 'options'],
    ] as const) {
      const failure = await (compose(estimator()).fit as (...values: unknown[]) => Promise<unknown>)(...args).catch((error: unknown) => error);
      expect(failure, JSON.stringify(args)).toBeInstanceOf(TlkitError);
      expect((failure as TlkitError).code).toBe('INVALID_ARGUMENT');
      expect((failure as TlkitError).details.argument).toBe(argument);
    }
    expect(seen['spy-estimator']).toBeUndefined();
  });

  it('transform rejects a domain other than source/target', async () => {
    const fitted = await compose(mapping({ shift: 1 }), estimator()).fit(twoBlobTask());
    expect(fitted.transform([[0, 0]], 'source').toRows()).toEqual([[1, 1]]);
    const failure = (() => {
      try {
        fitted.transform([[0, 0]], 'foo' as never);
      } catch (error) {
        return error as TlkitError;
      }
      return undefined;
    })();
    expect(failure?.code).toBe('INVALID_ARGUMENT');
    expect(failure?.message).toMatch(/domain must be 'source' or 'target', got "foo"/);
  });

  it("trusts only prepareTask's own results: a look-alike with another featureDim is validated again", async () => {
    const prepared = prepareTask(twoBlobTask());
    expect((await compose(estimator()).fit(prepared)).featureDim).toBe(2);
    const forged = { ...prepared, featureDim: 99 };
    expect((await compose(estimator()).fit(forged)).featureDim).toBe(2);
    // A look-alike with bad content gets prepareTask's errors.
    const broken = { ...prepared, source: { ...prepared.source, y: Int32Array.from([0, 0, 0, 0, 0, 0]) } };
    expect(await asyncCodeOf(() => compose(estimator()).fit(broken))).toBe('TOO_FEW_SAMPLES');
  });

  it("trainOn 'target' with single-class labelled target samples: TOO_FEW_SAMPLES naming task.targetLabeled.y", async () => {
    const task = { ...twoBlobTask(), targetLabeled: { X: [[0.8, 1.2], [1, 1]], y: [0, 0] } };
    const failure = await compose(estimator()).fit(task, { trainOn: 'target' }).catch((error: unknown) => error);
    expect((failure as TlkitError).code).toBe('TOO_FEW_SAMPLES');
    expect((failure as TlkitError).message).toMatch(/task\.targetLabeled alone, but its labels hold a single class \(0\)/);
    expect(seen['spy-estimator']).toBeUndefined();
    // The same task trains on source+target (two classes there).
    await compose(estimator()).fit(task, { trainOn: 'source+target' });
    expect(seen['spy-estimator']).toHaveLength(1);
  });
});

describe('loadPipeline: a step that fails after others were restored (review U3)', () => {
  it('disposes the mappings already restored before rethrowing', async () => {
    let disposed = 0;
    const disposingMapping = definePlugin({
      name: 'test-disposing-mapping',
      kind: 'feature',
      role: 'mapping',
      description: 'test: counts dispose calls',
      needs: { problems: ['classification'], targetLabels: 'never', acceptsSampleWeights: false },
      configSchema: z.object({}).strict(),
      create: () => {
        const fitted = () => ({
          outputDim: 2,
          transform: (X: never) => X,
          saveState: () => ({ json: {} }),
          dispose: () => {
            disposed++;
          },
        });
        return { doFit: async () => fitted(), doRestore: () => fitted() };
      },
    });
    registerPlugin([disposingMapping, spyEstimatorPlugin], { replace: true });
    const saved = await (await compose(disposingMapping.create({}), estimator()).fit(twoBlobTask())).save();
    disposed = 0;
    const damaged = { ...saved, manifest: { ...saved.manifest, steps: [saved.manifest.steps[0], { config: saved.manifest.steps[1].config }] } };
    expect(await asyncCodeOf(() => loadPipeline(damaged))).toBe('INVALID_ARTIFACT');
    expect(disposed).toBe(1);
    const restored = await loadPipeline(saved);
    expect(disposed).toBe(1);
    restored.dispose();
    expect(disposed).toBe(2);
  });
});
