/**
 * Byte storage: where checkpoints and caches go. Core only knows this interface, so it runs in
 * the browser; `@tlkit/core/node` provides {@link ByteStorage} on the file system.
 */

/** A flat key → bytes store. Keys are `/`-separated relative paths. */
export interface ByteStorage {
  /** The bytes stored under `key`, or `null` when there are none. */
  read(key: string): Promise<Uint8Array | null>;
  /** Stores `bytes` under `key`, replacing what was there (atomically where the medium allows). */
  write(key: string, bytes: Uint8Array): Promise<void>;
  /** Removes `key` if present. */
  remove(key: string): Promise<void>;
}

/** A {@link ByteStorage} that keeps everything in memory (the default; lost with the process). */
export function memoryStorage(): ByteStorage {
  const entries = new Map<string, Uint8Array>();
  return {
    async read(key) {
      const bytes = entries.get(key);
      return bytes ? bytes.slice() : null;
    },
    async write(key, bytes) {
      entries.set(key, bytes.slice());
    },
    async remove(key) {
      entries.delete(key);
    },
  };
}
