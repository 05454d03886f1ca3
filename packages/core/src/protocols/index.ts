// Public exports of the evaluation-protocol module (the lead re-exports them from the package index).
export { holdOutSplit, kFoldSplits, leaveOneOutSplits } from './splits';
export type { HoldOutOptions, KFoldOptions, Split } from './splits';
export { bootstrapConfidenceInterval } from './bootstrap';
export type { BootstrapInterval, BootstrapOptions, PairedSample } from './bootstrap';
export { runProtocol } from './run-protocol';
export type { MetricSummary, ProtocolResult, SplitScores } from './run-protocol';
