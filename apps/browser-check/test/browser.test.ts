/**
 * tlkit in a real browser: the built packages, bundled as a web app would bundle them, run in
 * headless Chromium on the wasm backend, and give what the same code gives in Node.
 *
 * Node computes every expected value first (the same functions from src/checks.ts, on the data
 * read from disk, wasm on one thread); the page fetches the data over HTTP and runs them again.
 * Skipped with a printed reason when no Chromium is installed, unless TLKIT_REQUIRE_BROWSER=1.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { setupNodeBackend } from '@tlkit/core/node';
import { loadShippedDataset, shippedDataDirectory } from '@tlkit/datasets/node';
import { loadModel, saveModel } from '@tlkit/models/node';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundlePage, type PageBundle } from '../src/bundle';
import {
  buildReferenceModel,
  datasetFingerprint,
  DIGITS_PAIR,
  LENET_STEPS,
  OFFICE_PAIR,
  referencePredictions,
  runLenetTraining,
  runShallowCheck,
  type ShallowResult,
  type TensorCount,
  type TrainingResult,
} from '../src/checks';
import { launchChromium, type LaunchedChromium, locateChromium } from '../src/chromium';
import { type CheckServer, startCheckServer } from '../src/server';
import { type BackendReport, PAGE_API_NAME, type PageApi } from '../src/page/api';

const appRoot = fileURLToPath(new URL('..', import.meta.url));
const workspaceRoot = join(appRoot, '..', '..');
const requireFromApp = createRequire(join(appRoot, 'package.json'));

/**
 * Relative tolerance of the per-step training losses, page against Node. Both run tfjs's wasm
 * backend (XNNPACK) on one thread plus tlkit's kernels, whose multiply-adds are fused in both
 * (Chromium has relaxed SIMD; setupNodeBackend turns it on in Node 20), so every reduction sums in
 * the same order: measured, the eight losses agree bit for bit. The tolerance only allows for the
 * two tfjs binaries differing (Node loads the single-threaded SIMD build, the cross-origin
 * isolated page the threaded one): a float32 mean loss whose partial sums move by a few ulps
 * moves by about 1e-7 relative. 1e-6 is ten times that and still thousands of times smaller than
 * what one step changes (2.3032 → 2.2927, 4.5e-3 relative), so a wrong gradient, a skipped or
 * reordered step, or another batch order fails it.
 */
const LOSS_RELATIVE_TOLERANCE = 1e-6;

/** Absolute tolerance of the class probabilities of the model-file check (same reasoning, values ≤ 1). */
const PROBABILITY_TOLERANCE = 1e-6;

/**
 * Relative tolerance of TCA's eigenvalues, page against Node. Its float64 linear algebra is plain
 * JavaScript and WebAssembly mul/add (no fused operations), identical in both engines — but its
 * block-Lanczos start vectors are seeded Box–Muller normals, and ECMAScript leaves Math.cos,
 * Math.sin, Math.log and Math.pow implementation-approximated: Node 20's V8 11.3 and Chromium
 * 156's V8 differ in the last bit on about 1 input in 20,000 (measured: Math.cos(1.3829072704672805)
 * and Math.pow(0.22009651821126236, 1.7)). Lanczos converges to the same eigenvalues from either
 * start; measured difference 4e-15 relative, so 1e-12 is generous yet a million times tighter than
 * any real change of the embedding. The predictions and the accuracy must still agree exactly.
 */
const EIGENVALUE_RELATIVE_TOLERANCE = 1e-12;

const MODEL_FOLDER = 'reference-lenet';

const chromiumLocation = locateChromium();
const browserRequired = process.env.TLKIT_REQUIRE_BROWSER === '1';
const skipBrowser = !chromiumLocation.found && !browserRequired;
const installHint =
  "install it with 'apt-get install -y chromium' (Debian/Ubuntu; it provides /usr/bin/chromium) or point TLKIT_CHROMIUM at a Chromium or Chrome binary";

if (skipBrowser && !chromiumLocation.found) {
  console.warn(
    `@tlkit/browser-check: SKIPPED, ${chromiumLocation.reason}. To run the browser check, ${installHint}; set TLKIT_REQUIRE_BROWSER=1 to make a missing browser a failure.`,
  );
}

/** Node's expected values, computed before the browser starts. */
interface NodeExpectations {
  readonly backend: string;
  readonly backendThreads: number;
  readonly officeFingerprint: Record<string, number[]>;
  readonly shallow: ShallowResult;
  readonly digitsFingerprint: Record<string, number[]>;
  readonly training: TrainingResult;
  readonly modelPredictions: number[];
  readonly reloadedPredictions: number[];
  readonly modelTensorCounts: TensorCount[];
}

function checkTensorCounts(counts: readonly TensorCount[], where: string): void {
  for (const count of counts) {
    expect({ where, call: count.call, change: count.after - count.before }).toEqual({ where, call: count.call, change: count.expectedChange });
  }
}

function maximumRelativeDifference(actual: readonly number[], expected: readonly number[]): number {
  let largest = 0;
  for (let index = 0; index < expected.length; index++) {
    largest = Math.max(largest, Math.abs(actual[index] - expected[index]) / Math.max(Math.abs(expected[index]), Number.MIN_VALUE));
  }
  return largest;
}

function maximumAbsoluteDifference(actual: readonly number[], expected: readonly number[]): number {
  let largest = 0;
  for (let index = 0; index < expected.length; index++) largest = Math.max(largest, Math.abs(actual[index] - expected[index]));
  return largest;
}

async function callPage<Name extends keyof PageApi>(page: Page, name: Name, argument?: Parameters<PageApi[Name]>[0]): Promise<Awaited<ReturnType<PageApi[Name]>>> {
  return page.evaluate(
    async ({ apiName, method, value }) => {
      const api = (globalThis as unknown as Record<string, Record<string, (input: unknown) => Promise<unknown>>>)[apiName];
      return api[method](value);
    },
    { apiName: PAGE_API_NAME, method: name, value: argument as unknown },
  ) as Promise<Awaited<ReturnType<PageApi[Name]>>>;
}

describe.skipIf(skipBrowser)('tlkit in headless Chromium (built packages, wasm backend)', () => {
  const started = performance.now();
  const timings: Record<string, number> = {};
  const pageProblems: string[] = [];
  let expected: NodeExpectations;
  let bundle: PageBundle;
  let server: CheckServer | undefined;
  let browser: LaunchedChromium | undefined;
  let page: Page;
  let modelDirectory: string | undefined;
  let pageBackend: BackendReport;
  let threadedBackend: BackendReport;

  beforeAll(async () => {
    if (!chromiumLocation.found) {
      throw new Error(`TLKIT_REQUIRE_BROWSER=1 but ${chromiumLocation.reason}: ${installHint}.`);
    }
    let mark = performance.now();
    const lap = (name: string) => {
      const now = performance.now();
      timings[name] = Math.round(now - mark) / 1000;
      mark = now;
    };

    // Node: the expected values (wasm on one thread, like the page's set-up below).
    const nodeBackend = await setupNodeBackend({ threads: 1, log: false });
    const office = await loadShippedDataset('office_caltech10_surf', { domains: [OFFICE_PAIR.source, OFFICE_PAIR.target] });
    const shallow = await runShallowCheck(office);
    lap('node: TCA + 1-NN');
    const digits = await loadShippedDataset('mnist_usps_jda', { domains: [DIGITS_PAIR.source, DIGITS_PAIR.target] });
    const training = await runLenetTraining(digits);
    lap('node: LeNet training');
    modelDirectory = await mkdtemp(join(tmpdir(), 'tlkit-browser-check-models-'));
    const model = buildReferenceModel();
    const modelPredictions = referencePredictions(model);
    await saveModel(model, join(modelDirectory, MODEL_FOLDER));
    model.dispose();
    const tensorsBeforeReload = tf.memory().numTensors;
    const reloaded = await loadModel(join(modelDirectory, MODEL_FOLDER));
    const reloadedPredictions = referencePredictions(reloaded);
    const reloadedWeights = reloaded.weights.length;
    reloaded.dispose();
    expected = {
      backend: nodeBackend.name,
      backendThreads: nodeBackend.threads,
      officeFingerprint: datasetFingerprint(office),
      shallow,
      digitsFingerprint: datasetFingerprint(digits),
      training,
      modelPredictions,
      reloadedPredictions,
      modelTensorCounts: [
        { call: 'loadModel + predict + dispose', before: tensorsBeforeReload, after: tf.memory().numTensors, expectedChange: 0 },
        { call: 'loadModel weights', before: 0, after: reloadedWeights, expectedChange: reloadedWeights },
      ],
    };
    lap('node: model files');

    // The page: bundle, serve, open.
    bundle = await bundlePage(join(appRoot, 'src', 'page', 'main.ts'), workspaceRoot);
    lap('esbuild bundle');
    const wasmFolder = dirname(requireFromApp.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    server = await startCheckServer({
      files: new Map([
        [
          '/',
          {
            body: '<!doctype html><html><head><meta charset="utf-8"><title>tlkit browser check</title></head><body><script type="module" src="/page.js"></script></body></html>',
            contentType: 'text/html; charset=utf-8',
          },
        ],
        ['/page.js', { body: bundle.code, contentType: 'text/javascript; charset=utf-8' }],
        // Chromium asks for it unprompted; answered, so that any 404 is a real missing file.
        ['/favicon.ico', { body: new Uint8Array(0), contentType: 'image/x-icon' }],
      ]),
      folders: { '/wasm/': wasmFolder, '/data/': shippedDataDirectory(), '/models/': modelDirectory },
    });
    browser = await launchChromium(chromiumLocation.path);
    page = await browser.context.newPage();
    page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') pageProblems.push(`console error: ${message.text()}`);
    });
    await page.goto(`${server.origin}/`);
    await page.waitForFunction((apiName) => apiName in globalThis, PAGE_API_NAME, { timeout: 20_000 });
    lap('chromium launch + page load');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (modelDirectory) await rm(modelDirectory, { recursive: true, force: true });
    timings.total = Math.round(performance.now() - started) / 1000;
    console.info(`@tlkit/browser-check timings (s): ${JSON.stringify(timings)}`);
  });

  it('Node side: computed its expected values on wasm with one thread', () => {
    expect({ backend: expected.backend, threads: expected.backendThreads }).toEqual({ backend: 'wasm', threads: 1 });
    expect(expected.reloadedPredictions).toEqual(expected.modelPredictions);
    checkTensorCounts([...expected.shallow.tensorCounts, ...expected.training.tensorCounts, ...expected.modelTensorCounts], 'node');
  });

  it('bundles the built packages by their published names, without Node built-ins', () => {
    for (const name of ['core', 'datasets', 'feature', 'models']) {
      expect(bundle.inputs.some((input) => input.startsWith(`packages/${name}/dist/`)), `packages/${name}/dist in the bundle`).toBe(true);
    }
    // Built code only: no TypeScript source of a package, and no Node entry point.
    expect(bundle.inputs.filter((input) => /^packages\/[^/]+\/src\//.test(input))).toEqual([]);
    expect(bundle.inputs.filter((input) => /^packages\/[^/]+\/dist\/node\//.test(input))).toEqual([]);
    // Node built-ins are met only in third-party packages (tfjs and its seedrandom), each mapped
    // to nothing by their `browser` field (bundlePage checks that and rejects tlkit's own).
    expect(bundle.mappedAwayBuiltins.filter((entry) => !entry.importer.startsWith('node_modules/'))).toEqual([]);
    console.info(
      `@tlkit/browser-check: bundle ${(bundle.code.length / 1e6).toFixed(2)} MB from ${bundle.inputs.length} files; tfjs built-ins mapped away: ${[...new Set(bundle.mappedAwayBuiltins.map((entry) => entry.specifier))].join(', ')}`,
    );
  });

  it('setupBackend picks wasm in the page (cross-origin isolated, threaded binary, one thread)', async () => {
    pageBackend = await callPage(page, 'setupBackend', 1);
    console.info(`@tlkit/browser-check: page backend ${JSON.stringify({ ...pageBackend, tensorCounts: undefined })}`);
    expect(pageBackend.name).toBe('wasm');
    expect(pageBackend.requested).toBe('auto');
    expect(pageBackend.crossOriginIsolated).toBe(true);
    expect(pageBackend.simdSupported).toBe(true);
    expect(pageBackend.threadsSupported).toBe(true);
    expect(pageBackend.wasmThreads).toBe(1);
    expect(pageBackend.reportedThreads).toBe(pageBackend.wasmThreads);
    // tfjs fetched its threaded SIMD binary from the wasmPaths folder.
    const wasmRequests = server?.requests.filter((request) => request.path.endsWith('.wasm')) ?? [];
    expect(wasmRequests).toEqual([{ method: 'GET', path: '/wasm/tfjs-backend-wasm-threaded-simd.wasm', status: 200 }]);
    checkTensorCounts(pageBackend.tensorCounts, 'page setupBackend');
  });

  it('loads a LeNet saved in Node from its URL and round-trips it through IndexedDB', async () => {
    const report = await callPage(page, 'modelFiles', `${server?.origin}/models/${MODEL_FOLDER}/model.json`);
    // Importing @tlkit/models registers nothing; tfjs cannot rebuild the seeded dropout without it.
    expect(report.registeredBeforeCall).toBe(false);
    expect(report.errorWithoutRegistration).toMatch(/TlkitSeededDropout/);
    expect(report.urlPredictions).toHaveLength(expected.modelPredictions.length);
    const urlDifference = maximumAbsoluteDifference(report.urlPredictions, expected.modelPredictions);
    const builtDifference = maximumAbsoluteDifference(report.builtPredictions, expected.modelPredictions);
    console.info(`@tlkit/browser-check: model predictions, page − Node: URL ${urlDifference}, built in the page ${builtDifference}`);
    expect(urlDifference).toBeLessThanOrEqual(PROBABILITY_TOLERANCE);
    expect(builtDifference).toBeLessThanOrEqual(PROBABILITY_TOLERANCE);
    // Same runtime, same weights: IndexedDB gives back the URL model exactly.
    expect(report.indexedDbWeights).toEqual(report.urlWeights);
    expect(report.indexedDbPredictions).toEqual(report.urlPredictions);
    expect(report.storedModels).toContain('indexeddb://tlkit-browser-check-lenet');
    expect(report.savedBytes.weights).toBe(report.urlWeights.length * 4); // float32, the dropout's call counter included
    expect(report.removed).toBe(true);
    checkTensorCounts(report.tensorCounts, 'page modelFiles');
  });

  it('TCA + 1-NN on Office-Caltech10 caltech → amazon gives Node’s predictions exactly', async () => {
    const { fingerprint, result } = await callPage(page, 'shallow');
    console.info(
      `@tlkit/browser-check: TCA + 1-NN C→A accuracy: page ${result.accuracy}, Node ${expected.shallow.accuracy}; eigenvalues page ${result.eigenvalues.join(', ')}, Node ${expected.shallow.eigenvalues.join(', ')} (largest relative difference ${maximumRelativeDifference(result.eigenvalues, expected.shallow.eigenvalues)})`,
    );
    // fetchDataset (HTTP, DecompressionStream) parses the files to the numbers loadShippedDataset reads.
    expect(fingerprint).toEqual(expected.officeFingerprint);
    expect(result.eigenvalues).toHaveLength(expected.shallow.eigenvalues.length);
    expect(maximumRelativeDifference(result.eigenvalues, expected.shallow.eigenvalues)).toBeLessThanOrEqual(EIGENVALUE_RELATIVE_TOLERANCE);
    expect(result.predictions).toEqual(expected.shallow.predictions);
    expect(result.accuracy).toBe(expected.shallow.accuracy);
    // And the figure the feature README states for this pair.
    expect(result.accuracy.toFixed(2)).toBe('45.62');
    checkTensorCounts(result.tensorCounts, 'page shallow');
  });

  it('trains LeNet through core’s trainer with Node’s per-step losses', async () => {
    const { fingerprint, result } = await callPage(page, 'lenet');
    const difference = maximumRelativeDifference(result.losses, expected.training.losses);
    console.info(
      `@tlkit/browser-check: LeNet losses page ${JSON.stringify(result.losses)}, Node ${JSON.stringify(expected.training.losses)}, largest relative difference ${difference}`,
    );
    expect(fingerprint).toEqual(expected.digitsFingerprint);
    expect(result.losses).toHaveLength(LENET_STEPS);
    expect(expected.training.losses).toHaveLength(LENET_STEPS);
    // It learns: the last step's loss is below the first's by far more than the tolerance.
    expect(expected.training.losses[LENET_STEPS - 1]).toBeLessThan(expected.training.losses[0] * (1 - 100 * LOSS_RELATIVE_TOLERANCE));
    expect(difference).toBeLessThanOrEqual(LOSS_RELATIVE_TOLERANCE);
    expect(result.accuracies).toEqual(expected.training.accuracies);
    expect(result.predictions).toEqual(expected.training.predictions);
    checkTensorCounts(result.tensorCounts, 'page lenet');
  });

  it('runs tfjs on two wasm threads in a second page, with Node’s predictions', async () => {
    const threadedPage = await browser!.context.newPage();
    threadedPage.on('pageerror', (error) => pageProblems.push(`page error (two threads): ${error.message}`));
    try {
      // tfjs caps its pool at navigator.hardwareConcurrency / 2 (one thread on a 2-core machine),
      // so the page is told it has 4 cores: two threads on the machine's 2 real cores.
      const devtools = await browser!.context.newCDPSession(threadedPage);
      await devtools.send('Emulation.setHardwareConcurrencyOverride', { hardwareConcurrency: 4 });
      await threadedPage.goto(`${server?.origin}/`);
      await threadedPage.waitForFunction((apiName) => apiName in globalThis, PAGE_API_NAME, { timeout: 20_000 });
      threadedBackend = await callPage(threadedPage, 'setupBackend', 2);
      console.info(`@tlkit/browser-check: two-thread page backend ${JSON.stringify({ ...threadedBackend, tensorCounts: undefined })}`);
      expect(threadedBackend.name).toBe('wasm');
      expect(threadedBackend.wasmThreads).toBe(2);
      const report = await callPage(threadedPage, 'modelFiles', `${server?.origin}/models/${MODEL_FOLDER}/model.json`);
      const difference = maximumAbsoluteDifference(report.urlPredictions, expected.modelPredictions);
      console.info(`@tlkit/browser-check: model predictions on two threads, page − Node: ${difference}`);
      expect(difference).toBeLessThanOrEqual(PROBABILITY_TOLERANCE);
      expect(report.indexedDbPredictions).toEqual(report.urlPredictions);
      checkTensorCounts(report.tensorCounts, 'two-thread page modelFiles');
    } finally {
      await threadedPage.close();
    }
  });

  it("setupBackend reports the threads tfjs's wasm pool really has (and logs them)", () => {
    expect(threadedBackend.wasmThreads).toBe(2);
    expect(threadedBackend.reportedThreads).toBe(threadedBackend.wasmThreads);
    expect(threadedBackend.log.join('\n')).toContain("tlkit: tfjs backend 'wasm' (2 threads)");
  });

  it('logged no page errors, and the server found every file the pages asked for', () => {
    expect(pageProblems).toEqual([]);
    expect(server?.requests.filter((request) => request.status !== 200)).toEqual([]);
  });
});
