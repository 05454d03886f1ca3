// @tlkit/models/node: Node-only helpers (file system).
export { fileSystemIO, loadModel, saveModel } from './file-system-io';
