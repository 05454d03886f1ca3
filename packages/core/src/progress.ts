/**
 * Progress events. Long runs (KMM on thousands of samples, JDA iterations, training epochs)
 * report through one callback, `fit(task, { onProgress })`, so a CLI or a dashboard can show them.
 */

/** One progress report. */
export interface ProgressEvent {
  /** Registry name of the step reporting, or `'pipeline'` for the orchestrator itself. */
  readonly step: string;
  /** Position of the step in the pipeline (-1 for the orchestrator). */
  readonly stepIndex: number;
  /** What is going on: `'start'`, `'done'`, `'epoch'`, `'iteration'`, `'round'`, ... */
  readonly phase: string;
  /** Units done so far (epochs, iterations), when countable. */
  readonly current?: number;
  /** Units in all, when known. */
  readonly total?: number;
  /** Numbers for this unit (loss terms, accuracy, objective). */
  readonly metrics?: Readonly<Record<string, number>>;
  /** A short human-readable note. */
  readonly message?: string;
}

/** Receives progress events. */
export type ProgressListener = (event: ProgressEvent) => void;

/** What a step calls to report progress; the orchestrator fills in `step` and `stepIndex`. */
export type ProgressReporter = (event: Omit<ProgressEvent, 'step' | 'stepIndex'>) => void;

/** A reporter that forwards to `listener` with the step's name and index filled in. @internal */
export function createReporter(
  listener: ProgressListener | undefined,
  step: string,
  stepIndex: number,
): ProgressReporter {
  if (!listener) return () => {};
  return (event) => listener({ ...event, step, stepIndex });
}
