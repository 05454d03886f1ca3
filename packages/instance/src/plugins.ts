import { decisionTreePlugin } from './decision-tree';
import { importanceWeightingPlugin } from './importance-weighting';
import { kliepPlugin } from './kliep';
import { kmmPlugin } from './kmm';
import { tradaboostPlugin } from './tradaboost';
import { tradaboostR2Plugin } from './tradaboost-r2';

/** Every plugin of @tlkit/instance, for `registerPlugin(instancePlugins)`. */
export const instancePlugins = [
  kmmPlugin,
  kliepPlugin,
  importanceWeightingPlugin,
  tradaboostPlugin,
  tradaboostR2Plugin,
  decisionTreePlugin,
] as const;
