import { defineConfig } from 'tsup';

export default defineConfig({
  // Every file in src/bench/ becomes dist/bench/<name>.js, found by the bench runner at run time.
  entry: ['src/cli.ts', 'src/bench.ts', 'src/bench/*.ts', '!src/bench/*.test.ts'],
  format: ['esm'],
  clean: true,
  sourcemap: true,
  target: 'node20',
  banner: { js: '#!/usr/bin/env node' },
  // Workspace packages and tfjs stay external: one tfjs instance, one backend registry.
  external: [/^@tensorflow\//, /^@tlkit\//],
});
