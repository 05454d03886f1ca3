import { beforeAll, describe, expect, it } from 'vitest';
import { isTlkitError } from '@tlkit/core';
import { registerBuiltInPlugins } from './plugins';
import { buildConfigPipeline, pipelinePlace } from './steps';
import { thrown } from '../test/thrown';

beforeAll(async () => {
  await registerBuiltInPlugins();
});

describe('buildConfigPipeline', () => {
  const place = pipelinePlace(2, 'third');

  it('names the JSON path, the pipeline and the nearest plugin for an unknown use', () => {
    const error = thrown(() => buildConfigPipeline([{ use: 'tca' }, { use: 'knnn' }], place));
    expect(isTlkitError(error, 'UNKNOWN_PLUGIN')).toBe(true);
    expect(error.message).toMatch(/^\[UNKNOWN_PLUGIN\] pipelines\[2\]\.steps\[1\]\.use \(pipeline "third"\): no plugin named 'knnn' is registered\. Did you mean 'knn'/);
  });

  it('prefixes a plugin\'s option error with the step path and the pipeline', () => {
    const error = thrown(() => buildConfigPipeline([{ use: 'tca', dims: 10 }, { use: 'knn' }], place));
    expect(isTlkitError(error, 'INVALID_CONFIG')).toBe(true);
    expect(error.message).toMatch(/^\[INVALID_CONFIG\] pipelines\[2\]\.steps\[0\] \(pipeline "third", 'tca'\): options of 'tca'.*"dims"/);
  });

  it('names the pipeline for a bad step order', () => {
    const error = thrown(() => buildConfigPipeline([{ use: 'knn' }, { use: 'tca' }], place));
    expect(isTlkitError(error, 'BAD_STEP_ORDER')).toBe(true);
    expect(error.message).toMatch(/^\[BAD_STEP_ORDER\] pipelines\[2\]\.steps \(pipeline "third"\): /);
  });
});
