import { assertSeed, createRng, TlkitError } from '@tlkit/core';

/** The result of {@link sampleLabeledPerClass}: row indices, each sorted ascending. */
export interface LabeledSplit {
  /** `perClass` rows of every class. */
  readonly labeled: Int32Array;
  /** Every other row. */
  readonly rest: Int32Array;
}

/**
 * Draws `perClass` rows of every class at random (seeded), e.g. the few labelled target samples
 * of a semi-supervised transfer task; the remaining rows are returned as `rest`.
 *
 * Within each class (ids `0..numClasses-1`, in order) the rows are drawn uniformly without
 * replacement from one seeded generator (`createRng(seed)`), so the same `y`, `perClass` and
 * `seed` always give the same split.
 *
 * @param y - class ids `0..C-1`.
 * @param perClass - rows to draw from each class (a positive integer).
 * @param seed - integer seed. Default 0.
 * @param numClasses - number of classes; default `max(y) + 1`. A class with no rows then counts
 *   as having too few.
 * @throws TlkitError `TOO_FEW_SAMPLES` naming the first class with fewer than `perClass` rows,
 *   `INVALID_ARGUMENT` / `LABEL_OUT_OF_RANGE` for bad arguments.
 * @example
 * ```ts
 * const { labeled, rest } = sampleLabeledPerClass(amazon.y, 3, 7); // 3 labelled rows per class
 * const targetLabeled = selectDomainRows(amazon, labeled);
 * const target = selectDomainRows(amazon, rest);
 * ```
 */
export function sampleLabeledPerClass(
  y: ArrayLike<number>,
  perClass: number,
  seed = 0,
  numClasses?: number,
): LabeledSplit {
  if (!y || typeof y.length !== 'number') {
    throw new TlkitError('INVALID_ARGUMENT', 'y must be an array of class ids.', { argument: 'y' });
  }
  if (!Number.isInteger(perClass) || perClass < 1) {
    throw new TlkitError('INVALID_ARGUMENT', `perClass must be a positive integer, got ${perClass}.`, {
      argument: 'perClass',
    });
  }
  assertSeed(seed);
  let maxLabel = -1;
  for (let i = 0; i < y.length; i++) {
    const label = y[i];
    if (!Number.isInteger(label) || label < 0) {
      throw new TlkitError('LABEL_OUT_OF_RANGE', `y[${i}] = ${label} is not a class id (an integer ≥ 0).`, {
        argument: 'y',
        index: i,
      });
    }
    if (label > maxLabel) maxLabel = label;
  }
  const classes = numClasses ?? maxLabel + 1;
  if (!Number.isInteger(classes) || classes < 1 || classes <= maxLabel) {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `numClasses must be an integer larger than every label (max label ${maxLabel}), got ${numClasses}.`,
      { argument: 'numClasses' },
    );
  }
  const members: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < y.length; i++) members[y[i]].push(i);
  for (let label = 0; label < classes; label++) {
    if (members[label].length < perClass) {
      throw new TlkitError(
        'TOO_FEW_SAMPLES',
        `class ${label} has ${members[label].length} samples, fewer than perClass = ${perClass}; lower perClass to at most ${Math.min(...members.map((rows) => rows.length))}.`,
        { argument: 'perClass', label, available: members[label].length },
      );
    }
  }
  const rng = createRng(seed);
  const chosen = new Uint8Array(y.length);
  for (let label = 0; label < classes; label++) {
    const rows = members[label];
    const picks = rng.sample(rows.length, perClass);
    for (let k = 0; k < picks.length; k++) chosen[rows[picks[k]]] = 1;
  }
  const labeled = new Int32Array(classes * perClass);
  const rest = new Int32Array(y.length - labeled.length);
  let labeledCount = 0;
  let restCount = 0;
  for (let i = 0; i < y.length; i++) {
    if (chosen[i]) labeled[labeledCount++] = i;
    else rest[restCount++] = i;
  }
  return { labeled, rest };
}
