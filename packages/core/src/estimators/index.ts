// Public exports of the base estimators (re-exported by the package index).
import { knnPlugin } from './knn';
import { logisticRegressionPlugin } from './logistic-regression';
import { ridgePlugin } from './ridge';
import { svcPlugin } from './svc';
import { svmPlugin } from './svm';

export { fitKnn, knn, knnConfigSchema, knnPlugin } from './knn';
export type { KnnFitOptions, KnnModel, KnnNeighbors, KnnOptions, KnnWeighting } from './knn';
export {
  fitLogisticRegression,
  logisticRegression,
  logisticRegressionConfigSchema,
  logisticRegressionPlugin,
} from './logistic-regression';
export type { LogisticRegressionFitOptions, LogisticRegressionModel, LogisticRegressionOptions } from './logistic-regression';
export { fitRidge, ridge, ridgeConfigSchema, ridgePlugin } from './ridge';
export type { RidgeFitOptions, RidgeModel, RidgeOptions, RidgeSolver } from './ridge';
export { fitLinearSvm, SVM_C_GRID, solveLinearSvmDual, svm, svmConfigSchema, svmPlugin } from './svm';
export type {
  LinearSvmDualOptions,
  LinearSvmDualSolution,
  LinearSvmFitOptions,
  LinearSvmModel,
  SvmCrossValidation,
  SvmLoss,
  SvmOptions,
} from './svm';
export { fitSvc, solveSvcDual, svc, SVC_C_GRID, svcConfigSchema, svcPlugin } from './svc';
export type { SvcCrossValidation, SvcDualOptions, SvcDualSolution, SvcFitOptions, SvcModel, SvcOptions } from './svc';
export { proxyADistance } from './proxy-a-distance';
export type { ProxyADistanceOptions, ProxyADistanceResult } from './proxy-a-distance';
export { minimizeLbfgs } from './lbfgs';
export type { LbfgsObjective, LbfgsOptions, LbfgsResult, LbfgsStopReason } from './lbfgs';

/** The base estimator plugins, for `registerPlugin(baseEstimatorPlugins)`. */
export const baseEstimatorPlugins = [knnPlugin, logisticRegressionPlugin, ridgePlugin, svmPlugin, svcPlugin] as const;
