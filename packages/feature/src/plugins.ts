import { coralPlugin } from './coral';
import { jdaPlugin } from './jda';
import { pcaPlugin } from './pca';
import { tcaPlugin } from './tca';

/** Every plugin of @tlkit/feature, for `registerPlugin(featurePlugins)`. */
export const featurePlugins = [pcaPlugin, tcaPlugin, jdaPlugin, coralPlugin] as const;
