import type { PipelineConfig } from './config';

/** Where one run of an experiment sits: its config, pipeline, source → target pair and seed. */
export interface RunPlace {
  readonly experiment: string;
  readonly pipeline: string;
  readonly source: string;
  readonly target: string;
  readonly seed: number;
}

/** The trainer's default checkpoint key (core's `trainer({ checkpoint })`). */
const DEFAULT_KEY = 'trainer/checkpoint';

/**
 * A name as one `/`-free key segment that is a valid file name everywhere, and different names
 * give different segments: letters, digits, `-` and inner `.` stay; every other character,
 * `_` included, becomes `_` and its UTF-8 bytes in hex (`usps:train` → `usps_3atrain`,
 * `usps_train` → `usps_5ftrain`); a leading `.` is escaped too.
 */
function segment(name: string): string {
  let out = '';
  for (const [index, character] of [...name].entries()) {
    if (/[A-Za-z0-9-]/.test(character) || (character === '.' && index > 0)) {
      out += character;
    } else {
      for (const byte of new TextEncoder().encode(character)) out += `_${byte.toString(16).padStart(2, '0')}`;
    }
  }
  return out || '_';
}

/**
 * The pipeline's steps with every `checkpoint` given a key of this run's own: `cli/`, the
 * configured key (default `trainer/checkpoint`), then the experiment, pipeline, source, target
 * and seed. One `--cache`
 * folder holds every run's checkpoints; with one shared key, a run would find the checkpoint of
 * another run (core refuses it, since its options or data differ) instead of its own.
 *
 * @example
 * ```ts
 * runCheckpointSteps([{ use: 'trainer', checkpoint: { every: 5 } }], { experiment: 'digits', pipeline: 'ft', source: 'mnist', target: 'usps:train', seed: 2 });
 * // [{ use: 'trainer', checkpoint: { every: 5, key: 'cli/trainer/checkpoint/digits/ft/mnist/usps_3atrain/seed-2' } }]
 * ```
 */
export function runCheckpointSteps(steps: PipelineConfig['steps'], place: RunPlace): PipelineConfig['steps'] {
  return steps.map((step) => {
    const checkpoint = (step as { checkpoint?: unknown }).checkpoint;
    if (checkpoint === null || typeof checkpoint !== 'object' || Array.isArray(checkpoint)) return step;
    const base = (checkpoint as { key?: unknown }).key;
    const key = [
      // Under `cli/`, so a library run's own key in the same folder (`trainer/checkpoint`, a file)
      // is never a folder the CLI needs (determinism review finding 3).
      'cli',
      typeof base === 'string' ? base : DEFAULT_KEY,
      segment(place.experiment),
      segment(place.pipeline),
      segment(place.source),
      segment(place.target),
      `seed-${place.seed}`,
    ].join('/');
    return { ...step, checkpoint: { ...checkpoint, key } };
  });
}
