/**
 * Eigenvalues and eigenvectors of a symmetric tridiagonal matrix.
 *
 * - {@link tridiagonalQl}: the implicitly shifted QL iteration with Wilkinson shifts (Golub & Van
 *   Loan, Matrix Computations, 4th ed., §8.3.5; the QL ordering of Bowdler, Martin, Reinsch &
 *   Wilkinson, Numer. Math. 11, 1968). Used for eigenvalues only, and for small blocks.
 * - {@link tridiagonalEigenvectors}: Cuppen's divide and conquer (Cuppen, Numer. Math. 36, 1981)
 *   with the deflation of Dongarra & Sorensen (SIAM J. Sci. Stat. Comput. 8(2), 1987) and the
 *   eigenvector construction of Gu & Eisenstat (SIAM J. Matrix Anal. Appl. 16(1), 1995), which
 *   recomputes the rank-one vector from the computed eigenvalues (Löwner's formula) so that the
 *   eigenvectors are orthogonal to working precision however close the eigenvalues are. The
 *   secular equation is solved with the two-pole rational model of R.-C. Li ("Solving secular
 *   equations stably and efficiently", LAPACK Working Note 89, 1994), safeguarded by bisection.
 *   The eigenvector updates are matrix products, so most of the `O(n³)` work runs in the GEMM
 *   kernel.
 *
 * Both split the matrix wherever an off-diagonal entry is below `ε · ‖T‖` (a normwise test: the
 * Householder reduction before it is only normwise backward stable, and a purely local test can
 * stall on clusters of nearly equal eigenvalues, e.g. a covariance matrix plus λI).
 * @internal
 */
import { TlkitError } from '../errors';
import { gemmAccumulate } from './gemm';

/** Largest number of QL sweeps spent on one eigenvalue before giving up. */
const MAX_SWEEPS_PER_VALUE = 60;
/** Blocks up to this size are solved by QL inside the divide and conquer (LAPACK uses 25). */
const LEAF_SIZE = 24;
/** Iteration cap of one secular-equation root (bisection alone needs < 1100 for any double interval). */
const MAX_SECULAR_ITERATIONS = 1200;
const EPSILON = Number.EPSILON;

/** `max_i (|d_i| + |e_{i−1}| + |e_i|)`, the ∞-norm of the tridiagonal matrix. */
function tridiagonalNorm(diagonal: Float64Array, offDiagonal: Float64Array, start: number, end: number): number {
  let norm = 0;
  for (let i = start; i < end; i++) {
    const below = i > start ? Math.abs(offDiagonal[i - 1]) : 0;
    const above = i + 1 < end ? Math.abs(offDiagonal[i]) : 0;
    norm = Math.max(norm, Math.abs(diagonal[i]) + below + above);
  }
  return norm;
}

/**
 * Implicit QL iteration with Wilkinson shifts on the symmetric tridiagonal matrix with diagonal
 * `diagonal[start..end)` and off-diagonal `offDiagonal[start..end−1)` (`offDiagonal[i]` couples i
 * and i+1). On return `diagonal[start..end)` holds the eigenvalues (unsorted) and the
 * off-diagonal is destroyed. When `rows` is given, the eigenvector matrix is kept transposed:
 * eigenvector i is row `i − start + firstRow` of `rows` (row stride `stride`), entries
 * `columnStart .. columnStart + columnCount`, and every Givens rotation acting on eigenvectors
 * (i, i+1) is applied to those two rows (contiguous memory). Rows that start as I end as the
 * eigenvectors. @internal
 */
export function tridiagonalQl(
  diagonal: Float64Array,
  offDiagonal: Float64Array,
  start: number,
  end: number,
  rows: Float64Array | null = null,
  firstRow = 0,
  columnStart = 0,
  columnCount = 0,
  stride = 0,
): void {
  const negligible = EPSILON * tridiagonalNorm(diagonal, offDiagonal, start, end);
  for (let low = start; low < end; low++) {
    let sweeps = 0;
    for (;;) {
      // The first negligible off-diagonal entry at or after `low` splits the matrix.
      let high = low;
      while (high < end - 1) {
        const size = Math.abs(diagonal[high]) + Math.abs(diagonal[high + 1]);
        const magnitude = Math.abs(offDiagonal[high]);
        if (magnitude <= negligible || magnitude <= EPSILON * size) break;
        high++;
      }
      if (high === low) break;
      if (++sweeps > MAX_SWEEPS_PER_VALUE) {
        throw new TlkitError(
          'NUMERICAL_ERROR',
          `symmetricEigen: the QL iteration did not converge for eigenvalue ${low - start} after ${MAX_SWEEPS_PER_VALUE} sweeps; check the input for extreme scaling.`,
          { index: low - start },
        );
      }
      // Wilkinson shift: the eigenvalue of the leading 2 x 2 block closer to diagonal[low].
      let g = (diagonal[low + 1] - diagonal[low]) / (2 * offDiagonal[low]);
      let radius = Math.hypot(g, 1);
      g = diagonal[high] - diagonal[low] + offDiagonal[low] / (g + (g >= 0 ? radius : -radius));
      let sine = 1;
      let cosine = 1;
      let shiftAccumulated = 0;
      let underflow = false;
      for (let i = high - 1; i >= low; i--) {
        const f = sine * offDiagonal[i];
        const b = cosine * offDiagonal[i];
        radius = Math.hypot(f, g);
        offDiagonal[i + 1] = radius;
        if (radius === 0) {
          // The bulge vanished: deflate and restart the sweep.
          diagonal[i + 1] -= shiftAccumulated;
          offDiagonal[high] = 0;
          underflow = true;
          break;
        }
        sine = f / radius;
        cosine = g / radius;
        g = diagonal[i + 1] - shiftAccumulated;
        radius = (diagonal[i] - g) * sine + 2 * cosine * b;
        shiftAccumulated = sine * radius;
        diagonal[i + 1] = g + shiftAccumulated;
        g = cosine * radius - b;
        if (rows) {
          // Eigenvectors i and i+1 ← (c·v_i − s·v_{i+1}, s·v_i + c·v_{i+1}).
          const upperRow = (firstRow + i - start) * stride + columnStart;
          const lowerRow = upperRow + stride;
          for (let column = 0; column < columnCount; column++) {
            const upper = rows[upperRow + column];
            const lower = rows[lowerRow + column];
            rows[lowerRow + column] = sine * upper + cosine * lower;
            rows[upperRow + column] = cosine * upper - sine * lower;
          }
        }
      }
      if (underflow) continue;
      diagonal[low] -= shiftAccumulated;
      offDiagonal[low] = g;
      offDiagonal[high] = 0;
    }
  }
}

/**
 * All eigenvalues and eigenvectors of the symmetric tridiagonal matrix `(diagonal, offDiagonal)`
 * of size n: on return `diagonal` holds the eigenvalues in ascending order and ROW i of the
 * row-major `n x n` array `rows` (fully overwritten) the unit eigenvector of `diagonal[i]`.
 * `offDiagonal` is destroyed. Divide and conquer (module notes); blocks that split off at a
 * negligible off-diagonal entry are solved independently. @internal
 */
export function tridiagonalEigenvectors(diagonal: Float64Array, offDiagonal: Float64Array, n: number, rows: Float64Array): void {
  rows.fill(0);
  if (n === 0) return;
  // Scale to unit ∞-norm so that nothing in the secular equations over- or underflows.
  const norm = tridiagonalNorm(diagonal, offDiagonal, 0, n);
  if (norm === 0) {
    for (let i = 0; i < n; i++) rows[i * n + i] = 1;
    return;
  }
  const scale = 1 / norm;
  for (let i = 0; i < n; i++) {
    diagonal[i] *= scale;
    offDiagonal[i] *= scale;
  }
  const negligible = EPSILON; // ε · ‖T‖ with ‖T‖ = 1 now
  let blockStart = 0;
  for (let i = 0; i < n; i++) {
    if (i < n - 1 && Math.abs(offDiagonal[i]) > negligible) continue;
    if (i < n - 1) offDiagonal[i] = 0;
    divideAndConquer(diagonal, offDiagonal, rows, n, blockStart, i + 1 - blockStart);
    blockStart = i + 1;
  }
  for (let i = 0; i < n; i++) diagonal[i] *= norm;
  // Blocks are sorted one by one; sort the whole spectrum (stable, so ties keep their order).
  sortRows(diagonal, rows, n, 0, n);
}

/** Sorts `values[start..start+size)` ascending, moving rows `start..` of `rows` along (stable). */
function sortRows(values: Float64Array, rows: Float64Array, n: number, start: number, size: number): void {
  const order = Int32Array.from({ length: size }, (_, index) => start + index);
  order.sort((first, second) => values[first] - values[second] || first - second);
  let sorted = true;
  for (let c = 0; c < size; c++) if (order[c] !== start + c) sorted = false;
  if (sorted) return;
  const sortedValues = new Float64Array(size);
  const sortedRows = new Float64Array(size * n);
  for (let c = 0; c < size; c++) {
    sortedValues[c] = values[order[c]];
    sortedRows.set(rows.subarray(order[c] * n, order[c] * n + n), c * n);
  }
  values.set(sortedValues, start);
  rows.set(sortedRows, start * n);
}

/**
 * Divide and conquer on the unreduced block `start..start+size`: split it in two by a rank-one
 * tear (Cuppen), solve both halves, and merge. On return `diagonal[start..)` is ascending and
 * rows `start..start+size` of `rows` hold the eigenvectors in columns `start..start+size` (the
 * other columns stay zero).
 */
function divideAndConquer(
  diagonal: Float64Array,
  offDiagonal: Float64Array,
  rows: Float64Array,
  n: number,
  start: number,
  size: number,
): void {
  if (size <= LEAF_SIZE) {
    for (let j = start; j < start + size; j++) rows[j * n + j] = 1;
    tridiagonalQl(diagonal, offDiagonal, start, start + size, rows, start, start, size, n);
    sortRows(diagonal, rows, n, start, size);
    return;
  }
  const firstSize = size >> 1;
  const tear = start + firstSize - 1;
  const coupling = offDiagonal[tear];
  // T = diag(T₁ − |β| e_last e_lastᵀ, T₂ − |β| e₁e₁ᵀ) + |β| u uᵀ with u = (e_last; sign(β) e₁).
  diagonal[tear] -= Math.abs(coupling);
  diagonal[tear + 1] -= Math.abs(coupling);
  offDiagonal[tear] = 0;
  divideAndConquer(diagonal, offDiagonal, rows, n, start, firstSize);
  divideAndConquer(diagonal, offDiagonal, rows, n, start + firstSize, size - firstSize);
  mergeRankOne(diagonal, rows, n, start, firstSize, size, coupling);
}

/** Column types of the merge (which halves of the column may be nonzero). */
const TOP = 0;
const DENSE = 1;
const BOTTOM = 2;

/**
 * The eigen-decomposition of `diag(Q₁, Q₂) (D + ρ z zᵀ) diag(Q₁, Q₂)ᵀ` from those of the halves
 * (Dongarra & Sorensen deflation, Gu & Eisenstat eigenvectors), written over the block.
 */
function mergeRankOne(
  diagonal: Float64Array,
  rows: Float64Array,
  n: number,
  start: number,
  firstSize: number,
  size: number,
  coupling: number,
): void {
  // The block's eigenvectors, one per row: vectors[c * size + r] = Q[r][c].
  const vectors = new Float64Array(size * size);
  for (let c = 0; c < size; c++) {
    const from = c < firstSize ? 0 : firstSize;
    const to = c < firstSize ? firstSize : size;
    const source = (start + c) * n + start;
    vectors.set(rows.subarray(source + from, source + to), c * size + from);
  }
  // z = Qᵀ u / √2 (unit length), ρ = 2|β|.
  const sign = coupling >= 0 ? 1 : -1;
  const rho = 2 * Math.abs(coupling);
  const z = new Float64Array(size);
  const values = new Float64Array(size);
  const types = new Int8Array(size);
  for (let c = 0; c < size; c++) {
    z[c] = (c < firstSize ? vectors[c * size + firstSize - 1] : sign * vectors[c * size + firstSize]) * Math.SQRT1_2;
    values[c] = diagonal[start + c];
    types[c] = c < firstSize ? TOP : BOTTOM;
  }
  // Both halves are ascending: merge them into one ascending order.
  const order = new Int32Array(size);
  for (let i = 0, j = firstSize, out = 0; out < size; out++) {
    order[out] = j >= size || (i < firstSize && values[i] <= values[j]) ? i++ : j++;
  }
  let zMax = 0;
  let dMax = 0;
  for (let c = 0; c < size; c++) {
    zMax = Math.max(zMax, Math.abs(z[c]));
    dMax = Math.max(dMax, Math.abs(values[c]));
  }
  const tolerance = 8 * EPSILON * Math.max(dMax, zMax);

  // Deflation: a negligible z component, or two poles so close that a rotation zeroes one z.
  const kept: number[] = []; // non-deflated columns, ascending poles
  const deflated: number[] = [];
  if (rho * zMax <= tolerance) {
    for (let c = 0; c < size; c++) deflated.push(order[c]);
  } else {
    let pending = -1;
    for (let position = 0; position < size; position++) {
      const next = order[position];
      if (rho * Math.abs(z[next]) <= tolerance) {
        deflated.push(next);
        continue;
      }
      if (pending < 0) {
        pending = next;
        continue;
      }
      const zPending = z[pending];
      const zNext = z[next];
      const radius = Math.hypot(zNext, zPending);
      const cosine = zNext / radius;
      const sine = -zPending / radius;
      const gap = values[next] - values[pending];
      if (Math.abs(gap * cosine * sine) <= tolerance) {
        // Rotate (pending, next) so that z[pending] = 0; pending deflates.
        z[next] = radius;
        z[pending] = 0;
        if (types[next] !== types[pending]) types[next] = DENSE;
        const p = pending * size;
        const q = next * size;
        for (let r = 0; r < size; r++) {
          const x = vectors[p + r];
          const y = vectors[q + r];
          vectors[p + r] = cosine * x + sine * y;
          vectors[q + r] = cosine * y - sine * x;
        }
        const dPending = values[pending];
        const dNext = values[next];
        values[pending] = dPending * cosine * cosine + dNext * sine * sine;
        values[next] = dPending * sine * sine + dNext * cosine * cosine;
        deflated.push(pending);
        pending = next;
      } else {
        kept.push(pending);
        pending = next;
      }
    }
    if (pending >= 0) kept.push(pending);
  }

  const keptCount = kept.length;
  const merged = new Float64Array(size); // new eigenvalues: kept roots first, then deflated poles
  let product = new Float64Array(0); // keptCount x size: new eigenvectors of the kept part, as rows
  if (keptCount > 0) {
    const poles = new Float64Array(keptCount);
    const weights = new Float64Array(keptCount);
    for (let i = 0; i < keptCount; i++) {
      poles[i] = values[kept[i]];
      weights[i] = z[kept[i]];
    }
    // Secular roots and differences: differences[j * K + i] = pole_i − λ_j.
    const differences = new Float64Array(keptCount * keptCount);
    for (let j = 0; j < keptCount; j++) merged[j] = secularRoot(j, poles, weights, rho, differences, j * keptCount);
    const secularVectors = secularEigenvectors(poles, weights, differences); // row j = eigenvector j
    // Gather the kept vectors grouped TOP | DENSE | BOTTOM so the halves' zero blocks are skipped:
    // new vector j = Σ_g coefficients[j][g] · gathered[g].
    const grouped: number[] = [];
    for (const type of [TOP, DENSE, BOTTOM]) for (let i = 0; i < keptCount; i++) if (types[kept[i]] === type) grouped.push(i);
    let topCount = 0;
    let bottomCount = 0;
    for (const i of grouped) {
      if (types[kept[i]] === TOP) topCount++;
      if (types[kept[i]] === BOTTOM) bottomCount++;
    }
    const gathered = new Float64Array(keptCount * size);
    const coefficients = new Float64Array(keptCount * keptCount);
    for (let g = 0; g < keptCount; g++) {
      const i = grouped[g];
      gathered.set(vectors.subarray(kept[i] * size, (kept[i] + 1) * size), g * size);
      for (let j = 0; j < keptCount; j++) coefficients[j * keptCount + g] = secularVectors[j * keptCount + i];
    }
    product = new Float64Array(keptCount * size);
    const topGroups = keptCount - bottomCount; // TOP and DENSE vectors reach the first half
    const bottomStart = topCount; // DENSE and BOTTOM vectors reach the second half
    if (topGroups > 0) {
      gemmAccumulate(
        keptCount,
        firstSize,
        topGroups,
        1,
        { data: coefficients, offset: 0, rowStride: keptCount, colStride: 1 },
        { data: gathered, offset: 0, rowStride: size, colStride: 1 },
        product,
        0,
        size,
      );
    }
    if (keptCount - bottomStart > 0) {
      gemmAccumulate(
        keptCount,
        size - firstSize,
        keptCount - bottomStart,
        1,
        { data: coefficients, offset: bottomStart, rowStride: keptCount, colStride: 1 },
        { data: gathered, offset: bottomStart * size + firstSize, rowStride: size, colStride: 1 },
        product,
        firstSize,
        size,
      );
    }
  }
  for (let i = 0; i < deflated.length; i++) merged[keptCount + i] = values[deflated[i]];
  // Write the block back in ascending order of the new eigenvalues.
  const finalOrder = Int32Array.from({ length: size }, (_, index) => index);
  finalOrder.sort((first, second) => merged[first] - merged[second] || first - second);
  for (let c = 0; c < size; c++) {
    const source = finalOrder[c];
    diagonal[start + c] = merged[source];
    const target = (start + c) * n + start;
    if (source < keptCount) rows.set(product.subarray(source * size, (source + 1) * size), target);
    else rows.set(vectors.subarray(deflated[source - keptCount] * size, (deflated[source - keptCount] + 1) * size), target);
  }
}

/**
 * Root `j` (0-based, ascending) of the secular equation `1/ρ + Σ_i w_i² / (d_i − λ) = 0` for
 * strictly increasing poles `d` and nonzero weights `w`: `λ_j ∈ (d_j, d_{j+1})`, or
 * `(d_{K−1}, d_{K−1} + ρ‖w‖²)` for the last. The root is found as `λ = d_o + τ` relative to the
 * nearer pole `d_o`, and `d_i − λ = (d_i − d_o) − τ` is stored at `differences[offset + i]` —
 * accurate even when λ is extremely close to a pole, which the eigenvectors need.
 *
 * Iteration: Li's "middle way" model — each side of the sum is replaced by a constant plus one
 * pole at its nearest `d`, fitted to value and slope at the current τ; the model's root in the
 * interval is the next iterate — with a bracket kept from the sign of f and bisection whenever
 * the step leaves it.
 */
function secularRoot(
  j: number,
  poles: Float64Array,
  weights: Float64Array,
  rho: number,
  differences: Float64Array,
  offset: number,
): number {
  const count = poles.length;
  const inverseRho = 1 / rho;
  const last = j === count - 1;
  let origin: number;
  let low: number;
  let high: number;
  let guess = Number.NaN;
  if (last) {
    let weightSum = 0;
    for (let i = 0; i < count; i++) weightSum += weights[i] * weights[i];
    origin = j;
    low = 0;
    high = rho * weightSum;
  } else {
    const half = 0.5 * (poles[j + 1] - poles[j]);
    const middle = poles[j] + half;
    let value = inverseRho;
    for (let i = 0; i < count; i++) value += (weights[i] * weights[i]) / (poles[i] - middle);
    // Initial guess: the two nearest poles exactly, the rest frozen at the middle (as LAPACK's
    // dlaed4): c + w_j²/(δ_j − τ) + w_{j+1}²/(δ_{j+1} − τ) = 0, a quadratic in τ.
    const left = weights[j] * weights[j];
    const right = weights[j + 1] * weights[j + 1];
    const constant = value + left / half - right / half;
    const gap = 2 * half;
    if (value >= 0) {
      origin = j;
      low = 0;
      high = half;
      const a = constant * gap + left + right;
      const b = left * gap;
      const root = Math.sqrt(Math.abs(a * a - 4 * b * constant));
      guess = a > 0 ? (2 * b) / (a + root) : (a - root) / (2 * constant);
    } else {
      origin = j + 1;
      low = -half;
      high = 0;
      const a = -constant * gap + left + right;
      const b = right * gap;
      const root = Math.sqrt(Math.abs(a * a + 4 * b * constant));
      guess = a > 0 ? (-2 * b) / (a + root) : (a - root) / (2 * constant);
    }
  }
  const base = poles[origin];
  for (let i = 0; i < count; i++) differences[offset + i] = poles[i] - base;
  let tau = guess > low && guess < high ? guess : 0.5 * (low + high);
  for (let iteration = 0; iteration < MAX_SECULAR_ITERATIONS; iteration++) {
    let psi = 0;
    let psiSlope = 0;
    let phi = 0;
    let phiSlope = 0;
    for (let i = 0; i <= j; i++) {
      const ratio = weights[i] / (differences[offset + i] - tau);
      psi += weights[i] * ratio;
      psiSlope += ratio * ratio;
    }
    for (let i = j + 1; i < count; i++) {
      const ratio = weights[i] / (differences[offset + i] - tau);
      phi += weights[i] * ratio;
      phiSlope += ratio * ratio;
    }
    const value = inverseRho + psi + phi;
    if (value === 0) break;
    if (value < 0) low = tau;
    else high = tau;
    // Rounding level of the computed f (each term and τ itself carry relative errors of ~ε).
    const errorBound = EPSILON * (8 * (phi - psi) + 2 * inverseRho + Math.abs(tau) * (psiSlope + phiSlope));
    if (Math.abs(value) <= errorBound) break;
    if (high - low <= 2 * EPSILON * Math.max(Math.abs(low), Math.abs(high))) break;
    let next = Number.NaN;
    const leftDistance = differences[offset + j] - tau; // < 0
    if (last) {
      const constant = value - leftDistance * psiSlope;
      const weight = leftDistance * leftDistance * psiSlope;
      if (constant > 0) next = tau + leftDistance + weight / constant;
    } else {
      const rightDistance = differences[offset + j + 1] - tau; // > 0
      const constant = value - leftDistance * psiSlope - rightDistance * phiSlope;
      const a = constant * (leftDistance + rightDistance) + leftDistance * leftDistance * psiSlope + rightDistance * rightDistance * phiSlope;
      const b = leftDistance * rightDistance * value;
      const root = Math.sqrt(Math.max(a * a - 4 * constant * b, 0));
      const signedRoot = a >= 0 ? a + root : a - root;
      // The two roots of constant·η² − a·η + b = 0; the model has exactly one in the interval.
      const first = signedRoot !== 0 ? (2 * b) / signedRoot : Number.NaN;
      const second = constant !== 0 ? signedRoot / (2 * constant) : Number.NaN;
      if (tau + first > low && tau + first < high) next = tau + first;
      else if (tau + second > low && tau + second < high) next = tau + second;
    }
    if (!(next > low && next < high)) next = 0.5 * (low + high);
    if (next === tau) break;
    tau = next;
  }
  for (let i = 0; i < count; i++) differences[offset + i] -= tau;
  return base + tau;
}

/**
 * Gu–Eisenstat: the weights `ŵ` for which the computed roots are exact (Löwner's formula,
 * `ŵ_i² = −Π_j (d_i − λ_j) / Π_{j≠i} (d_i − d_j)` up to the common factor ρ), then eigenvector
 * j = `(ŵ_i / (d_i − λ_j))_i` normalised. Returns them as rows (K x K).
 */
function secularEigenvectors(poles: Float64Array, weights: Float64Array, differences: Float64Array): Float64Array {
  const count = poles.length;
  const corrected = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let product = differences[i * count + i];
    for (let j = 0; j < count; j++) {
      if (j === i) continue;
      product *= differences[j * count + i] / (poles[i] - poles[j]);
    }
    const magnitude = Math.sqrt(Math.max(-product, 0));
    corrected[i] = weights[i] >= 0 ? magnitude : -magnitude;
  }
  const rows = new Float64Array(count * count);
  for (let j = 0; j < count; j++) {
    const offset = j * count;
    let normSquared = 0;
    for (let i = 0; i < count; i++) {
      const value = corrected[i] / differences[offset + i];
      rows[offset + i] = value;
      normSquared += value * value;
    }
    const inverse = 1 / Math.sqrt(normSquared);
    for (let i = 0; i < count; i++) rows[offset + i] *= inverse;
  }
  return rows;
}
