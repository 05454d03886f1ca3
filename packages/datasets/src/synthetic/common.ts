import { assertSeed, Matrix, type Rng, TlkitError, type TransferTask } from '@tlkit/core';

/** One generated domain: features, labels (class ids or regression targets) and a name. */
export interface SyntheticDomain<Labels extends Int32Array | Float64Array = Int32Array> {
  X: Matrix;
  y: Labels;
  name: string;
}

/**
 * A generated transfer task: a `TransferTask` of `@tlkit/core` (usable as it is) whose parts are
 * all labelled (the target's labels are there for scoring; the orchestrator never shows them to
 * a step), plus the ground truth the generator knows and a one-line description of the model.
 */
export interface SyntheticTask<Truth, Labels extends Int32Array | Float64Array = Int32Array> extends TransferTask {
  source: SyntheticDomain<Labels>;
  target: SyntheticDomain<Labels>;
  targetTest: SyntheticDomain<Labels>;
  /** What the generator knows and a learner should recover or respect. */
  readonly truth: Truth;
  /** The generative model in one line, with its parameter values. */
  readonly description: string;
}

/** Sizes and seed shared by every generator. */
export interface SyntheticSizeOptions {
  /** Source samples. Default 200. */
  readonly nSource?: number;
  /** Target samples (the unlabelled adaptation set). Default 200. */
  readonly nTarget?: number;
  /** Target test samples, drawn independently from the target distribution. Default 200. */
  readonly nTest?: number;
  /** Integer seed; the same options and seed always give the same task. Default 0. */
  readonly seed?: number;
}

/** @internal */
export function integerOption(value: number | undefined, fallback: number, name: string, minimum: number): number {
  const resolved = value ?? fallback;
  if (!Number.isInteger(resolved) || resolved < minimum) {
    throw new TlkitError('INVALID_ARGUMENT', `options.${name} must be an integer ≥ ${minimum}, got ${resolved}.`, {
      argument: `options.${name}`,
    });
  }
  return resolved;
}

/** `options.seed` (default 0), checked against core's seed contract (0 … 2^32 − 1). @internal */
function seedOption(value: number | undefined): number {
  const seed = value === undefined ? 0 : value; // null is not "left out"
  assertSeed(seed, 'options.seed');
  return seed;
}

/** @internal */
export function numberOption(
  value: number | undefined,
  fallback: number,
  name: string,
  constraint: 'finite' | 'positive' | 'nonNegative' = 'finite',
): number {
  const resolved = value ?? fallback;
  const ok =
    typeof resolved === 'number' &&
    Number.isFinite(resolved) &&
    (constraint === 'finite' || (constraint === 'positive' ? resolved > 0 : resolved >= 0));
  if (!ok) {
    const wanted = constraint === 'finite' ? 'a finite number' : constraint === 'positive' ? 'a number > 0' : 'a number ≥ 0';
    throw new TlkitError('INVALID_ARGUMENT', `options.${name} must be ${wanted}, got ${resolved}.`, {
      argument: `options.${name}`,
    });
  }
  return resolved;
}

/** A scalar broadcast to `dim` coordinates, or a vector of length `dim`. @internal */
export function vectorOption(value: number | readonly number[] | undefined, fallback: number, name: string, dim: number): Float64Array {
  if (value === undefined || typeof value === 'number') {
    return new Float64Array(dim).fill(numberOption(value, fallback, name));
  }
  if (!Array.isArray(value) || value.length !== dim || !value.every((entry) => Number.isFinite(entry))) {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `options.${name} must be a finite number or an array of ${dim} finite numbers (one per feature).`,
      { argument: `options.${name}` },
    );
  }
  return Float64Array.from(value);
}

/** Class probabilities: `numClasses` non-negative numbers summing to 1 (within 1e-9). @internal */
export function priorsOption(value: readonly number[] | undefined, fallback: readonly number[], name: string, numClasses: number): Float64Array {
  const priors = value ?? fallback;
  const sum = Array.isArray(priors) ? priors.reduce((total, entry) => total + entry, 0) : Number.NaN;
  if (
    !Array.isArray(priors) ||
    priors.length !== numClasses ||
    !priors.every((entry) => Number.isFinite(entry) && entry >= 0) ||
    Math.abs(sum - 1) > 1e-9
  ) {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `options.${name} must be ${numClasses} non-negative class probabilities summing to 1, got ${JSON.stringify(priors)}.`,
      { argument: `options.${name}` },
    );
  }
  return Float64Array.from(priors);
}

const SIZE_OPTIONS = ['nSource', 'nTarget', 'nTest', 'seed'] as const;

/**
 * Common sizes and seed, validated; any option that is neither one of them nor one of the
 * generator's `own` options is rejected (a misspelt option used to fall back to its default
 * without a word). @internal
 */
export function sizeOptions(
  options: SyntheticSizeOptions,
  generator: string,
  own: readonly string[],
): { nSource: number; nTarget: number; nTest: number; seed: number } {
  const known = [...SIZE_OPTIONS, ...own];
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const sameLetters = known.find((name) => name.toLowerCase() === key.toLowerCase());
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `options.${key} is not an option of ${generator}${sameLetters ? `; did you mean '${sameLetters}'?` : ''} Its options: ${known.join(', ')}.`,
      { argument: `options.${key}` },
    );
  }
  return {
    nSource: integerOption(options.nSource, 200, 'nSource', 1),
    nTarget: integerOption(options.nTarget, 200, 'nTarget', 1),
    nTest: integerOption(options.nTest, 200, 'nTest', 1),
    seed: seedOption(options.seed),
  };
}

/**
 * Splits `n` samples into classes with counts as close as possible to `n · priors`
 * (largest-remainder rounding: floor every share, then give the leftover samples to the
 * largest fractional parts, ties to the lower class id). @internal
 */
export function exactClassCounts(n: number, priors: Float64Array): Int32Array {
  const counts = new Int32Array(priors.length);
  const remainders: { label: number; fraction: number }[] = [];
  let assigned = 0;
  for (let label = 0; label < priors.length; label++) {
    const share = n * priors[label];
    counts[label] = Math.floor(share);
    assigned += counts[label];
    remainders.push({ label, fraction: share - counts[label] });
  }
  remainders.sort((a, b) => b.fraction - a.fraction || a.label - b.label);
  for (let k = 0; assigned < n; k++, assigned++) counts[remainders[k].label]++;
  return counts;
}

/** Labels with exactly `counts[c]` entries of class `c`, in random order. @internal */
export function shuffledLabels(counts: Int32Array, rng: Rng): Int32Array {
  let n = 0;
  for (const count of counts) n += count;
  const labels = new Int32Array(n);
  let position = 0;
  for (let label = 0; label < counts.length; label++) {
    labels.fill(label, position, position + counts[label]);
    position += counts[label];
  }
  return rng.shuffle(labels);
}

/**
 * Class means spread evenly on a circle of radius `separation` in the first two coordinates:
 * `m_c = separation · (cos(2πc/C), sin(2πc/C), 0, …, 0)`; on a line (`m_c = separation · c`)
 * when `dim = 1`. @internal
 */
export function circleClassMeans(numClasses: number, dim: number, separation: number): Matrix {
  const means = new Matrix(numClasses, dim);
  for (let label = 0; label < numClasses; label++) {
    if (dim === 1) {
      means.data[label] = separation * label;
    } else {
      const angle = (2 * Math.PI * label) / numClasses;
      means.data[label * dim] = separation * Math.cos(angle);
      means.data[label * dim + 1] = separation * Math.sin(angle);
    }
  }
  return means;
}

/** Rows `x_i = mean[y_i] + std · z_i`, `z_i ~ N(0, I)`. @internal */
export function gaussianClassSamples(labels: Int32Array, means: Matrix, std: number, rng: Rng): Matrix {
  const dim = means.cols;
  const X = new Matrix(labels.length, dim);
  for (let i = 0; i < labels.length; i++) {
    const meanOffset = labels[i] * dim;
    for (let j = 0; j < dim; j++) X.data[i * dim + j] = means.data[meanOffset + j] + std * rng.normal();
  }
  return X;
}

/** `values` formatted for a description. @internal */
export function formatVector(values: ArrayLike<number>): string {
  const parts = Array.from(values, (value) => Number(value.toFixed(4)).toString());
  return parts.length === 1 ? parts[0] : `(${parts.join(', ')})`;
}
