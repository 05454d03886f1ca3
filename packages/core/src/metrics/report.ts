import { TlkitError, isTlkitError } from '../errors';
import { Matrix } from '../matrix';
import { checkNumClasses, checkValuePair } from './checks';
import {
  type AveragedScores,
  type ClassScores,
  balancedAccuracyFromConfusion,
  confusionMatrix,
  scoresFromConfusion,
} from './classification';
import { rocAucOneVsRest } from './roc-auc';

/** Options of {@link scoreClassification}. */
export interface ScoreClassificationOptions {
  /** Number of classes `C` (≥ 2); labels must lie in `0..C-1`. */
  readonly numClasses: number;
  /** Optional `n x C` class probabilities (or scores); adds one-vs-rest ROC AUC to the report. */
  readonly probabilities?: Matrix;
}

/** A classification report as plain JSON (what the CLI prints). */
export interface ClassificationScores {
  readonly numSamples: number;
  readonly numClasses: number;
  /** Fraction correct. */
  readonly accuracy: number;
  /** Mean recall over the classes present in `yTrue`. */
  readonly balancedAccuracy: number;
  /** Unweighted mean over the classes present in `yTrue` or `yPred` (zero-division → 0). */
  readonly macro: AveragedScores;
  /** Support-weighted mean over classes. */
  readonly weighted: AveragedScores;
  /** Precision, recall, F1 and support of every class `0..C-1`. */
  readonly perClass: readonly ClassScores[];
  /** `confusionMatrix[t][p]`: samples of true class `t` predicted as `p`. */
  readonly confusionMatrix: readonly (readonly number[])[];
  /**
   * One-vs-rest ROC AUC, present only when `probabilities` were given: the macro mean and one
   * value per class (`null` for a class absent from `yTrue`). `macro` is `null` when `yTrue`
   * holds a single class.
   */
  readonly rocAuc?: { readonly macro: number | null; readonly perClass: readonly (number | null)[] };
}

/**
 * Scores a classifier's predictions: accuracy, balanced accuracy, per-class and averaged
 * precision/recall/F1 (see {@link precisionRecallF1} for the zero-division convention), the
 * confusion matrix and, given class probabilities, one-vs-rest ROC AUC — all as a plain JSON
 * object, the classification analogue of scikit-learn's `classification_report`.
 *
 * @param yTrue - true class ids in `0..numClasses-1`.
 * @param yPred - predicted class ids, same length.
 * @param options - `numClasses` (required) and optional `probabilities` (`n x numClasses`).
 * @throws TlkitError `DIMENSION_MISMATCH`, `EMPTY_DOMAIN`, `INVALID_ARGUMENT`, `NON_FINITE_INPUT`,
 * `LABEL_NOT_INTEGER`, `LABEL_OUT_OF_RANGE`.
 *
 * @example
 * ```ts
 * const report = scoreClassification([0, 1, 2, 2], [0, 2, 2, 2], { numClasses: 3 });
 * report.accuracy;        // 0.75
 * report.confusionMatrix; // [[1, 0, 0], [0, 0, 1], [0, 0, 2]]
 * console.log(JSON.stringify(report, null, 2));
 * ```
 */
export function scoreClassification(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  options: ScoreClassificationOptions,
): ClassificationScores {
  if (!options || typeof options !== 'object') {
    throw new TlkitError('INVALID_ARGUMENT', 'options must be an object { numClasses, probabilities? }.', {
      argument: 'options',
    });
  }
  const { numClasses, probabilities } = options;
  checkNumClasses(numClasses, 'options.numClasses');
  const counts = confusionMatrix(yTrue, yPred, numClasses);
  if (probabilities !== undefined) {
    if (!(probabilities instanceof Matrix) || probabilities.cols !== numClasses) {
      throw new TlkitError(
        'DIMENSION_MISMATCH',
        `options.probabilities must be a Matrix with numClasses = ${numClasses} columns${
          probabilities instanceof Matrix ? `, got ${probabilities.cols}` : ''
        }.`,
        { argument: 'options.probabilities' },
      );
    }
  }
  const scores = scoresFromConfusion(counts);
  let rocAuc: ClassificationScores['rocAuc'];
  if (probabilities !== undefined) {
    try {
      const auc = rocAucOneVsRest(yTrue, probabilities);
      rocAuc = { macro: auc.macro, perClass: auc.perClass };
    } catch (error) {
      if (!isTlkitError(error, 'TOO_FEW_SAMPLES')) throw error;
      rocAuc = { macro: null, perClass: new Array<number | null>(numClasses).fill(null) };
    }
  }
  let correct = 0;
  for (let c = 0; c < numClasses; c++) correct += counts[c][c];
  return {
    numSamples: yTrue.length,
    numClasses,
    accuracy: correct / yTrue.length,
    balancedAccuracy: balancedAccuracyFromConfusion(counts),
    macro: scores.macro,
    weighted: scores.weighted,
    perClass: scores.perClass,
    confusionMatrix: counts,
    ...(rocAuc ? { rocAuc } : {}),
  };
}

/** A regression report as plain JSON. */
export interface RegressionScores {
  readonly numSamples: number;
  readonly meanSquaredError: number;
  /** √MSE. */
  readonly rootMeanSquaredError: number;
  readonly meanAbsoluteError: number;
  /** Coefficient of determination (see {@link r2Score} for constant targets). */
  readonly r2: number;
}

/**
 * Scores a regressor's predictions: MSE, RMSE, MAE and R² (see {@link meanSquaredError},
 * {@link meanAbsoluteError}, {@link r2Score}) as a plain JSON object, in one pass over the data.
 *
 * @throws TlkitError `DIMENSION_MISMATCH`, `EMPTY_DOMAIN`, `NON_FINITE_INPUT`.
 *
 * @example
 * ```ts
 * scoreRegression([1, 2, 3], [1, 2, 5]);
 * // { numSamples: 3, meanSquaredError: 4/3, rootMeanSquaredError: 1.1547, meanAbsoluteError: 2/3, r2: -1 }
 * ```
 */
export function scoreRegression(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): RegressionScores {
  checkValuePair(yTrue, yPred);
  const n = yTrue.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += yTrue[i];
  mean /= n;
  let squared = 0;
  let absolute = 0;
  let total = 0;
  let constant = true;
  for (let i = 0; i < n; i++) {
    const residual = yTrue[i] - yPred[i];
    const deviation = yTrue[i] - mean;
    squared += residual * residual;
    absolute += Math.abs(residual);
    total += deviation * deviation;
    if (yTrue[i] !== yTrue[0]) constant = false;
  }
  const r2 = constant || total === 0 ? (squared === 0 ? 1 : 0) : 1 - squared / total;
  return {
    numSamples: n,
    meanSquaredError: squared / n,
    rootMeanSquaredError: Math.sqrt(squared / n),
    meanAbsoluteError: absolute / n,
    r2,
  };
}
