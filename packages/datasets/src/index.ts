// @tlkit/datasets public API (browser-safe: no Node built-ins). Disk loaders: '@tlkit/datasets/node'.
export type { DatasetDomain, DomainMeta, LoadedDataset, RowRange } from './types';
export {
  DATASET_CATALOGUE,
  SHIPPED_DATASET_NAMES,
  getCatalogueDomain,
  getDatasetInfo,
  isShippedDatasetName,
} from './catalogue';
export type { CatalogueDomain, DatasetInfo, ShippedDatasetName, StandardTask } from './catalogue';
export { parseCsvLabels, parseCsvMatrix } from './csv';
export type { CsvParseOptions } from './csv';
export type { VerifyLevel } from './assemble';
export { fetchDataset, fetchDomain, gunzipBytes } from './fetch';
export type { FetchDatasetOptions } from './fetch';
export { normalizeRowsBySum, normalizeRowsL2, preprocess, scaleValues, zscoreColumns } from './preprocess';
export type { PreprocessMode } from './preprocess';
export { selectDomainRows, selectSplit } from './splits';
export { cropImages } from './crop';
export type { CropMargins } from './crop';
export { resizeImages } from './resize';
export { sampleLabeledPerClass } from './sampling';
export type { LabeledSplit } from './sampling';
export { makeTransferTask } from './task';
export type { DatasetTaskDomain, DatasetTransferTask, MakeTransferTaskOptions } from './task';
export type { SyntheticDomain, SyntheticSizeOptions, SyntheticTask } from './synthetic/common';
export { covariateShift } from './synthetic/covariate-shift';
export type { CovariateShiftOptions, CovariateShiftTruth } from './synthetic/covariate-shift';
export { priorShift } from './synthetic/label-shift';
export type { PriorShiftOptions, PriorShiftTruth } from './synthetic/label-shift';
export { conditionalShift } from './synthetic/conditional-shift';
export type { ConditionalShiftOptions, ConditionalShiftTruth } from './synthetic/conditional-shift';
export { subspaceShift } from './synthetic/subspace-shift';
export type { SubspaceShiftOptions, SubspaceShiftTruth } from './synthetic/subspace-shift';
export { domainIndicatorToy } from './synthetic/domain-indicator';
export type { DomainIndicatorOptions, DomainIndicatorTruth } from './synthetic/domain-indicator';
