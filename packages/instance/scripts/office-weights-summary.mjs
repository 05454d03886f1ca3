// What the weighting steps return on Office-Caltech10 SURF pairs (standard preprocessing): the
// effective sample size (Σw)²/Σw² against n_s, the largest weight, and each method's own figures
// (KLIEP's cross-validated σ, the domain classifier's held-out accuracy and clipped weights).
// Run after `pnpm build`:
//
//   node packages/instance/scripts/office-weights-summary.mjs [--pairs D→W,W→D] [--json]
//
// (default: D→W and W→D; the 12 pairs with --pairs all — importance weighting's cross-fitted
// domain classifier takes minutes on the pairs with caltech or amazon.)
import { parseArgs } from 'node:util';
import { compose, logisticRegression } from '@tlkit/core';
import { getDatasetInfo, preprocess } from '@tlkit/datasets';
import { loadShippedDataset } from '@tlkit/datasets/node';
import { importanceWeighting, kliep, kmm } from '../dist/index.js';

const { values } = parseArgs({ options: { pairs: { type: 'string', default: 'D→W,W→D' }, json: { type: 'boolean', default: false } } });
const info = getDatasetInfo('office_caltech10_surf');
const letter = (name) => info.domains.find((entry) => entry.name === name).letter;
const wanted = values.pairs === 'all' ? null : new Set(values.pairs.split(','));
const tasks = info.standardTasks.filter((task) => !wanted || wanted.has(`${letter(task.source)}→${letter(task.target)}`));
const office = await loadShippedDataset('office_caltech10_surf');
const names = Object.keys(office.domains);
const processed = Object.fromEntries(preprocess('office_caltech10_surf', names.map((name) => office.domains[name]), 'standard').map((domain, i) => [names[i], domain]));
const rows = [];
for (const { source, target } of tasks) {
  const task = { source: { X: processed[source].X, y: processed[source].y }, target: { X: processed[target].X }, problem: 'classification', numClasses: 10 };
  for (const [name, step] of [
    ['kmm', () => kmm()],
    ['kliep', () => kliep()],
    ['importance-weighting', () => importanceWeighting()],
  ]) {
    const fitted = await compose(step(), logisticRegression({ maxIterations: 1 })).fit(task, { seed: 0 });
    const report = fitted.reports[0];
    const weights = fitted.sourceWeights;
    fitted.dispose();
    let sum = 0;
    let squares = 0;
    let largest = 0;
    for (const value of weights) {
      sum += value;
      squares += value * value;
      largest = Math.max(largest, value);
    }
    const row = {
      pair: `${letter(source)}→${letter(target)}`,
      method: name,
      ns: weights.length,
      meanWeight: sum / weights.length,
      maxWeight: largest,
      effectiveSampleSize: (sum * sum) / squares,
      seconds: report.seconds,
      ...(name === 'kliep' ? { sigma: report.info.sigma, medianSigma: report.info.medianSigma, cvScores: report.info.cvScores } : {}),
      ...(name === 'importance-weighting' ? { domainAccuracy: report.info.domainAccuracy, rawMeanWeight: report.info.rawMeanWeight, clipped: report.info.clipped } : {}),
    };
    rows.push(row);
    if (!values.json) {
      const extra = Object.entries(row)
        .filter(([key]) => ['sigma', 'medianSigma', 'domainAccuracy', 'rawMeanWeight', 'clipped'].includes(key))
        .map(([key, value]) => `${key} ${typeof value === 'number' ? Number(value.toPrecision(4)) : JSON.stringify(value)}`)
        .join(', ');
      console.log(`${row.pair} ${name.padEnd(21)} ESS ${row.effectiveSampleSize.toFixed(1)} of ${row.ns}, mean w ${row.meanWeight.toFixed(3)}, max w ${row.maxWeight.toFixed(3)}, ${row.seconds.toFixed(2)} s  ${extra}`);
    }
  }
}
if (values.json) console.log(JSON.stringify({ rows }));
