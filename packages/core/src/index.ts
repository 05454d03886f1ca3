// @tlkit/core public API: a flat list of named exports (types separately).
export { TlkitError, isTlkitError } from './errors';
export type { TlkitErrorCode, TlkitErrorDetails } from './errors';
export { didYouMean, editDistance, suggestNames } from './suggest';
export { Matrix } from './matrix';
export { assertSeed, createRng, deriveSeed, MAX_SEED } from './rng';
export type { Rng, RngState } from './rng';
export { prepareTask, toMatrix, toLabels } from './data';
export type {
  Domain,
  DomainData,
  ImageShape,
  LabeledDomainData,
  LabelsInput,
  MatrixInput,
  PreparedTask,
  ProblemType,
  TransferTask,
} from './data';
export { STRATEGY_KINDS, STRATEGY_ROLES, isStrategy } from './strategy';
export type {
  EstimatorFitInput,
  EstimatorStrategy,
  FittedEstimator,
  FittedMapping,
  LabeledSet,
  MappingStrategy,
  SpecificationVersion,
  StepContext,
  StepFitInput,
  Strategy,
  StrategyBase,
  StrategyForRole,
  StrategyImplementation,
  StrategyKind,
  StrategyNeeds,
  StrategyRole,
  TargetLabelUse,
  TrainingStrategy,
  UnlabeledSet,
  WeightingResult,
  WeightingStrategy,
} from './strategy';
export { definePlugin, isPlugin } from './plugin';
export type { Plugin, PluginDefinition, PluginStrategy } from './plugin';
export {
  getPlugin,
  hasPlugin,
  listPlugins,
  registerPlugin,
  resolveStep,
  stepOptionSchema,
  strategyToConfig,
  unregisterPlugin,
} from './registry';
export type { StepConfig, StepOption } from './registry';
export { readArray, readJson, readMatrix, storeArray, storeMatrix } from './state';
export type { JsonValue, StepState, StoredArray, StoredData, StoredDtype } from './state';
export { memoryStorage } from './storage';
export { indexedDbStorage } from './indexed-db-storage';
export type { IndexedDbStorageOptions } from './indexed-db-storage';
export type { ByteStorage } from './storage';
export type { ProgressEvent, ProgressListener, ProgressReporter } from './progress';
export { packArtifacts, unpackArtifacts } from './artifacts';
export type { ArrayReference, Artifacts, EncodedState } from './artifacts';
export { compose, FittedPipeline, loadPipeline, Pipeline } from './pipeline';
export type { FitOptions, PipelineArtifacts, PipelineManifest, StepReport, TrainOn } from './pipeline';
export { setupBackend } from './backend/setup';
export type { BackendInfo, SetupBackendOptions } from './backend/setup';
export { mlp, mlpPlugin, networkHeads, predictWithHead, trainer, trainerPlugin } from './training/trainer';
export type { InitialModel, MlpOptions, PretrainOptions, TrainerOptions } from './training/trainer';
export { exportNetwork } from './training/export-network';
export type { ExportNetworkOptions } from './training/export-network';
export { defineBackbone, isBackbone, listBackbones, mlpBackbone, registerBackbone } from './training/backbones';
export type { BackboneBuildContext, BackboneConfig, BackboneDefinition } from './training/backbones';
export { lossWeightSchema, scheduleValue } from './training/schedules';
export type { LossWeight } from './training/schedules';
export { optimizerSchema } from './training/optimizers';
export type { OptimizerOptions } from './training/optimizers';
export type { CheckpointOptions, EarlyStoppingOptions } from './training/loop';
export {
  accuracy,
  balancedAccuracy,
  confusionMatrix,
  meanAbsoluteError,
  meanSquaredError,
  precisionRecallF1,
  r2Score,
  rocAuc,
  rocAucOneVsRest,
  scoreClassification,
  scoreRegression,
} from './metrics';
export type {
  AveragedScores,
  ClassificationScores,
  ClassScores,
  OneVsRestAuc,
  PrecisionRecallF1,
  RegressionScores,
  ScoreClassificationOptions,
} from './metrics';
export {
  cholesky,
  choleskySolve,
  generalizedEigen,
  gram,
  inverse,
  inverseSqrtmSymmetric,
  luDecompose,
  luSolve,
  matmul,
  matmulTransposeA,
  matmulTransposeB,
  matvec,
  matvecTranspose,
  solve,
  solveTriangular,
  sqrtmSymmetric,
  symmetricEigen,
  thinSvd,
  topEigen,
} from './linalg';
export type {
  CholeskyOptions,
  GeneralizedEigenOptions,
  GeneralizedEigenResult,
  LuDecomposition,
  MatrixSquareRootOptions,
  SymmetricEigenOptions,
  SymmetricEigenResult,
  SymmetricOperator,
  ThinSvdOptions,
  ThinSvdResult,
  TopEigenOptions,
  TopEigenResult,
  TriangularSolveOptions,
} from './linalg';
export {
  kernelMatrix,
  linearKernel,
  medianHeuristic,
  medianHeuristicFromSquaredDistances,
  pairwiseSquaredDistances,
  polynomialKernel,
  rbfKernel,
  squaredDistanceBlocks,
} from './kernels';
export type { DomainBlocks, KernelSpec, MedianHeuristic, MedianHeuristicOptions, PolynomialKernelOptions } from './kernels';
export { coralDistance, linearTimeMmd2, mmd2, mmd2FromKernels } from './discrepancy';
export type { LinearTimeMmd2, LinearTimeMmd2Options, Mmd2Options, MmdEstimator, MmdEstimatorOptions, MmdKernel } from './discrepancy';
export { bootstrapConfidenceInterval, holdOutSplit, kFoldSplits, leaveOneOutSplits, runProtocol } from './protocols';
export type {
  BootstrapInterval,
  BootstrapOptions,
  HoldOutOptions,
  KFoldOptions,
  MetricSummary,
  PairedSample,
  ProtocolResult,
  Split,
  SplitScores,
} from './protocols';
export {
  baseEstimatorPlugins,
  fitKnn,
  fitLinearSvm,
  fitLogisticRegression,
  fitRidge,
  knn,
  knnPlugin,
  logisticRegression,
  logisticRegressionPlugin,
  minimizeLbfgs,
  proxyADistance,
  ridge,
  ridgePlugin,
  solveLinearSvmDual,
  svm,
  SVM_C_GRID,
  svmPlugin,
  fitSvc,
  solveSvcDual,
  svc,
  SVC_C_GRID,
  svcConfigSchema,
  svcPlugin,
} from './estimators';
export type {
  KnnFitOptions,
  KnnModel,
  KnnNeighbors,
  KnnOptions,
  KnnWeighting,
  LbfgsObjective,
  LbfgsOptions,
  LbfgsResult,
  LbfgsStopReason,
  LinearSvmDualOptions,
  LinearSvmDualSolution,
  LinearSvmFitOptions,
  LinearSvmModel,
  LogisticRegressionFitOptions,
  LogisticRegressionModel,
  LogisticRegressionOptions,
  ProxyADistanceOptions,
  ProxyADistanceResult,
  RidgeFitOptions,
  RidgeModel,
  RidgeOptions,
  RidgeSolver,
  SvmCrossValidation,
  SvmLoss,
  SvmOptions,
  SvcCrossValidation,
  SvcDualOptions,
  SvcDualSolution,
  SvcFitOptions,
  SvcModel,
  SvcOptions,
} from './estimators';
export type {
  EpochLogs,
  LabeledBatch,
  PretrainedState,
  TrainingBatch,
  TrainingCheckContext,
  TrainingHooks,
  TrainingModel,
  TrainingOutputs,
  TrainingProgress,
  TrainingSetupContext,
  WeightSnapshot,
} from './training/types';
