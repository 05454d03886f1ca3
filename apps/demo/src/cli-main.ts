/**
 * `tlkit`: list plugins, run experiment configs on the shipped (or your own) data, run the demo.
 * Results go to stdout (a table, or one JSON object with --json); logs, the backend choice and
 * progress go to stderr.
 */
import { constants } from 'node:fs';
import { access, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { isTlkitError, listBackbones, listPlugins, TlkitError } from '@tlkit/core';
import { fileStorage, setupNodeBackend } from '@tlkit/core/node';
import { CONFIG_HELP, type ExperimentConfig, parseExperimentConfig } from './config';
import { checkPipelines, type ExperimentResult, loadExperimentDataset, type RunRecord, runExperiment } from './experiment';
import { registerBuiltInPlugins, registerExtraPlugins } from './plugins';
import { createProgressPrinter } from './progress';
import { formatResultTable } from './table';

const HELP = `tlkit — transfer learning for TypeScript

USAGE
  tlkit list [--plugin PKG]... [--json]        plugins (kind, role, needs) and backbones
  tlkit run CONFIG.json [--json] [options]     run an experiment config, print a results table
  tlkit demo [--full] [--json] [options]       run the demo suite on the shipped data
  tlkit help                                   this text

OPTIONS
  --json             print exactly one JSON object on stdout:
                     {"runs":[{"pipeline","source","target","seed","metrics":{"accuracy",...},"seconds",
                     "steps":[{"step","role","seconds","info"}]}],"summary":[...]}  (info: each step's
                     scalar diagnostics, e.g. KMM's effective sample size, TrAdaBoost's per-round errors)
  --plugin PKG       import PKG and register its plugins; repeatable. PKG is a package name (looked up in
                     node_modules from the working directory up, with ESM "import" exports) or a path to
                     a module file or a package folder (its package.json "exports"/"main")
  --backend NAME     tfjs backend: auto (default) | wasm | cpu | tensorflow (tfjs-node); TLKIT_BACKEND works too
  --cache DIR        where checkpoints and cached models go (default .tlkit-cache)
  --out FILE         also write the JSON result to FILE; its folder must exist (checked before the run)
  --quiet            no progress on stderr (a step's warnings still print)
  --full             demo only: also run the long configs

Ctrl-C stops a run between steps: tlkit prints how many runs finished, writes them to --out (and
to stdout with --json) marked "partial": true, and exits with 130; a second Ctrl-C exits at once.

${CONFIG_HELP}
`;

const here = fileURLToPath(new URL('.', import.meta.url));
const configsDirectory = join(here, '..', 'configs');

interface CommonOptions {
  json: boolean;
  quiet: boolean;
  plugins: string[];
  backend?: string;
  cache: string;
  out?: string;
  full: boolean;
}

/** Where the CLI writes: stdout gets results only, stderr everything else. */
export interface CliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processOutput: CliOutput = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

async function prepare(options: CommonOptions, extraPlugins: readonly string[] = []): Promise<void> {
  await registerBuiltInPlugins();
  await registerExtraPlugins([...options.plugins, ...extraPlugins]);
}

async function startBackend(options: CommonOptions, output: CliOutput): Promise<void> {
  await setupNodeBackend({
    ...(options.backend ? { backend: options.backend } : {}),
    log: options.quiet ? false : (line) => output.stderr(`${line}\n`),
  });
}

async function readConfig(path: string): Promise<ExperimentConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new TlkitError('DATA_NOT_FOUND', `cannot read config ${path} (${(error as Error).message.split('\n')[0]}).`, { path });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TlkitError('INVALID_CONFIG', `${path} is not valid JSON: ${(error as Error).message}`, { path });
  }
  return parseExperimentConfig(json, relative(process.cwd(), path) || path);
}

/** What a run of configs shares: the finished runs (kept for an interrupted run) and the stop signal. */
interface RunState {
  readonly finished: RunRecord[];
  readonly signal?: AbortSignal;
}

/** Reads a config, registers its plugins and checks its pipelines (see {@link checkPipelines}). */
async function checkConfig(path: string): Promise<ExperimentConfig> {
  const config = await readConfig(path);
  // A config's plugins (names and paths) resolve from the config's folder, as its dataset path does.
  await registerExtraPlugins(config.plugins, dirname(resolve(path)));
  // Every pipeline's steps are checked before the dataset loads and before the first run.
  checkPipelines(config);
  return config;
}

/** Runs a config that {@link checkConfig} has read and checked. */
async function runConfig(path: string, config: ExperimentConfig, options: CommonOptions, output: CliOutput, state: RunState): Promise<ExperimentResult> {
  const printer = createProgressPrinter({
    quiet: options.quiet,
    write: output.stderr,
    live: output === processOutput && Boolean(process.stderr.isTTY),
  });
  printer.line(`tlkit: ${config.name ?? path}: loading ${typeof config.dataset === 'string' ? config.dataset : config.dataset.path}`);
  const dataset = await loadExperimentDataset(config, path);
  const result = await runExperiment({ ...config, name: config.name ?? basename(path, '.json') }, dataset, {
    storage: fileStorage(options.cache),
    onProgress: (event) => printer.event(event),
    ...(state.signal ? { signal: state.signal } : {}),
    onRunEnd: (record, info) => {
      state.finished.push(record);
      const value = record.metrics.accuracy ?? record.metrics.meanSquaredError;
      const name = record.metrics.accuracy !== undefined ? 'accuracy' : 'mse';
      const heldOut =
        record.metrics.heldOutAccuracy !== undefined ? `, held-out ${(100 * record.metrics.heldOutAccuracy).toFixed(2)}% (${record.heldOutHead} head)` : '';
      const chosen = record.selection
        ? `, selected ${Object.entries(record.selection.chosen)
            .map(([path, setting]) => `${path}=${JSON.stringify(setting)}`)
            .join(' ')} (${record.selection.folds}-fold CV ${record.selection.metric} ${record.selection.candidates.map((candidate) => candidate.score.toFixed(3)).join('/')})`
        : '';
      printer.line(
        `  [${info.index}/${info.total}] ${record.pipeline} ${info.pair} seed ${record.seed}: ${name} ${name === 'accuracy' ? `${(100 * value).toFixed(2)}%` : value.toPrecision(4)}${heldOut}${chosen} (${record.seconds.toFixed(2)} s)`,
      );
    },
  });
  printer.done();
  return result;
}

async function listCommand(options: CommonOptions, output: CliOutput): Promise<void> {
  await prepare(options);
  const plugins = listPlugins().map((plugin) => ({
    name: plugin.name,
    kind: plugin.kind,
    role: plugin.role,
    needs: plugin.needs,
    description: plugin.description,
    ...(plugin.reference ? { reference: plugin.reference } : {}),
  }));
  const backbones = [{ name: 'mlp' }, ...listBackbones().filter((backbone) => backbone.name !== 'mlp')].map((backbone) => backbone.name);
  if (options.json) {
    output.stdout(`${JSON.stringify({ plugins, backbones })}\n`);
    return;
  }
  const rows = plugins.map((plugin) => [
    plugin.name,
    plugin.kind,
    plugin.role,
    [
      plugin.needs.problems.join('+'),
      plugin.needs.targetLabels !== 'never' ? `target labels: ${plugin.needs.targetLabels}` : '',
      plugin.needs.acceptsSampleWeights ? 'sample weights' : '',
      plugin.needs.trainingHooks ? 'training steps' : '',
      plugin.needs.images ? 'images' : '',
    ]
      .filter(Boolean)
      .join(', '),
    plugin.description,
  ]);
  const header = ['name', 'kind', 'role', 'needs / accepts', 'description'];
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => row[column].length)));
  const line = (row: string[]) => row.map((cell, column) => (column < row.length - 1 ? cell.padEnd(widths[column]) : cell)).join('  ');
  output.stdout(`${[line(header), ...rows.map(line)].join('\n')}\n\nbackbones: ${backbones.join(', ')}\n`);
}

async function demoConfigs(full: boolean): Promise<string[]> {
  const folders = full ? ['demo', 'full'] : ['demo'];
  const paths: string[] = [];
  for (const folder of folders) {
    let names: string[] = [];
    try {
      names = (await readdir(join(configsDirectory, folder))).filter((name) => name.endsWith('.json')).sort();
    } catch {
      names = [];
    }
    paths.push(...names.map((name) => join(configsDirectory, folder, name)));
  }
  return paths;
}

/** The command-line options; every command accepts them all, and reads those {@link COMMAND_OPTIONS} lists. */
const OPTIONS = {
  json: { type: 'boolean', default: false },
  quiet: { type: 'boolean', default: false },
  plugin: { type: 'string', multiple: true, default: [] },
  backend: { type: 'string' },
  cache: { type: 'string', default: '.tlkit-cache' },
  out: { type: 'string' },
  full: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

type OptionName = keyof typeof OPTIONS;

/** The value placeholder of each string option, as HELP writes it (`--backend NAME`). */
const VALUE_NAMES: Partial<Record<OptionName, string>> = { plugin: 'PKG', backend: 'NAME', cache: 'DIR', out: 'FILE' };

/** The options each command reads, in HELP's order. */
const COMMAND_OPTIONS: Record<'list' | 'run' | 'demo', readonly OptionName[]> = {
  list: ['plugin', 'json'],
  run: ['json', 'plugin', 'backend', 'cache', 'out', 'quiet'],
  demo: ['full', 'json', 'plugin', 'backend', 'cache', 'out', 'quiet'],
};

const isOptionName = (name: string): name is OptionName => Object.hasOwn(OPTIONS, name);
const formatOption = (name: OptionName): string => `--${name}${VALUE_NAMES[name] ? ` ${VALUE_NAMES[name]}` : ''}`;

/**
 * One line for a command-line error that Node's `parseArgs` raised (`ERR_PARSE_ARGS_*`: an unknown
 * option, a string option without a value, a value given to a boolean option), naming the option
 * and listing the options of the command; null for any other error.
 *
 * @example
 * ```ts
 * describeArgumentError(error, ['run', 'x.json', '--seeds', '3']);
 * // "tlkit run: unknown option '--seeds'. tlkit run takes --json, --plugin PKG, ... Run `tlkit help`."
 * ```
 */
function describeArgumentError(error: unknown, argv: readonly string[]): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) return null;
  const end = argv.indexOf('--');
  const command = (end === -1 ? argv : argv.slice(0, end)).find((argument): argument is keyof typeof COMMAND_OPTIONS =>
    Object.hasOwn(COMMAND_OPTIONS, argument),
  );
  // The same arguments parsed leniently, to find the first offending option.
  const { tokens } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: false, tokens: true });
  let problem: string | undefined;
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    if (!isOptionName(token.name)) {
      problem = `unknown option '${token.rawName}'`;
    } else if (OPTIONS[token.name].type === 'string' && (token.value === undefined || (!token.inlineValue && token.value.startsWith('-')))) {
      const follower = token.value === undefined ? '' : ` ('${token.value}' follows it; a value that starts with '-' is written ${token.rawName}=VALUE)`;
      problem = `option '${token.rawName}' needs a value: ${formatOption(token.name)}${follower}`;
    } else if (OPTIONS[token.name].type === 'boolean' && token.value !== undefined) {
      problem = `option '${token.rawName}' takes no value (got '${token.value}')`;
    }
    if (problem) break;
  }
  problem ??= String((error as Error).message).split('\n')[0];
  const valid = command ? COMMAND_OPTIONS[command] : (Object.keys(OPTIONS) as OptionName[]).filter((name) => name !== 'help');
  return `tlkit${command ? ` ${command}` : ''}: ${problem}. ${command ? `tlkit ${command} takes` : 'Options:'} ${valid.map(formatOption).join(', ')}. Run \`tlkit help\`.`;
}

/**
 * Fails unless `--out FILE` can be written: its folder exists and is writable, and FILE is not a
 * folder. Checked before any run, so a long run is not lost to a typo in the path.
 *
 * @throws TlkitError `DATA_NOT_FOUND` (no such folder) or `INVALID_ARGUMENT`.
 */
export async function checkOutPath(out: string): Promise<void> {
  const folder = dirname(resolve(out));
  let folderIsDirectory = false;
  try {
    folderIsDirectory = (await stat(folder)).isDirectory();
  } catch {
    folderIsDirectory = false;
  }
  if (!folderIsDirectory) {
    throw new TlkitError('DATA_NOT_FOUND', `--out ${out}: the folder ${folder} does not exist; create it first (mkdir -p ${folder}) or write to another path.`, {
      argument: '--out',
      path: folder,
    });
  }
  try {
    if ((await stat(out)).isDirectory()) {
      throw new TlkitError('INVALID_ARGUMENT', `--out ${out} is a folder; give a file name, e.g. --out ${join(out, 'results.json')}.`, { argument: '--out' });
    }
  } catch (error) {
    if (isTlkitError(error)) throw error;
  }
  try {
    await access(folder, constants.W_OK);
  } catch {
    throw new TlkitError('INVALID_ARGUMENT', `--out ${out}: the folder ${folder} is not writable; write to another path.`, { argument: '--out', path: folder });
  }
}

async function writeOut(out: string, document: unknown): Promise<void> {
  try {
    await writeFile(out, `${JSON.stringify(document, null, 2)}\n`);
  } catch (error) {
    throw new TlkitError('INVALID_ARGUMENT', `cannot write --out ${out} (${(error as Error).message.split('\n')[0]}).`, { argument: '--out' });
  }
}

/**
 * Runs the CLI with `argv` (without `node cli.js`) and returns the exit code: 0 on success, 1
 * when a `TlkitError` stops the run (printed as one line on stderr), 2 for a usage error (an
 * unknown command or option, a missing config path; one line on stderr, nothing run), 130 when
 * `signal` aborts a run (Ctrl-C; the finished runs are reported, see HELP).
 */
export async function runCli(argv: string[], output: CliOutput = processOutput, signal?: AbortSignal): Promise<number> {
  try {
    return await dispatch(argv, output, signal);
  } catch (error) {
    if (isTlkitError(error)) {
      output.stderr(`tlkit: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

async function dispatch(argv: string[], output: CliOutput, signal?: AbortSignal): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (error) {
    const message = describeArgumentError(error, argv);
    if (message === null) throw error;
    output.stderr(`${message}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const options: CommonOptions = {
    json: values.json ?? false,
    quiet: values.quiet ?? false,
    plugins: values.plugin ?? [],
    ...(values.backend ? { backend: values.backend } : {}),
    cache: values.cache ?? '.tlkit-cache',
    ...(values.out ? { out: values.out } : {}),
    full: values.full ?? false,
  };
  const [command, ...rest] = positionals;
  if (values.help || !command || command === 'help') {
    output.stdout(HELP);
    return 0;
  }
  if (command === 'list') {
    await listCommand(options, output);
    return 0;
  }
  if (command === 'run' || command === 'demo') {
    const paths = command === 'run' ? rest : await demoConfigs(options.full);
    if (paths.length === 0) {
      output.stderr(command === 'run' ? 'tlkit run: give a config file, e.g. tlkit run apps/demo/configs/demo/office-baselines.json\n' : 'tlkit demo: no demo configs found\n');
      return 2;
    }
    if (options.out) await checkOutPath(options.out);
    await prepare(options);
    // Every config is read and its pipelines checked before the backend starts and any data loads.
    const configs: ExperimentConfig[] = [];
    for (const path of paths) configs.push(await checkConfig(path));
    await startBackend(options, output);
    const started = performance.now();
    const results: ExperimentResult[] = [];
    const state: RunState = { finished: [], ...(signal ? { signal } : {}) };
    const summaryOf = (done: readonly ExperimentResult[]) =>
      done.flatMap((result) => result.summary.map((entry) => ({ experiment: result.name ?? '', ...entry })));
    for (const [index, path] of paths.entries()) {
      let result: ExperimentResult;
      try {
        result = await runConfig(path, configs[index], options, output, state);
      } catch (error) {
        if (!signal?.aborted) throw error;
        // Ctrl-C: keep what finished (the summaries of the configs that completed, every finished run).
        const document = { partial: true, runs: state.finished, summary: summaryOf(results) };
        if (options.json) output.stdout(`${JSON.stringify(document)}\n`);
        let wrote = '';
        if (options.out) {
          await writeOut(options.out, document);
          wrote = `; wrote them to ${options.out} ("partial": true)`;
        }
        output.stderr(`tlkit: interrupted after ${state.finished.length} finished run${state.finished.length === 1 ? '' : 's'}${wrote}.\n`);
        return 130;
      }
      results.push(result);
      if (!options.json) output.stdout(`\n${formatResultTable(result)}\n`);
      if (!options.json && result.summary.some((entry) => entry.metric === 'heldOutAccuracy')) {
        // The held-out rows' accuracy as its own table (in %, like the target's).
        const heldOut: ExperimentResult = {
          ...result,
          name: `${result.name ?? 'experiment'}: held-out rows (holdOut)`,
          summary: result.summary.filter((entry) => entry.metric === 'heldOutAccuracy').map((entry) => ({ ...entry, metric: 'accuracy' })),
        };
        output.stdout(`\n${formatResultTable(heldOut)}\n`);
      }
    }
    const runs = results.flatMap((result) => result.runs);
    const summary = summaryOf(results);
    const document = { runs, summary };
    if (options.out) await writeOut(options.out, document);
    if (options.json) output.stdout(`${JSON.stringify(document)}\n`);
    if (!options.quiet) output.stderr(`tlkit: ${runs.length} runs in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    return 0;
  }
  output.stderr(`tlkit: unknown command '${command}'. Run tlkit help.\n`);
  return 2;
}

