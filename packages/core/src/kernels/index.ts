// Public exports of the kernels module (the lead re-exports them from the package index).
export { pairwiseSquaredDistances, squaredDistanceBlocks } from './distances';
export type { DomainBlocks } from './distances';
export { kernelMatrix, linearKernel, polynomialKernel, rbfKernel } from './kernels';
export type { KernelSpec, PolynomialKernelOptions } from './kernels';
export { medianHeuristic, medianHeuristicFromSquaredDistances } from './median';
export type { MedianHeuristic, MedianHeuristicOptions } from './median';
