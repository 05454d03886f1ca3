// @tlkit/core/node: Node-only helpers (file system, native backend detection).
export { setupNodeBackend } from './native';
export { fileStorage } from './storage';
export { loadPipelineFromDirectory, savePipeline } from './pipeline-files';
