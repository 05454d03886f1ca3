import { existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRng } from '@tlkit/core';
import { runCli } from './cli-main';
import { CONFIG_HELP, parseExperimentConfig } from './config';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    output: { stdout: (text: string) => out.push(text), stderr: (text: string) => err.push(text) },
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  };
}

function writeConfig(config: unknown): string {
  const folder = mkdtempSync(join(tmpdir(), 'tlkit-cli-'));
  const path = join(folder, 'config.json');
  writeFileSync(path, JSON.stringify(config));
  return path;
}

/** A dataset folder in the shipped format: two 2-d domains with 3 and 4 samples. */
function writeDatasetFolder(): string {
  const root = mkdtempSync(join(tmpdir(), 'tlkit-data-'));
  const domains = {
    alpha: { X: [[0, 0], [0, 1], [5, 5]], y: [0, 0, 1] },
    beta: { X: [[0.4, 0.4], [4, 4], [6, 5], [2.4, 2.4]], y: [0, 1, 1, 1] },
  };
  for (const [name, domain] of Object.entries(domains)) {
    mkdirSync(join(root, name));
    writeFileSync(join(root, name, 'X.csv'), `${domain.X.map((row) => row.join(',')).join('\n')}\n`);
    writeFileSync(join(root, name, 'y.csv'), `${domain.y.join('\n')}\n`);
    writeFileSync(join(root, name, 'meta.json'), JSON.stringify({ n: domain.X.length, d: 2, classes: ['a', 'b'] }));
  }
  return root;
}

describe('tlkit run', () => {
  it('reproduces the published 1-NN accuracy on Office C→A and prints exactly one JSON object', async () => {
    const path = writeConfig({
      dataset: 'office_caltech10_surf',
      pairs: [['caltech', 'amazon']],
      pipelines: [{ name: '1nn', steps: [{ use: 'knn', k: 1 }] }],
    });
    const io = capture();
    expect(await runCli(['run', path, '--json', '--backend', 'cpu'], io.output)).toBe(0);
    const result = JSON.parse(io.stdout());
    expect(Object.keys(result)).toEqual(['runs', 'summary']);
    expect(result.runs).toHaveLength(1);
    const [run] = result.runs;
    expect(run).toMatchObject({ pipeline: '1nn', source: 'caltech', target: 'amazon', seed: 0, scored: 958 });
    // The JDA/MEDA tables' 1NN row: 23.70 % = 227 of 958 amazon images.
    expect(run.metrics.accuracy).toBe(227 / 958);
    // The step reports ride along, trimmed to scalars: one estimator step, timed.
    expect(run.steps).toHaveLength(1);
    expect(run.steps[0]).toMatchObject({ step: 'knn', role: 'estimator' });
    expect(run.steps[0].seconds).toBeGreaterThan(0);
    expect(io.stderr()).toContain("tfjs backend 'cpu'");
  });

  it('runs on a folder dataset ({"path": DIR}) with every ordered pair and a hand-checkable 1-NN', async () => {
    const root = writeDatasetFolder();
    const path = writeConfig({ dataset: { path: root }, preprocess: 'none', pipelines: [{ name: '1nn', steps: [{ use: 'knn' }] }] });
    const io = capture();
    expect(await runCli(['run', path, '--json', '--quiet', '--backend', 'cpu'], io.output)).toBe(0);
    const { runs } = JSON.parse(io.stdout());
    expect(runs.map((run: { source: string; target: string }) => `${run.source}→${run.target}`)).toEqual(['alpha→beta', 'beta→alpha']);
    // alpha → beta: nearest alpha points of (0.4,0.4),(4,4),(6,5),(2.4,2.4) are (0,0),(5,5),(5,5),(0,1)
    // → predictions 0,1,1,0 against 0,1,1,1: 3 of 4.
    expect(runs[0].metrics.accuracy).toBe(0.75);
    // beta → alpha: (0,0)→(0.4,0.4):0, (0,1)→(0.4,0.4):0, (5,5)→(4,4) or (6,5): both 1 → 3 of 3.
    expect(runs[1].metrics.accuracy).toBe(1);
    expect(io.stderr()).toBe('');
  });

  it('scores on the remaining target rows with targetLabeled, and trains baselines on them', async () => {
    const path = writeConfig({
      dataset: 'office_caltech10_surf',
      pairs: [['dslr', 'webcam']],
      seeds: [0, 1],
      targetLabeled: { perClass: 3 },
      pipelines: [
        { name: 'source', steps: [{ use: 'knn' }] },
        { name: 'target-only', trainOn: 'target', steps: [{ use: 'knn' }] },
      ],
    });
    const io = capture();
    expect(await runCli(['run', path, '--quiet', '--backend', 'cpu', '--json'], io.output)).toBe(0);
    const { runs, summary } = JSON.parse(io.stdout());
    expect(runs).toHaveLength(4);
    for (const run of runs) expect(run.scored).toBe(295 - 30); // webcam minus 3 per class
    const sourceRuns = runs.filter((run: { pipeline: string }) => run.pipeline === 'source');
    const average = summary.find((entry: { pipeline: string; pair: string; metric: string }) => entry.pipeline === 'source' && entry.pair === 'average' && entry.metric === 'accuracy');
    const values = sourceRuns.map((run: { metrics: { accuracy: number } }) => run.metrics.accuracy);
    expect(average.mean).toBeCloseTo((values[0] + values[1]) / 2, 12);
    expect(average.std).toBeCloseTo(Math.abs(values[0] - values[1]) / Math.SQRT2, 12);
    expect(average.seeds).toBe(2);
  });

  it('holds out seeded rows of a domain, leaves them out of the runs and scores them after each run', async () => {
    const root = writeDatasetFolder();
    const alpha = { X: [[0, 0], [0, 1], [5, 5]], y: [0, 0, 1] };
    const beta = { X: [[0.4, 0.4], [4, 4], [6, 5], [2.4, 2.4]], y: [0, 1, 1, 1] };
    const path = writeConfig({
      dataset: { path: root },
      preprocess: 'none',
      pairs: [['alpha', 'beta']],
      holdOut: { domain: 'alpha', rows: 1, seed: 0 },
      pipelines: [{ name: '1nn', steps: [{ use: 'knn', k: 1 }] }],
    });
    const io = capture();
    expect(await runCli(['run', path, '--json', '--quiet', '--backend', 'cpu'], io.output)).toBe(0);
    const [run] = JSON.parse(io.stdout()).runs;
    // The held-out row: the first of the seeded permutation of alpha's 3 rows.
    const held = createRng(0).permutation(3)[0];
    const kept = [0, 1, 2].filter((row) => row !== held);
    const nearest = (point: number[]) =>
      alpha.y[kept.reduce((best, row) => ((alpha.X[row][0] - point[0]) ** 2 + (alpha.X[row][1] - point[1]) ** 2 < (alpha.X[best][0] - point[0]) ** 2 + (alpha.X[best][1] - point[1]) ** 2 ? row : best))];
    const betaCorrect = beta.X.filter((point, i) => nearest(point) === beta.y[i]).length;
    expect(run.metrics.accuracy).toBe(betaCorrect / 4);
    expect(run.metrics.heldOutAccuracy).toBe(nearest(alpha.X[held]) === alpha.y[held] ? 1 : 0);
    expect(run.heldOutHead).toBe('task'); // k-NN has no source head
    const table = capture();
    expect(await runCli(['run', path, '--quiet', '--backend', 'cpu'], table.output)).toBe(0);
    expect(table.stdout()).toContain('held-out rows (holdOut)');
    expect(table.stdout()).toMatch(new RegExp(`average\\s+${(100 * run.metrics.heldOutAccuracy).toFixed(2)}\\n`));
  });

  it('scores held-out source rows with the pre-trained source head of a deep pipeline (forgetting)', async () => {
    const path = writeConfig({
      dataset: 'office_caltech10_surf',
      pairs: [['webcam', 'dslr']],
      holdOut: { domain: 'webcam', rows: 50, seed: 1 },
      targetLabeled: { perClass: 2 },
      pipelines: [
        { name: 'target-only', trainOn: 'target', steps: [{ use: 'trainer', backbone: { use: 'mlp', hidden: [8] }, epochs: 1 }] },
        {
          name: 'lwf',
          trainOn: 'target',
          steps: [{ use: 'lwf' }, { use: 'trainer', backbone: { use: 'mlp', hidden: [8] }, epochs: 1, pretrain: { epochs: 1 } }],
        },
      ],
    });
    const io = capture();
    expect(await runCli(['run', path, '--json', '--quiet', '--backend', 'cpu', '--cache', mkdtempSync(join(tmpdir(), 'tlkit-cache-'))], io.output)).toBe(0);
    const { runs } = JSON.parse(io.stdout());
    expect(runs.map((run: { heldOutHead: string }) => run.heldOutHead)).toEqual(['task', 'source']);
    for (const run of runs) expect(run.metrics.heldOutAccuracy).toBeGreaterThanOrEqual(0);
    expect(() =>
      parseExperimentConfig({ dataset: 'x', pairs: [['mnist:test', 'usps']], holdOut: { domain: 'mnist', rows: 5 }, pipelines: [{ name: 'a', steps: [{ use: 'knn' }] }] }),
    ).toThrow(/holdOut applies to the whole domain/);
    // The help documents the option and what the held-out score means.
    expect(CONFIG_HELP).toMatch(/"holdOut": \{"domain": "mnist", "rows": 2000/);
    expect(CONFIG_HELP).toMatch(/heldOutAccuracy[\s\S]*forgetting/);
  });

  it('crops a domain\'s image border before resizing (per domain, N or [top, bottom, left, right]) and rejects bad crops', async () => {
    // "framed": 4x4 images whose digit is the centre 2x2 (a 1-pixel empty border); "plain": 2x2 images.
    const root = mkdtempSync(join(tmpdir(), 'tlkit-images-'));
    const framed = { X: [Array(16).fill(0), Array(16).fill(0)], y: [0, 1] };
    framed.X[0][1 * 4 + 1] = 1; // class 0: centre top-left pixel
    framed.X[1][2 * 4 + 2] = 1; // class 1: centre bottom-right pixel
    const plain = { X: [[1, 0, 0, 0], [0, 0, 0, 1], [0.9, 0, 0.1, 0]], y: [0, 1, 0] };
    for (const [name, domain, shape] of [['framed', framed, [4, 4, 1]], ['plain', plain, [2, 2, 1]]] as const) {
      mkdirSync(join(root, name));
      writeFileSync(join(root, name, 'X.csv'), `${domain.X.map((row) => row.join(',')).join('\n')}\n`);
      writeFileSync(join(root, name, 'y.csv'), `${domain.y.join('\n')}\n`);
      writeFileSync(join(root, name, 'meta.json'), JSON.stringify({ n: domain.X.length, d: shape[0] * shape[1], shape, classes: ['a', 'b'] }));
    }
    const base = { dataset: { path: root }, preprocess: 'none', pairs: [['framed', 'plain']], pipelines: [{ name: '1nn', steps: [{ use: 'knn', k: 1 }] }] };
    const accuracy = async (config: unknown) => {
      const io = capture();
      expect(await runCli(['run', writeConfig(config), '--json', '--quiet', '--backend', 'cpu'], io.output)).toBe(0);
      return JSON.parse(io.stdout()).runs[0].metrics.accuracy as number;
    };
    // Cropping 1 pixel from each side turns the framed images into [1,0,0,0] and [0,0,0,1]:
    // the plain images' nearest neighbours are classes 0, 1, 0, all correct.
    expect(await accuracy({ ...base, crop: { framed: 1 }, resize: [2, 2] })).toBe(1);
    expect(await accuracy({ ...base, crop: { framed: [1, 1, 1, 1] } })).toBe(1);
    // The top-left window [0, 2, 0, 2] gives [0,0,0,1] (class 0) and [0,0,0,0] (class 1): squared
    // distances 2 vs 1, 0 vs 1, 1.82 vs 0.82 from the plain images, so every prediction is wrong.
    expect(await accuracy({ ...base, crop: { framed: [0, 2, 0, 2] } })).toBe(0);
    for (const [crop, pattern] of [
      [{ mnist: 4 }, /crop names domain 'mnist'.*framed, plain/],
      [{ framed: 2 }, /crop\.framed .*leaves no pixels.*crop fewer pixels/],
      [{ plain: [0, 0, 1, 1] }, /crop\.plain .*leaves no pixels/],
    ] as const) {
      const io = capture();
      expect(await runCli(['run', writeConfig({ ...base, crop }), '--json', '--quiet', '--backend', 'cpu'], io.output)).not.toBe(0);
      expect(io.stderr()).toMatch(pattern);
    }
    expect(() => parseExperimentConfig({ ...base, crop: { framed: -1 } })).toThrow(/crop/);
    expect(CONFIG_HELP).toMatch(/"crop": \{"mnist": 4\}[\s\S]*\[top, bottom, left, right\]/);
  });

  it('prints a table without --json', async () => {
    const path = writeConfig({ dataset: 'office_caltech10_surf', pairs: [['webcam', 'dslr']], pipelines: [{ name: '1nn', steps: [{ use: 'knn' }] }] });
    const io = capture();
    expect(await runCli(['run', path, '--quiet', '--backend', 'cpu'], io.output)).toBe(0);
    expect(io.stdout()).toMatch(/W→D\s+59\.24/);
    expect(io.stdout()).toMatch(/average\s+59\.24/);
  });

  it('fails with a one-line typed error for an unknown plugin or a bad config', async () => {
    const unknown = writeConfig({ dataset: 'office_caltech10_surf', pairs: [['webcam', 'dslr']], pipelines: [{ name: 'x', steps: [{ use: 'no-such-step' }] }] });
    const io = capture();
    expect(await runCli(['run', unknown, '--quiet', '--backend', 'cpu'], io.output)).toBe(1);
    expect(io.stderr()).toMatch(/UNKNOWN_PLUGIN.*'no-such-step'.*Known: .*knn/);
    const bad = writeConfig({ dataset: 'office_caltech10_surf', pipelines: [{ name: 'x', steps: [{ use: 'knn', k: 0 }] }] });
    const io2 = capture();
    expect(await runCli(['run', bad, '--quiet', '--backend', 'cpu'], io2.output)).toBe(1);
    expect(io2.stderr()).toMatch(/INVALID_CONFIG.*k/);
  });

  it('checks every pipeline\'s steps before loading the dataset (a bad step in pipeline 3 fails at once)', async () => {
    // The dataset folder does not exist: a step error proves the steps were checked before loading it.
    const path = writeConfig({
      dataset: { path: 'no-such-folder' },
      pipelines: [
        { name: 'one', steps: [{ use: 'knn' }] },
        { name: 'two', steps: [{ use: 'logreg' }] },
        { name: 'three', steps: [{ use: 'tca' }, { use: 'knnn' }] },
      ],
    });
    const io = capture();
    const started = performance.now();
    expect(await runCli(['run', path, '--backend', 'cpu'], io.output)).toBe(1);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(io.stderr()).toMatch(/tlkit: \[UNKNOWN_PLUGIN\] pipelines\[2\]\.steps\[1\]\.use \(pipeline "three"\): no plugin named 'knnn' is registered\. Did you mean 'knn'/);
    expect(io.stderr()).not.toMatch(/loading|\[1\//);
    // Needs too: tradaboost without targetLabeled, before anything ran.
    const labels = writeConfig({
      dataset: { path: 'no-such-folder' },
      pipelines: [{ name: 'lr', steps: [{ use: 'logreg' }] }, { name: 'boost', steps: [{ use: 'tradaboost' }] }],
    });
    const io2 = capture();
    expect(await runCli(['run', labels, '--backend', 'cpu', '--quiet'], io2.output)).toBe(1);
    expect(io2.stderr()).toMatch(/^tlkit: \[MISSING_TARGET_LABELS\] pipelines\[1\]\.steps\[0\] \(pipeline "boost", 'tradaboost'\)/);
  });

  it('fails before the run when the folder of --out does not exist, or --out is a folder', async () => {
    const root = writeDatasetFolder();
    const path = writeConfig({ dataset: { path: root }, preprocess: 'none', pipelines: [{ name: '1nn', steps: [{ use: 'knn' }] }] });
    const out = join(root, 'missing', 'deeper', 'x.json');
    const io = capture();
    expect(await runCli(['run', path, '--out', out, '--backend', 'cpu'], io.output)).toBe(1);
    expect(io.stderr()).toBe(`tlkit: [DATA_NOT_FOUND] --out ${out}: the folder ${join(root, 'missing', 'deeper')} does not exist; create it first (mkdir -p ${join(root, 'missing', 'deeper')}) or write to another path.\n`);
    expect(io.stdout()).toBe('');
    const folder = capture();
    expect(await runCli(['run', path, '--out', root, '--backend', 'cpu', '--quiet'], folder.output)).toBe(1);
    expect(folder.stderr()).toMatch(/INVALID_ARGUMENT\] --out .* is a folder/);
  });

  it('on an abort (Ctrl-C) reports the finished runs, writes them to --out marked partial, and returns 130', async () => {
    const root = writeDatasetFolder();
    const path = writeConfig({ dataset: { path: root }, preprocess: 'none', pipelines: [{ name: '1nn', steps: [{ use: 'knn' }] }, { name: '3nn', steps: [{ use: 'knn', k: 3 }] }] });
    const out = join(root, 'partial.json');
    const controller = new AbortController();
    const io = capture();
    const output = {
      stdout: io.output.stdout,
      stderr: (text: string) => {
        io.output.stderr(text);
        if (text.includes('[1/4]')) controller.abort();
      },
    };
    expect(await runCli(['run', path, '--out', out, '--backend', 'cpu'], output, controller.signal)).toBe(130);
    expect(io.stderr()).toMatch(/tlkit: interrupted after 1 finished run; wrote them to .*partial\.json \("partial": true\)\.\n$/);
    expect(existsSync(out)).toBe(true);
    const document = JSON.parse(readFileSync(out, 'utf8'));
    expect(document.partial).toBe(true);
    expect(document.runs).toHaveLength(1);
    expect(document.runs[0]).toMatchObject({ pipeline: '1nn', source: 'alpha', target: 'beta' });
  });

  it('on an abort in a later config, keeps the summary of the configs that finished, on stdout with --json too', async () => {
    const root = writeDatasetFolder();
    const first = writeConfig({ name: 'first', dataset: { path: root }, preprocess: 'none', pipelines: [{ name: '1nn', steps: [{ use: 'knn' }] }] });
    const second = writeConfig({ name: 'second', dataset: { path: root }, preprocess: 'none', pipelines: [{ name: '3nn', steps: [{ use: 'knn', k: 3 }] }] });
    const controller = new AbortController();
    const io = capture();
    let runLines = 0;
    const output = {
      stdout: io.output.stdout,
      stderr: (text: string) => {
        io.output.stderr(text);
        if (/^ {2}\[\d+\/\d+\]/.test(text) && ++runLines === 3) controller.abort(); // the first run of 'second'
      },
    };
    expect(await runCli(['run', first, second, '--json', '--backend', 'cpu'], output, controller.signal)).toBe(130);
    const document = JSON.parse(io.stdout());
    expect(document.partial).toBe(true);
    expect(document.runs.map((run: { pipeline: string }) => run.pipeline)).toEqual(['1nn', '1nn', '3nn']);
    expect(document.summary.map((entry: { experiment: string }) => entry.experiment)).toEqual(expect.arrayContaining(['first']));
    expect(document.summary.every((entry: { experiment: string }) => entry.experiment === 'first')).toBe(true);
  });

  it('rejects resize on a dataset without image shapes, as crop does', async () => {
    const root = writeDatasetFolder();
    const path = writeConfig({ dataset: { path: root }, preprocess: 'none', resize: [4, 4], pipelines: [{ name: '1nn', steps: [{ use: 'knn' }] }] });
    const io = capture();
    expect(await runCli(['run', path, '--backend', 'cpu', '--quiet'], io.output)).toBe(1);
    expect(io.stderr()).toMatch(/^tlkit: \[INVALID_CONFIG\] resize: domain 'alpha' of .* has no image shape .* remove "resize"/);
  });

  it('lists the registered plugins as JSON', async () => {
    const io = capture();
    expect(await runCli(['list', '--json'], io.output)).toBe(0);
    const { plugins, backbones } = JSON.parse(io.stdout());
    const names = plugins.map((plugin: { name: string }) => plugin.name);
    expect(names).toEqual(expect.arrayContaining(['knn', 'logreg', 'ridge', 'svm', 'mlp', 'trainer']));
    expect(backbones).toContain('mlp');
  });
});

describe('tlkit usage errors', () => {
  const runOptions = '--json, --plugin PKG, --backend NAME, --cache DIR, --out FILE, --quiet';

  it.each([
    [['run', 'x.json', '--seeds', '3'], `tlkit run: unknown option '--seeds'. tlkit run takes ${runOptions}. Run \`tlkit help\`.`],
    [['run', 'x.json', '--seeds=3'], `tlkit run: unknown option '--seeds'. tlkit run takes ${runOptions}. Run \`tlkit help\`.`],
    [['list', '--backend'], "tlkit list: option '--backend' needs a value: --backend NAME. tlkit list takes --plugin PKG, --json. Run `tlkit help`."],
    [['demo', '--out'], "tlkit demo: option '--out' needs a value: --out FILE. tlkit demo takes --full, " + runOptions + '. Run `tlkit help`.'],
    [['list', '--json=yes'], "tlkit list: option '--json' takes no value (got 'yes'). tlkit list takes --plugin PKG, --json. Run `tlkit help`."],
    [['-x'], "tlkit: unknown option '-x'. Options: --json, --quiet, --plugin PKG, --backend NAME, --cache DIR, --out FILE, --full. Run `tlkit help`."],
  ])('%j: one line naming the option and the command\'s options, exit 2, nothing run', async (argv, message) => {
    const io = capture();
    // A missing config (x.json) would fail with exit 1 if anything ran: the option is checked first.
    expect(await runCli(argv, io.output)).toBe(2);
    expect(io.stderr()).toBe(`${message}\n`);
    expect(io.stdout()).toBe('');
  });

  it('names the option a string option swallowed as its value', async () => {
    const io = capture();
    expect(await runCli(['run', 'x.json', '--backend', '--json'], io.output)).toBe(2);
    expect(io.stderr()).toMatch(/^tlkit run: option '--backend' needs a value: --backend NAME \('--json' follows it; .* --backend=VALUE\)\. tlkit run takes .*\n$/);
    expect(io.stderr().split('\n')).toHaveLength(2);
  });

  it('uses exit 2 like the other usage errors, and 1 for a run stopped by a TlkitError', async () => {
    const unknownCommand = capture();
    expect(await runCli(['rnu'], unknownCommand.output)).toBe(2);
    expect(unknownCommand.stderr()).toBe("tlkit: unknown command 'rnu'. Run tlkit help.\n");
    const noConfig = capture();
    expect(await runCli(['run', '--backend', 'cpu'], noConfig.output)).toBe(2);
    const missing = capture();
    expect(await runCli(['run', join(tmpdir(), 'tlkit-no-such-config.json'), '--backend', 'cpu', '--quiet'], missing.output)).toBe(1);
    expect(missing.stderr()).toMatch(/^tlkit: \[DATA_NOT_FOUND\] cannot read config/);
  });
});

describe('experiment config', () => {
  it('rejects "seed" together with "seeds", and a seed listed twice', () => {
    const pipelines = [{ name: 'a', steps: [{ use: 'knn' }] }];
    expect(() => parseExperimentConfig({ dataset: 'x', seed: 5, seeds: [1], pipelines })).toThrow(/config\.seed: "seed" and "seeds" are both given/);
    expect(() => parseExperimentConfig({ dataset: 'x', seeds: [0, 1, 0], pipelines })).toThrow(/config\.seeds\.2: seed 0 is listed twice/);
    expect(parseExperimentConfig({ dataset: 'x', seeds: [0, 1], pipelines }).seeds).toEqual([0, 1]);
    // core's seed contract, checked with the JSON path before any run (they used to fail at fit, naming only 'seed').
    expect(() => parseExperimentConfig({ dataset: 'x', seeds: [0, -1], pipelines })).toThrow(/config\.seeds\.1: /);
    expect(() => parseExperimentConfig({ dataset: 'x', seed: 2 ** 32, pipelines })).toThrow(/config\.seed: /);
    expect(() => parseExperimentConfig({ dataset: 'x', targetLabeled: { perClass: 1, seed: -2 }, pipelines })).toThrow(/config\.targetLabeled\.seed: /);
  });

  it('rejects a pair whose scored rows are the source rows, and keeps disjoint splits of one domain', () => {
    const pipelines = [{ name: 'a', steps: [{ use: 'knn' }] }];
    for (const pair of [['dslr', 'dslr'], ['usps', 'usps:test'], ['usps:train', 'usps:train'], ['mnist', 'usps', 'mnist']]) {
      expect(() => parseExperimentConfig({ dataset: 'x', pairs: [pair], pipelines })).toThrow(/config\.pairs\.0: the scored domain .* shares its rows with the source/);
    }
    const pairs = [['usps:train', 'usps:test'], ['usps:train', 'usps', 'usps:test'], ['mnist', 'usps']];
    expect(parseExperimentConfig({ dataset: 'x', pairs, pipelines }).pairs).toEqual(pairs);
  });

  it('says what "dataset" accepts', () => {
    expect(() => parseExperimentConfig({ pipelines: [{ name: 'a', steps: [{ use: 'knn' }] }] })).toThrow(
      /config\.dataset: expected a shipped dataset name .* or \{"path": "DIR"\}/,
    );
  });

  it('names each bad field', () => {
    expect(() => parseExperimentConfig({ dataset: 'x', pipelines: [{ name: 'a', steps: [{ use: 'knn' }] }], colour: 'red' })).toThrow(
      /config: Unrecognized key: "colour"/,
    );
    expect(() =>
      parseExperimentConfig({ dataset: 'x', pipelines: [{ name: 'a', trainOn: 'target', steps: [{ use: 'knn' }] }] }),
    ).toThrow(/config\.pipelines\.0\.trainOn: trainOn 'target' needs "targetLabeled"/);
    expect(() =>
      parseExperimentConfig({ dataset: 'x', pairs: [['a:b:c', 'd']], pipelines: [{ name: 'a', steps: [{ use: 'knn' }] }] }),
    ).toThrow(/config\.pairs\.0\.0: a domain is NAME or NAME:SPLIT/);
  });
});
