import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { TlkitError } from '../errors';
import type { ByteStorage } from '../storage';

let writeCounter = 0;

/**
 * A temporary file name beside `path`, unique per call (process id, a counter and a random tag),
 * for writing a file and renaming it into place. @internal
 */
export function temporaryPath(path: string): string {
  return `${path}.partial-${process.pid}-${++writeCounter}-${Math.random().toString(36).slice(2, 8)}`;
}

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
  // File-system failures (a key whose file is a folder, or under a file; no space; no permission)
  // as STORAGE_ERROR naming the key and the path.
  const failed = (operation: string, key: string, error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    const hint =
      code === 'EISDIR' || code === 'ENOTDIR'
        ? ' (one key is a folder of another here: a key and a longer key that starts with it plus "/" cannot both be stored; use another key or another storage folder)'
        : '';
    return new TlkitError('STORAGE_ERROR', `fileStorage: ${operation} of '${key}' (${pathOf(key)}) failed: ${code ?? (error as Error).message}${hint}.`, {
      key,
      path: pathOf(key),
      ...(code ? { errno: code } : {}),
    });
  };
  return {
    async read(key) {
      const path = pathOf(key);
      try {
        return new Uint8Array(await readFile(path));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw failed('read', key, error);
      }
    },
    async write(key, bytes) {
      const path = pathOf(key);
      // Unique per write, so two writes of one key (even in one process) never share a temporary file.
      const temporary = temporaryPath(path);
      try {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(temporary, bytes);
        await rename(temporary, path);
      } catch (error) {
        await rm(temporary, { force: true }).catch(() => undefined);
        throw failed('write', key, error);
      }
    },
    async remove(key) {
      const path = pathOf(key);
      try {
        await rm(path, { force: true });
      } catch (error) {
        throw failed('remove', key, error);
      }
    },
  };
}
