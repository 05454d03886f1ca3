import { describeStrategyConformance } from '@tlkit/core/testing';
import { coralPlugin } from './coral';
import { jdaPlugin } from './jda';
import { pcaPlugin } from './pca';
import { tcaPlugin } from './tca';

describeStrategyConformance({ plugin: pcaPlugin, options: { dim: 3 }, invalidOptions: [{ options: { dim: -1 }, field: 'dim' }] });
describeStrategyConformance({
  plugin: tcaPlugin,
  options: { dim: 3 },
  invalidOptions: [
    { options: { kernel: 'sigmoid' }, field: 'kernel' },
    { options: { form: 'primal', kernel: 'rbf' }, field: 'form' },
  ],
});
describeStrategyConformance({ plugin: tcaPlugin, options: { dim: 3, kernel: 'rbf', approximation: 'nystrom', landmarks: 40 } });
describeStrategyConformance({ plugin: jdaPlugin, options: { dim: 3, iterations: 3 }, invalidOptions: [{ options: { iterations: 0 }, field: 'iterations' }] });
describeStrategyConformance({ plugin: coralPlugin, invalidOptions: [{ options: { lambda: -1 }, field: 'lambda' }] });
