/**
 * Test helpers: a step context like the orchestrator's, and the shared fixtures.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRng, Matrix, memoryStorage, type ProgressEvent, type StepContext, TlkitError } from '@tlkit/core';

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

/** The TlkitError a call throws (synchronously or by rejecting); fails the test when it throws nothing or something else. */
export async function thrownError(action: () => unknown): Promise<TlkitError> {
  try {
    await action();
  } catch (error) {
    if (error instanceof TlkitError) return error;
    throw new Error(`expected a TlkitError, got ${String(error)}`);
  }
  throw new Error('expected a TlkitError, but nothing was thrown');
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


/**
 * A 1-D covariate shift with a known density ratio: source x ~ N(0, 1), target x ~ N(shift, 1),
 * so w(x) = p_t(x)/p_s(x) = exp(shift·x − shift²/2).
 */
export function gaussianShift(ns: number, nt: number, shift: number, seed: number) {
  const rng = createRng(seed);
  const draw = (n: number, mean: number) => Float64Array.from({ length: n }, () => mean + rng.normal());
  const xs = draw(ns, 0);
  const xt = draw(nt, shift);
  const toMatrix = (values: Float64Array) => new Matrix(values.length, 1, values);
  return {
    source: { X: toMatrix(xs), y: Int32Array.from(xs, (value) => (value > 0.5 ? 1 : 0)) },
    target: { X: toMatrix(xt) },
    trueWeights: Float64Array.from(xs, (value) => Math.exp(shift * value - (shift * shift) / 2)),
  };
}

/** Pearson correlation. */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let meanA = 0;
  let meanB = 0;
  for (let i = 0; i < n; i++) {
    meanA += a[i] / n;
    meanB += b[i] / n;
  }
  let covariance = 0;
  let varianceA = 0;
  let varianceB = 0;
  for (let i = 0; i < n; i++) {
    covariance += (a[i] - meanA) * (b[i] - meanB);
    varianceA += (a[i] - meanA) ** 2;
    varianceB += (b[i] - meanB) ** 2;
  }
  return covariance / Math.sqrt(varianceA * varianceB);
}
