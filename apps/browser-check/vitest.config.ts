/**
 * Not the shared config (vitest.shared.ts aliases @tlkit/* to their TypeScript sources): this
 * check must run the BUILT packages, so imports resolve through the packages' `exports` to dist/.
 * The JSON report feeds scripts/test-summary.mjs like every other package's.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default', 'json'],
    outputFile: { json: './test-results/vitest.json' },
  },
});
