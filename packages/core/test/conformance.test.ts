/** The conformance suite over every plugin @tlkit/core ships. */
import { knnPlugin, logisticRegressionPlugin, mlpPlugin, ridgePlugin, svcPlugin, svmPlugin, trainerPlugin } from '../src/index';
import { describeStrategyConformance } from '../src/testing/index';

describeStrategyConformance({ plugin: knnPlugin, options: { k: 3 }, invalidOptions: [{ options: { k: 0 }, field: 'k' }] });
describeStrategyConformance({
  plugin: logisticRegressionPlugin,
  options: { C: 0.5 },
  invalidOptions: [{ options: { C: -1 }, field: 'C' }],
});
describeStrategyConformance({ plugin: ridgePlugin, options: { alpha: 2 }, invalidOptions: [{ options: { alpha: -1 }, field: 'alpha' }] });
describeStrategyConformance({ plugin: svcPlugin, options: { C: 0.1 }, invalidOptions: [{ options: { cvFolds: 1 }, field: 'cvFolds' }] });
describeStrategyConformance({ plugin: svmPlugin, options: { C: 0.1 }, invalidOptions: [{ options: { C: 'sometimes' }, field: 'C' }] });
describeStrategyConformance({
  plugin: mlpPlugin,
  options: { hidden: [8], epochs: 2 },
  invalidOptions: [{ options: { hidden: [] }, field: 'hidden' }],
});
describeStrategyConformance({
  plugin: trainerPlugin,
  options: { backbone: { use: 'mlp', hidden: [8] }, epochs: 2, batchSize: 16 },
  invalidOptions: [{ options: { epochs: 0 }, field: 'epochs' }],
});
