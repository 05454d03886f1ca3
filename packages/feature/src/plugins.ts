import { jdaPlugin } from './jda';
import { tcaPlugin } from './tca';

/** Every plugin of @tlkit/feature, for `registerPlugin(featurePlugins)`. */
export const featurePlugins = [tcaPlugin, jdaPlugin] as const;
