// @tlkit/core/testing: the conformance suite plugin authors run in vitest.
export { describeStrategyConformance } from './conformance';
export type { ConformanceOptions } from './conformance';
export { harnessTask } from './synthetic';
export type { HarnessTaskOptions } from './synthetic';
