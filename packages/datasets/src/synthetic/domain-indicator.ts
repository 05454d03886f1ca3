import { createRng, Matrix } from '@tlkit/core';
import {
  circleClassMeans,
  exactClassCounts,
  gaussianClassSamples,
  integerOption,
  numberOption,
  type SyntheticSizeOptions,
  type SyntheticTask,
  shuffledLabels,
  sizeOptions,
  vectorOption,
} from './common';

/** Options of {@link domainIndicatorToy}. */
export interface DomainIndicatorOptions extends SyntheticSizeOptions {
  /** Number of informative features `d` (the task has `d + 1` features). Default 2. */
  readonly dim?: number;
  /** Number of classes `C`. Default 2. */
  readonly numClasses?: number;
  /** Radius `r` of the circle the class means lie on. Default 2. */
  readonly separation?: number;
  /** Within-class standard deviation `σ`. Default 1. */
  readonly std?: number;
  /** A shift `Δ` added to the target's informative features (a number or `d` numbers). Default 0. */
  readonly targetShift?: number | readonly number[];
}

/** What {@link domainIndicatorToy} knows. */
export interface DomainIndicatorTruth {
  /** The column that equals the domain id: 0 in the source, 1 in the target and target test. */
  readonly indicatorColumn: number;
  /** The informative columns `0..d-1`. */
  readonly informativeColumns: Int32Array;
  /** Class means `m_c` of the informative features in the source (`C × d`). */
  readonly classMeans: Matrix;
  /** `Δ`. */
  readonly targetShift: Float64Array;
}

/**
 * The domain-indicator toy: one feature is the domain id (0 for every source row, 1 for every
 * target row) and carries no label information; the other features are informative. A model
 * fitted on the source alone sees a constant in that column; a domain-invariant method
 * (DANN, Ganin et al., JMLR 2016; CORAL; MMD penalties) must learn to ignore it, which makes it
 * a behavioural test (the ADAPT library tests DANN this way).
 *
 * Model: columns `0..d-1` are `x | y = c ~ N(m_c, σ² I)` in the source and
 * `N(m_c + Δ, σ² I)` in the target and target test, `m_c = r · (cos 2πc/C, sin 2πc/C, 0, …)`
 * (`r · c` when `d = 1`); column `d` is the domain id. Classes are balanced (exact counts).
 *
 * @param options - sizes, seed, `dim`, `numClasses`, `separation`, `std`, `targetShift`
 *   (defaults above; 200 samples per part, seed 0).
 * @throws TlkitError `INVALID_ARGUMENT` naming the bad option.
 * @example
 * ```ts
 * const task = domainIndicatorToy({ seed: 4 });
 * task.source.X.get(0, task.truth.indicatorColumn); // 0
 * task.target.X.get(0, task.truth.indicatorColumn); // 1
 * ```
 */
export function domainIndicatorToy(options: DomainIndicatorOptions = {}): SyntheticTask<DomainIndicatorTruth> {
  const { nSource, nTarget, nTest, seed } = sizeOptions(options, 'domainIndicatorToy', ['dim', 'numClasses', 'separation', 'std', 'targetShift']);
  const dim = integerOption(options.dim, 2, 'dim', 1);
  const numClasses = integerOption(options.numClasses, 2, 'numClasses', 2);
  const separation = numberOption(options.separation, 2, 'separation', 'nonNegative');
  const std = numberOption(options.std, 1, 'std', 'positive');
  const targetShift = vectorOption(options.targetShift, 0, 'targetShift', dim);

  const classMeans = circleClassMeans(numClasses, dim, separation);
  const targetMeans = classMeans.clone();
  for (let c = 0; c < numClasses; c++) for (let j = 0; j < dim; j++) targetMeans.data[c * dim + j] += targetShift[j];
  const balanced = new Float64Array(numClasses).fill(1 / numClasses);
  const rng = createRng(seed);
  const draw = (name: 'source' | 'target' | 'targetTest', n: number) => {
    const stream = rng.fork(name);
    const y = shuffledLabels(exactClassCounts(n, balanced), stream);
    const informative = gaussianClassSamples(y, name === 'source' ? classMeans : targetMeans, std, stream);
    const domainId = name === 'source' ? 0 : 1;
    const X = new Matrix(n, dim + 1);
    for (let i = 0; i < n; i++) {
      X.data.set(informative.row(i), i * (dim + 1));
      X.data[i * (dim + 1) + dim] = domainId;
    }
    return { X, y, name };
  };
  return {
    source: draw('source', nSource),
    target: draw('target', nTarget),
    targetTest: draw('targetTest', nTest),
    problem: 'classification',
    numClasses,
    truth: {
      indicatorColumn: dim,
      informativeColumns: Int32Array.from({ length: dim }, (_, j) => j),
      classMeans,
      targetShift,
    },
    description: `domain-indicator toy (C = ${numClasses}, d = ${dim} informative + 1): x[0..${dim - 1}] | y = c ~ N(m_c (+ Δ in the target), ${std}² I); x[${dim}] = domain id (0 source, 1 target)`,
  };
}
