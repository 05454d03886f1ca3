import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isTlkitError } from '@tlkit/core';
import { describe, expect, it } from 'vitest';
import { benchSectionNames, parseBenchArguments } from './bench-arguments';

const sections = ['feature', 'gemm', 'linalg'];

function failure(argv: string[]): string {
  try {
    parseBenchArguments(argv, sections);
  } catch (error) {
    expect(isTlkitError(error, 'INVALID_ARGUMENT')).toBe(true);
    return (error as Error).message;
  }
  throw new Error(`parseBenchArguments(${JSON.stringify(argv)}) did not throw`);
}

describe('pnpm bench arguments', () => {
  it('reads --json, --quick and --only (trimmed, empty entries dropped); no --only runs every section', () => {
    expect(parseBenchArguments([], sections)).toEqual({ json: false, quick: false, only: null });
    const parsed = parseBenchArguments(['--json', '--only', ' gemm, linalg,', '--quick'], sections);
    expect(parsed).toMatchObject({ json: true, quick: true });
    expect([...(parsed.only ?? [])]).toEqual(['gemm', 'linalg']);
  });

  it('rejects an --only section that does not exist, listing the sections', () => {
    expect(failure(['--only', 'gem'])).toBe("[INVALID_ARGUMENT] --only: no bench section 'gem'; the sections are feature, gemm, linalg.");
    // One known name does not let an unknown one through; every unknown name is named.
    expect(failure(['--only', 'gemm,lin alg,trian'])).toBe("[INVALID_ARGUMENT] --only: no bench section 'lin alg', 'trian'; the sections are feature, gemm, linalg.");
    expect(failure(['--only', ' , '])).toBe('[INVALID_ARGUMENT] --only names no section; give one or more of feature, gemm, linalg, comma-separated (e.g. --only feature,gemm).');
  });

  it('rejects unknown options, missing values and stray arguments in one line', () => {
    expect(failure(['--quik'])).toBe("[INVALID_ARGUMENT] Unknown option '--quik'; the options are --json, --quick, --only SECTION[,SECTION...].");
    expect(failure(['--only'])).toMatch(/^\[INVALID_ARGUMENT\] Option '--only <value>' argument missing; the options are /);
    expect(failure(['gemm'])).toMatch(/^\[INVALID_ARGUMENT\] Unexpected argument 'gemm'; the options are /);
    for (const argv of [['--quik'], ['--only'], ['gemm'], ['--json=1']]) expect(failure(argv)).not.toContain('\n');
  });

  it('takes the section names from the built bench folder: NAME.js, not types.js or source maps', () => {
    expect(benchSectionNames(['train.js', 'gemm.js.map', 'types.js', 'gemm.js', 'types.js.map', 'notes.md'])).toEqual(['gemm', 'train']);
    // The sources the build turns into dist/bench/NAME.js (tsup.config.ts) give the names --only knows.
    const sources = readdirSync(fileURLToPath(new URL('bench', import.meta.url))).filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'));
    const names = benchSectionNames(sources.map((file) => file.replace(/\.ts$/, '.js')));
    expect(names).toEqual(expect.arrayContaining(['feature', 'gemm', 'linalg', 'train']));
    expect(names).not.toContain('types');
  });
});
