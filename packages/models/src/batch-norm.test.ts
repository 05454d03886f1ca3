import * as tf from '@tensorflow/tfjs';
import { TlkitError } from '@tlkit/core';
import { describe, expect, it } from 'vitest';
import { freezeBatchNorm, resnet18Backbone, unfreezeBatchNorm } from './index';

const bytes = (tensor: tf.Tensor) => Buffer.from(tensor.dataSync().buffer);

function tinyResNet(): tf.LayersModel {
  return resnet18Backbone.build(resnet18Backbone.configSchema.parse({ width: 2, stem: 'cifar' }), { inputShape: [8, 8, 1], seed: 1, namePrefix: '' });
}

describe('freezeBatchNorm', () => {
  it("tfjs's own trainable = false still updates BN moving statistics (why this helper exists)", () => {
    const model = tinyResNet();
    for (const layer of model.layers) layer.trainable = false;
    const x = tf.randomNormal([4, 8, 8, 1], 1, 1, 'float32', 2);
    tf.dispose(model.apply(x, { training: true }) as tf.Tensor);
    expect(Array.from(model.getLayer('bn1').getWeights()[2].dataSync()).some((value) => value !== 0)).toBe(true);
    x.dispose();
    model.dispose();
  });

  it('keeps every BN weight byte-identical through an optimiser step, normalising with the moving statistics', () => {
    const model = tinyResNet();
    const x = tf.randomNormal([4, 8, 8, 1], 1, 1, 'float32', 3);
    // Move the statistics away from 0 / 1 first, so inference-mode BN is not the identity.
    tf.dispose(model.apply(x, { training: true }) as tf.Tensor);
    const names = freezeBatchNorm(model);
    expect(names).toHaveLength(1 + 4 * 2 + 4 * 2 + 3);
    const bnWeights = () => names.flatMap((name) => model.getLayer(name).getWeights().map(bytes));
    const before = bnWeights();
    const conv = bytes(model.getLayer('conv1').getWeights()[0]);
    // Frozen BN in training mode = inference-mode BN (hand check: same output as training: false).
    const [train, infer] = [model.apply(x, { training: true }) as tf.Tensor, model.apply(x, { training: false }) as tf.Tensor];
    expect(bytes(train).equals(bytes(infer))).toBe(true);
    tf.dispose([train, infer]);
    // γ and β are no longer trainable: only the 18 convolution kernels (+ 3 projections) remain.
    expect(model.trainableWeights.every((weight) => weight.originalName.includes('conv'))).toBe(true);
    expect(model.trainableWeights).toHaveLength(1 + 16 + 3);
    const optimizer = tf.train.sgd(0.1);
    const cost = optimizer.minimize(() => tf.mean(tf.square(model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar, true)!;
    cost.dispose();
    optimizer.dispose();
    bnWeights().forEach((value, index) => expect(value.equals(before[index])).toBe(true));
    expect(bytes(model.getLayer('conv1').getWeights()[0]).equals(conv)).toBe(false);

    // Unfreezing restores batch statistics and moving-average updates.
    expect(unfreezeBatchNorm(model, { layers: ['bn1'] })).toEqual(['bn1']);
    expect(model.getLayer('bn1').trainable).toBe(true);
    tf.dispose(model.apply(x, { training: true }) as tf.Tensor);
    expect(bytes(model.getLayer('bn1').getWeights()[2]).equals(before[2])).toBe(false);
    expect(bytes(model.getLayer('stage1_block1_bn1').getWeights()[2]).equals(before[6])).toBe(true);
    x.dispose();
    model.dispose();
  });

  it('names the BN layers when a requested one is not among them', () => {
    const model = tinyResNet();
    expect(() => freezeBatchNorm(model, { layers: ['conv1'] })).toThrow(/'conv1', which is not a BatchNormalization layer.*Known: bn1, stage1_block1_bn1/);
    model.dispose();
  });

  it('rejects layers that are not an array of names (a bare string used to fail inside .map) and changes nothing', () => {
    const model = tinyResNet();
    const given = [
      ['bn1', /got the string "bn1"/],
      [['bn1', 7], /got \["bn1",7\]/],
      [{ name: 'bn1' }, /got \{"name":"bn1"\}/],
    ] as const;
    for (const change of [freezeBatchNorm, unfreezeBatchNorm]) {
      for (const [layers, shown] of given) {
        let thrown: unknown;
        try {
          change(model, { layers: layers as unknown as string[] });
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(TlkitError);
        expect(thrown).toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'options.layers' } });
        expect((thrown as Error).message).toMatch(/options\.layers must be an array of layer names, e\.g\. \{ layers: \['bn1'\] \}/);
        expect((thrown as Error).message).toMatch(shown);
      }
    }
    // Nothing was frozen on the way: bn1 is still trainable and an array still works.
    expect(model.getLayer('bn1').trainable).toBe(true);
    expect(freezeBatchNorm(model, { layers: ['bn1'] })).toEqual(['bn1']);
    expect(model.getLayer('bn1').trainable).toBe(false);
    model.dispose();
  });
});
