/**
 * A {@link ByteStorage} in the browser's IndexedDB, so the pre-training cache and checkpoints
 * survive a page reload (as `fileStorage` does on disk in Node).
 */
import { TlkitError } from './errors';
import type { ByteStorage } from './storage';

const STORE = 'bytes';

/** Options of {@link indexedDbStorage}. */
export interface IndexedDbStorageOptions {
  /** The IndexedDB factory to use (default: the global `indexedDB`; a test may pass another). */
  readonly indexedDB?: IDBFactory;
}

function requestResult<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });
}

function transactionDone(transaction: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB transaction aborted'));
    // A failing request's error bubbles here before transaction.error is set: name the request's.
    transaction.onerror = (event) => reject((event.target as IDBRequest | null)?.error ?? transaction.error ?? new Error('IndexedDB transaction failed'));
  });
}

/**
 * Byte storage in IndexedDB: one database (default `'tlkit'`) with one object store, a key per
 * checkpoint or cached pre-trained network. Each write is one IndexedDB transaction, so a page
 * closed mid-write leaves the previous bytes. Pass it as `fit`'s `storage` in a page; a rerun after
 * a reload then reads the pre-trained weights from the cache and resumes from its checkpoint.
 *
 * @param databaseName - the IndexedDB database (default `'tlkit'`); one per app or experiment.
 * @param options - `indexedDB`: the factory (default the global one).
 * @throws TlkitError `INVALID_ARGUMENT` when there is no IndexedDB (Node: use `fileStorage` from
 *   `@tlkit/core/node`); an operation that fails rejects with `STORAGE_ERROR` naming the key.
 * @example
 * ```ts
 * import { compose, indexedDbStorage, trainer } from '@tlkit/core';
 * const storage = indexedDbStorage('my-app');
 * const fitted = await compose(trainer({ backbone: { use: 'lenet' }, pretrain: { epochs: 5 }, checkpoint: { key: 'run-1' } }))
 *   .fit(task, { storage, trainOn: 'target' });
 * ```
 */
export function indexedDbStorage(databaseName = 'tlkit', options: IndexedDbStorageOptions = {}): ByteStorage {
  if (typeof databaseName !== 'string' || databaseName.length === 0) {
    throw new TlkitError('INVALID_ARGUMENT', `databaseName must be a non-empty string, got ${JSON.stringify(databaseName)}.`, { argument: 'databaseName' });
  }
  const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!factory) {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      'indexedDbStorage: this runtime has no IndexedDB (in Node use fileStorage(dir) from @tlkit/core/node, or memoryStorage()).',
      { argument: 'indexedDB' },
    );
  }
  let opened: Promise<IDBDatabase> | undefined;
  const database = () => {
    opened ??= new Promise<IDBDatabase>((resolve, reject) => {
      const request = factory.open(databaseName, 1);
      request.onupgradeneeded = () => {
        if (!request.result.objectStoreNames.contains(STORE)) request.result.createObjectStore(STORE);
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('IndexedDB open failed'));
      request.onblocked = () => reject(new Error(`IndexedDB database '${databaseName}' is blocked by another open connection`));
    }).catch((error: unknown) => {
      opened = undefined;
      throw error;
    });
    return opened;
  };
  const failed = (operation: string, key: string, error: unknown) =>
    new TlkitError('STORAGE_ERROR', `indexedDbStorage('${databaseName}'): ${operation} of '${key}' failed (${error instanceof Error ? error.message : String(error)}).`, {
      key,
    });
  const run = async <T>(operation: string, key: string, mode: IDBTransactionMode, body: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> => {
    try {
      const transaction = (await database()).transaction(STORE, mode);
      // Both awaited together, so a failing request's rejection is handled too (not left unhandled
      // when the transaction's rejection comes first).
      const [result] = await Promise.all([requestResult(body(transaction.objectStore(STORE))), transactionDone(transaction)]);
      return result;
    } catch (error) {
      throw failed(operation, key, error);
    }
  };
  return {
    async read(key) {
      const value = await run('read', key, 'readonly', (store) => store.get(key) as IDBRequest<unknown>);
      if (value === undefined) return null;
      if (value instanceof Uint8Array) return value.slice();
      if (value instanceof ArrayBuffer) return new Uint8Array(value.slice(0));
      throw failed('read', key, new Error('the stored value is not bytes'));
    },
    async write(key, bytes) {
      // A copy: IndexedDB clones the value, but the caller may reuse its buffer before the clone.
      await run('write', key, 'readwrite', (store) => store.put(bytes.slice(), key));
    },
    async remove(key) {
      await run('remove', key, 'readwrite', (store) => store.delete(key));
    },
  };
}
