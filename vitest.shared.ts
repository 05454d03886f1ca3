/**
 * Shared vitest settings: every `@tlkit/*` import resolves to the package's TypeScript source,
 * so tests run without a build (the published `exports` map points at `dist/`).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
const source = (path: string) => `${root}${path}`;

export const tlkitAliases = [
  { find: /^@tlkit\/core\/testing$/, replacement: source('packages/core/src/testing/index.ts') },
  { find: /^@tlkit\/core\/node$/, replacement: source('packages/core/src/node/index.ts') },
  { find: /^@tlkit\/core$/, replacement: source('packages/core/src/index.ts') },
  { find: /^@tlkit\/datasets\/node$/, replacement: source('packages/datasets/src/node/index.ts') },
  { find: /^@tlkit\/datasets$/, replacement: source('packages/datasets/src/index.ts') },
  { find: /^@tlkit\/models\/node$/, replacement: source('packages/models/src/node/index.ts') },
  { find: /^@tlkit\/models$/, replacement: source('packages/models/src/index.ts') },
  { find: /^@tlkit\/instance$/, replacement: source('packages/instance/src/index.ts') },
  { find: /^@tlkit\/feature$/, replacement: source('packages/feature/src/index.ts') },
  { find: /^@tlkit\/parameter$/, replacement: source('packages/parameter/src/index.ts') },
  { find: /^@tlkit\/relational$/, replacement: source('packages/relational/src/index.ts') },
  { find: /^@tlkit\/adversarial$/, replacement: source('packages/adversarial/src/index.ts') },
];

export function tlkitVitestConfig(overrides: { testTimeout?: number } = {}) {
  return defineConfig({
    resolve: { alias: tlkitAliases },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: overrides.testTimeout ?? 60_000,
      hookTimeout: 60_000,
      pool: 'forks',
      // One module cache per worker: tfjs and the backend load once per worker, not once per file.
      isolate: false,
      setupFiles: [source('test-setup.ts')],
      // The JSON report feeds scripts/test-summary.mjs (one 'N passed, N failed' line for CI).
      reporters: ['default', 'json'],
      outputFile: { json: './test-results/vitest.json' },
      typecheck: { enabled: false },
    },
  });
}
