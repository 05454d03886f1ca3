import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TlkitError } from '../errors';
import { logisticRegression } from '../estimators';
import { compose } from '../pipeline';
import { loadPipelineFromDirectory, savePipeline } from './pipeline-files';

const rows = (n: number, shift: number) => Array.from({ length: n }, (_, i) => [Math.sin(i) + shift, Math.cos(i), (i % 3) - 1]);
const task = (shift: number) => ({ source: { X: rows(30, shift), y: rows(30, 0).map((_, i) => i % 2) }, target: { X: rows(6, 0) }, problem: 'classification' as const });
const folders: string[] = [];
afterAll(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

async function fitted(shift: number, C: number) {
  return compose(logisticRegression({ C })).fit(task(shift), { seed: 1 });
}

describe('savePipeline / loadPipelineFromDirectory (determinism review finding 1)', () => {
  it('round-trips, and refuses a blob that does not belong to the manifest (an interrupted save, a changed byte)', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'tlkit-save-'));
    folders.push(folder);
    const [a, b] = [await fitted(0, 1), await fitted(0.5, 0.1)];
    await savePipeline(a, folder);
    const manifestA = await readFile(join(folder, 'pipeline.json'), 'utf8');
    expect(JSON.parse(manifestA).blob).toMatchObject({ bytes: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{16}$/) });
    const restored = await loadPipelineFromDirectory(folder);
    expect(Array.from(restored.predictProba(rows(6, 0)).data)).toEqual(Array.from(a.predictProba(rows(6, 0)).data));
    // B saved over A, then A's manifest put back: what a kill between the two renames leaves.
    await savePipeline(b, folder);
    await writeFile(join(folder, 'pipeline.json'), manifestA);
    const mixed = await loadPipelineFromDirectory(folder).catch((error: unknown) => error);
    expect(mixed).toBeInstanceOf(TlkitError);
    expect((mixed as TlkitError).code).toBe('INVALID_ARTIFACT');
    expect((mixed as TlkitError).message).toMatch(/pipeline\.bin \(\d+ bytes\) does not belong to .*pipeline\.json \(which records .*\): a save was interrupted or a file was changed\. Save the pipeline again\./);
    // One byte of the blob changed.
    await savePipeline(b, folder);
    const blob = await readFile(join(folder, 'pipeline.bin'));
    blob[blob.length - 3] ^= 1;
    await writeFile(join(folder, 'pipeline.bin'), blob);
    expect(((await loadPipelineFromDirectory(folder).catch((error: unknown) => error)) as TlkitError).code).toBe('INVALID_ARTIFACT');
  });

  it('loads a folder saved before the blob record existed (no "blob" in pipeline.json), unchecked as before', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'tlkit-save-'));
    folders.push(folder);
    const a = await fitted(0, 1);
    await savePipeline(a, folder);
    const { blob: _dropped, ...older } = JSON.parse(await readFile(join(folder, 'pipeline.json'), 'utf8'));
    await writeFile(join(folder, 'pipeline.json'), JSON.stringify(older));
    const restored = await loadPipelineFromDirectory(folder);
    expect(Array.from(restored.predict(rows(6, 0)))).toEqual(Array.from(a.predict(rows(6, 0))));
  });
});
