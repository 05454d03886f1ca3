// Public API of @tlkit/feature: per strategy its plugin, its factory and its options type.
export { pca, pcaPlugin } from './pca';
export type { PcaOptions } from './pca';
export { tca, tcaPlugin } from './tca';
export type { TcaOptions } from './tca';
export { jda, jdaPlugin } from './jda';
export type { JdaOptions } from './jda';
export { coral, coralPlugin } from './coral';
export type { CoralOptions } from './coral';
export { featurePlugins } from './plugins';
