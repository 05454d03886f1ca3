import { TlkitError } from '../errors';
import { assertSeed, createRng, type Rng } from '../rng';
import { checkArrayLike, checkFiniteValues, checkSameLength } from '../metrics/checks';

/** One train/test partition of the sample indices `0..n-1`; both lists are sorted ascending. */
export interface Split {
  readonly train: Int32Array;
  readonly test: Int32Array;
}

/** Options of {@link holdOutSplit}. */
export interface HoldOutOptions {
  /** Fraction of samples in the test part, in (0, 1). Default 0.25. */
  readonly testFraction?: number;
  /** Seed of the shuffle. Default 0. */
  readonly seed?: number;
  /** Labels to stratify on (one per sample): each class keeps its share in both parts. */
  readonly stratify?: ArrayLike<number>;
}

/** Options of {@link kFoldSplits}. */
export interface KFoldOptions {
  /** Number of folds, `2 ≤ k ≤ n`. Default 5. */
  readonly k?: number;
  /** Seed of the shuffle. Default 0. */
  readonly seed?: number;
  /** Labels to stratify on (one per sample): each fold keeps the class proportions. */
  readonly stratify?: ArrayLike<number>;
}

function checkSampleCount(n: unknown, minimum: number): asserts n is number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < minimum) {
    throw new TlkitError(
      typeof n === 'number' && Number.isInteger(n) && n >= 0 ? 'TOO_FEW_SAMPLES' : 'INVALID_ARGUMENT',
      `n must be an integer ≥ ${minimum} (the number of samples to split), got ${String(n)}.`,
      { argument: 'n' },
    );
  }
}

function checkSeedOption(seed: unknown): number {
  if (seed === undefined) return 0;
  assertSeed(seed, 'options.seed');
  return seed;
}

/** Groups sample indices by label value, groups ordered by ascending label. */
function groupByLabel(labels: ArrayLike<number>, n: number): Int32Array[] {
  checkArrayLike(labels, 'options.stratify');
  const indexPlaceholder = new Int32Array(n);
  checkSameLength(indexPlaceholder, labels, 'n', 'options.stratify');
  checkFiniteValues(labels, 'options.stratify');
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const members = groups.get(labels[i]);
    if (members) members.push(i);
    else groups.set(labels[i], [i]);
  }
  return [...groups.keys()].sort((a, b) => a - b).map((label) => Int32Array.from(groups.get(label) as number[]));
}

function shuffledCopy(values: Int32Array, rng: Rng): Int32Array {
  return rng.shuffle(values.slice());
}

/** The sorted complement of `test` in 0..n-1, and `test` sorted. */
function splitFromTestMask(isTest: Uint8Array): Split {
  let testCount = 0;
  for (let i = 0; i < isTest.length; i++) testCount += isTest[i];
  const train = new Int32Array(isTest.length - testCount);
  const test = new Int32Array(testCount);
  let trainCursor = 0;
  let testCursor = 0;
  for (let i = 0; i < isTest.length; i++) {
    if (isTest[i]) test[testCursor++] = i;
    else train[trainCursor++] = i;
  }
  return { train, test };
}

/**
 * Splits `total` items into parts proportional to `sizes` with whole numbers, by the largest
 * remainder (Hamilton) method: floor every quota, then give the leftover units to the largest
 * fractional parts (ties to the earlier part).
 */
function largestRemainder(sizes: readonly number[], total: number): number[] {
  const sum = sizes.reduce((a, b) => a + b, 0);
  const quotas = sizes.map((size) => (size * total) / sum);
  const counts = quotas.map(Math.floor);
  let leftover = total - counts.reduce((a, b) => a + b, 0);
  const order = quotas.map((quota, index) => ({ index, remainder: quota - Math.floor(quota) }));
  order.sort((a, b) => b.remainder - a.remainder || a.index - b.index);
  for (const { index } of order) {
    if (leftover === 0) break;
    counts[index]++;
    leftover--;
  }
  return counts;
}

/**
 * A seeded random hold-out split (train / test) of the indices `0..n-1`.
 *
 * The test part has `round(testFraction · n)` samples (at least 1, at most n − 1). With
 * `stratify`, every class gets a whole-number share of the test part proportional to its size
 * (largest-remainder rounding), drawn at random from that class, so class ratios in both parts
 * match the full set as closely as whole numbers allow (the stratified hold-out of Kohavi,
 * IJCAI 1995). Both returned index lists are sorted ascending.
 *
 * @param n - number of samples (≥ 2).
 * @param options - `testFraction` (default 0.25), `seed` (default 0), `stratify` (labels).
 * @throws TlkitError `INVALID_ARGUMENT` (bad n, fraction or seed), `TOO_FEW_SAMPLES` (n < 2),
 * `DIMENSION_MISMATCH` (stratify length ≠ n), `NON_FINITE_INPUT`.
 *
 * @example
 * ```ts
 * const { train, test } = holdOutSplit(100, { testFraction: 0.2, seed: 7, stratify: labels });
 * const Xtrain = X.selectRows(train);
 * ```
 */
export function holdOutSplit(n: number, options: HoldOutOptions = {}): Split {
  checkSampleCount(n, 2);
  const testFraction = options.testFraction ?? 0.25;
  if (typeof testFraction !== 'number' || !(testFraction > 0 && testFraction < 1)) {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `options.testFraction must be a number strictly between 0 and 1, got ${String(testFraction)}.`,
      { argument: 'options.testFraction' },
    );
  }
  const seed = checkSeedOption(options.seed);
  const groups = options.stratify !== undefined ? groupByLabel(options.stratify, n) : undefined;
  const testCount = Math.min(n - 1, Math.max(1, Math.round(testFraction * n)));
  const rng = createRng(seed);
  const isTest = new Uint8Array(n);
  if (!groups) {
    const order = rng.permutation(n);
    for (let k = 0; k < testCount; k++) isTest[order[k]] = 1;
  } else {
    const shares = largestRemainder(
      groups.map((group) => group.length),
      testCount,
    );
    groups.forEach((group, index) => {
      const shuffled = shuffledCopy(group, rng);
      for (let k = 0; k < shares[index]; k++) isTest[shuffled[k]] = 1;
    });
  }
  return splitFromTestMask(isTest);
}

/**
 * Seeded k-fold cross-validation splits of `0..n-1` (Stone 1974; Kohavi, IJCAI 1995).
 *
 * Without `stratify`: a random permutation cut into `k` consecutive folds; the first `n mod k`
 * folds have one extra sample. With `stratify`: the samples of each class are shuffled, the
 * classes are laid end to end (ascending label), and the sample at position `p` of that list
 * goes to fold `p mod k` — so every fold holds ⌊n_c/k⌋ or ⌈n_c/k⌉ samples of each class `c`, and
 * fold sizes differ by at most one. A class with fewer than `k` samples is missing from some
 * test folds (allowed). Each fold's `test` is that fold; `train` is every other index.
 * The test folds partition `0..n-1`.
 *
 * @param n - number of samples (≥ k).
 * @param options - `k` (default 5), `seed` (default 0), `stratify` (labels).
 * @throws TlkitError `INVALID_ARGUMENT` (k not an integer ≥ 2, bad seed), `TOO_FEW_SAMPLES`
 * (n < k), `DIMENSION_MISMATCH`, `NON_FINITE_INPUT`.
 *
 * @example
 * ```ts
 * for (const { train, test } of kFoldSplits(X.rows, { k: 5, seed: 1, stratify: y })) {
 *   // fit on X.selectRows(train), score on X.selectRows(test)
 * }
 * ```
 */
export function kFoldSplits(n: number, options: KFoldOptions = {}): Split[] {
  const k = options.k ?? 5;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 2) {
    throw new TlkitError('INVALID_ARGUMENT', `options.k must be an integer ≥ 2, got ${String(k)}.`, {
      argument: 'options.k',
    });
  }
  checkSampleCount(n, 2);
  if (n < k) {
    throw new TlkitError(
      'TOO_FEW_SAMPLES',
      `k-fold with k = ${k} needs at least ${k} samples, got n = ${n}; lower options.k.`,
      { argument: 'options.k' },
    );
  }
  const seed = checkSeedOption(options.seed);
  const groups = options.stratify !== undefined ? groupByLabel(options.stratify, n) : undefined;
  const rng = createRng(seed);
  const foldOf = new Int32Array(n);
  if (!groups) {
    const order = rng.permutation(n);
    const base = Math.floor(n / k);
    const extra = n % k;
    let position = 0;
    for (let fold = 0; fold < k; fold++) {
      const size = base + (fold < extra ? 1 : 0);
      for (let s = 0; s < size; s++) foldOf[order[position++]] = fold;
    }
  } else {
    let position = 0;
    for (const group of groups) {
      const shuffled = shuffledCopy(group, rng);
      for (let s = 0; s < shuffled.length; s++) foldOf[shuffled[s]] = position++ % k;
    }
  }
  const splits: Split[] = [];
  for (let fold = 0; fold < k; fold++) {
    const isTest = new Uint8Array(n);
    for (let i = 0; i < n; i++) if (foldOf[i] === fold) isTest[i] = 1;
    splits.push(splitFromTestMask(isTest));
  }
  return splits;
}

/**
 * Leave-one-out splits: `n` splits, split `i` tests on sample `i` alone and trains on the rest
 * (Lachenbruch & Mickey 1968). Deterministic.
 *
 * @param n - number of samples (≥ 2).
 * @throws TlkitError `INVALID_ARGUMENT`, `TOO_FEW_SAMPLES` (n < 2).
 *
 * @example
 * ```ts
 * leaveOneOutSplits(3)[1]; // { train: Int32Array [0, 2], test: Int32Array [1] }
 * ```
 */
export function leaveOneOutSplits(n: number): Split[] {
  checkSampleCount(n, 2);
  const splits: Split[] = [];
  for (let i = 0; i < n; i++) {
    const train = new Int32Array(n - 1);
    for (let j = 0, cursor = 0; j < n; j++) if (j !== i) train[cursor++] = j;
    splits.push({ train, test: Int32Array.of(i) });
  }
  return splits;
}
