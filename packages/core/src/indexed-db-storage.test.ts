import { IDBFactory, IDBObjectStore } from 'fake-indexeddb';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { TlkitError } from './errors';
import { indexedDbStorage } from './indexed-db-storage';
import { compose } from './pipeline';
import { trainer } from './training/trainer';

describe('indexedDbStorage', () => {
  it('reads back what it wrote, a copy each time; null for a missing key; remove deletes', async () => {
    const storage = indexedDbStorage('t1', { indexedDB: new IDBFactory() });
    expect(await storage.read('none')).toBeNull();
    const bytes = Uint8Array.from([1, 2, 3, 250]);
    await storage.write('a/b', bytes);
    bytes[0] = 99; // the stored value does not alias the caller's buffer
    const first = await storage.read('a/b');
    expect(Array.from(first!)).toEqual([1, 2, 3, 250]);
    first![1] = 77;
    expect(Array.from((await storage.read('a/b'))!)).toEqual([1, 2, 3, 250]);
    await storage.write('a/b', Uint8Array.from([5]));
    expect(Array.from((await storage.read('a/b'))!)).toEqual([5]);
    await storage.remove('a/b');
    expect(await storage.read('a/b')).toBeNull();
  });

  it('keeps its bytes across connections to the same database (a page reload), apart per database', async () => {
    const factory = new IDBFactory();
    await indexedDbStorage('app', { indexedDB: factory }).write('k', Uint8Array.from([7, 8]));
    expect(Array.from((await indexedDbStorage('app', { indexedDB: factory }).read('k'))!)).toEqual([7, 8]);
    expect(await indexedDbStorage('other', { indexedDB: factory }).read('k')).toBeNull();
  });

  it('serves the pre-training cache and a checkpoint: a rerun after an abort resumes and equals the uninterrupted run', async () => {
    const factory = new IDBFactory();
    const rows = Array.from({ length: 40 }, (_, i) => [Math.sin(i), Math.cos(i), (i % 3) - 1]);
    const task = { source: { X: rows, y: rows.map((_, i) => i % 2) }, target: { X: rows.slice(0, 10) }, problem: 'classification' as const };
    const options = { backbone: { use: 'mlp', hidden: [6] }, epochs: 4, batchSize: 8, pretrain: { epochs: 2, seed: 1 }, checkpoint: { key: 'run' } };
    const whole = await compose(trainer(options)).fit(task, { seed: 3, storage: indexedDbStorage('whole', { indexedDB: factory }) });
    const expected = Array.from(whole.predictProba(rows).data);
    whole.dispose();
    const controller = new AbortController();
    const before = tf.memory().numTensors;
    const stopped = await compose(trainer(options))
      .fit(task, {
        seed: 3,
        storage: indexedDbStorage('cut', { indexedDB: factory }),
        signal: controller.signal,
        onProgress: (event) => {
          if (event.phase === 'checkpoint' && event.current === 2) controller.abort();
        },
      })
      .catch((error: unknown) => error);
    expect((stopped as TlkitError).code).toBe('ABORTED');
    // "Reload": a new storage object on the same database.
    const resumed = await compose(trainer(options)).fit(task, { seed: 3, storage: indexedDbStorage('cut', { indexedDB: factory }) });
    const info = resumed.reports.at(-1)!.info!;
    expect(info.resumedFrom).toBe(2);
    expect((info.pretrain as { cached: boolean }).cached).toBe(true);
    expect(Array.from(resumed.predictProba(rows).data)).toEqual(expected);
    resumed.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a failing request rejects with STORAGE_ERROR naming the key and the request\'s own error, and leaves no unhandled rejection (diff review s18 finding 6)', async () => {
    const factory = new IDBFactory();
    const storage = indexedDbStorage('failing', { indexedDB: factory });
    await storage.write('k', Uint8Array.from([1]));
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    const put = IDBObjectStore.prototype.put;
    // The second write of a key made to fail as add() does: a ConstraintError from the request.
    IDBObjectStore.prototype.put = IDBObjectStore.prototype.add;
    try {
      const failure = await storage.write('k', Uint8Array.from([2])).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(TlkitError);
      expect((failure as TlkitError).code).toBe('STORAGE_ERROR');
      expect((failure as TlkitError).message).toMatch(/write of 'k' failed \(.*constraint/i);
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      IDBObjectStore.prototype.put = put;
      process.off('unhandledRejection', record);
    }
    expect(unhandled).toEqual([]);
    expect(Array.from((await storage.read('k'))!)).toEqual([1]); // the failed write changed nothing
  });

  it('refuses a runtime without IndexedDB and an empty name before touching anything', () => {
    const global = globalThis as { indexedDB?: unknown };
    expect(global.indexedDB).toBeUndefined(); // Node
    expect(() => indexedDbStorage()).toThrow(/no IndexedDB \(in Node use fileStorage\(dir\) from @tlkit\/core\/node/);
    expect(() => indexedDbStorage('', { indexedDB: new IDBFactory() })).toThrow(TlkitError);
  });
});
