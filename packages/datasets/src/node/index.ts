// @tlkit/datasets/node: loaders that read from disk (Node only). The browser-safe API is '@tlkit/datasets'.
export { loadDatasetFromDirectory, loadDomain, loadShippedDataset, shippedDataDirectory } from './load';
export type { LoadOptions, ShippedLoadOptions } from './load';
