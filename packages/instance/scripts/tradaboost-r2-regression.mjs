// TrAdaBoost.R2 on a seeded synthetic covariate-shift regression task, with the few-label protocol
// of the CLI (a seeded draw of labelled target samples; every method is scored on the remaining
// target rows). The CLI cannot express this experiment: its dataset loader reads class ids, not
// real-valued targets, and its "targetLabeled" draw is per class. Run after `pnpm build`:
//
//   node packages/instance/scripts/tradaboost-r2-regression.mjs [--json]
//
// Task: covariateShift({ problem: 'regression', seed }) of @tlkit/datasets with its defaults (Shimodaira
// 2000's polynomial example, d = 1: source x ~ N(0.5, 0.5²), target x ~ N(0, 0.3²), y = x³ − x + ε,
// ε ~ N(0, 0.3²)), 200 source and 200 target samples; 10 labelled target samples drawn per seed
// (seeds 0–4), MSE on the other 190. Baselines: ridge (alpha = 1) trained on the source, on the 10
// labelled target samples, and on both merged.
import { compose, createRng, meanSquaredError, ridge } from '@tlkit/core';
import { covariateShift } from '@tlkit/datasets';
import { decisionTree, tradaboostR2 } from '../dist/index.js';

const SEEDS = [0, 1, 2, 3, 4];
const LABELLED = 10;
const methods = [
  { name: 'ridge, source only', steps: () => [ridge()], trainOn: 'source' },
  { name: 'ridge, target only (10)', steps: () => [ridge()], trainOn: 'target' },
  { name: 'ridge, source + target merged', steps: () => [ridge()], trainOn: 'source+target' },
  { name: 'tradaboost-r2 (20 rounds, ridge base: the default)', steps: () => [tradaboostR2({ rounds: 20 })] },
  { name: 'tradaboost-r2 (20 rounds, decision-tree maxDepth 3)', steps: () => [tradaboostR2({ rounds: 20, base: decisionTree({ maxDepth: 3 }) })] },
];
const results = methods.map(() => []);
const diagnostics = methods.map(() => []);
for (const seed of SEEDS) {
  const data = covariateShift({ problem: 'regression', nSource: 200, nTarget: 200, nTest: 1, seed });
  const order = createRng(seed).fork('labelled').permutation(data.target.X.rows);
  const labelled = Array.from(order.subarray(0, LABELLED)).sort((a, b) => a - b);
  const rest = Array.from(order.subarray(LABELLED)).sort((a, b) => a - b);
  const task = {
    source: data.source,
    target: { X: data.target.X.selectRows(rest) },
    targetLabeled: { X: data.target.X.selectRows(labelled), y: Float64Array.from(labelled, (i) => data.target.y[i]) },
    problem: 'regression',
  };
  const truth = Float64Array.from(rest, (i) => data.target.y[i]);
  for (const [index, method] of methods.entries()) {
    const fitted = await compose(...method.steps()).fit(task, { seed, trainOn: method.trainOn ?? 'source' });
    results[index].push(meanSquaredError(truth, fitted.predict(task.target.X)));
    const info = fitted.reports.at(-1).info ?? {};
    if (info.roundErrors) diagnostics[index].push({ zeroErrorRounds: info.zeroErrorRounds, roundsWeightsMoved: info.roundsWeightsMoved, degenerate: info.degenerate });
    fitted.dispose();
  }
}
const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
const std = (values) => Math.sqrt(values.reduce((a, b) => a + (b - mean(values)) ** 2, 0) / (values.length - 1));
const rows = methods.map((method, index) => ({
  method: method.name,
  mse: mean(results[index]),
  std: std(results[index]),
  perSeed: results[index],
  ...(diagnostics[index].length
    ? {
        zeroErrorRounds: mean(diagnostics[index].map((entry) => entry.zeroErrorRounds)),
        roundsWeightsMoved: mean(diagnostics[index].map((entry) => entry.roundsWeightsMoved)),
        degenerateRuns: diagnostics[index].filter((entry) => entry.degenerate).length,
      }
    : {}),
}));
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ seeds: SEEDS, labelled: LABELLED, rows }));
} else {
  console.log(`TrAdaBoost.R2 — covariate-shift regression (d = 1), ${LABELLED} labelled target samples, MSE on the other 190, mean ± std over seeds ${SEEDS.join(', ')}`);
  for (const row of rows) {
    const extra = row.zeroErrorRounds !== undefined ? `   (ε_t = 0 in ${row.zeroErrorRounds} of 20 rounds, weights moved in ${row.roundsWeightsMoved}, degenerate runs ${row.degenerateRuns})` : '';
    console.log(`${row.method.padEnd(56)} ${row.mse.toFixed(4)} ± ${row.std.toFixed(4)}${extra}`);
  }
}
