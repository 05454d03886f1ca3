import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { cli: 'src/cli.ts', bench: 'src/bench.ts' },
  format: ['esm'],
  clean: true,
  sourcemap: true,
  target: 'node20',
  banner: { js: '#!/usr/bin/env node' },
  // Workspace packages and tfjs stay external: one tfjs instance, one backend registry.
  external: [/^@tensorflow\//, /^@tlkit\//],
});
