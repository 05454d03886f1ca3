import type { ProgressEvent } from '@tlkit/core';

/**
 * Writes run progress to stderr: one line per run, and a live line for long steps on a TTY.
 * A step's `'warning'` event (e.g. TrAdaBoost's degenerate rounds, KMM's solver) is a line of its
 * own that stays, on a TTY or not and under `quiet` too: it is not progress.
 */
export function createProgressPrinter(options: { quiet: boolean; write: (text: string) => void; live: boolean }) {
  const stream = { write: options.write };
  const live = options.live && !options.quiet;
  let liveShown = false;
  const clearLive = () => {
    if (liveShown) {
      stream.write('\r\x1b[K');
      liveShown = false;
    }
  };
  return {
    line(text: string) {
      if (options.quiet) return;
      clearLive();
      stream.write(`${text}\n`);
    },
    event(event: ProgressEvent) {
      if (event.phase === 'warning') {
        clearLive();
        stream.write(`    warning (${event.step}): ${event.message ?? 'no message'}\n`);
        return;
      }
      if (!live || event.step === 'pipeline' || event.phase === 'start' || event.phase === 'done') return;
      const counter = event.current !== undefined ? ` ${event.current}${event.total !== undefined ? `/${event.total}` : ''}` : '';
      const metrics = event.metrics
        ? ` ${Object.entries(event.metrics)
            .slice(0, 4)
            .map(([name, value]) => `${name}=${Number.isInteger(value) ? value : value.toFixed(4)}`)
            .join(' ')}`
        : '';
      stream.write(`\r\x1b[K    ${event.step} ${event.phase}${counter}${metrics}${event.message ? ` ${event.message}` : ''}`);
      liveShown = true;
    },
    done() {
      clearLive();
    },
  };
}
