import { TlkitError } from '../errors';
import { Matrix } from '../matrix';
import { checkArrayLike, checkClassLabels, checkFiniteValues, checkNonEmpty, checkSameLength } from './checks';

/**
 * Sum of the mid-ranks (1-based; tied values share the mean of the ranks they span) of the
 * entries of `scores` whose `isPositive` flag is set.
 */
function positiveRankSum(scores: ArrayLike<number>, isPositive: (index: number) => boolean): number {
  const n = scores.length;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => scores[a] - scores[b]);
  let rankSum = 0;
  let start = 0;
  while (start < n) {
    let end = start + 1;
    while (end < n && scores[order[end]] === scores[order[start]]) end++;
    // Positions start..end-1 (0-based) hold ranks start+1..end; their mean is (start + 1 + end) / 2.
    const midRank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) if (isPositive(order[k])) rankSum += midRank;
    start = end;
  }
  return rankSum;
}

/** AUC of binary flags against scores via the Mann–Whitney U statistic; null if one group is empty. */
function binaryAuc(scores: ArrayLike<number>, isPositive: (index: number) => boolean): number | null {
  let positives = 0;
  for (let i = 0; i < scores.length; i++) if (isPositive(i)) positives++;
  const negatives = scores.length - positives;
  if (positives === 0 || negatives === 0) return null;
  const rankSum = positiveRankSum(scores, isPositive);
  const u = rankSum - (positives * (positives + 1)) / 2;
  return u / (positives * negatives);
}

/** One-vs-rest ROC AUC per class and their macro average. */
export interface OneVsRestAuc {
  /** AUC of class `c` against the rest, scored by column `c`; `null` when `c` is absent from `yTrue`. */
  readonly perClass: readonly (number | null)[];
  /** Unweighted mean of the non-null per-class AUCs. */
  readonly macro: number;
  /** The class ids the macro average is taken over (those present in `yTrue`). */
  readonly averagedLabels: readonly number[];
}

/**
 * One-vs-rest ROC AUC of a multi-class problem: for each class `c`, the binary AUC of
 * "true class is `c`" scored by `probabilities[:, c]`, then the unweighted (macro) mean
 * (Provost & Domingos 2000; Fawcett, *An introduction to ROC analysis*, Pattern Recognition
 * Letters 27, 2006, §10; scikit-learn's `roc_auc_score(multi_class='ovr', average='macro')`).
 *
 * Classes absent from `yTrue` have no positives, so their AUC is undefined: they are reported
 * as `null` and left out of the macro mean (scikit-learn raises instead). At least two classes
 * must occur in `yTrue`.
 *
 * @param yTrue - true class ids in `0..C-1`, where `C = probabilities.cols`.
 * @param probabilities - `n x C` scores (class probabilities or any per-class scores; only their
 *   order within each column matters).
 * @throws TlkitError `DIMENSION_MISMATCH` (rows ≠ labels), `EMPTY_DOMAIN`, `INVALID_ARGUMENT`
 * (fewer than 2 columns), `NON_FINITE_INPUT`, `LABEL_NOT_INTEGER`, `LABEL_OUT_OF_RANGE`,
 * `TOO_FEW_SAMPLES` (fewer than two classes in `yTrue`).
 *
 * @example
 * ```ts
 * const probabilities = Matrix.fromRows([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.3, 0.6]]);
 * rocAucOneVsRest([0, 1, 2], probabilities).macro; // 1
 * ```
 */
export function rocAucOneVsRest(yTrue: ArrayLike<number>, probabilities: Matrix): OneVsRestAuc {
  checkArrayLike(yTrue, 'yTrue');
  if (!(probabilities instanceof Matrix)) {
    throw new TlkitError('INVALID_ARGUMENT', 'probabilities must be a Matrix (n x numClasses).', {
      argument: 'probabilities',
    });
  }
  checkNonEmpty(yTrue, 'yTrue');
  if (probabilities.rows !== yTrue.length) {
    throw new TlkitError(
      'DIMENSION_MISMATCH',
      `probabilities has ${probabilities.rows} rows but yTrue has ${yTrue.length} labels; pass one row of class scores per sample.`,
      { argument: 'probabilities', expected: yTrue.length, actual: probabilities.rows },
    );
  }
  const numClasses = probabilities.cols;
  if (numClasses < 2) {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `probabilities has ${numClasses} column(s); pass one column per class (≥ 2), or call rocAuc(yTrue, scores) with a score array for a binary problem.`,
      { argument: 'probabilities' },
    );
  }
  checkClassLabels(yTrue, 'yTrue', numClasses);
  checkFiniteValues(probabilities.data, 'probabilities.data');
  const perClass: (number | null)[] = [];
  const averagedLabels: number[] = [];
  let sum = 0;
  for (let c = 0; c < numClasses; c++) {
    const column = probabilities.column(c);
    const auc = binaryAuc(column, (i) => yTrue[i] === c);
    perClass.push(auc);
    if (auc !== null) {
      averagedLabels.push(c);
      sum += auc;
    }
  }
  if (averagedLabels.length < 2) {
    throw new TlkitError(
      'TOO_FEW_SAMPLES',
      'yTrue contains only one class; ROC AUC needs samples of at least two classes.',
      { argument: 'yTrue' },
    );
  }
  return { perClass, macro: sum / averagedLabels.length, averagedLabels };
}

/**
 * Area under the ROC curve.
 *
 * - Binary (`scores` an array): `yTrue` holds 0/1 and `scores` a score per sample, higher meaning
 *   "more likely 1". Computed exactly as the Mann–Whitney statistic
 *   `AUC = (R₁ − n₁(n₁+1)/2) / (n₁·n₀)`, where `R₁` is the sum of the ranks of the positives and
 *   tied scores get their mid-rank, so a tied positive–negative pair counts ½ (Hanley & McNeil,
 *   *Radiology* 143, 1982; Mann & Whitney 1947). O(n log n).
 * - Multi-class (`scores` a {@link Matrix} `n x C`): the one-vs-rest macro average, see
 *   {@link rocAucOneVsRest}.
 *
 * @throws TlkitError `DIMENSION_MISMATCH`, `EMPTY_DOMAIN`, `NON_FINITE_INPUT`, `LABEL_NOT_INTEGER`,
 * `LABEL_OUT_OF_RANGE` (binary labels other than 0/1), `TOO_FEW_SAMPLES` (only one class present).
 *
 * @example
 * ```ts
 * rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]); // 0.75
 * rocAuc([0, 1], [0.5, 0.5]);                  // 0.5 (a tie)
 * ```
 */
export function rocAuc(yTrue: ArrayLike<number>, scores: ArrayLike<number> | Matrix): number {
  if (scores instanceof Matrix) return rocAucOneVsRest(yTrue, scores).macro;
  checkArrayLike(yTrue, 'yTrue');
  checkArrayLike(scores, 'scores');
  checkNonEmpty(yTrue, 'yTrue');
  checkSameLength(yTrue, scores, 'yTrue', 'scores');
  checkClassLabels(yTrue, 'yTrue', 2);
  checkFiniteValues(scores, 'scores');
  const auc = binaryAuc(scores, (i) => yTrue[i] === 1);
  if (auc === null) {
    throw new TlkitError(
      'TOO_FEW_SAMPLES',
      'yTrue contains only one class; ROC AUC needs at least one positive (1) and one negative (0) sample.',
      { argument: 'yTrue' },
    );
  }
  return auc;
}
