import type { ExperimentResult } from './experiment';

/** Formats a results table: one row per pair (and the average), one column per pipeline. */
export function formatResultTable(result: ExperimentResult, metric?: string): string {
  const chosen = metric ?? (result.summary.some((entry) => entry.metric === 'accuracy') ? 'accuracy' : 'meanSquaredError');
  const percent = ['accuracy', 'balancedAccuracy', 'macroF1'].includes(chosen);
  const format = (value: number) => (percent ? (100 * value).toFixed(2) : value.toPrecision(4));
  const rows = [...result.pairs, 'average'];
  const header = ['pair', ...result.pipelines];
  const body = rows.map((pair) => [
    pair,
    ...result.pipelines.map((pipeline) => {
      const entry = result.summary.find((candidate) => candidate.pipeline === pipeline && candidate.pair === pair && candidate.metric === chosen);
      if (!entry) return '-';
      return entry.seeds > 1 ? `${format(entry.mean)} ± ${format(entry.std)}` : format(entry.mean);
    }),
  ]);
  const widths = header.map((_, column) => Math.max(...[header, ...body].map((row) => row[column].length)));
  const line = (row: string[]) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  const title = `${result.name ?? 'experiment'} — ${result.dataset}, ${chosen}${percent ? ' (%)' : ''}${
    result.summary.some((entry) => entry.seeds > 1) ? ', mean ± std over seeds' : ''
  }`;
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [title, line(header), rule, ...body.slice(0, -1).map(line), rule, line(body[body.length - 1])].join('\n');
}
