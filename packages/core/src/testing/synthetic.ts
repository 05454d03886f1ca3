import type { ProblemType, TransferTask } from '../data';
import { createRng } from '../rng';

/** Size and kind of the conformance harness's synthetic task. */
export interface HarnessTaskOptions {
  readonly problem: ProblemType;
  readonly seed: number;
  /** Give the domains an image shape `[h, w, 1]` (h·w features). */
  readonly images?: boolean;
  /** Add `perClass` labelled target samples per class (classification) or this many (regression). */
  readonly labeledTargetPerClass?: number;
  /** Extra columns on the target domain (to provoke a dimension mismatch). */
  readonly extraTargetColumns?: number;
}

const CLASSES = 3;
const SOURCE_PER_CLASS = 30;
const TARGET_PER_CLASS = 20;

/**
 * A small seeded covariate-shift task for the conformance harness: three Gaussian classes in 6
 * dimensions (or 6×6 images), the target domain shifted by a constant and scaled by 1.3.
 * Regression: y = w·x + 0.1·ε with the same input shift.
 */
export function harnessTask(options: HarnessTaskOptions): TransferTask {
  const rng = createRng(options.seed);
  const dim = options.images ? 36 : 6;
  const centres = Array.from({ length: CLASSES }, () => Array.from({ length: dim }, () => 2 * rng.normal()));
  const direction = Array.from({ length: dim }, () => rng.normal());
  const draw = (count: number, target: boolean, extra = 0) => {
    const X: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < count; i++) {
      const label = i % CLASSES;
      const row = Array.from({ length: dim }, (_, j) => {
        const base = options.problem === 'classification' ? centres[label][j] + rng.normal() : rng.normal();
        return target ? 1.3 * base + 0.8 : base;
      });
      for (let k = 0; k < extra; k++) row.push(rng.normal());
      X.push(row);
      y.push(
        options.problem === 'classification'
          ? label
          : row.slice(0, dim).reduce((sum, value, j) => sum + value * direction[j], 0) + 0.1 * rng.normal(),
      );
    }
    return options.images ? { X, y, shape: [6, 6, 1] as const } : { X, y };
  };
  const source = draw(CLASSES * SOURCE_PER_CLASS, false);
  const target = draw(CLASSES * TARGET_PER_CLASS, true, options.extraTargetColumns ?? 0);
  const { y: _hidden, ...unlabelledTarget } = target;
  const task: TransferTask = {
    source,
    target: unlabelledTarget,
    targetTest: target,
    problem: options.problem,
    ...(options.problem === 'classification' ? { numClasses: CLASSES } : {}),
  };
  if (options.labeledTargetPerClass) {
    const labelled = draw(CLASSES * options.labeledTargetPerClass, true, options.extraTargetColumns ?? 0);
    return { ...task, targetLabeled: labelled };
  }
  return task;
}
