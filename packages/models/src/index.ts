// Public API of @tlkit/models.
import { lenetBackbone } from './lenet';
import { resnet18Backbone } from './resnet';

export { lenetBackbone } from './lenet';
export type { LenetOptions } from './lenet';
export { resnet18Backbone } from './resnet';
export type { ResNet18Options } from './resnet';
export { cloneModel, cutAtLayer, listLayers, withNewHead } from './surgery';
export type { CutOptions, LayerSummary, NewHeadOptions } from './surgery';
export { splitAtLayer } from './split';
export type { SplitModel, SplitOptions } from './split';
export { freezeBatchNorm, unfreezeBatchNorm } from './batch-norm';
export type { BatchNormSelection } from './batch-norm';
export { registerModelLayers } from './register-model-layers';

/** Every backbone of @tlkit/models, for `registerBackbone(modelBackbones)`. */
export const modelBackbones = [lenetBackbone, resnet18Backbone] as const;
