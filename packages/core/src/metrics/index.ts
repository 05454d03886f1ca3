// Public exports of the metrics module (the lead re-exports them from the package index).
export { accuracy, balancedAccuracy, confusionMatrix, precisionRecallF1 } from './classification';
export type { AveragedScores, ClassScores, PrecisionRecallF1 } from './classification';
export { rocAuc, rocAucOneVsRest } from './roc-auc';
export type { OneVsRestAuc } from './roc-auc';
export { meanAbsoluteError, meanSquaredError, r2Score } from './regression';
export { scoreClassification, scoreRegression } from './report';
export type { ClassificationScores, RegressionScores, ScoreClassificationOptions } from './report';
