/**
 * Every package README's `example.mjs` block, and each guide's in docs/, runs as a user would run it: written to a file and
 * started with `node`, importing the packages through their published `exports` maps (the built
 * `dist/`, not the sources the other tests use). A trailing `// prints …` comment on a line of the
 * example is what that line must print (compared with all white space removed), so the figures a
 * README quotes are checked too.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));
const demoRoot = fileURLToPath(new URL('../', import.meta.url));
const packagesWithExamples = ['core', 'datasets', 'instance', 'feature', 'models', 'parameter'];
/** Guides under docs/ whose `example.mjs` block runs the same way. */
const guidesWithExamples = ['your-own-model'];
/** The markdown files whose example runs, as [name, path from the repository root]. */
const examples: [string, string][] = [
  ...packagesWithExamples.map((name): [string, string] => [name, join('packages', name, 'README.md')]),
  ...guidesWithExamples.map((name): [string, string] => [`docs-${name}`, join('docs', `${name}.md`)]),
];

/** The fenced ```js / ```ts blocks of a markdown text whose first line is `// example.mjs …`. */
function exampleBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  const fence = /^```(?:js|ts)\n([\s\S]*?)^```$/gm;
  for (const match of markdown.matchAll(fence)) {
    if (match[1].startsWith('// example.mjs')) blocks.push(match[1]);
  }
  return blocks;
}

/** What the example's lines say they print: the text after `// prints ` at the end of a line. */
function printedExpectations(example: string): string[] {
  return [...example.matchAll(/\/\/ prints (.+)$/gm)].map((match) => match[1].trim());
}

const withoutWhiteSpace = (text: string) => text.replace(/\s+/g, '');

describe('exampleBlocks and printedExpectations', () => {
  it('pick the example.mjs blocks and their // prints comments, nothing else', () => {
    const markdown = [
      '# x',
      '```sh',
      '// example.mjs in a shell block',
      '```',
      '```js',
      '// example.mjs — node example.mjs',
      "console.log([1, 2]); // prints [1, 2]",
      "console.log('a'); // a remark",
      '```',
      '```ts',
      'const notAnExample = 1;',
      '```',
    ].join('\n');
    const blocks = exampleBlocks(markdown);
    expect(blocks).toEqual(["// example.mjs — node example.mjs\nconsole.log([1, 2]); // prints [1, 2]\nconsole.log('a'); // a remark\n"]);
    expect(printedExpectations(blocks[0])).toEqual(['[1, 2]']);
  });
});

describe('README examples run against the built packages', () => {
  for (const [name, markdown] of examples) {
    it(markdown, { timeout: 240_000 }, async () => {
      for (const built of packagesWithExamples) {
        const dist = join(repositoryRoot, 'packages', built, 'dist', 'index.js');
        if (!existsSync(dist)) throw new Error(`${dist} is missing: run \`pnpm build\` first (\`pnpm test\` builds before testing).`);
      }
      const blocks = exampleBlocks(readFileSync(join(repositoryRoot, markdown), 'utf8'));
      expect(blocks, `${markdown} has one "// example.mjs" block`).toHaveLength(1);
      // Inside apps/demo, so `@tlkit/*` and tfjs resolve through the demo's node_modules.
      const folder = join(demoRoot, 'test-results', 'readme-examples', name);
      // From an empty folder, as on a user's first run: a pre-trained model cached by an earlier
      // run (parameter's .tlkit-cache) would hide a change that alters the figures.
      rmSync(folder, { recursive: true, force: true });
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, 'example.mjs'), blocks[0]);
      const { stdout } = await run(process.execPath, ['example.mjs'], {
        cwd: folder,
        env: { ...process.env, TLKIT_WASM_THREADS: '1' },
        timeout: 230_000,
        maxBuffer: 16 * 1024 * 1024,
      });
      for (const expected of printedExpectations(blocks[0])) {
        expect(withoutWhiteSpace(stdout), `the example prints "${expected}"`).toContain(withoutWhiteSpace(expected));
      }
    });
  }
});
