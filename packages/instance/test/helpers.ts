/**
 * Test helpers: a step context like the orchestrator's, and the shared fixtures.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRng, memoryStorage, type ProgressEvent, type StepContext, TlkitError } from '@tlkit/core';

/** A step context for calling `do*` methods directly (what `compose().fit` passes). */
export function stepContext(
  options: { seed?: number; problem?: 'classification' | 'regression'; numClasses?: number; events?: Omit<ProgressEvent, 'step' | 'stepIndex'>[] } = {},
): StepContext {
  const seed = options.seed ?? 0;
  const problem = options.problem ?? 'classification';
  return {
    seed,
    rng: createRng(seed),
    problem,
    numClasses: problem === 'regression' ? 0 : (options.numClasses ?? 2),
    progress: (event) => options.events?.push(event),
    throwIfAborted: () => {},
    storage: memoryStorage(),
  };
}

/** Reads a fixture of packages/core/test/fixtures. */
export function coreFixture<T>(name: string): T {
  const path = fileURLToPath(new URL(`../../core/test/fixtures/${name}`, import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** The error code a call throws (or a note that it did not throw a TlkitError). */
export async function errorCode(action: () => unknown): Promise<string | undefined> {
  try {
    await action();
  } catch (error) {
    return error instanceof TlkitError ? error.code : `not a TlkitError: ${String(error)}`;
  }
  return undefined;
}

/**
 * The KKT conditions of min ½xᵀHx − qᵀx on {0 ≤ x ≤ B, lo ≤ Σx ≤ hi}, checked from scratch: with
 * g = Hx − q, there is a multiplier ν of the sum constraint (ν > 0 only at Σx = hi, ν < 0 only at
 * Σx = lo) such that g + ν = 0 on free variables, ≥ 0 at 0 and ≤ 0 at B. Returns the worst violation.
 */
export function kktViolation(x: Float64Array, gradient: Float64Array, upper: number, lower: number, high: number, atBound = 1e-7): number {
  const free: number[] = [];
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    sum += x[i];
    if (x[i] > atBound && x[i] < upper - atBound) free.push(i);
  }
  // ν from the free variables (their mean), or 0 when none are free.
  const nu = free.length ? -free.reduce((total, i) => total + gradient[i], 0) / free.length : 0;
  let violation = 0;
  for (let i = 0; i < x.length; i++) {
    const value = gradient[i] + nu;
    if (x[i] <= atBound) violation = Math.max(violation, -value);
    else if (x[i] >= upper - atBound) violation = Math.max(violation, value);
    else violation = Math.max(violation, Math.abs(value));
  }
  const scale = Math.max(1, Math.abs(high));
  if (nu > 1e-9 * scale && sum < high - 1e-6 * scale) violation = Math.max(violation, nu);
  if (nu < -1e-9 * scale && sum > lower + 1e-6 * scale) violation = Math.max(violation, -nu);
  return violation;
}

