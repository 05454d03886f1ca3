// Public API of @tlkit/parameter: parameter-based transfer as hooks into core's training loop.
import { featureExtractorPlugin, fineTunePlugin } from './fine-tune';
import { l2SpPlugin } from './l2-sp';
import { lwfPlugin } from './lwf';
import { multiTaskPlugin } from './multi-task';

export { featureExtractor, featureExtractorPlugin, fineTune, fineTunePlugin } from './fine-tune';
export type { FeatureExtractorOptions, FineTuneOptions } from './fine-tune';
export { l2Sp, l2SpPlugin } from './l2-sp';
export type { L2SpOptions } from './l2-sp';
export { lwf, lwfPlugin } from './lwf';
export type { LwfOptions } from './lwf';
export { multiTask, multiTaskPlugin } from './multi-task';
export type { MultiTaskOptions } from './multi-task';

/** Every plugin of this package (register them all with `registerPlugin(parameterPlugins)`). */
export const parameterPlugins = [fineTunePlugin, featureExtractorPlugin, l2SpPlugin, lwfPlugin, multiTaskPlugin] as const;
