import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'node/index': 'src/node/index.ts' },
  format: ['esm', 'cjs'],
  // Entries share chunks in both formats: without this the CommonJS build gives every subpath
  // (`./node`, `./testing`) its own copy of the package, so its classes (`Matrix`, ...) differ
  // from the main entry's and `instanceof` fails across entries. esbuild splits only ESM; tsup's
  // `splitting` turns the shared ESM chunks into CommonJS ones.
  splitting: true,
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // `import.meta.url` in the CommonJS build (the node entry finds the shipped data/ folder from it).
  shims: true,
});
