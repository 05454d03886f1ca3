// Public API of @tlkit/models.
import { lenetBackbone } from './lenet';

export { lenetBackbone } from './lenet';
export type { LenetOptions } from './lenet';

/** Every backbone of @tlkit/models, for `registerBackbone(modelBackbones)`. */
export const modelBackbones = [lenetBackbone] as const;
