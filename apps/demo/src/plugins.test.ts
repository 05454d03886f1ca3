import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasPlugin, isTlkitError } from '@tlkit/core';
import { registerExtraPlugins } from './plugins';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'tlkit-plugins-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/**
 * An ES module exporting one plugin named `name`. It imports nothing (a file under node_modules is
 * run by Node itself, outside vitest's aliases), so it carries the plugin brand that definePlugin
 * sets; registering it is all these tests need.
 */
const pluginModule = (name: string) => `export const plugin = {
  [Symbol.for('tlkit.plugin.v1')]: true,
  name: '${name}', kind: 'base', role: 'estimator', description: 'test fixture',
  needs: { problems: ['classification'], targetLabels: 'never', acceptsSampleWeights: false },
  create() { throw new Error('not used'); },
};
`;

let counter = 0;
const unique = (stem: string) => `${stem}-${process.pid}-${++counter}`;

describe('registerExtraPlugins', () => {
  it('imports an ESM-only package (exports "import" only) found from the base folder', async () => {
    const name = unique('esm-only');
    const root = tree({
      [`node_modules/${name}/package.json`]: JSON.stringify({ name, type: 'module', exports: { '.': { import: './dist/index.js' } } }),
      [`node_modules/${name}/dist/index.js`]: pluginModule(name),
      'project/.keep': '',
    });
    await registerExtraPlugins([name], join(root, 'project'));
    expect(hasPlugin(name)).toBe(true);
  });

  it('imports the ESM build of a dual package, not its CommonJS build', async () => {
    const name = unique('dual');
    const root = tree({
      [`node_modules/${name}/package.json`]: JSON.stringify({ name, type: 'module', exports: { '.': { require: './cjs/index.cjs', import: './dist/index.js' } } }),
      [`node_modules/${name}/dist/index.js`]: pluginModule(name),
      [`node_modules/${name}/cjs/index.cjs`]: "throw new Error('the CommonJS build was loaded');\n",
    });
    await registerExtraPlugins([name], root);
    expect(hasPlugin(name)).toBe(true);
  });

  it('imports a package folder given as a path relative to the base (a config\'s folder)', async () => {
    const name = unique('folder');
    const root = tree({
      'my-plugin/package.json': JSON.stringify({ name, type: 'module', main: './dist/index.js' }),
      'my-plugin/dist/index.js': pluginModule(name),
      'configs/.keep': '',
    });
    await registerExtraPlugins(['../my-plugin'], join(root, 'configs'));
    expect(hasPlugin(name)).toBe(true);
  });

  it('fails with UNKNOWN_PLUGIN naming the plugin and where it looked', async () => {
    const root = tree({ 'configs/.keep': '' });
    const error = await registerExtraPlugins(['tlkit-plugin-not-there'], join(root, 'configs')).catch((caught: unknown) => caught as Error);
    expect(isTlkitError(error, 'UNKNOWN_PLUGIN')).toBe(true);
    expect((error as Error).message).toContain(join(root, 'configs', 'node_modules'));
    const relative = await registerExtraPlugins(['./plugin.js'], join(root, 'configs')).catch((caught: unknown) => caught as Error);
    expect((relative as Error).message).toContain(join(root, 'configs', 'plugin.js'));
  });
});
