import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTlkitError } from '@tlkit/core';
import { resolveExports, resolvePluginFile } from './resolve-plugin';
import { thrown } from '../test/thrown';

/** Writes files (path → text) under a fresh temporary folder and returns the folder. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'tlkit-resolve-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const json = (value: unknown) => JSON.stringify(value);

describe('resolvePluginFile', () => {
  it('resolves an ESM-only package (exports with only "import") that require() cannot find', () => {
    const root = tree({
      'node_modules/esm-only/package.json': json({ name: 'esm-only', type: 'module', exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } } }),
      'node_modules/esm-only/dist/index.js': 'export const x = 1;\n',
      'project/sub/.keep': '',
    });
    // Found from a folder below, by walking up to root/node_modules.
    expect(resolvePluginFile('esm-only', [join(root, 'project', 'sub')])).toBe(join(root, 'node_modules/esm-only/dist/index.js'));
  });

  it('picks the ESM build of a dual package, whatever the order of the conditions', () => {
    const root = tree({
      'node_modules/dual/package.json': json({ name: 'dual', exports: { '.': { require: './cjs/index.cjs', import: './esm/index.js' } } }),
      'node_modules/dual/esm/index.js': '',
      'node_modules/dual/cjs/index.cjs': '',
      'node_modules/@scope/nested/package.json': json({
        exports: { '.': { import: { types: './x.d.ts', default: './esm/index.js' }, require: { default: './index.cjs' } }, './extra': { node: './extra.js' } },
      }),
      'node_modules/@scope/nested/esm/index.js': '',
      'node_modules/@scope/nested/extra.js': '',
    });
    expect(resolvePluginFile('dual', [root])).toBe(join(root, 'node_modules/dual/esm/index.js'));
    expect(resolvePluginFile('@scope/nested', [root])).toBe(join(root, 'node_modules/@scope/nested/esm/index.js'));
    expect(resolvePluginFile('@scope/nested/extra', [root])).toBe(join(root, 'node_modules/@scope/nested/extra.js'));
  });

  it('falls back to "main", then index.js, for a package without exports', () => {
    const root = tree({
      'node_modules/old/package.json': json({ name: 'old', main: 'lib/entry.js' }),
      'node_modules/old/lib/entry.js': '',
      'node_modules/bare/package.json': json({ name: 'bare' }),
      'node_modules/bare/index.js': '',
    });
    expect(resolvePluginFile('old', [root])).toBe(join(root, 'node_modules/old/lib/entry.js'));
    expect(resolvePluginFile('bare', [root])).toBe(join(root, 'node_modules/bare/index.js'));
  });

  it('loads a package folder given as a path, relative to the first base', () => {
    const root = tree({
      'plugins/my-plugin/package.json': json({ name: 'my-plugin', exports: { '.': './dist/index.js' } }),
      'plugins/my-plugin/dist/index.js': '',
      'configs/x.json': '{}',
    });
    expect(resolvePluginFile('../plugins/my-plugin', [join(root, 'configs')])).toBe(join(root, 'plugins/my-plugin/dist/index.js'));
    expect(resolvePluginFile('./plugins/my-plugin/dist/index.js', [root])).toBe(join(root, 'plugins/my-plugin/dist/index.js'));
    const missing = thrown(() => resolvePluginFile('./nope.js', [join(root, 'configs')]));
    expect(isTlkitError(missing, 'UNKNOWN_PLUGIN')).toBe(true);
    expect(missing.message).toContain(join(root, 'configs', 'nope.js'));
  });

  it('fails with UNKNOWN_PLUGIN naming the plugin and every node_modules it looked in', () => {
    const root = tree({ 'a/b/.keep': '' });
    const error = thrown(() => resolvePluginFile('tlkit-plugin-missing', [join(root, 'a', 'b')]));
    expect(isTlkitError(error, 'UNKNOWN_PLUGIN')).toBe(true);
    expect(error.message).toContain("'tlkit-plugin-missing'");
    expect(error.message).toContain(join(root, 'a', 'b', 'node_modules'));
    expect(error.message).toContain(join(root, 'node_modules'));
    expect(error.message).not.toContain('npm i ./');
  });

  it('says when a package exports nothing for import (CommonJS only)', () => {
    const root = tree({ 'node_modules/cjs-only/package.json': json({ exports: { '.': { require: './index.cjs' } } }), 'node_modules/cjs-only/index.cjs': '' });
    const error = thrown(() => resolvePluginFile('cjs-only', [root]));
    expect(isTlkitError(error, 'UNKNOWN_PLUGIN')).toBe(true);
    expect(error.message).toMatch(/no main entry for the conditions import, node, default/);
  });
});

describe('resolveExports', () => {
  it('reads strings, arrays, condition objects and subpath patterns', () => {
    expect(resolveExports('./a.js', '.')).toBe('./a.js');
    expect(resolveExports('./a.js', './sub')).toBeNull();
    expect(resolveExports([{ require: './c.cjs' }, './d.js'], '.')).toBe('./d.js');
    expect(resolveExports({ './plugins/*': { import: './dist/plugins/*.js' } }, './plugins/x')).toBe('./dist/plugins/x.js');
    expect(resolveExports({ '.': { browser: './b.js', default: './n.js' } }, '.')).toBe('./n.js');
  });

  it("matches subpath patterns as Node does: '*' is at least one character; longest prefix, then longest key", () => {
    expect(resolveExports({ './*.js': './dist/*.js' }, './.js')).toBeNull();
    expect(resolveExports({ './*': './all/*.js', './plugins/*': './p/*.js' }, './plugins/x')).toBe('./p/x.js');
    expect(resolveExports({ './p*': './short/*.js', './p*.js': './long/*.js' }, './px.js')).toBe('./long/x.js');
  });
});
