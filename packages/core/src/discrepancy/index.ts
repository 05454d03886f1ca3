// Public exports of the discrepancy module (the lead re-exports them from the package index).
export { mmd2, mmd2FromKernels } from './mmd';
export type { Mmd2Options, MmdEstimator, MmdEstimatorOptions, MmdKernel } from './mmd';
export { linearTimeMmd2 } from './linear-time-mmd';
export type { LinearTimeMmd2, LinearTimeMmd2Options } from './linear-time-mmd';
export { coralDistance } from './coral-distance';
