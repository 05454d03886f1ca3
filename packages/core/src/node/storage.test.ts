import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TlkitError } from '../errors';
import { fileStorage } from './storage';

const folders: string[] = [];
afterAll(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

async function storage() {
  const folder = await mkdtemp(join(tmpdir(), 'tlkit-storage-'));
  folders.push(folder);
  return { folder, storage: fileStorage(folder) };
}

describe('fileStorage', () => {
  it('writes, reads back, replaces and removes; a missing key reads as null', async () => {
    const { storage: files } = await storage();
    expect(await files.read('a/b')).toBeNull();
    await files.write('a/b', Uint8Array.from([1, 2]));
    await files.write('a/b', Uint8Array.from([3]));
    expect(Array.from((await files.read('a/b'))!)).toEqual([3]);
    await files.remove('a/b');
    expect(await files.read('a/b')).toBeNull();
  });

  it('a key that is a folder of another, either way round, is a STORAGE_ERROR naming the key, the path and the fix (determinism review finding 3)', async () => {
    const { folder, storage: files } = await storage();
    await files.write('trainer/checkpoint', Uint8Array.from([1]));
    const under = await files.write('trainer/checkpoint/run/seed-0', Uint8Array.from([2])).catch((error: unknown) => error);
    expect(under).toBeInstanceOf(TlkitError);
    expect((under as TlkitError).code).toBe('STORAGE_ERROR');
    expect((under as TlkitError).message).toContain(`write of 'trainer/checkpoint/run/seed-0' (${join(folder, 'trainer/checkpoint/run/seed-0')}) failed: ENOTDIR`);
    expect((under as TlkitError).message).toMatch(/one key is a folder of another here/);
    expect(((await files.read('trainer/checkpoint/run/seed-0').catch((error: unknown) => error)) as TlkitError).code).toBe('STORAGE_ERROR');
    await files.write('cli/trainer/checkpoint/x', Uint8Array.from([3]));
    const folderRead = await files.read('cli/trainer/checkpoint').catch((error: unknown) => error);
    expect((folderRead as TlkitError).code).toBe('STORAGE_ERROR');
    expect((folderRead as TlkitError).message).toMatch(/read of 'cli\/trainer\/checkpoint' .* failed: EISDIR/);
    expect(Array.from((await files.read('trainer/checkpoint'))!)).toEqual([1]); // the failed write changed nothing
  });
});
