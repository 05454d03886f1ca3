// Public API of @tlkit/instance: per strategy its plugin, factory and options type.
export { decisionTree, decisionTreePlugin } from './decision-tree';
export type { DecisionTreeOptions } from './decision-tree';
export { importanceWeighting, importanceWeightingPlugin } from './importance-weighting';
export type { ImportanceWeightingOptions } from './importance-weighting';
export { kliep, kliepPlugin } from './kliep';
export type { KliepOptions } from './kliep';
export { kmm, kmmPlugin } from './kmm';
export type { KmmOptions } from './kmm';
export { tradaboost, tradaboostPlugin } from './tradaboost';
export type { TradaboostOptions } from './tradaboost';
export { tradaboostR2, tradaboostR2Plugin } from './tradaboost-r2';
export type { TradaboostR2Options } from './tradaboost-r2';
export { instancePlugins } from './plugins';
