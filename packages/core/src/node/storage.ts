import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { TlkitError } from '../errors';
import type { ByteStorage } from '../storage';

/**
 * A {@link ByteStorage} on the file system under `root`: key `a/b.bin` is the file `root/a/b.bin`.
 * Writes go to a temporary file first and are renamed into place, so a run killed mid-write leaves
 * the previous checkpoint intact.
 *
 * @example
 * ```ts
 * await pipeline.fit(task, { storage: fileStorage('.tlkit-cache') });
 * ```
 */
export function fileStorage(root: string): ByteStorage {
  const base = resolve(root);
  const pathOf = (key: string) => {
    const path = resolve(join(base, key));
    if (path !== base && !path.startsWith(base + sep)) {
      throw new TlkitError('INVALID_ARGUMENT', `storage key '${key}' escapes the storage folder ${base}.`, { argument: 'key' });
    }
    return path;
  };
  return {
    async read(key) {
      try {
        return new Uint8Array(await readFile(pathOf(key)));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    async write(key, bytes) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      const temporary = `${path}.partial-${process.pid}`;
      await writeFile(temporary, bytes);
      await rename(temporary, path);
    },
    async remove(key) {
      await rm(pathOf(key), { force: true });
    },
  };
}
