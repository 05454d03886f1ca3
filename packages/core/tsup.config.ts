import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'node/index': 'src/node/index.ts', 'testing/index': 'src/testing/index.ts' },
  format: ['esm', 'cjs'],
  // Entries share chunks in both formats: without this the CommonJS build gives every subpath
  // (`./node`, `./testing`) its own copy of the package, so its classes (`Matrix`, ...) differ
  // from the main entry's and `instanceof` fails across entries. esbuild splits only ESM; tsup's
  // `splitting` turns the shared ESM chunks into CommonJS ones.
  splitting: true,
  // With `splitting`, the CommonJS build goes through esbuild's ESM output, which keeps
  // `import.meta.url` as written (invalid in CommonJS). The one use (node/wasm-threads.ts hereUrl)
  // reads `__filename` first under CommonJS, so it becomes `undefined` there, as esbuild's own
  // CommonJS output made it before.
  esbuildOptions(options, { format }) {
    if (format === 'cjs') options.define = { ...options.define, 'import.meta.url': 'undefined' };
  },
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
});
