/**
 * A convex quadratic programme over a box with a two-sided sum constraint — the problem of kernel
 * mean matching — solved by gradient projection with conjugate gradients on faces (GPCG), whose
 * projected-gradient phase is accelerated (FISTA with adaptive restart).
 *
 * @internal Not exported from the package.
 */
import { TlkitError } from '@tlkit/core';

/**
 * `min ½ xᵀHx − qᵀx` subject to `0 ≤ xᵢ ≤ upper` and `sumLower ≤ Σ xᵢ ≤ sumUpper`, with H
 * symmetric positive semi-definite and given only through products `H x`.
 */
export interface BoxSumQp {
  /** Number of variables n. */
  readonly size: number;
  /** Writes `H x` into `out` (length n). */
  multiply(x: Float64Array, out: Float64Array): void;
  /** q, the linear term (the objective subtracts qᵀx). */
  readonly linear: Float64Array;
  /** The upper bound of every variable (> 0; `Infinity` allowed). */
  readonly upper: number;
  /** Σx ≥ sumLower (≥ 0). */
  readonly sumLower: number;
  /** Σx ≤ sumUpper (≥ sumLower, ≤ n · upper). */
  readonly sumUpper: number;
}

/** Options of {@link solveBoxSumQp}. */
export interface BoxSumQpOptions {
  /**
   * Stop when the gradient mapping `L (y − P(y − ∇f(y)/L))` is at most
   * `tolerance · max(1, ‖q‖∞)` in every coordinate. Default 1e-6.
   */
  readonly tolerance?: number;
  /** Most iterations (one product with H each). Default 20000. */
  readonly maxIterations?: number;
  /** An upper bound on the largest eigenvalue of H; estimated by power iteration when omitted. */
  readonly lipschitz?: number;
  /** Called every `reportEvery` iterations; throw to abort. */
  readonly onIteration?: (iteration: number, residual: number) => void;
  /** How often `onIteration` is called. Default 25. */
  readonly reportEvery?: number;
  /** The starting point (projected onto the feasible set first); default the all-ones vector. */
  readonly initial?: Float64Array;
}

/** What {@link solveBoxSumQp} returns. */
export interface BoxSumQpSolution {
  readonly x: Float64Array;
  /** ½ xᵀHx − qᵀx at `x`. */
  readonly objective: number;
  readonly iterations: number;
  readonly converged: boolean;
  /**
   * The natural residual `‖x − P(x − ∇f(x))‖∞` at the returned point (0 exactly at a KKT point;
   * in the units of x).
   */
  readonly residual: number;
  /** The Lipschitz constant used (the step is 1/L). */
  readonly lipschitz: number;
}

/**
 * Euclidean projection of `v` onto `{ 0 ≤ x ≤ upper, sumLower ≤ Σx ≤ sumUpper }`, written into
 * `out`. The projection is `clip(v − τ, 0, upper)` for the scalar τ that is 0 when the clipped
 * point already satisfies the sum constraint, and otherwise solves `Σ clip(vᵢ − τ, 0, upper) = s`
 * for the violated bound s (a non-increasing piecewise-linear equation in τ, solved by Newton steps
 * safeguarded by bisection; Newton is exact once it lands on the right linear piece).
 *
 * @returns τ.
 */
export function projectBoxSum(
  v: Float64Array,
  upper: number,
  sumLower: number,
  sumUpper: number,
  out: Float64Array,
  tauHint = 0,
): number {
  const n = v.length;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const value = v[i] < 0 ? 0 : v[i] > upper ? upper : v[i];
    out[i] = value;
    sum += value;
  }
  if (sum >= sumLower && sum <= sumUpper) return 0;
  const target = sum > sumUpper ? sumUpper : sumLower;
  // S(τ) = Σ clip(vᵢ − τ, 0, upper); bracket τ so that S(lo) ≥ target ≥ S(hi).
  let lo: number;
  let hi: number;
  let vMin = Infinity;
  let vMax = -Infinity;
  for (let i = 0; i < n; i++) {
    if (v[i] < vMin) vMin = v[i];
    if (v[i] > vMax) vMax = v[i];
  }
  if (sum > sumUpper) {
    lo = 0;
    hi = vMax; // S(vMax) = 0 ≤ target
  } else {
    hi = 0;
    lo = Number.isFinite(upper) ? vMin - upper : vMin - target; // S(lo) = n·upper ≥ target, or ≥ target when unbounded
    if (!Number.isFinite(upper)) {
      // Without an upper bound S(τ) ≥ Σ (vᵢ − τ)⁺ ≥ vMax − τ; make sure it reaches the target.
      lo = Math.min(lo, vMax - target);
    }
  }
  let tau = tauHint > lo && tauHint < hi ? tauHint : 0.5 * (lo + hi);
  const scale = Math.max(1, Math.abs(target));
  for (let step = 0; step < 200; step++) {
    let value = 0;
    let free = 0;
    for (let i = 0; i < n; i++) {
      const shifted = v[i] - tau;
      if (shifted <= 0) continue;
      if (shifted >= upper) {
        value += upper;
      } else {
        value += shifted;
        free++;
      }
    }
    const gap = value - target;
    if (Math.abs(gap) <= 1e-14 * scale) break;
    if (gap > 0) lo = tau;
    else hi = tau;
    // Newton step on the current linear piece (slope −free); bisection when it leaves the bracket.
    let next = free > 0 ? tau + gap / free : Number.NaN;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (next === tau || hi - lo <= 1e-15 * Math.max(1, Math.abs(tau))) break;
    tau = next;
  }
  for (let i = 0; i < n; i++) {
    const shifted = v[i] - tau;
    out[i] = shifted < 0 ? 0 : shifted > upper ? upper : shifted;
  }
  return tau;
}

/**
 * The largest eigenvalue of the PSD operator, by power iteration from the all-ones vector; stops
 * after `iterations` or when the estimate changes by at most `relativeTolerance` of itself.
 */
export function largestEigenvalue(problem: Pick<BoxSumQp, 'size' | 'multiply'>, iterations = 60, relativeTolerance = 1e-6): number {
  const n = problem.size;
  let x = new Float64Array(n).fill(1 / Math.sqrt(n));
  let out = new Float64Array(n);
  let estimate = 0;
  for (let k = 0; k < iterations; k++) {
    problem.multiply(x, out);
    let norm = 0;
    for (let i = 0; i < n; i++) norm += out[i] * out[i];
    norm = Math.sqrt(norm);
    if (norm === 0) return 0;
    const previous = estimate;
    estimate = norm;
    for (let i = 0; i < n; i++) out[i] /= norm;
    [x, out] = [out, x];
    if (k > 5 && Math.abs(estimate - previous) <= relativeTolerance * estimate) break;
  }
  return estimate;
}

function checkProblem(problem: BoxSumQp): void {
  const { size, linear, upper, sumLower, sumUpper } = problem;
  if (!Number.isInteger(size) || size < 1 || linear.length !== size) {
    throw new TlkitError('INVALID_ARGUMENT', `solveBoxSumQp: linear has ${linear.length} entries for ${size} variables.`);
  }
  if (!(upper > 0)) throw new TlkitError('INVALID_ARGUMENT', `solveBoxSumQp: upper must be > 0, got ${upper}.`);
  if (!(sumLower >= 0) || !(sumUpper >= sumLower) || sumLower > size * upper) {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `solveBoxSumQp: the sum bounds [${sumLower}, ${sumUpper}] do not meet the box [0, ${upper}]^${size}; widen epsilon or raise B.`,
    );
  }
}

/** The face of the feasible set a point lies on. */
interface Face {
  /** Indices strictly inside (0, upper). */
  readonly free: Int32Array;
  /** True when Σx sits on one of its bounds (then the face keeps Σ fixed). */
  readonly sumFixed: boolean;
}

function faceOf(x: Float64Array, upper: number, sumLower: number, sumUpper: number): Face {
  const free: number[] = [];
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    sum += x[i];
    if (x[i] > 0 && x[i] < upper) free.push(i);
  }
  const slack = 1e-12 * Math.max(1, sumUpper);
  return { free: Int32Array.from(free), sumFixed: sum <= sumLower + slack || sum >= sumUpper - slack };
}

function sameFace(a: Face, b: Face): boolean {
  if (a.sumFixed !== b.sumFixed || a.free.length !== b.free.length) return false;
  for (let k = 0; k < a.free.length; k++) if (a.free[k] !== b.free[k]) return false;
  return true;
}

/**
 * Solves a {@link BoxSumQp} by gradient projection with conjugate gradients on faces (GPCG:
 * Moré & Toraldo, *On the solution of large quadratic programming problems with bound
 * constraints*, SIAM J. Optim. 1(1), 1991), extended to the sum constraint:
 *
 * 1. projected-gradient phase — accelerated projected gradient (FISTA: Beck & Teboulle, SIAM J.
 *    Imaging Sci. 2(1), 2009, with the adaptive restart of O'Donoghue & Candès, Found. Comput.
 *    Math. 15, 2015) using the exact projection {@link projectBoxSum}, until the face (the free
 *    variables, and whether Σx sits on a bound) stays the same for three iterations;
 * 2. face phase — conjugate gradients on that face (variables at a bound held fixed; when Σx is
 *    on a bound, CG runs in the subspace Σd = 0 by projecting its residuals); when a CG step
 *    would leave the feasible set, the better of the step to the first bound and the projection
 *    of the full step is taken (the latter can fix many variables at once);
 *
 * repeated until the gradient mapping `L‖x − P(x − ∇f(x)/L)‖∞` is at most
 * `tolerance · max(1, ‖q‖∞)`. Starts from the projection of the all-ones vector (the unweighted
 * solution of KMM), or from the projection of `options.initial`. Deterministic.
 */
export function solveBoxSumQp(problem: BoxSumQp, options: BoxSumQpOptions = {}): BoxSumQpSolution {
  checkProblem(problem);
  const n = problem.size;
  const { linear, upper, sumLower, sumUpper } = problem;
  const tolerance = options.tolerance ?? 1e-6;
  const maxIterations = options.maxIterations ?? 20000;
  const reportEvery = options.reportEvery ?? 25;
  const lipschitz = options.lipschitz ?? 1.02 * largestEigenvalue(problem) + 1e-12;
  if (!(lipschitz > 0) || !Number.isFinite(lipschitz)) {
    throw new TlkitError('NUMERICAL_ERROR', `solveBoxSumQp: the quadratic term has no positive eigenvalue (L = ${lipschitz}).`);
  }
  let qScale = 1;
  for (let i = 0; i < n; i++) qScale = Math.max(qScale, Math.abs(linear[i]));
  const threshold = tolerance * qScale;

  if (options.initial !== undefined && options.initial.length !== n) {
    throw new TlkitError('INVALID_ARGUMENT', `solveBoxSumQp: initial has ${options.initial.length} entries for ${n} variables.`);
  }
  let x = options.initial ? Float64Array.from(options.initial) : new Float64Array(n).fill(1);
  let tau = projectBoxSum(x, upper, sumLower, sumUpper, x);
  const gradient = new Float64Array(n);
  const product = new Float64Array(n);
  const trial = new Float64Array(n);
  const projected = new Float64Array(n);
  let iterations = 0;
  let converged = false;
  let mapping = Infinity;
  let lastReport = 0;
  const report = () => {
    if (options.onIteration && iterations - lastReport >= reportEvery) {
      lastReport = iterations;
      options.onIteration(iterations, mapping / qScale);
    }
  };
  const computeGradient = () => {
    problem.multiply(x, gradient);
    iterations++;
    for (let i = 0; i < n; i++) gradient[i] -= linear[i];
  };
  /** The gradient mapping at x (its ∞-norm), from the current gradient. */
  const gradientMapping = () => {
    for (let i = 0; i < n; i++) trial[i] = x[i] - gradient[i] / lipschitz;
    tau = projectBoxSum(trial, upper, sumLower, sumUpper, projected, tau);
    let value = 0;
    for (let i = 0; i < n; i++) value = Math.max(value, Math.abs(x[i] - projected[i]) * lipschitz);
    return value;
  };

  computeGradient();
  while (iterations < maxIterations) {
    mapping = gradientMapping();
    if (mapping <= threshold) {
      converged = true;
      break;
    }
    // 1. Projected-gradient phase (FISTA with restart) until the face settles.
    let y = x.slice();
    let previous = x.slice();
    let momentum = 1;
    let face = faceOf(x, upper, sumLower, sumUpper);
    let stable = 0;
    for (let inner = 0; inner < 200 && iterations < maxIterations; inner++) {
      problem.multiply(y, gradient);
      iterations++;
      for (let i = 0; i < n; i++) trial[i] = y[i] - (gradient[i] - linear[i]) / lipschitz;
      const next = previous;
      tau = projectBoxSum(trial, upper, sumLower, sumUpper, next, tau);
      let restartTest = 0;
      let step = 0;
      for (let i = 0; i < n; i++) {
        const difference = y[i] - next[i];
        step = Math.max(step, Math.abs(difference) * lipschitz);
        restartTest += difference * (next[i] - x[i]);
      }
      previous = x;
      x = next;
      mapping = step;
      report();
      if (step <= threshold) break;
      const nextFace = faceOf(x, upper, sumLower, sumUpper);
      stable = sameFace(face, nextFace) ? stable + 1 : 0;
      face = nextFace;
      if (stable >= 3) break;
      if (restartTest > 0) {
        momentum = 1;
        y.set(x);
      } else {
        const nextMomentum = 0.5 * (1 + Math.sqrt(1 + 4 * momentum * momentum));
        const factor = (momentum - 1) / nextMomentum;
        for (let i = 0; i < n; i++) y[i] = x[i] + factor * (x[i] - previous[i]);
        momentum = nextMomentum;
      }
    }
    y = previous = new Float64Array(0);
    if (iterations >= maxIterations) break;
    computeGradient();
    // 2. Conjugate gradients on the face of x.
    const { free, sumFixed } = faceOf(x, upper, sumLower, sumUpper);
    const m = free.length;
    if (m === 0) continue;
    const residual = new Float64Array(m);
    const direction = new Float64Array(n);
    const projectMean = (values: Float64Array) => {
      if (!sumFixed) return;
      let mean = 0;
      for (let k = 0; k < m; k++) mean += values[k];
      mean /= m;
      for (let k = 0; k < m; k++) values[k] -= mean;
    };
    for (let k = 0; k < m; k++) residual[k] = -gradient[free[k]];
    projectMean(residual);
    let residualSquared = 0;
    for (let k = 0; k < m; k++) residualSquared += residual[k] * residual[k];
    for (let k = 0; k < m; k++) direction[free[k]] = residual[k];
    const curvature = new Float64Array(m);
    const projectedProduct = new Float64Array(n);
    for (let cgStep = 0; cgStep < m && iterations < maxIterations; cgStep++) {
      let largest = 0;
      for (let k = 0; k < m; k++) largest = Math.max(largest, Math.abs(residual[k]));
      if (largest <= 0.1 * threshold) break;
      problem.multiply(direction, product);
      iterations++;
      let pHp = 0;
      for (let k = 0; k < m; k++) {
        curvature[k] = product[free[k]];
        pHp += direction[free[k]] * curvature[k];
      }
      if (!(pHp > 0)) break;
      const alpha = residualSquared / pHp;
      // Ratio test: the largest step along the direction that stays feasible.
      let maxStep = Infinity;
      let directionSum = 0;
      let sum = 0;
      for (let k = 0; k < m; k++) {
        const i = free[k];
        const d = direction[i];
        directionSum += d;
        if (d < 0) maxStep = Math.min(maxStep, -x[i] / d);
        else if (d > 0) maxStep = Math.min(maxStep, (upper - x[i]) / d);
      }
      if (!sumFixed) {
        for (let i = 0; i < n; i++) sum += x[i];
        if (directionSum > 0) maxStep = Math.min(maxStep, (sumUpper - sum) / directionSum);
        else if (directionSum < 0) maxStep = Math.min(maxStep, (sumLower - sum) / directionSum);
      }
      if (alpha > maxStep) {
        // The CG step leaves the feasible set: take the better of the step to the first bound and
        // the projection of the full step (which can fix many variables at once), then go back to
        // the projected-gradient phase.
        for (let i = 0; i < n; i++) trial[i] = x[i] + alpha * direction[i];
        tau = projectBoxSum(trial, upper, sumLower, sumUpper, projected, tau);
        for (let i = 0; i < n; i++) trial[i] = projected[i] - x[i];
        const boundaryChange = -maxStep * residualSquared + 0.5 * maxStep * maxStep * pHp;
        problem.multiply(trial, projectedProduct);
        iterations++;
        let projectedChange = 0;
        for (let i = 0; i < n; i++) projectedChange += trial[i] * (gradient[i] + 0.5 * projectedProduct[i]);
        if (projectedChange < boundaryChange) {
          x.set(projected);
          for (let i = 0; i < n; i++) gradient[i] += projectedProduct[i];
        } else {
          for (let i = 0; i < n; i++) gradient[i] += maxStep * product[i];
          for (let k = 0; k < m; k++) {
            const i = free[k];
            const value = x[i] + maxStep * direction[i];
            x[i] = value < 0 ? 0 : value > upper ? upper : value;
          }
        }
        report();
        break;
      }
      for (let i = 0; i < n; i++) gradient[i] += alpha * product[i];
      for (let k = 0; k < m; k++) {
        const i = free[k];
        const value = x[i] + alpha * direction[i];
        x[i] = value < 0 ? 0 : value > upper ? upper : value;
      }
      report();
      for (let k = 0; k < m; k++) residual[k] -= alpha * curvature[k];
      projectMean(residual);
      let nextSquared = 0;
      for (let k = 0; k < m; k++) nextSquared += residual[k] * residual[k];
      const beta = nextSquared / residualSquared;
      residualSquared = nextSquared;
      for (let k = 0; k < m; k++) direction[free[k]] = residual[k] + beta * direction[free[k]];
    }
    // Refresh the gradient (no drift from the running updates) before the convergence test.
    computeGradient();
  }
  // Objective and the natural residual at the returned point.
  problem.multiply(x, product);
  let quadratic = 0;
  let linearTerm = 0;
  for (let i = 0; i < n; i++) {
    quadratic += x[i] * product[i];
    linearTerm += linear[i] * x[i];
    trial[i] = x[i] - (product[i] - linear[i]);
  }
  projectBoxSum(trial, upper, sumLower, sumUpper, projected);
  let natural = 0;
  for (let i = 0; i < n; i++) natural = Math.max(natural, Math.abs(x[i] - projected[i]));
  return {
    x,
    objective: 0.5 * quadratic - linearTerm,
    iterations,
    converged,
    residual: natural,
    lipschitz,
  };
}
