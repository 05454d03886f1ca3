/**
 * The published manifests of every package under packages/ (reviews/pack-install.md, findings 2
 * and 5): `@tlkit/core` is a peer of the other packages, so a user's install holds one core (a
 * second copy has its own `Matrix` and cannot compose with the first); the packages release as one
 * `fixed` changesets group; each package ships the MIT LICENSE and declares the Node it needs.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

interface Manifest {
  name: string;
  private?: boolean;
  engines?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  types?: string;
  typesVersions?: Record<string, Record<string, string[]>>;
  exports?: Record<string, string | { import: { types: string } }>;
}

const packages = readdirSync(join(root, 'packages'))
  .filter((folder) => existsSync(join(root, 'packages', folder, 'package.json')))
  .map((folder) => ({
    folder: join(root, 'packages', folder),
    manifest: JSON.parse(readFileSync(join(root, 'packages', folder, 'package.json'), 'utf8')) as Manifest,
  }))
  .filter(({ manifest }) => !manifest.private);

describe('package manifests', () => {
  it('finds the published packages', () => {
    expect(packages.map(({ manifest }) => manifest.name)).toContain('@tlkit/core');
    expect(packages.length).toBeGreaterThanOrEqual(6);
  });

  for (const { folder, manifest } of packages) {
    it(`${manifest.name}: other @tlkit packages are peers (plus a workspace devDependency), never dependencies`, () => {
      const tlkit = (deps: Record<string, string> | undefined) => Object.keys(deps ?? {}).filter((name) => name.startsWith('@tlkit/'));
      expect(tlkit(manifest.dependencies), 'dependencies on @tlkit packages').toEqual([]);
      for (const name of tlkit(manifest.peerDependencies)) {
        // Any 0.x core (the packages release together, see .changeset/config.json); a caret range
        // would make changesets turn every minor release of core into 1.0.0 of the dependents.
        expect(manifest.peerDependencies?.[name], `${name} peer range`).toBe('workspace:0.x');
        expect(manifest.devDependencies?.[name], `${name} devDependency (links it in the workspace)`).toBe('workspace:*');
      }
      if (manifest.name !== '@tlkit/core') expect(tlkit(manifest.peerDependencies)).toContain('@tlkit/core');
    });

    it(`${manifest.name}: declares engines.node and ships the MIT LICENSE`, () => {
      expect(manifest.engines?.node).toBe('>=20');
      expect(readFileSync(join(folder, 'LICENSE'), 'utf8')).toBe(readFileSync(join(root, 'LICENSE'), 'utf8'));
    });
  }

  for (const { manifest } of packages) {
    const subpaths = Object.entries(manifest.exports ?? {}).filter(([path]) => path !== '.' && path !== './package.json');
    if (subpaths.length === 0) continue;
    // TypeScript's legacy `moduleResolution: node10` (still the default of `module: commonjs`)
    // ignores `exports`: without typesVersions, `@tlkit/core/node` had no types there
    // (reviews/pack-install.md, finding 4).
    it(`${manifest.name}: typesVersions gives each subpath export its types, for node10 resolution`, () => {
      const expected = Object.fromEntries(
        subpaths.map(([path, target]) => [path.slice(2), [typeof target === 'string' ? target : target.import.types]]),
      );
      expect(manifest.typesVersions).toEqual({ '*': expected });
      expect(manifest.types).toBe('./dist/index.d.ts');
    });
  }

  it('the published packages form one fixed changesets group', () => {
    const config = JSON.parse(readFileSync(join(root, '.changeset', 'config.json'), 'utf8')) as { fixed: string[][] };
    const group = config.fixed.find((names) => names.includes('@tlkit/core')) ?? [];
    expect([...group].sort()).toEqual(packages.map(({ manifest }) => manifest.name).sort());
  });
});
