/**
 * Limited-memory BFGS in float64 with a strong-Wolfe line search.
 *
 * Reference: J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., Springer 2006:
 * Algorithm 7.4 (the L-BFGS two-loop recursion), Algorithm 7.5 (L-BFGS with the initial
 * Hessian scaling γₖ = sᵀy / yᵀy of eq. 7.20), Algorithm 3.5 (line search for the strong Wolfe
 * conditions) and Algorithm 3.6 (`zoom`) with the safeguarded cubic interpolation of eq. 3.59.
 *
 * Everything is deterministic: the same objective and start point give the same iterates.
 */
import { TlkitError } from '../errors';

/**
 * An objective for {@link minimizeLbfgs}: returns f(x) and writes ∇f(x) into `gradient`
 * (same length as `x`; its previous contents are garbage).
 */
export type LbfgsObjective = (x: Float64Array, gradient: Float64Array) => number;

/** Options of {@link minimizeLbfgs}. */
export interface LbfgsOptions {
  /**
   * Stops when ‖∇f(x)‖∞ ≤ `tolerance` · ‖∇f(x₀)‖∞ (a gradient test relative to the start, so it
   * does not depend on the objective's scale: a logistic regression with C = 10⁻⁷ is fitted as
   * far as one with C = 1). Default 1e-6.
   */
  tolerance?: number;
  /**
   * A gradient norm that counts as 0 whatever the start: the test becomes ‖∇f(x)‖∞ ≤
   * max(`tolerance` · ‖∇f(x₀)‖∞, `gradientFloor`). Set it to the rounding level of the objective's
   * gradient (a start that is optimal up to rounding then converges at once). Default 0.
   */
  gradientFloor?: number;
  /** Most iterations (line searches). Default 1000. */
  maxIterations?: number;
  /** Number of (s, y) correction pairs kept, m in Nocedal & Wright. Default 10. */
  memory?: number;
  /** Called after every iteration with the iteration number, f and ‖∇f‖∞ (e.g. to report progress or abort by throwing). */
  onIteration?: (iteration: number, value: number, gradientNorm: number) => void;
}

/** Why {@link minimizeLbfgs} stopped. */
export type LbfgsStopReason = 'gradient-tolerance' | 'max-iterations' | 'no-progress';

/** The result of {@link minimizeLbfgs}. */
export interface LbfgsResult {
  /** The final point. */
  readonly x: Float64Array;
  /** f at the final point. */
  readonly value: number;
  /** ∇f at the final point. */
  readonly gradient: Float64Array;
  /** ‖∇f‖∞ at the final point. */
  readonly gradientNorm: number;
  /** Iterations done. */
  readonly iterations: number;
  /** Objective evaluations done (each one also computes the gradient). */
  readonly evaluations: number;
  /** True when the gradient test was met. */
  readonly converged: boolean;
  /**
   * `'no-progress'`: the line search could not decrease f any more (f is flat to machine
   * precision along the search direction, typically right at the minimum).
   */
  readonly reason: LbfgsStopReason;
}

// Strong Wolfe constants of Nocedal & Wright (c₁ = 1e-4, c₂ = 0.9 for quasi-Newton methods).
const SUFFICIENT_DECREASE = 1e-4;
const CURVATURE = 0.9;
const MAX_LINE_SEARCH_STEPS = 40;
const MAX_STEP = 1e20;

interface TrialPoint {
  readonly step: number;
  readonly value: number;
  /** φ′(step) = ∇f(x + step·p)ᵀp. */
  readonly slope: number;
  readonly x: Float64Array;
  readonly gradient: Float64Array;
}

function infinityNorm(values: Float64Array): number {
  let norm = 0;
  for (let i = 0; i < values.length; i++) {
    const magnitude = Math.abs(values[i]);
    if (magnitude > norm) norm = magnitude;
  }
  return norm;
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

/**
 * The minimiser of the cubic that interpolates φ and φ′ at two steps (Nocedal & Wright eq. 3.59),
 * or NaN when the cubic has no minimiser.
 */
function cubicMinimizer(a: TrialPoint, b: TrialPoint): number {
  const d1 = a.slope + b.slope - (3 * (a.value - b.value)) / (a.step - b.step);
  const discriminant = d1 * d1 - a.slope * b.slope;
  if (!(discriminant >= 0)) return Number.NaN;
  const d2 = Math.sign(b.step - a.step) * Math.sqrt(discriminant);
  const denominator = b.slope - a.slope + 2 * d2;
  if (denominator === 0) return Number.NaN;
  return b.step - (b.step - a.step) * ((b.slope + d2 - d1) / denominator);
}

/**
 * Minimises a smooth function with L-BFGS.
 *
 * @param objective - f and its gradient (see {@link LbfgsObjective}).
 * @param start - the start point x₀ (not modified).
 * @param options - see {@link LbfgsOptions}.
 * @returns the final point and how the run went. Stopping at `maxIterations` is not an error:
 * check `converged`.
 * @throws TlkitError `NUMERICAL_ERROR` when f or ∇f is not finite at x₀.
 *
 * @example
 * ```ts
 * // f(x) = (x₀ − 1)² + 10 (x₁ + 2)²
 * const result = minimizeLbfgs((x, g) => {
 *   g[0] = 2 * (x[0] - 1); g[1] = 20 * (x[1] + 2);
 *   return (x[0] - 1) ** 2 + 10 * (x[1] + 2) ** 2;
 * }, new Float64Array(2));
 * result.x; // ≈ [1, -2]
 * ```
 */
export function minimizeLbfgs(objective: LbfgsObjective, start: Float64Array, options: LbfgsOptions = {}): LbfgsResult {
  const tolerance = options.tolerance ?? 1e-6;
  const maxIterations = options.maxIterations ?? 1000;
  const memory = options.memory ?? 10;
  const size = start.length;
  let evaluations = 0;

  let x: Float64Array = Float64Array.from(start);
  let gradient: Float64Array = new Float64Array(size);
  let value = objective(x, gradient);
  evaluations++;
  if (!Number.isFinite(value) || !gradient.every(Number.isFinite)) {
    throw new TlkitError('NUMERICAL_ERROR', `minimizeLbfgs: the objective or its gradient is not finite at the start point (f = ${value}).`);
  }
  let gradientNorm = infinityNorm(gradient);
  // Relative to the start only: with an absolute floor (max(1, ‖∇f(x₀)‖∞)) an objective of small
  // scale stopped before its first step and reported convergence (algorithm audit L1).
  const threshold = Math.max(tolerance * gradientNorm, options.gradientFloor ?? 0);

  const sHistory: Float64Array[] = [];
  const yHistory: Float64Array[] = [];
  const rhoHistory: number[] = [];
  const alphas = new Float64Array(memory);
  const direction = new Float64Array(size);

  const evaluate = (step: number): TrialPoint => {
    const trial = new Float64Array(size);
    for (let i = 0; i < size; i++) trial[i] = x[i] + step * direction[i];
    const trialGradient = new Float64Array(size);
    const trialValue = objective(trial, trialGradient);
    evaluations++;
    return { step, value: trialValue, slope: dot(trialGradient, direction), x: trial, gradient: trialGradient };
  };

  /** Nocedal & Wright Algorithm 3.6: shrinks [low, high] until a strong-Wolfe step is found. */
  const zoom = (origin: TrialPoint, lowStart: TrialPoint, highStart: TrialPoint, budget: number): TrialPoint | undefined => {
    let low = lowStart;
    let high = highStart;
    for (let round = 0; round < budget; round++) {
      const width = high.step - low.step;
      let step = cubicMinimizer(low, high);
      // Safeguard: stay inside the middle 80 % of the bracket, otherwise bisect.
      const lower = Math.min(low.step, high.step) + 0.1 * Math.abs(width);
      const upper = Math.max(low.step, high.step) - 0.1 * Math.abs(width);
      if (!(step >= lower && step <= upper)) step = low.step + 0.5 * width;
      if (step === low.step || step === high.step) break; // bracket below machine precision
      const trial = evaluate(step);
      if (!Number.isFinite(trial.value) || trial.value > origin.value + SUFFICIENT_DECREASE * step * origin.slope || trial.value >= low.value) {
        high = trial;
      } else {
        if (Math.abs(trial.slope) <= -CURVATURE * origin.slope) return trial;
        if (trial.slope * (high.step - low.step) >= 0) high = low;
        low = trial;
      }
    }
    // No strong-Wolfe point in the budget: accept the best point with sufficient decrease, if any.
    return low.step > 0 ? low : undefined;
  };

  /** Nocedal & Wright Algorithm 3.5: a step satisfying the strong Wolfe conditions. */
  const lineSearch = (initialStep: number): TrialPoint | undefined => {
    const origin: TrialPoint = { step: 0, value, slope: dot(gradient, direction), x, gradient };
    let previous = origin;
    let step = initialStep;
    for (let round = 0; round < MAX_LINE_SEARCH_STEPS; round++) {
      const trial = evaluate(step);
      if (!Number.isFinite(trial.value) || trial.value > origin.value + SUFFICIENT_DECREASE * step * origin.slope || (round > 0 && trial.value >= previous.value)) {
        return zoom(origin, previous, trial, MAX_LINE_SEARCH_STEPS - round);
      }
      if (Math.abs(trial.slope) <= -CURVATURE * origin.slope) return trial;
      if (trial.slope >= 0) return zoom(origin, trial, previous, MAX_LINE_SEARCH_STEPS - round);
      previous = trial;
      step = Math.min(2 * step, MAX_STEP);
    }
    return previous.step > 0 ? previous : undefined;
  };

  let iterations = 0;
  let reason: LbfgsStopReason = gradientNorm <= threshold ? 'gradient-tolerance' : 'max-iterations';
  while (reason === 'max-iterations' && iterations < maxIterations) {
    // Two-loop recursion (Algorithm 7.4): direction = −H∇f.
    for (let i = 0; i < size; i++) direction[i] = -gradient[i];
    const stored = sHistory.length;
    for (let k = stored - 1; k >= 0; k--) {
      alphas[k] = rhoHistory[k] * dot(sHistory[k], direction);
      const yk = yHistory[k];
      for (let i = 0; i < size; i++) direction[i] -= alphas[k] * yk[i];
    }
    if (stored > 0) {
      const last = stored - 1;
      const scale = 1 / (rhoHistory[last] * dot(yHistory[last], yHistory[last]));
      for (let i = 0; i < size; i++) direction[i] *= scale;
    }
    for (let k = 0; k < stored; k++) {
      const beta = rhoHistory[k] * dot(yHistory[k], direction);
      const sk = sHistory[k];
      for (let i = 0; i < size; i++) direction[i] += (alphas[k] - beta) * sk[i];
    }
    let slope = dot(gradient, direction);
    if (!(slope < 0)) {
      // Not a descent direction (rounding): restart from steepest descent.
      sHistory.length = 0;
      yHistory.length = 0;
      rhoHistory.length = 0;
      for (let i = 0; i < size; i++) direction[i] = -gradient[i];
      slope = dot(gradient, direction);
    }
    // First step (no curvature information yet): a unit-length move; afterwards the unit step.
    const initialStep = sHistory.length === 0 ? Math.min(1, 1 / Math.sqrt(-slope)) : 1;
    const accepted = lineSearch(initialStep);
    if (!accepted || !(accepted.value <= value)) {
      if (sHistory.length > 0) {
        // Drop the curvature memory and retry once along −∇f before giving up.
        sHistory.length = 0;
        yHistory.length = 0;
        rhoHistory.length = 0;
        continue;
      }
      reason = 'no-progress';
      break;
    }
    const s = new Float64Array(size);
    const yDifference = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      s[i] = accepted.x[i] - x[i];
      yDifference[i] = accepted.gradient[i] - gradient[i];
    }
    const curvature = dot(s, yDifference);
    x = accepted.x;
    gradient = accepted.gradient;
    const previousValue = value;
    value = accepted.value;
    gradientNorm = infinityNorm(gradient);
    iterations++;
    options.onIteration?.(iterations, value, gradientNorm);
    if (curvature > 1e-300 && Number.isFinite(curvature)) {
      if (sHistory.length === memory) {
        sHistory.shift();
        yHistory.shift();
        rhoHistory.shift();
      }
      sHistory.push(s);
      yHistory.push(yDifference);
      rhoHistory.push(1 / curvature);
    }
    if (gradientNorm <= threshold) reason = 'gradient-tolerance';
    else if (previousValue === value) reason = 'no-progress';
  }
  return {
    x,
    value,
    gradient,
    gradientNorm,
    iterations,
    evaluations,
    converged: reason === 'gradient-tolerance',
    reason,
  };
}
