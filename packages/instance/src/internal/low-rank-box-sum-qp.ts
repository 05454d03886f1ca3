/**
 * The box- and sum-constrained QP of kernel mean matching when the quadratic term is low rank plus
 * diagonal, `H = ΦΦᵀ + diag(d)` (the Nyström approximation), solved by ADMM whose linear step uses
 * the Woodbury identity with an m x m Cholesky factor, and polished, when needed, by
 * {@link solveBoxSumQp} from the ADMM point.
 *
 * @internal Not exported from the package.
 */
import { cholesky, choleskySolve, gram, Matrix, TlkitError } from '@tlkit/core';
import { type BoxSumQp, type BoxSumQpSolution, largestEigenvalue, solveBoxSumQp } from './box-sum-qp';

/** `min ½‖Φᵀx‖² + ½ Σ dᵢxᵢ² − qᵀx` over `0 ≤ xᵢ ≤ upper`, `sumLower ≤ Σx ≤ sumUpper`. */
export interface LowRankBoxSumQp {
  /** Φ, n x m (row i = φ(xᵢ)). */
  readonly features: Matrix;
  /** d, n non-negative entries. */
  readonly diagonal: Float64Array;
  readonly linear: Float64Array;
  readonly upper: number;
  readonly sumLower: number;
  readonly sumUpper: number;
}

/** Options of {@link solveLowRankBoxSumQp}. */
export interface LowRankBoxSumQpOptions {
  /** The stopping rule of {@link solveBoxSumQp}: gradient mapping ≤ tolerance · max(1, ‖q‖∞). Default 1e-6. */
  readonly tolerance?: number;
  /** Most products with H (ADMM iterations and convergence checks, then the polishing solver's). Default 20000. */
  readonly maxIterations?: number;
  /** Called now and then with (products so far, gradient mapping / max(1, ‖q‖∞)); throw to abort. */
  readonly onIteration?: (iteration: number, residual: number) => void;
}

/** `out = Φᵀ x` (m entries). */
export function transposeProduct(features: Matrix, x: Float64Array, out: Float64Array): void {
  const n = features.rows;
  const m = features.cols;
  const phi = features.data;
  out.fill(0);
  let i = 0;
  // Four rows at a time: one pass over `out` per four rows of Φ.
  for (; i + 3 < n; i += 4) {
    const a = x[i];
    const b = x[i + 1];
    const c = x[i + 2];
    const e = x[i + 3];
    const o0 = i * m;
    const o1 = o0 + m;
    const o2 = o1 + m;
    const o3 = o2 + m;
    for (let k = 0; k < m; k++) out[k] += a * phi[o0 + k] + b * phi[o1 + k] + c * phi[o2 + k] + e * phi[o3 + k];
  }
  for (; i < n; i++) {
    const a = x[i];
    const offset = i * m;
    for (let k = 0; k < m; k++) out[k] += a * phi[offset + k];
  }
}

/** `out = Φ u` (n entries). */
export function featureProduct(features: Matrix, u: Float64Array, out: Float64Array): void {
  const n = features.rows;
  const m = features.cols;
  const phi = features.data;
  let i = 0;
  // Four rows at a time: one pass over `u` per four rows of Φ.
  for (; i + 3 < n; i += 4) {
    const o0 = i * m;
    const o1 = o0 + m;
    const o2 = o1 + m;
    const o3 = o2 + m;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let k = 0; k < m; k++) {
      const value = u[k];
      s0 += phi[o0 + k] * value;
      s1 += phi[o1 + k] * value;
      s2 += phi[o2 + k] * value;
      s3 += phi[o3 + k] * value;
    }
    out[i] = s0;
    out[i + 1] = s1;
    out[i + 2] = s2;
    out[i + 3] = s3;
  }
  for (; i < n; i++) {
    const offset = i * m;
    let sum = 0;
    for (let k = 0; k < m; k++) sum += phi[offset + k] * u[k];
    out[i] = sum;
  }
}

/**
 * `z = argmin Σ ½hᵢzᵢ² − aᵢzᵢ` over the box ∩ sum set: `zᵢ = clip((aᵢ − τ)/hᵢ, 0, upper)` with the
 * multiplier τ of the sum constraint (0 when the clipped point satisfies it; otherwise the root of
 * the non-increasing piecewise-linear Σzᵢ(τ) = bound, by Newton steps safeguarded by bisection).
 * Every hᵢ > 0.
 */
export function scaledProjectBoxSum(
  a: Float64Array,
  h: Float64Array,
  upper: number,
  sumLower: number,
  sumUpper: number,
  out: Float64Array,
  tauHint = 0,
): number {
  const n = a.length;
  const evaluate = (tau: number): { sum: number; slope: number } => {
    let sum = 0;
    let slope = 0;
    for (let i = 0; i < n; i++) {
      const value = (a[i] - tau) / h[i];
      if (value <= 0) {
        out[i] = 0;
      } else if (value >= upper) {
        out[i] = upper;
        sum += upper;
      } else {
        out[i] = value;
        sum += value;
        slope += 1 / h[i];
      }
    }
    return { sum, slope };
  };
  const start = evaluate(0);
  if (start.sum >= sumLower && start.sum <= sumUpper) return 0;
  const target = start.sum > sumUpper ? sumUpper : sumLower;
  // Bracket: Σz(τ) = 0 for τ ≥ max aᵢ, = n·upper for τ ≤ min(aᵢ − upper·hᵢ).
  let lo: number;
  let hi: number;
  if (start.sum > sumUpper) {
    lo = 0;
    hi = -Infinity;
    for (let i = 0; i < n; i++) hi = Math.max(hi, a[i]);
  } else {
    hi = 0;
    lo = Infinity;
    for (let i = 0; i < n; i++) lo = Math.min(lo, a[i] - (Number.isFinite(upper) ? upper : target) * h[i]);
  }
  let tau = tauHint > lo && tauHint < hi ? tauHint : 0.5 * (lo + hi);
  const scale = Math.max(1, Math.abs(target));
  for (let step = 0; step < 200; step++) {
    const { sum, slope } = evaluate(tau);
    const gap = sum - target;
    if (Math.abs(gap) <= 1e-14 * scale) return tau;
    if (gap > 0) lo = tau;
    else hi = tau;
    let next = slope > 0 ? tau + gap / slope : Number.NaN;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (next === tau || hi - lo <= 1e-15 * Math.max(1, Math.abs(tau))) break;
    tau = next;
  }
  evaluate(tau);
  return tau;
}

/** The largest eigenvalue of a symmetric PSD m x m matrix (power iteration, 500 steps at most, to 1e-9). */
function largestEigenvalueOf(G: Matrix): number {
  const m = G.rows;
  const multiply = (x: Float64Array, out: Float64Array) => {
    for (let r = 0; r < m; r++) {
      let sum = 0;
      const offset = r * m;
      for (let c = 0; c < m; c++) sum += G.data[offset + c] * x[c];
      out[r] = sum;
    }
  };
  return largestEigenvalue({ size: m, multiply }, 500, 1e-9);
}

/**
 * Solves a {@link LowRankBoxSumQp} to the stopping rule of {@link solveBoxSumQp} (the gradient
 * mapping `L‖x − P(x − ∇f(x)/L)‖∞ ≤ tolerance · max(1, ‖q‖∞)`, P the projection onto the feasible
 * set, with `L = 1.02 (λmax(ΦᵀΦ) + max dᵢ) ≥ 1.02 λmax(H)`).
 *
 * Method: ADMM (Boyd, Parikh, Chu, Peleato & Eckstein, *Distributed Optimization and Statistical
 * Learning via the Alternating Direction Method of Multipliers*, Found. Trends Mach. Learn. 3(1),
 * 2011, §3 with over-relaxation α = 1.6 and residual balancing of ρ every 10 iterations, §3.4.1) on the splitting
 * `f(x) = ½‖Φᵀx‖² − qᵀx`, `g(z) = ½zᵀDz + indicator(feasible set)`, `x = z`:
 * - x-step: `(ΦΦᵀ + ρI) x = q + ρ(z − w)`, by the Woodbury identity
 *   `(ρI + ΦΦᵀ)⁻¹ r = (r − Φ(ρI + ΦᵀΦ)⁻¹Φᵀr)/ρ` with the Cholesky factor of the m x m matrix
 *   `ρI + ΦᵀΦ` (ΦᵀΦ formed once; refactored when ρ changes): two passes over Φ, as one product with H;
 * - z-step: the separable {@link scaledProjectBoxSum};
 * - every 10 iterations the true gradient mapping is evaluated at z (feasible); ADMM stops when it
 *   meets the tolerance, or stalls (no 10 % gain in 5 checks), and then {@link solveBoxSumQp} polishes from z to the same
 *   stopping rule (its products counted in `iterations`).
 */
export function solveLowRankBoxSumQp(problem: LowRankBoxSumQp, options: LowRankBoxSumQpOptions = {}): BoxSumQpSolution {
  const { features, diagonal, linear, upper, sumLower, sumUpper } = problem;
  const n = features.rows;
  const m = features.cols;
  if (diagonal.length !== n || linear.length !== n) {
    throw new TlkitError('INVALID_ARGUMENT', `solveLowRankBoxSumQp: features have ${n} rows but diagonal has ${diagonal.length} and linear ${linear.length} entries.`);
  }
  const tolerance = options.tolerance ?? 1e-6;
  const maxIterations = options.maxIterations ?? 20000;
  const G = gram(features);
  let maxDiagonal = 0;
  for (let i = 0; i < n; i++) maxDiagonal = Math.max(maxDiagonal, diagonal[i]);
  const lipschitz = 1.02 * (largestEigenvalueOf(G) + maxDiagonal) + 1e-12;
  const multiply = (x: Float64Array, out: Float64Array) => {
    const u = new Float64Array(m);
    transposeProduct(features, x, u);
    featureProduct(features, u, out);
    for (let i = 0; i < n; i++) out[i] += diagonal[i] * x[i];
  };
  const qp: BoxSumQp = { size: n, multiply, linear, upper, sumLower, sumUpper };
  let qScale = 1;
  for (let i = 0; i < n; i++) qScale = Math.max(qScale, Math.abs(linear[i]));
  const threshold = tolerance * qScale;

  // ρ starts at 10⁻³ · √(mean dᵢ · L) (the geometric mean of the ends of H's spectrum, scaled down:
  // an empirical choice — on the Nyström KMM bench residual balancing settles near it) and adapts.
  let meanDiagonal = 0;
  for (let i = 0; i < n; i++) meanDiagonal += diagonal[i];
  meanDiagonal /= n;
  let rho = 1e-3 * Math.sqrt(Math.max(meanDiagonal, 1e-6 * lipschitz) * lipschitz);
  const factorFor = (value: number): Matrix => {
    const shifted = G.clone();
    for (let k = 0; k < m; k++) shifted.data[k * m + k] += value;
    return cholesky(shifted);
  };
  let factor = factorFor(rho);
  const x = new Float64Array(n);
  const z = new Float64Array(n);
  const w = new Float64Array(n);
  const relaxed = new Float64Array(n);
  const rhs = new Float64Array(n);
  const u = new Float64Array(m);
  const back = new Float64Array(n);
  const h = new Float64Array(n);
  const a = new Float64Array(n);
  const gradient = new Float64Array(n);
  const trial = new Float64Array(n);
  const projected = new Float64Array(n);
  const previousZ = new Float64Array(n);
  const alpha = 1.6;
  // Start from the projection of the all-ones vector (as solveBoxSumQp).
  const ones = new Float64Array(n).fill(1);
  const unitH = new Float64Array(n).fill(1);
  let tau = scaledProjectBoxSum(ones, unitH, upper, sumLower, sumUpper, z);
  let products = 0;
  let projectionTau = 0;
  const gradientMappingAt = (point: Float64Array): number => {
    multiply(point, gradient);
    products++;
    for (let i = 0; i < n; i++) {
      gradient[i] -= linear[i];
      trial[i] = point[i] - gradient[i] / lipschitz;
    }
    projectionTau = scaledProjectBoxSum(trial, unitH, upper, sumLower, sumUpper, projected, projectionTau);
    let value = 0;
    for (let i = 0; i < n; i++) value = Math.max(value, Math.abs(point[i] - projected[i]) * lipschitz);
    return value;
  };
  let best = Infinity;
  let sinceBest = 0;
  let converged = false;
  let iteration = 0;
  for (; products < maxIterations; iteration++) {
    // x-step (Woodbury).
    for (let i = 0; i < n; i++) rhs[i] = linear[i] + rho * (z[i] - w[i]);
    transposeProduct(features, rhs, u);
    const solved = choleskySolve(factor, u);
    featureProduct(features, solved, back);
    products++;
    for (let i = 0; i < n; i++) x[i] = (rhs[i] - back[i]) / rho;
    // z-step: min ½ Σ dᵢzᵢ² + ρ/2 ‖z − v‖², v = αx + (1 − α)z + w.
    previousZ.set(z);
    for (let i = 0; i < n; i++) {
      relaxed[i] = alpha * x[i] + (1 - alpha) * z[i];
      h[i] = diagonal[i] + rho;
      a[i] = rho * (relaxed[i] + w[i]);
    }
    tau = scaledProjectBoxSum(a, h, upper, sumLower, sumUpper, z, tau);
    let primal = 0;
    let dual = 0;
    let xNorm = 0;
    let zNorm = 0;
    let wNorm = 0;
    for (let i = 0; i < n; i++) {
      w[i] += relaxed[i] - z[i];
      primal += (x[i] - z[i]) ** 2;
      dual += (z[i] - previousZ[i]) ** 2;
      xNorm += x[i] * x[i];
      zNorm += z[i] * z[i];
      wNorm += w[i] * w[i];
    }
    if ((iteration + 1) % 10 === 0) {
      const mapping = gradientMappingAt(z);
      options.onIteration?.(products, mapping / qScale);
      if (mapping <= threshold) {
        converged = true;
        break;
      }
      if (mapping < 0.9 * best) {
        best = mapping;
        sinceBest = 0;
      } else if (++sinceBest >= 5) {
        break; // stalled: hand over to the polishing solver
      }
    }
    // Residual balancing (Boyd et al. §3.4.1, on relative residuals as in OSQP).
    if ((iteration + 1) % 10 === 0) {
      const primalRelative = Math.sqrt(primal) / Math.max(1e-30, Math.sqrt(Math.max(xNorm, zNorm)));
      const dualRelative = (rho * Math.sqrt(dual)) / Math.max(1e-30, rho * Math.sqrt(wNorm));
      const ratio = Math.sqrt(primalRelative / Math.max(dualRelative, 1e-30));
      if (ratio > 5 || ratio < 0.2) {
        const next = rho * Math.min(100, Math.max(0.01, ratio));
        // Scaled dual variable w = y/ρ keeps y fixed.
        for (let i = 0; i < n; i++) w[i] *= rho / next;
        rho = next;
        factor = factorFor(rho);
      }
    }
  }
  if (converged) {
    multiply(z, gradient);
    products++;
    let quadratic = 0;
    let linearTerm = 0;
    for (let i = 0; i < n; i++) {
      quadratic += z[i] * gradient[i];
      linearTerm += linear[i] * z[i];
      trial[i] = z[i] - (gradient[i] - linear[i]);
    }
    scaledProjectBoxSum(trial, unitH, upper, sumLower, sumUpper, projected);
    let natural = 0;
    for (let i = 0; i < n; i++) natural = Math.max(natural, Math.abs(z[i] - projected[i]));
    return { x: z, objective: 0.5 * quadratic - linearTerm, iterations: products, converged: true, residual: natural, lipschitz };
  }
  const polished = solveBoxSumQp(qp, {
    tolerance,
    maxIterations: Math.max(1, maxIterations - products),
    lipschitz,
    initial: z,
    ...(options.onIteration ? { onIteration: (k: number, r: number) => options.onIteration?.(products + k, r) } : {}),
  });
  return { ...polished, iterations: polished.iterations + products };
}
