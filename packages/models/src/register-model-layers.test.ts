import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { cloneModel, lenetBackbone, registerModelLayers } from './index';
import { fileSystemIO, loadModel, saveModel } from './node/index';

declare global {
  interface ImportMeta {
    /** Vite's static glob import (vitest transforms it); typed here as vite is not a direct dependency. */
    glob(patterns: string[], options: { query: string }): Record<string, () => Promise<unknown>>;
  }
}

const CLASS_NAME = 'TlkitSeededDropout';
const classNameMap = () => tf.serialization.SerializationMap.getMap().classNameMap;

const root = mkdtempSync(join(tmpdir(), 'tlkit-register-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * Runs `body` with tlkit's dropout class removed from tfjs's class map, as in a fresh process that
 * only imported the package, and puts the previous entry back afterwards. Test files share one
 * worker without isolation, so other files may have registered the class already.
 */
async function withoutRegistration(body: () => Promise<void> | void): Promise<void> {
  const map = classNameMap();
  const previous = map[CLASS_NAME];
  delete map[CLASS_NAME];
  try {
    await body();
  } finally {
    if (previous === undefined) delete map[CLASS_NAME];
    else map[CLASS_NAME] = previous;
  }
}

/** A LeNet with seeded dropout on 16×16×1 (two dropout layers). */
const dropoutLenet = (seed = 1) =>
  lenetBackbone.build(lenetBackbone.configSchema.parse({ dropout: 0.25 }), { inputShape: [16, 16, 1], seed, namePrefix: '' });

const topologyOf = (model: tf.LayersModel) => model.toJSON(null, false) as unknown as tf.io.ModelJSON['modelTopology'];

describe('registerModelLayers', () => {
  it('is what lets tfjs rebuild a dropout LeNet, and calling it twice is harmless', async () => {
    const model = dropoutLenet();
    const dropoutClass = model.getLayer('dropout1').constructor;
    const topology = topologyOf(model);
    const before = tf.memory().numTensors;
    await withoutRegistration(async () => {
      // Without the registration tfjs does not know the class: the test fails if the call is a no-op.
      await expect(tf.models.modelFromJSON({ modelTopology: topology })).rejects.toThrow(/TlkitSeededDropout/);
      registerModelLayers();
      expect(classNameMap()[CLASS_NAME]?.[0]).toBe(dropoutClass);
      registerModelLayers();
      expect(classNameMap()[CLASS_NAME]?.[0]).toBe(dropoutClass);
      const restored = await tf.models.modelFromJSON({ modelTopology: topology });
      expect(restored.layers.map((layer) => layer.getClassName())).toEqual(model.layers.map((layer) => layer.getClassName()));
      expect(restored.getLayer('dropout2').getConfig()).toMatchObject({ rate: 0.25 });
      restored.dispose();
    });
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('is not called at import time: evaluating every module of the package afresh registers nothing', async () => {
    // Each source file under a query of its own is a new module id, so it is evaluated again here
    // (tfjs and @tlkit/core stay the shared instances); a top-level registration would show.
    const modules = import.meta.glob(['./**/*.ts', '!./**/*.test.ts'], { query: '?import-time-check' });
    expect(Object.keys(modules)).toEqual(expect.arrayContaining(['./index.ts', './internal/seeded-dropout.ts', './lenet.ts', './node/file-system-io.ts']));
    await withoutRegistration(async () => {
      for (const load of Object.values(modules)) await load();
      expect(classNameMap()[CLASS_NAME]).toBeUndefined();
    });
  });
});

describe("tlkit's own paths register the class themselves", () => {
  it('building a dropout LeNet registers it (core clones models through JSON)', async () => {
    await withoutRegistration(() => {
      const model = dropoutLenet();
      expect(classNameMap()[CLASS_NAME]?.[0]).toBe(model.getLayer('dropout1').constructor);
      model.dispose();
    });
  });

  it('loadModel, tf.loadLayersModel(fileSystemIO(…)) and cloneModel load a dropout LeNet with no set-up', async () => {
    const model = dropoutLenet(2);
    const directory = join(root, 'lenet-dropout');
    await saveModel(model, directory);
    const before = tf.memory().numTensors;
    const expectSameModel = (copy: tf.LayersModel) => {
      expect(copy.getLayer('dropout1').getClassName()).toBe(CLASS_NAME);
      expect(copy.getLayer('dropout1').getConfig()).toMatchObject({ rate: 0.25 });
      expect(copy.countParams()).toBe(model.countParams());
    };
    for (const load of [() => loadModel(directory), () => tf.loadLayersModel(fileSystemIO(directory)), () => cloneModel(model)]) {
      await withoutRegistration(async () => {
        const copy = await load();
        expectSameModel(copy);
        copy.dispose();
      });
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
