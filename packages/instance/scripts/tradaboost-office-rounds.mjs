// TrAdaBoost's per-round diagnostics on the 12 Office-Caltech10 SURF pairs (standard preprocessing),
// with the few-label protocol of apps/demo/configs/full/instance-office-tradaboost.json (3 labelled
// target samples per class, drawn with the run seed exactly as the CLI does; accuracy on the rest).
// The CLI prints accuracies only; this script shows whether each fit was degenerate: in how many
// rounds the base learner fitted the 30 labelled target samples exactly (ε_t = 0), in how many the
// weights moved, and the source share of the weight at the last round. Run after `pnpm build`:
//
//   node packages/instance/scripts/tradaboost-office-rounds.mjs [--seed 0] [--C 0.001] [--rounds 10] [--pairs D→W,W→D] [--json]
import { parseArgs } from 'node:util';
import { accuracy, compose, logisticRegression } from '@tlkit/core';
import { getDatasetInfo, preprocess, sampleLabeledPerClass, selectDomainRows } from '@tlkit/datasets';
import { loadShippedDataset } from '@tlkit/datasets/node';
import { tradaboost } from '../dist/index.js';

const { values } = parseArgs({
  options: { seed: { type: 'string', default: '0' }, C: { type: 'string', default: '0.001' }, rounds: { type: 'string', default: '10' }, pairs: { type: 'string', default: 'all' }, json: { type: 'boolean', default: false } },
});
const seed = Number(values.seed);
const C = Number(values.C);
const rounds = Number(values.rounds);
const info = getDatasetInfo('office_caltech10_surf');
const office = await loadShippedDataset('office_caltech10_surf');
const names = Object.keys(office.domains);
const processed = Object.fromEntries(preprocess('office_caltech10_surf', names.map((name) => office.domains[name]), 'standard').map((domain, i) => [names[i], domain]));
const letter = (name) => info.domains.find((entry) => entry.name === name).letter;
const rows = [];
const wanted = values.pairs === 'all' ? null : new Set(values.pairs.split(','));
for (const { source, target } of info.standardTasks.filter((task) => !wanted || wanted.has(`${letter(task.source)}→${letter(task.target)}`))) {
  const split = sampleLabeledPerClass(processed[target].y, 3, seed, 10);
  const labelled = selectDomainRows(processed[target], split.labeled);
  const rest = selectDomainRows(processed[target], split.rest);
  const task = {
    source: { X: processed[source].X, y: processed[source].y },
    target: { X: rest.X },
    targetLabeled: { X: labelled.X, y: labelled.y },
    problem: 'classification',
    numClasses: 10,
  };
  const fitted = await compose(tradaboost({ rounds, base: logisticRegression({ C, tolerance: 1e-4 }) })).fit(task, { seed });
  const fit = fitted.reports[0].info;
  const row = {
    pair: `${letter(source)}→${letter(target)}`,
    accuracy: accuracy(rest.y, fitted.predict(rest.X)),
    roundErrors: fit.roundErrors,
    zeroErrorRounds: fit.zeroErrorRounds,
    roundsWeightsMoved: fit.roundsWeightsMoved,
    degenerate: fit.degenerate,
    lastSourceShare: fit.sourceWeightShare.at(-1),
  };
  fitted.dispose();
  rows.push(row);
  if (!values.json) {
    console.log(
      `${row.pair}  accuracy ${(100 * row.accuracy).toFixed(2)} %  ε_t = 0 in ${row.zeroErrorRounds}/${rounds} rounds, weights moved in ${row.roundsWeightsMoved}/${rounds}, degenerate ${row.degenerate}, source share of the weight at round ${rounds}: ${row.lastSourceShare.toFixed(3)}  ε_t: ${row.roundErrors.map((error) => error.toFixed(3)).join(' ')}`,
    );
  }
}
const summary = {
  seed,
  C,
  rounds,
  meanAccuracy: rows.reduce((total, row) => total + row.accuracy, 0) / rows.length,
  degeneratePairs: rows.filter((row) => row.degenerate).length,
  meanZeroErrorRounds: rows.reduce((total, row) => total + row.zeroErrorRounds, 0) / rows.length,
  meanRoundsWeightsMoved: rows.reduce((total, row) => total + row.roundsWeightsMoved, 0) / rows.length,
};
if (values.json) console.log(JSON.stringify({ summary, rows }));
else console.log(JSON.stringify(summary));
