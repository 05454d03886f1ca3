import { checkLabelPair, checkNumClasses } from './checks';

/**
 * Fraction of samples whose predicted class equals the true class.
 *
 * @param yTrue - true class ids (integers ≥ 0), one per sample.
 * @param yPred - predicted class ids, same length.
 * @returns a number in [0, 1].
 * @throws TlkitError `DIMENSION_MISMATCH` (lengths differ), `EMPTY_DOMAIN` (no samples),
 * `NON_FINITE_INPUT`, `LABEL_NOT_INTEGER`, `LABEL_OUT_OF_RANGE` (negative label).
 *
 * @example
 * ```ts
 * accuracy([0, 1, 2, 2], [0, 2, 2, 2]); // 0.75
 * ```
 */
export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkLabelPair(yTrue, yPred);
  let correct = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) correct++;
  return correct / yTrue.length;
}

/**
 * The confusion matrix: `counts[t][p]` is the number of samples of true class `t` predicted as
 * class `p` (rows = true class, columns = predicted class, the convention of scikit-learn's
 * `confusion_matrix`).
 *
 * @param yTrue - true class ids in `0..numClasses-1`.
 * @param yPred - predicted class ids in `0..numClasses-1`, same length.
 * @param numClasses - number of classes `C` (≥ 2); the result is `C x C`.
 * @throws TlkitError `DIMENSION_MISMATCH`, `EMPTY_DOMAIN`, `INVALID_ARGUMENT` (bad `numClasses`),
 * `NON_FINITE_INPUT`, `LABEL_NOT_INTEGER`, `LABEL_OUT_OF_RANGE`.
 *
 * @example
 * ```ts
 * confusionMatrix([0, 1, 1], [0, 1, 0], 2); // [[1, 0], [1, 1]]
 * ```
 */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): number[][] {
  checkNumClasses(numClasses);
  checkLabelPair(yTrue, yPred, numClasses);
  const counts: number[][] = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) counts[yTrue[i]][yPred[i]]++;
  return counts;
}

/** Precision, recall and F1 of one class, with its support. */
export interface ClassScores {
  /** The class id. */
  readonly label: number;
  /** TP / (TP + FP); 0 when the class is never predicted (see {@link precisionRecallF1}). */
  readonly precision: number;
  /** TP / (TP + FN); 0 when the class never occurs in `yTrue`. */
  readonly recall: number;
  /** 2PR / (P + R); 0 when P + R = 0. */
  readonly f1: number;
  /** Number of samples whose true class is this one. */
  readonly support: number;
}

/** An average of per-class precision, recall and F1. */
export interface AveragedScores {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

/** The result of {@link precisionRecallF1}. */
export interface PrecisionRecallF1 {
  /** One entry per class id `0..numClasses-1`. */
  readonly perClass: readonly ClassScores[];
  /**
   * Unweighted mean over the classes that occur in `yTrue` or `yPred` (classes that occur in
   * neither have undefined scores and are left out, as scikit-learn does when `labels` is not given).
   */
  readonly macro: AveragedScores;
  /** Mean over classes weighted by support (true count); equals `Σ support_c · score_c / n`. */
  readonly weighted: AveragedScores;
  /** The class ids that the macro average is taken over. */
  readonly averagedLabels: readonly number[];
}

/**
 * Per-class precision, recall and F1, with macro and support-weighted averages.
 *
 * For class `c` with true positives TP, false positives FP and false negatives FN:
 * precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2·precision·recall / (precision + recall)
 * (van Rijsbergen's F-measure with β = 1; Manning, Raghavan & Schütze, *Introduction to Information
 * Retrieval*, 2008, §8.3).
 *
 * **Zero-division convention** (scikit-learn's `zero_division=0`): a ratio whose denominator is 0
 * is 0 — precision of a class that is never predicted, recall of a class absent from `yTrue`,
 * and F1 when precision + recall = 0. The macro average is over the classes present in `yTrue`
 * or `yPred` only; a class present in neither is reported with zeros and support 0 and does not
 * lower the macro average.
 *
 * @param yTrue - true class ids in `0..numClasses-1`.
 * @param yPred - predicted class ids in `0..numClasses-1`, same length.
 * @param numClasses - number of classes (≥ 2).
 * @throws TlkitError as {@link confusionMatrix}.
 *
 * @example
 * ```ts
 * const scores = precisionRecallF1([0, 0, 1, 1], [0, 1, 1, 1], 2);
 * scores.perClass[1].precision; // 2/3
 * scores.macro.f1;              // (2/3 + 4/5) / 2
 * ```
 */
export function precisionRecallF1(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  numClasses: number,
): PrecisionRecallF1 {
  const counts = confusionMatrix(yTrue, yPred, numClasses);
  return scoresFromConfusion(counts);
}

/** Per-class and averaged scores from a confusion matrix (rows true, columns predicted). @internal */
export function scoresFromConfusion(counts: readonly (readonly number[])[]): PrecisionRecallF1 {
  const numClasses = counts.length;
  const predictedTotals = new Array<number>(numClasses).fill(0);
  const trueTotals = new Array<number>(numClasses).fill(0);
  let total = 0;
  for (let t = 0; t < numClasses; t++) {
    for (let p = 0; p < numClasses; p++) {
      trueTotals[t] += counts[t][p];
      predictedTotals[p] += counts[t][p];
      total += counts[t][p];
    }
  }
  const ratio = (numerator: number, denominator: number) => (denominator === 0 ? 0 : numerator / denominator);
  const perClass: ClassScores[] = [];
  const averagedLabels: number[] = [];
  const macroSum = { precision: 0, recall: 0, f1: 0 };
  const weightedSum = { precision: 0, recall: 0, f1: 0 };
  for (let c = 0; c < numClasses; c++) {
    const truePositives = counts[c][c];
    const precision = ratio(truePositives, predictedTotals[c]);
    const recall = ratio(truePositives, trueTotals[c]);
    const f1 = ratio(2 * precision * recall, precision + recall);
    perClass.push({ label: c, precision, recall, f1, support: trueTotals[c] });
    if (trueTotals[c] > 0 || predictedTotals[c] > 0) {
      averagedLabels.push(c);
      macroSum.precision += precision;
      macroSum.recall += recall;
      macroSum.f1 += f1;
    }
    weightedSum.precision += trueTotals[c] * precision;
    weightedSum.recall += trueTotals[c] * recall;
    weightedSum.f1 += trueTotals[c] * f1;
  }
  const averaged = averagedLabels.length;
  return {
    perClass,
    macro: {
      precision: ratio(macroSum.precision, averaged),
      recall: ratio(macroSum.recall, averaged),
      f1: ratio(macroSum.f1, averaged),
    },
    weighted: {
      precision: ratio(weightedSum.precision, total),
      recall: ratio(weightedSum.recall, total),
      f1: ratio(weightedSum.f1, total),
    },
    averagedLabels,
  };
}

/**
 * Balanced accuracy: the mean recall over the classes that occur in `yTrue` (Brodersen et al.,
 * *The balanced accuracy and its posterior distribution*, ICPR 2010; scikit-learn's
 * `balanced_accuracy_score` without adjustment). Classes absent from `yTrue` are left out.
 *
 * @param yTrue - true class ids in `0..numClasses-1`.
 * @param yPred - predicted class ids, same length.
 * @param numClasses - number of classes (≥ 2).
 *
 * @example
 * ```ts
 * balancedAccuracy([0, 0, 0, 1], [0, 0, 0, 0], 2); // (1 + 0) / 2 = 0.5
 * ```
 */
export function balancedAccuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): number {
  const counts = confusionMatrix(yTrue, yPred, numClasses);
  return balancedAccuracyFromConfusion(counts);
}

/** Balanced accuracy from a confusion matrix. @internal */
export function balancedAccuracyFromConfusion(counts: readonly (readonly number[])[]): number {
  let recallSum = 0;
  let present = 0;
  for (let t = 0; t < counts.length; t++) {
    let support = 0;
    for (let p = 0; p < counts.length; p++) support += counts[t][p];
    if (support > 0) {
      recallSum += counts[t][t] / support;
      present++;
    }
  }
  return recallSum / present;
}
