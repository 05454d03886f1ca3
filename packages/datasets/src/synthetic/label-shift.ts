import { createRng, type Matrix } from '@tlkit/core';
import {
  circleClassMeans,
  exactClassCounts,
  formatVector,
  gaussianClassSamples,
  integerOption,
  numberOption,
  priorsOption,
  type SyntheticSizeOptions,
  type SyntheticTask,
  shuffledLabels,
  sizeOptions,
} from './common';

/** Options of {@link priorShift}. */
export interface PriorShiftOptions extends SyntheticSizeOptions {
  /** Number of classes `C`. Default 3. */
  readonly numClasses?: number;
  /** Number of features `d`. Default 2. */
  readonly dim?: number;
  /** Radius `r` of the circle the class means lie on. Default 3. */
  readonly separation?: number;
  /** Within-class standard deviation `σ`. Default 1. */
  readonly std?: number;
  /** Source class proportions `π_s`. Default uniform. */
  readonly sourcePriors?: readonly number[];
  /** Target class proportions `π_t` (target and target test). Default `∝ (C, C−1, …, 1)`. */
  readonly targetPriors?: readonly number[];
}

/** What {@link priorShift} knows. */
export interface PriorShiftTruth {
  /** `π_s` as requested. */
  readonly sourcePriors: Float64Array;
  /** `π_t` as requested. */
  readonly targetPriors: Float64Array;
  /** Samples per class in source, target and target test (largest-remainder rounding of `n · π`). */
  readonly counts: { readonly source: Int32Array; readonly target: Int32Array; readonly targetTest: Int32Array };
  /** `w(c) = π_t(c) / π_s(c)` per class (`Infinity` where `π_s(c) = 0 < π_t(c)`, 0 where both are 0). */
  readonly classWeights: Float64Array;
  /** `w(y_i)` for every source row: the importance weight `p_t(x, y) / p_s(x, y)` under label shift. */
  readonly sourceWeights: Float64Array;
  /** The class means `m_c` (`C × d`), shared by both domains. */
  readonly classMeans: Matrix;
  readonly std: number;
}

/**
 * Label (prior, target) shift: the class proportions change, the class-conditional `p(x | y)`
 * does not (Saerens, Latinne & Decaestecker, *Adjusting the outputs of a classifier to new a
 * priori probabilities*, Neural Computation 14, 2002; Lipton, Wang & Smola, *Detecting and
 * correcting for label shift with black box predictors*, ICML 2018).
 *
 * Model: `x | y = c ~ N(m_c, σ² I)` in every part, with `m_c = r · (cos 2πc/C, sin 2πc/C, 0, …)`
 * (`m_c = r · c` when `d = 1`); the source has class proportions `π_s`, the target and target
 * test `π_t`. Each part holds exactly `round(n · π(c))` samples of class `c` (largest-remainder
 * rounding, so the proportions are the requested ones up to `1/n`), in random order.
 * The importance weight is `p_t(x, y) / p_s(x, y) = π_t(y) / π_s(y)`.
 *
 * @param options - sizes, seed, `numClasses`, `dim`, `separation`, `std` and the priors
 *   (defaults above; 200 samples per part, seed 0).
 * @throws TlkitError `INVALID_ARGUMENT` naming the bad option.
 * @example
 * ```ts
 * const task = priorShift({ numClasses: 2, targetPriors: [0.9, 0.1], seed: 3 });
 * task.truth.classWeights; // Float64Array [1.8, 0.2]
 * ```
 */
export function priorShift(options: PriorShiftOptions = {}): SyntheticTask<PriorShiftTruth> {
  const { nSource, nTarget, nTest, seed } = sizeOptions(options, 'priorShift', ['numClasses', 'dim', 'separation', 'std', 'sourcePriors', 'targetPriors']);
  const numClasses = integerOption(options.numClasses, 3, 'numClasses', 2);
  const dim = integerOption(options.dim, 2, 'dim', 1);
  const separation = numberOption(options.separation, 3, 'separation', 'nonNegative');
  const std = numberOption(options.std, 1, 'std', 'positive');
  const uniform = Array.from({ length: numClasses }, () => 1 / numClasses);
  const descending = Array.from({ length: numClasses }, (_, c) => (numClasses - c) / ((numClasses * (numClasses + 1)) / 2));
  const sourcePriors = priorsOption(options.sourcePriors, uniform, 'sourcePriors', numClasses);
  const targetPriors = priorsOption(options.targetPriors, descending, 'targetPriors', numClasses);

  const classMeans = circleClassMeans(numClasses, dim, separation);
  const rng = createRng(seed);
  const counts = {
    source: exactClassCounts(nSource, sourcePriors),
    target: exactClassCounts(nTarget, targetPriors),
    targetTest: exactClassCounts(nTest, targetPriors),
  };
  const part = (name: 'source' | 'target' | 'targetTest') => {
    const stream = rng.fork(name);
    const y = shuffledLabels(counts[name], stream);
    return { X: gaussianClassSamples(y, classMeans, std, stream), y, name };
  };
  const source = part('source');
  const classWeights = new Float64Array(numClasses);
  for (let c = 0; c < numClasses; c++) {
    classWeights[c] = sourcePriors[c] === 0 ? (targetPriors[c] === 0 ? 0 : Number.POSITIVE_INFINITY) : targetPriors[c] / sourcePriors[c];
  }
  const sourceWeights = new Float64Array(source.y.length);
  for (let i = 0; i < sourceWeights.length; i++) sourceWeights[i] = classWeights[source.y[i]];
  return {
    source,
    target: part('target'),
    targetTest: part('targetTest'),
    problem: 'classification',
    numClasses,
    truth: { sourcePriors, targetPriors, counts, classWeights, sourceWeights, classMeans, std },
    description: `label shift (C = ${numClasses}, d = ${dim}): x | y = c ~ N(m_c, ${std}² I) with m_c on a circle of radius ${separation}; p_s(y) = ${formatVector(sourcePriors)}, p_t(y) = ${formatVector(targetPriors)}`,
  };
}
