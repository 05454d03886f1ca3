import { beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_HELP, experimentConfigSchema, parseExperimentConfig } from './config';
import { registerBuiltInPlugins } from './plugins';
import { applySettings, buildPipeline, gridCandidates, parseSettingPath } from './selection';

/**
 * The example config of CONFIG_HELP, read from the text left of the description column: one entry
 * per top-level key (a line `"key": VALUE` at the example's indentation, continued by the deeper
 * lines below it), each with its alternatives (`A | B`, or a line starting with `| B`), parsed as
 * JSON.
 */
function helpExample(): Map<string, unknown[]> {
  const lines = CONFIG_HELP.split('\n');
  const body = lines.slice(lines.indexOf('  {') + 1, lines.lastIndexOf('  }'));
  expect(body.length).toBeGreaterThan(10);
  // Descriptions start in the column of the first one ("optional title").
  const first = body.find((line) => line.includes('optional title'))!;
  const descriptionColumn = first.indexOf('optional title');
  const texts = new Map<string, string>();
  let key: string | undefined;
  for (const line of body) {
    const indent = line.length - line.trimStart().length;
    if (line.trim() === '' || indent >= descriptionColumn) continue;
    const text = line.trimStart().split(/ {3,}/)[0];
    const start = /^"(\w+)": /.exec(text);
    if (indent === 4 && start) {
      key = start[1];
      texts.set(key, text.slice(start[0].length));
    } else {
      if (key === undefined) throw new Error(`help line continues no key: ${line}`);
      texts.set(key, `${texts.get(key)} ${text}`);
    }
  }
  return new Map(
    [...texts].map(([name, text]) => [
      name,
      text
        .split(/(?:^|\s+)\|\s+/)
        .map((alternative) => {
          const json = alternative.trim().replace(/,$/, '');
          try {
            return JSON.parse(json) as unknown;
          } catch (error) {
            throw new Error(`the help's "${name}" example is not JSON: ${json} (${(error as Error).message})`);
          }
        }),
    ]),
  );
}

/** The help's example with each key's first alternative, without "seed" (it excludes "seeds"). */
function exampleConfig(): Record<string, unknown> {
  return Object.fromEntries([...helpExample()].filter(([name]) => name !== 'seed').map(([name, alternatives]) => [name, alternatives[0]]));
}

describe("the config help's example", () => {
  beforeAll(async () => {
    await registerBuiltInPlugins();
  });

  it('shows every config key', () => {
    expect([...helpExample().keys()].sort()).toEqual(Object.keys(experimentConfigSchema.shape).sort());
  });

  it('is one valid config, with each alternative too', () => {
    const example = helpExample();
    const config = exampleConfig();
    expect(() => parseExperimentConfig(config, 'help')).not.toThrow();
    // "seed" and "seeds" are alternatives ("seed": 0 ... or "seeds": [...]), never both.
    const { seeds: _seeds, ...single } = config;
    expect(() => parseExperimentConfig({ ...single, seed: example.get('seed')![0] }, 'help (seed)')).not.toThrow();
    for (const [name, alternatives] of example) {
      for (const alternative of alternatives.slice(1)) {
        expect(() => parseExperimentConfig({ ...config, [name]: alternative }, `help (${name}: ${JSON.stringify(alternative)})`)).not.toThrow();
      }
    }
  });

  it("builds every pipeline and grid candidate with the registered plugins' options", () => {
    const { pipelines } = parseExperimentConfig(exampleConfig());
    let built = 0;
    for (const pipeline of pipelines) {
      for (const candidate of pipeline.select ? gridCandidates(pipeline.select.grid) : [{}]) {
        expect(() => buildPipeline(pipeline.name, applySettings(pipeline.steps, candidate))).not.toThrow();
        built++;
      }
    }
    expect(built).toBeGreaterThan(pipelines.length);
  });

  it('shows a learning-rate grid over a trainer that pre-trains, with the pre-training optimizer it then needs', () => {
    const { pipelines } = parseExperimentConfig(exampleConfig());
    const grids = pipelines.flatMap((pipeline) =>
      Object.keys(pipeline.select?.grid ?? {}).map((path) => {
        const { step, keys } = parseSettingPath(path)!;
        return { keys, step: pipeline.steps[step] as { pretrain?: { optimizer?: unknown } } };
      }),
    );
    const pretraining = grids.filter(({ keys, step }) => keys[0] === 'optimizer' && step.pretrain);
    expect(pretraining.length).toBeGreaterThan(0);
    for (const { step } of pretraining) expect(step.pretrain!.optimizer).toBeDefined();
    // The same steps without pretrain's optimizer are what the config rejects.
    const [pipeline] = pipelines.filter((entry) => entry.select);
    const unsafe = structuredClone(pipeline.steps) as { pretrain?: { optimizer?: unknown } }[];
    for (const step of unsafe) delete step.pretrain?.optimizer;
    expect(() =>
      parseExperimentConfig({ dataset: 'x', targetLabeled: { perClass: 10 }, pipelines: [{ ...pipeline, steps: unsafe }] }),
    ).toThrow(/would also change the pre-training optimizer.*give pretrain its own "optimizer"/);
  });
});
