/** A bench section: measures something, logs human-readable lines, returns JSON figures. */
export interface BenchContext {
  /** Writes a line for humans (goes to stderr when `--json` is given). */
  log(line: string): void;
  /** True for a shorter run (CI smoke test of the bench itself). */
  readonly quick: boolean;
}

export type BenchFigures = Record<string, unknown>;

export type BenchSection = (context: BenchContext) => Promise<BenchFigures>;
