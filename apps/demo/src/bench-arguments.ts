/**
 * The command line of `pnpm bench` (see bench.ts), checked before any section runs.
 */
import { parseArgs } from 'node:util';
import { TlkitError } from '@tlkit/core';

/** What `pnpm bench` was asked to do. */
export interface BenchArguments {
  /** Print one JSON object on stdout (figures keyed by section). */
  readonly json: boolean;
  /** Shorter runs (a smoke test of the bench itself). */
  readonly quick: boolean;
  /** The sections to run (`--only a,b`), or null for all of them. */
  readonly only: ReadonlySet<string> | null;
}

const OPTIONS_TEXT = '--json, --quick, --only SECTION[,SECTION...]';

/**
 * The section names of a bench folder's files: every `NAME.js` but `types.js` (source maps and
 * other files are not sections).
 *
 * @example
 * ```ts
 * benchSectionNames(['gemm.js', 'gemm.js.map', 'types.js']); // ['gemm']
 * ```
 */
export function benchSectionNames(files: readonly string[]): string[] {
  return files
    .filter((file) => file.endsWith('.js') && file !== 'types.js')
    .map((file) => file.slice(0, -'.js'.length))
    .sort();
}

/**
 * Parses `pnpm bench`'s arguments (`--json`, `--quick`, `--only a,b`) against the known section
 * names.
 *
 * @throws TlkitError `INVALID_ARGUMENT` for an unknown option or a stray argument, and for an
 * `--only` that names no section or a section that does not exist (the message lists the sections).
 */
export function parseBenchArguments(argv: readonly string[], sections: readonly string[]): BenchArguments {
  let values: { json?: boolean; quick?: boolean; only?: string };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { json: { type: 'boolean' }, quick: { type: 'boolean' }, only: { type: 'string' } },
    }));
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) throw error;
    // Node's first sentence names the argument ("Unknown option '--quik'").
    const problem = String((error as Error).message).split(/\.\s|\n/)[0];
    throw new TlkitError('INVALID_ARGUMENT', `${problem}; the options are ${OPTIONS_TEXT}.`);
  }
  let only: Set<string> | null = null;
  if (values.only !== undefined) {
    const names = values.only
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '');
    const known = sections.join(', ');
    if (names.length === 0) {
      throw new TlkitError('INVALID_ARGUMENT', `--only names no section; give one or more of ${known}, comma-separated (e.g. --only ${sections.slice(0, 2).join(',')}).`, {
        argument: '--only',
      });
    }
    const unknown = names.filter((name) => !sections.includes(name));
    if (unknown.length > 0) {
      throw new TlkitError(
        'INVALID_ARGUMENT',
        `--only: no bench section ${unknown.map((name) => `'${name}'`).join(', ')}; the sections are ${known}.`,
        { argument: '--only', unknown, sections: [...sections] },
      );
    }
    only = new Set(names);
  }
  return { json: values.json ?? false, quick: values.quick ?? false, only };
}
