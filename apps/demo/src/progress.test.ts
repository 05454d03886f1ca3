import { describe, expect, it } from 'vitest';
import { createProgressPrinter } from './progress';

function printer(options: { quiet: boolean; live: boolean }) {
  const written: string[] = [];
  return { written, print: createProgressPrinter({ ...options, write: (text) => written.push(text) }) };
}

describe('createProgressPrinter', () => {
  it('prints a warning event as a line of its own when stderr is not a TTY, even with --quiet', () => {
    for (const quiet of [false, true]) {
      const { written, print } = printer({ quiet, live: false });
      print.event({ step: 'tradaboost', stepIndex: 0, phase: 'round', current: 1, total: 10 });
      print.event({ step: 'tradaboost', stepIndex: 0, phase: 'warning', message: 'tradaboost is degenerate: [0, 0]' });
      expect(written).toEqual(['    warning (tradaboost): tradaboost is degenerate: [0, 0]\n']);
    }
  });

  it('on a TTY, clears the live line before the warning and does not erase the warning afterwards', () => {
    const { written, print } = printer({ quiet: false, live: true });
    print.event({ step: 'trainer', stepIndex: 0, phase: 'epoch', current: 1, total: 3 });
    print.event({ step: 'kmm', stepIndex: 0, phase: 'warning', message: 'solver stopped early' });
    print.line('  [1/1] run: accuracy 50.00%');
    expect(written).toEqual([
      '\r\x1b[K    trainer epoch 1/3',
      '\r\x1b[K',
      '    warning (kmm): solver stopped early\n',
      '  [1/1] run: accuracy 50.00%\n',
    ]);
  });
});
