import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TlkitError } from '../errors';
import { type FittedPipeline, loadPipeline, type PipelineManifest } from '../pipeline';
import { matchesBlobRecord } from '../artifacts';
import { temporaryPath } from './storage';

/** File names inside a saved pipeline folder. */
const MANIFEST_FILE = 'pipeline.json';
const DATA_FILE = 'pipeline.bin';

/**
 * Saves a fitted pipeline to a folder as `pipeline.json` (the manifest: steps, options, array
 * layout, and the size and hash of the blob) and `pipeline.bin` (every numeric array), the way
 * tfjs saves `model.json` + weights. Each file is written under a temporary name and renamed into
 * place, the blob first: a save killed midway leaves the previous files, or a new blob beside the
 * old manifest, which loading refuses (the hash does not match) instead of mixing the two. A save
 * killed before its renames leaves `*.partial-*` files in the folder, which can be deleted.
 *
 * @example
 * ```ts
 * await savePipeline(fitted, 'models/tca-knn');
 * const restored = await loadPipelineFromDirectory('models/tca-knn');
 * ```
 */
export async function savePipeline(fitted: FittedPipeline, directory: string): Promise<void> {
  const { manifest, data } = await fitted.save(); // the manifest records the blob's size and hash
  await mkdir(directory, { recursive: true });
  // Unique per save, so two saves into one folder never share a temporary file.
  const [dataPath, manifestPath] = [join(directory, DATA_FILE), join(directory, MANIFEST_FILE)];
  const [dataTemporary, manifestTemporary] = [temporaryPath(dataPath), temporaryPath(manifestPath)];
  try {
    await writeFile(dataTemporary, data);
    await writeFile(manifestTemporary, `${JSON.stringify(manifest, null, 2)}\n`);
    await rename(dataTemporary, dataPath);
    await rename(manifestTemporary, manifestPath);
  } catch (error) {
    await Promise.all([rm(dataTemporary, { force: true }), rm(manifestTemporary, { force: true })]).catch(() => undefined);
    throw new TlkitError('STORAGE_ERROR', `savePipeline: writing ${directory} failed (${(error as Error).message.split('\n')[0]}).`, { argument: 'directory' });
  }
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
  // Folders saved before the blob record was written have none; they load unchecked, as before.
  if (manifest !== null && typeof manifest === 'object' && 'blob' in manifest) {
    if (!matchesBlobRecord(manifest.blob, data)) {
      throw new TlkitError(
        'INVALID_ARTIFACT',
        `${join(directory, DATA_FILE)} (${data.byteLength} bytes) does not belong to ${join(directory, MANIFEST_FILE)} (which records ${JSON.stringify(manifest.blob)}): a save was interrupted or a file was changed. Save the pipeline again.`,
        { argument: 'directory' },
      );
    }
    // Checked here, with the files named: loadPipeline need not hash the blob a second time.
    const { blob: _checked, ...checked } = manifest;
    return loadPipeline({ manifest: checked, data });
  }
  return loadPipeline({ manifest, data });
}
