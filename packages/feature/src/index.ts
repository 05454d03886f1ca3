// Public API of @tlkit/feature: per strategy its plugin, its factory and its options type.
export { tca, tcaPlugin } from './tca';
export type { TcaOptions } from './tca';
export { jda, jdaPlugin } from './jda';
export type { JdaOptions } from './jda';
export { featurePlugins } from './plugins';
