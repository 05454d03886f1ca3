/**
 * The bundler guard of the browser check: tlkit code (packages and this app) that imports a Node
 * built-in must make the bundle fail, statically or dynamically. Runs without a browser.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundlePage } from '../src/bundle';

const appRoot = fileURLToPath(new URL('..', import.meta.url));
const workspaceRoot = join(appRoot, '..', '..');
const fixture = (name: string) => join(appRoot, 'test', 'fixtures', name);

describe('bundlePage', () => {
  it('rejects a static import of a Node built-in, naming the importer', async () => {
    await expect(bundlePage(fixture('static-builtin-page.ts'), workspaceRoot)).rejects.toThrow(
      /pulls in Node built-ins from tlkit code:\n {2}apps\/browser-check\/test\/fixtures\/static-builtin-page\.ts imports 'node:fs' \(import-statement\)/,
    );
  });

  it('rejects a dynamic import of a Node built-in even inside try/catch', async () => {
    await expect(bundlePage(fixture('dynamic-builtin-page.ts'), workspaceRoot)).rejects.toThrow(
      /dynamic-builtin-page\.ts imports 'worker_threads' \(dynamic-import\)/,
    );
  });

  it('bundles a page without built-ins and lists its input', async () => {
    const bundle = await bundlePage(fixture('clean-page.ts'), workspaceRoot);
    expect(bundle.inputs).toEqual(['apps/browser-check/test/fixtures/clean-page.ts']);
    expect(bundle.mappedAwayBuiltins).toEqual([]);
    expect(bundle.code).toContain('value * 2');
  });

  it("does not carry zod's locales into a page that uses core (browser review finding 4: `import { z }` pulled in all of them)", async () => {
    const bundle = await bundlePage(fixture('core-page.ts'), workspaceRoot);
    expect(bundle.inputs.some((input) => input.includes('/zod/'))).toBe(true); // the option schemas are there
    // zod's German messages ("Ungültige Eingabe: erwartet …") are in the bundle only when its locales are.
    expect(bundle.code).not.toContain('erwartet');
    expect(bundle.code).toContain('Invalid input'); // its English messages are
  });
});
