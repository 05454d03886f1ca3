import { createRng, Matrix, TlkitError } from '@tlkit/core';
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

/** Options of {@link conditionalShift}. */
export interface ConditionalShiftOptions extends SyntheticSizeOptions {
  /** Number of classes `C`. Default 3. */
  readonly numClasses?: number;
  /** Number of features `d`. Default 2. */
  readonly dim?: number;
  /** Radius `r` of the circle the source class means lie on. Default 3. */
  readonly separation?: number;
  /** Source within-class standard deviation `σ`. Default 1. */
  readonly std?: number;
  /** Length `δ` of each class's offset `b_c` when the offsets are drawn at random. Default 1.5. */
  readonly shift?: number;
  /** The offsets `b_c` themselves (`C` arrays of `d` numbers); overrides `shift`. */
  readonly offsets?: readonly (readonly number[])[];
  /** Scale `s` of the target's within-class spread (target std `s · σ`). Default 1. */
  readonly scale?: number;
  /** Class proportions `π`, the same in both domains. Default uniform. */
  readonly priors?: readonly number[];
}

/** What {@link conditionalShift} knows. */
export interface ConditionalShiftTruth {
  /** Source class means `m_c` (`C × d`). */
  readonly sourceClassMeans: Matrix;
  /** Target class means `m_c + b_c` (`C × d`). */
  readonly targetClassMeans: Matrix;
  /** The per-class offsets `b_c` (`C × d`). */
  readonly offsets: Matrix;
  readonly sourceStd: number;
  /** `s · σ`. */
  readonly targetStd: number;
  /** `π`, shared by both domains. */
  readonly priors: Float64Array;
  /** Samples per class in each part (the same proportions everywhere). */
  readonly counts: { readonly source: Int32Array; readonly target: Int32Array; readonly targetTest: Int32Array };
}

/**
 * Conditional shift: `p(y)` stays, the class-conditional `p(x | y)` changes by a class-specific
 * location-scale transform (Zhang, Schölkopf, Muandet & Wang, *Domain adaptation under target
 * and conditional shift*, ICML 2013, §4 location-scale model).
 *
 * Model: source `x | y = c ~ N(m_c, σ² I)`, target and target test
 * `x | y = c ~ N(m_c + b_c, (s σ)² I)`, i.e. `x_t = m_c + b_c + s · (x_s − m_c)` in
 * distribution. `m_c = r · (cos 2πc/C, sin 2πc/C, 0, …)` (`r · c` when `d = 1`). The offsets
 * `b_c` are `options.offsets`, or seeded random directions of length `δ` (uniform on the
 * sphere). Both domains have exactly `round(n · π(c))` samples of class `c`. A classifier
 * fitted on the source misplaces the moved classes; methods that match class-conditional
 * distributions (JDA, CDAN) are meant to fix that.
 *
 * @param options - sizes, seed, `numClasses`, `dim`, `separation`, `std`, `shift` or `offsets`,
 *   `scale`, `priors` (defaults above; 200 samples per part, seed 0).
 * @throws TlkitError `INVALID_ARGUMENT` naming the bad option.
 * @example
 * ```ts
 * const task = conditionalShift({ offsets: [[2, 0], [0, 0], [0, -2]], seed: 1 });
 * task.truth.targetClassMeans.toRows(); // [[5, 0], [-1.5, 2.598…], [-1.5, -4.598…]]
 * ```
 */
export function conditionalShift(options: ConditionalShiftOptions = {}): SyntheticTask<ConditionalShiftTruth> {
  const { nSource, nTarget, nTest, seed } = sizeOptions(options, 'conditionalShift', ['numClasses', 'dim', 'separation', 'std', 'shift', 'offsets', 'scale', 'priors']);
  const numClasses = integerOption(options.numClasses, 3, 'numClasses', 2);
  const dim = integerOption(options.dim, 2, 'dim', 1);
  const separation = numberOption(options.separation, 3, 'separation', 'nonNegative');
  const sourceStd = numberOption(options.std, 1, 'std', 'positive');
  const shift = numberOption(options.shift, 1.5, 'shift', 'nonNegative');
  const scale = numberOption(options.scale, 1, 'scale', 'positive');
  const uniform = Array.from({ length: numClasses }, () => 1 / numClasses);
  const priors = priorsOption(options.priors, uniform, 'priors', numClasses);

  const rng = createRng(seed);
  let offsets: Matrix;
  if (options.offsets !== undefined) {
    const given = options.offsets;
    if (
      !Array.isArray(given) ||
      given.length !== numClasses ||
      !given.every((row) => Array.isArray(row) && row.length === dim && row.every((value) => Number.isFinite(value)))
    ) {
      throw new TlkitError(
        'INVALID_ARGUMENT',
        `options.offsets must be ${numClasses} arrays (one per class) of ${dim} finite numbers.`,
        { argument: 'options.offsets' },
      );
    }
    offsets = Matrix.fromRows(given);
  } else {
    offsets = new Matrix(numClasses, dim);
    const stream = rng.fork('offsets');
    for (let c = 0; c < numClasses; c++) {
      const direction = offsets.row(c);
      let norm = 0;
      while (norm === 0) {
        norm = 0;
        for (let j = 0; j < dim; j++) {
          direction[j] = stream.normal();
          norm += direction[j] * direction[j];
        }
        norm = Math.sqrt(norm);
      }
      for (let j = 0; j < dim; j++) direction[j] *= shift / norm;
    }
  }

  const sourceClassMeans = circleClassMeans(numClasses, dim, separation);
  const targetClassMeans = sourceClassMeans.clone();
  for (let k = 0; k < targetClassMeans.data.length; k++) targetClassMeans.data[k] += offsets.data[k];
  const targetStd = scale * sourceStd;
  const counts = {
    source: exactClassCounts(nSource, priors),
    target: exactClassCounts(nTarget, priors),
    targetTest: exactClassCounts(nTest, priors),
  };
  const part = (name: 'source' | 'target' | 'targetTest') => {
    const stream = rng.fork(name);
    const y = shuffledLabels(counts[name], stream);
    const X =
      name === 'source'
        ? gaussianClassSamples(y, sourceClassMeans, sourceStd, stream)
        : gaussianClassSamples(y, targetClassMeans, targetStd, stream);
    return { X, y, name };
  };
  return {
    source: part('source'),
    target: part('target'),
    targetTest: part('targetTest'),
    problem: 'classification',
    numClasses,
    truth: { sourceClassMeans, targetClassMeans, offsets, sourceStd, targetStd, priors, counts },
    description: `conditional shift (C = ${numClasses}, d = ${dim}): source x | y = c ~ N(m_c, ${sourceStd}² I), target x | y = c ~ N(m_c + b_c, ${targetStd}² I), offsets b_c = ${offsets
      .toRows()
      .map((row) => formatVector(row))
      .join(', ')}; p(y) = ${formatVector(priors)} in both`,
  };
}
