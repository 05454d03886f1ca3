import * as tf from '@tensorflow/tfjs';
import { compose, defineBackbone, deriveSeed, registerBackbone, TlkitError, trainer } from '@tlkit/core';
import { describeStrategyConformance } from '@tlkit/core/testing';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { featureExtractor, featureExtractorPlugin, fineTune, fineTunePlugin } from './fine-tune';
import { recorder, recording, sameBytes, toyTask } from './internal/testing';

const backbone = { use: 'mlp', hidden: [8, 6] };
const pretrain = { epochs: 2, seed: 5 };

/** A dense → batch-norm → relu backbone, to test batch-normalisation freezing. */
registerBackbone(
  defineBackbone({
    name: 'test-dense-bn',
    description: 'test: dense 8 → batch norm → relu',
    configSchema: z.object({}).strict(),
    build: (_options, context) => {
      const input = tf.input({ shape: [...context.inputShape] });
      let current = tf.layers
        .dense({ units: 8, kernelInitializer: tf.initializers.glorotUniform({ seed: deriveSeed(context.seed, 'dense') }), name: `${context.namePrefix}dense` })
        .apply(input) as tf.SymbolicTensor;
      current = tf.layers.batchNormalization({ name: `${context.namePrefix}bn` }).apply(current) as tf.SymbolicTensor;
      current = tf.layers.activation({ activation: 'relu', name: `${context.namePrefix}relu` }).apply(current) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: current });
    },
  }),
);

describe('fineTune', () => {
  it('freezing the backbone keeps every backbone weight byte-identical over an epoch while the head trains', async () => {
    const before = tf.memory().numTensors;
    const fitted = await compose(fineTune({ freeze: 'backbone' }), recorder('frozen'), trainer({ backbone, epochs: 2, batchSize: 16, pretrain })).fit(toyTask(), {
      seed: 1,
      trainOn: 'target',
    });
    fitted.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const [start, afterFirst, afterSecond] = recording('frozen').snapshots;
    for (const layer of ['backbone_dense0', 'backbone_dense1']) {
      expect(sameBytes(start.get(layer)!, afterFirst.get(layer)!)).toBe(true);
      expect(sameBytes(start.get(layer)!, afterSecond.get(layer)!)).toBe(true);
    }
    expect(sameBytes(start.get('head_dense')!, afterFirst.get('head_dense')!)).toBe(false);
    // The pre-trained source head is kept but frozen (no loss uses it).
    expect(sameBytes(start.get('source_dense')!, afterSecond.get('source_dense')!)).toBe(true);
  });

  it('unfreezing the top layer at epoch 1 changes exactly that layer (and the head) from then on', async () => {
    const fitted = await compose(
      fineTune({ freeze: 'backbone', unfreeze: [{ epoch: 1, layers: 1 }, { epoch: 2, layers: ['backbone_dense0'] }] }),
      recorder('unfreeze'),
      trainer({ backbone, epochs: 3, batchSize: 16, pretrain }),
    ).fit(toyTask(), { seed: 2, trainOn: 'target' });
    fitted.dispose();
    const [start, epoch0, epoch1, epoch2] = recording('unfreeze').snapshots;
    const changed = (from: Map<string, Float32Array[]>, to: Map<string, Float32Array[]>) =>
      [...from.keys()].filter((layer) => !sameBytes(from.get(layer)!, to.get(layer)!)).sort();
    expect(changed(start, epoch0)).toEqual(['head_dense']);
    expect(changed(epoch0, epoch1)).toEqual(['backbone_dense1', 'head_dense']);
    expect(changed(epoch1, epoch2)).toEqual(['backbone_dense0', 'backbone_dense1', 'head_dense']);
  });

  it('discriminative learning rates scale the first SGD step of each layer by backbone · layerDecay^depth', async () => {
    const sgd = { type: 'sgd' as const, learningRate: 0.05 };
    const task = toyTask(3);
    const firstStep = async (id: string, learningRates: Record<string, number>) => {
      const fitted = await compose(fineTune({ learningRates }), recorder(id), trainer({ backbone, epochs: 1, batchSize: 64, optimizer: sgd, pretrain })).fit(task, {
        seed: 4,
        trainOn: 'target',
      });
      fitted.dispose();
      const [start, end] = recording(id).snapshots;
      const deltas = new Map<string, Float64Array>();
      for (const [layer, values] of start) {
        const after = end.get(layer)!;
        deltas.set(layer, Float64Array.from(values.flatMap((array, index) => Array.from(array, (value, k) => after[index][k] - value))));
      }
      return deltas;
    };
    // 12 labelled target samples, batch 64: one step. Same start and batch, so the gradients agree.
    const plain = await firstStep('lr-plain', {});
    const scaled = await firstStep('lr-scaled', { backbone: 0.5, layerDecay: 0.25, head: 2 });
    const expectedFactor: Record<string, number> = { backbone_dense1: 0.5, backbone_dense0: 0.5 * 0.25, head_dense: 2 };
    for (const [layer, factor] of Object.entries(expectedFactor)) {
      const base = plain.get(layer)!;
      const other = scaled.get(layer)!;
      let compared = 0;
      for (let k = 0; k < base.length; k++) {
        if (Math.abs(base[k]) < 1e-5) continue;
        expect(other[k] / base[k]).toBeCloseTo(factor, 2);
        compared++;
      }
      expect(compared).toBeGreaterThan(0);
    }
  });

  it("head 'keep' starts the task head from the pre-trained source head", async () => {
    const fitted = await compose(fineTune({ head: 'keep', freeze: 'backbone', learningRates: { head: 0 } }), recorder('keep'), trainer({ backbone, epochs: 1, pretrain })).fit(toyTask(), {
      seed: 3,
      trainOn: 'target',
    });
    fitted.dispose();
    const [start] = recording('keep').snapshots;
    expect(sameBytes(start.get('head_dense')!, start.get('source_dense')!)).toBe(true);
  });

  it('freezeBatchNorm keeps the moving statistics while γ and β still learn; without it they move', async () => {
    const run = async (id: string, freezeBatchNorm: boolean) => {
      const fitted = await compose(fineTune({ freezeBatchNorm }), recorder(id), trainer({ backbone: { use: 'test-dense-bn' }, epochs: 1, batchSize: 16 })).fit(toyTask(), { seed: 5 });
      fitted.dispose();
      const [start, end] = recording(id).snapshots;
      // BN weights in tfjs order: gamma, beta, moving mean, moving variance.
      return { start: start.get('backbone_bn')!, end: end.get('backbone_bn')! };
    };
    const frozen = await run('bn-frozen', true);
    expect(sameBytes(frozen.start.slice(2), frozen.end.slice(2))).toBe(true);
    expect(sameBytes(frozen.start.slice(0, 1), frozen.end.slice(0, 1))).toBe(false);
    const moving = await run('bn-moving', false);
    expect(sameBytes(moving.start.slice(2, 3), moving.end.slice(2, 3))).toBe(false);
  });

  it('a BN layer frozen by the schedule keeps γ, β and its moving statistics until it unfreezes, then all move', async () => {
    const fitted = await compose(
      fineTune({ freeze: 'backbone', unfreeze: [{ epoch: 1, layers: 'all' }] }),
      recorder('bn-schedule'),
      trainer({ backbone: { use: 'test-dense-bn' }, epochs: 2, batchSize: 16 }),
    ).fit(toyTask(), { seed: 5 });
    fitted.dispose();
    const [start, epoch0, epoch1] = recording('bn-schedule').snapshots;
    // gamma, beta, moving mean, moving variance: frozen in epoch 0, trained in epoch 1.
    const changed = (from: Float32Array[], to: Float32Array[]) => from.map((values, index) => !sameBytes([values], [to[index]]));
    expect(changed(start.get('backbone_bn')!, epoch0.get('backbone_bn')!)).toEqual([false, false, false, false]);
    expect(changed(epoch0.get('backbone_bn')!, epoch1.get('backbone_bn')!)).toEqual([true, true, true, true]);
  });

  it('rejects an unknown layer name with INVALID_CONFIG listing the layers, and head keep without pretraining', async () => {
    const failure = async (steps: Parameters<typeof compose>) => {
      try {
        await compose(...steps).fit(toyTask(), { seed: 1 });
      } catch (error) {
        return error as TlkitError;
      }
      throw new Error('expected a failure');
    };
    const unknown = await failure([fineTune({ freeze: ['nope'] }), trainer({ backbone, epochs: 1 })]);
    expect(unknown).toBeInstanceOf(TlkitError);
    expect(unknown.code).toBe('INVALID_CONFIG');
    expect(unknown.message).toContain('backbone_dense0, backbone_dense1');
    expect(unknown.message).not.toContain('Did you mean');
    const misspelt = await failure([fineTune({ freeze: ['backbone_dense2'] }), trainer({ backbone, epochs: 1 })]);
    expect(misspelt.message).toMatch(/named 'backbone_dense2'\. Did you mean 'backbone_dense0' or 'backbone_dense1'\? The backbone's/);
    const tooMany = await failure([fineTune({ freeze: 'backbone', unfreeze: [{ epoch: 1, layers: 5 }] }), trainer({ backbone, epochs: 2 })]);
    expect(tooMany.message).toMatch(/5 top layers.*2 layers/);
    const keep = await failure([fineTune({ head: 'keep' }), trainer({ backbone, epochs: 1 })]);
    expect(keep.message).toMatch(/pretrain/);
    expect(keep.message).toMatch(/initialModel with a head/);
  });

  it('rejects an unfreeze epoch at or beyond the trainer\'s epochs before training, naming the budget; the last epoch still runs', async () => {
    for (const epoch of [2, 50]) {
      const before = tf.memory().numTensors;
      const steps = [fineTune({ freeze: 'backbone', unfreeze: [{ epoch: 0, layers: 1 }, { epoch, layers: 'all' }] }), trainer({ backbone, epochs: 2, batchSize: 16 })] as const;
      const error = await compose(...steps).fit(toyTask(), { seed: 1 }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(TlkitError);
      expect((error as TlkitError).code).toBe('INVALID_CONFIG');
      expect((error as TlkitError).message).toContain(`unfreeze[1].epoch = ${epoch}, but the trainer runs 2 epochs (0..1)`);
      expect((error as TlkitError).message).toMatch(/lower the epoch below 2 or raise the trainer's epochs/);
      expect((error as TlkitError).details).toMatchObject({ argument: 'unfreeze[1].epoch' });
      expect(tf.memory().numTensors).toBe(before);
    }
    // With pre-training configured, the error comes before it (the hooks' check sees the budget).
    const phases: string[] = [];
    const beforePretraining = await compose(fineTune({ unfreeze: [{ epoch: 2, layers: 'all' }] }), trainer({ backbone, epochs: 2, batchSize: 16, pretrain }))
      .fit(toyTask(), { seed: 1, onProgress: (event) => phases.push(event.phase) })
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect((beforePretraining as TlkitError).code).toBe('INVALID_CONFIG');
    expect(phases.filter((phase) => phase.startsWith('pretrain'))).toEqual([]);
    // The last epoch of the budget is inside it: the layers unfreeze for epoch 1.
    const fitted = await compose(fineTune({ freeze: 'backbone', unfreeze: [{ epoch: 1, layers: 'all' }] }), recorder('last-epoch'), trainer({ backbone, epochs: 2, batchSize: 16 })).fit(toyTask(), { seed: 1 });
    fitted.dispose();
    const [start, epoch0, epoch1] = recording('last-epoch').snapshots;
    expect(sameBytes(start.get('backbone_dense0')!, epoch0.get('backbone_dense0')!)).toBe(true);
    expect(sameBytes(epoch0.get('backbone_dense0')!, epoch1.get('backbone_dense0')!)).toBe(false);
  });

  it('the feature extractor equals fineTune({ freeze: "backbone" }) exactly', async () => {
    const task = toyTask(6);
    const run = async (step: ReturnType<typeof fineTune>) => {
      const fitted = await compose(step, trainer({ backbone, epochs: 2, batchSize: 8, pretrain })).fit(task, { seed: 6, trainOn: 'target' });
      const values = Array.from(fitted.predictProba(task.targetTest.X).data);
      fitted.dispose();
      return values;
    };
    expect(await run(featureExtractor())).toEqual(await run(fineTune({ freeze: 'backbone' })));
  });
});

describeStrategyConformance({
  plugin: fineTunePlugin,
  options: { freeze: 'backbone', unfreeze: [{ epoch: 1, layers: 1 }], learningRates: { layerDecay: 0.5 } },
  invalidOptions: [{ options: { learningRates: { layerDecay: 2 } }, field: 'layerDecay' }],
});
describeStrategyConformance({ plugin: featureExtractorPlugin, trainer: { backbone: { use: 'mlp', hidden: [16] }, epochs: 2, batchSize: 32, pretrain: { epochs: 1 } } });
