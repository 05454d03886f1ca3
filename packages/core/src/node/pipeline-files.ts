import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TlkitError } from '../errors';
import { type FittedPipeline, loadPipeline, type PipelineManifest } from '../pipeline';

/** File names inside a saved pipeline folder. */
const MANIFEST_FILE = 'pipeline.json';
const DATA_FILE = 'pipeline.bin';

/**
 * Saves a fitted pipeline to a folder as `pipeline.json` (the manifest: steps, options, array
 * layout) and `pipeline.bin` (every numeric array), the way tfjs saves `model.json` + weights.
 *
 * @example
 * ```ts
 * await savePipeline(fitted, 'models/tca-knn');
 * const restored = await loadPipelineFromDirectory('models/tca-knn');
 * ```
 */
export async function savePipeline(fitted: FittedPipeline, directory: string): Promise<void> {
  const { manifest, data } = await fitted.save();
  await mkdir(directory, { recursive: true });
  await writeFile(join(directory, DATA_FILE), data);
  await writeFile(join(directory, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Restores a pipeline saved by {@link savePipeline}; its plugins must be registered. */
export async function loadPipelineFromDirectory(directory: string): Promise<FittedPipeline> {
  let manifestText: string;
  let data: Uint8Array;
  try {
    manifestText = await readFile(join(directory, MANIFEST_FILE), 'utf8');
    data = new Uint8Array(await readFile(join(directory, DATA_FILE)));
  } catch (error) {
    throw new TlkitError(
      'DATA_NOT_FOUND',
      `no saved pipeline in ${directory} (${(error as Error).message.split('\n')[0]}); expected ${MANIFEST_FILE} and ${DATA_FILE}.`,
      { argument: 'directory' },
    );
  }
  let manifest: PipelineManifest;
  try {
    manifest = JSON.parse(manifestText) as PipelineManifest;
  } catch {
    throw new TlkitError('INVALID_ARTIFACT', `${join(directory, MANIFEST_FILE)} is not JSON.`);
  }
  return loadPipeline({ manifest, data });
}
