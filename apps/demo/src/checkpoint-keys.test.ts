import { memoryStorage, type ProgressEvent } from '@tlkit/core';
import { loadShippedDataset } from '@tlkit/datasets/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCheckpointSteps } from './checkpoint-keys';
import { parseExperimentConfig } from './config';
import { runExperiment } from './experiment';
import { registerBuiltInPlugins } from './plugins';

describe('runCheckpointSteps', () => {
  const place = { experiment: 'digits', pipeline: 'fine tune', source: 'mnist', target: 'usps:train', seed: 2 };

  it("gives each run's checkpoint a key of its own under the configured one", () => {
    const steps = [{ use: 'fine-tune' }, { use: 'trainer', epochs: 3, checkpoint: { every: 5 } }];
    expect(runCheckpointSteps(steps, place)).toEqual([
      { use: 'fine-tune' },
      { use: 'trainer', epochs: 3, checkpoint: { every: 5, key: 'cli/trainer/checkpoint/digits/fine_20tune/mnist/usps_3atrain/seed-2' } },
    ]);
    expect(runCheckpointSteps([{ use: 'trainer', checkpoint: { key: 'mine' } }], { ...place, experiment: '..', seed: 0 })[0]).toEqual({
      use: 'trainer',
      checkpoint: { key: 'cli/mine/_2e./fine_20tune/mnist/usps_3atrain/seed-0' },
    });
    // Different runs never share a key: names that differ stay different.
    const keyOf = (source: string, target: string, pipeline = 'p') =>
      (runCheckpointSteps([{ use: 'trainer', checkpoint: {} }], { ...place, pipeline, source, target })[0] as unknown as { checkpoint: { key: string } }).checkpoint.key;
    expect(keyOf('a-b', 'c')).not.toBe(keyOf('a', 'b-c'));
    expect(keyOf('usps:train', 'x')).not.toBe(keyOf('usps_train', 'x'));
    expect(keyOf('x', 'y', 'a b')).not.toBe(keyOf('x', 'y', 'a_b'));
    expect(keyOf('é', 'y')).toBe('cli/trainer/checkpoint/digits/p/_c3_a9/y/seed-2');
    // Steps without a checkpoint come back as they are, and the config is not changed.
    expect(runCheckpointSteps(steps, place)[0]).toBe(steps[0]);
    expect(steps[1]).toEqual({ use: 'trainer', epochs: 3, checkpoint: { every: 5 } });
  });
});

describe('an experiment with a checkpointed trainer', () => {
  beforeAll(async () => {
    await registerBuiltInPlugins();
  });

  it('runs several seeds and pairs in one storage, and a rerun resumes each run from its own checkpoint with the same results', async () => {
    const office = await loadShippedDataset('office_caltech10_surf');
    const config = parseExperimentConfig({
      name: 'checkpointed',
      dataset: 'office_caltech10_surf',
      pairs: [
        ['caltech', 'amazon'],
        ['webcam', 'dslr'],
      ],
      seeds: [0, 1],
      pipelines: [{ name: 'mlp', steps: [{ use: 'trainer', backbone: { use: 'mlp', hidden: [16] }, epochs: 2, checkpoint: { every: 1 } }] }],
    });
    const storage = memoryStorage();
    const first = await runExperiment(config, office, { storage });
    const resumed: ProgressEvent[] = [];
    const second = await runExperiment(config, office, { storage, onProgress: (event) => event.phase === 'resume' && resumed.push(event) });
    expect(first.runs).toHaveLength(4);
    expect(resumed).toHaveLength(4);
    expect(second.runs.map((run) => run.metrics)).toEqual(first.runs.map((run) => run.metrics));
  });
});
