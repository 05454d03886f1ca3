import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TlkitError } from '../errors';
import { type FittedPipeline, loadPipeline, type PipelineManifest } from '../pipeline';
import { Hasher } from '../training/fingerprint';

/** File names inside a saved pipeline folder. */
const MANIFEST_FILE = 'pipeline.json';
const DATA_FILE = 'pipeline.bin';

/** What `pipeline.json` records of its `pipeline.bin`, so a folder whose two files do not belong together is refused. */
interface BlobRecord {
  readonly bytes: number;
  readonly hash: string;
}

function blobRecord(data: Uint8Array): BlobRecord {
  const padded = new Uint8Array(Math.ceil(data.length / 4) * 4);
  padded.set(data);
  return { bytes: data.length, hash: new Hasher().number(data.length).words32(new Uint32Array(padded.buffer)).digest() };
}

/**
 * Saves a fitted pipeline to a folder as `pipeline.json` (the manifest: steps, options, array
 * layout, and the size and hash of the blob) and `pipeline.bin` (every numeric array), the way
 * tfjs saves `model.json` + weights. Each file is written under a temporary name and renamed into
 * place, the blob first: a save killed midway leaves the previous files, or a new blob beside the
 * old manifest, which loading refuses (the hash does not match) instead of mixing the two.
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
  const suffix = `.partial-${process.pid}`;
  const [dataPath, manifestPath] = [join(directory, DATA_FILE), join(directory, MANIFEST_FILE)];
  await writeFile(dataPath + suffix, data);
  await writeFile(manifestPath + suffix, `${JSON.stringify({ ...manifest, blob: blobRecord(data) }, null, 2)}\n`);
  await rename(dataPath + suffix, dataPath);
  await rename(manifestPath + suffix, manifestPath);
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
  let parsed: PipelineManifest & { blob?: BlobRecord };
  try {
    parsed = JSON.parse(manifestText) as PipelineManifest & { blob?: BlobRecord };
  } catch {
    throw new TlkitError('INVALID_ARTIFACT', `${join(directory, MANIFEST_FILE)} is not JSON.`);
  }
  const { blob, ...manifest } = parsed;
  // Folders saved before the blob record was written have none; they load unchecked, as before.
  if (blob !== undefined) {
    const found = blobRecord(data);
    if (blob.bytes !== found.bytes || blob.hash !== found.hash) {
      throw new TlkitError(
        'INVALID_ARTIFACT',
        `${join(directory, DATA_FILE)} does not belong to ${join(directory, MANIFEST_FILE)} (${found.bytes} bytes with hash ${found.hash}; the manifest records ${blob.bytes} bytes with hash ${blob.hash}): a save was interrupted or a file was changed. Save the pipeline again.`,
        { argument: 'directory' },
      );
    }
  }
  return loadPipeline({ manifest: manifest as PipelineManifest, data });
}
