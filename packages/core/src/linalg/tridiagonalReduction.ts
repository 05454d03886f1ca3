/**
 * Blocked Householder reduction of a dense symmetric matrix to tridiagonal form, `T = Qᵀ A Q`, and
 * the blocked application of `Q` to a matrix of eigenvectors.
 *
 * Reduction: Dongarra, Hammarling & Sorensen, "Block reduction of matrices to condensed forms for
 * eigenvalue computations", J. Comput. Appl. Math. 27, 1989 (the scheme of LAPACK's `dsytrd` /
 * `dlatrd`). A panel of `b` reflectors is built with the trailing matrix left un-updated: each
 * reflector's `w = β (A v − V Wᵀ v − W Vᵀ v)` corrects for the panel's earlier reflectors, and the
 * trailing matrix then receives the whole panel at once, `A ← A − V Wᵀ − W Vᵀ`, as two matrix
 * products. Half the flops become matrix products; the other half are the symmetric
 * matrix–vector products, which read only the upper triangle (each entry used twice).
 *
 * Back-transformation: the compact WY form `H_s ⋯ H_{s+b−1} = I − Y T Yᵀ` with `T` upper
 * triangular (Schreiber & Van Loan, "A storage-efficient WY representation for products of
 * Householder transformations", SIAM J. Sci. Stat. Comput. 10(1), 1989; Golub & Van Loan, Matrix
 * Computations, 4th ed., §5.1.7), so `Z ← Q Z` is two matrix products per panel.
 * @internal
 */
import { gemmAccumulate } from './gemm';
import { createReductionKernel } from './wasmReductionKernel';

/** Reflectors per panel of the blocked reduction and of the back-transformation. */
const PANEL = 32;
/**
 * From this size on the symmetric products run in the WebAssembly SIMD kernel (when available)
 * and the back-transformation in blocked form; below it plain loops cost less.
 */
const WASM_MINIMUM_SIZE = 32;

/** The tridiagonal form `T = Qᵀ A Q` and the Householder data that define Q. @internal */
export interface Tridiagonal {
  /** `T[i][i]`, length n. */
  readonly diagonal: Float64Array;
  /** `T[i][i + 1]`, length n (the last entry is 0). */
  readonly offDiagonal: Float64Array;
  /**
   * `β_k` of reflector `H_k = I − β_k v_k v_kᵀ` (k = 0..n−3); `v_k` lies in row k of the work
   * array, at columns `k+1..n−1` (its entries at columns ≤ k are zero and not stored).
   */
  readonly betas: Float64Array;
}

/**
 * Householder tridiagonalisation in place. Step k zeroes row/column k beyond the first
 * off-diagonal with `H_k = I − β v vᵀ` acting on indices `k+1..n−1` (Golub & Van Loan,
 * Algorithm 8.3.1), blocked as described in the module notes. Only the upper triangle of `work`
 * (row-major `n x n`) is read; on return its strict lower triangle holds garbage and row k holds
 * `v_k` right of the first off-diagonal position. `kernel: 'javascript'` keeps the level-2 loops
 * out of WebAssembly (for tests). @internal
 */
export function tridiagonalize(
  work: Float64Array,
  n: number,
  panelSize = PANEL,
  kernel: 'auto' | 'javascript' = 'auto',
): Tridiagonal {
  const layout = new Layout(n, panelSize);
  const wasm = kernel === 'auto' && n >= WASM_MINIMUM_SIZE ? createReductionKernel(layout.size) : null;
  const level2: Level2 = wasm
    ? {
        memory: wasm.memory,
        product: (first, xOffset) => wasm.product(0, n, first, xOffset, layout.y),
        dots: wasm.dots,
        axpys: wasm.axpys,
      }
    : javascriptLevel2(new Float64Array(layout.size), n, layout.y);
  const memory = level2.memory;
  memory.set(work);
  const result = reduce(level2, layout, n, panelSize);
  work.set(memory.subarray(0, n * n));
  return result;
}

/** Where everything lives in the reduction's memory (element offsets). */
class Layout {
  /** y = A₂₂ v (n). */
  readonly y: number;
  /** The panel's v vectors as rows (panel x n). */
  readonly v: number;
  /** The panel's w vectors as rows (panel x n). */
  readonly w: number;
  /** Scratch coefficients (4 x panel). */
  readonly coefficients: number;
  readonly size: number;
  constructor(n: number, panelSize: number) {
    this.y = n * n;
    this.v = this.y + n;
    this.w = this.v + panelSize * n;
    this.coefficients = this.w + panelSize * n;
    this.size = this.coefficients + 4 * panelSize;
  }
}

/** The level-2 operations of the reduction on one flat memory (element offsets throughout). */
interface Level2 {
  readonly memory: Float64Array;
  /** `memory[y + i] = Σ_j A[i][j] memory[xOffset + j]` over `first ≤ i, j < n` (A at 0, upper triangle). */
  product(first: number, xOffset: number): void;
  /** `memory[out + q] = Σ_{first ≤ j < last} memory[rows + q·stride + j] memory[x + j]`, q < count. */
  dots(rows: number, count: number, stride: number, x: number, first: number, last: number, out: number): void;
  /** `memory[y + j] −= Σ_{q < count} memory[coefficients + q] memory[rows + q·stride + j]`, first ≤ j < last. */
  axpys(rows: number, count: number, stride: number, coefficients: number, y: number, first: number, last: number): void;
}

function javascriptLevel2(memory: Float64Array, n: number, yOffset: number): Level2 {
  const y = memory.subarray(yOffset, yOffset + n);
  return {
    memory,
    product: (first, xOffset) => symmetricUpperProduct(memory, n, first, memory, xOffset, y),
    dots(rows, count, stride, x, first, last, out) {
      for (let q = 0; q < count; q++) {
        const row = rows + q * stride;
        let sum = 0;
        for (let j = first; j < last; j++) sum += memory[row + j] * memory[x + j];
        memory[out + q] = sum;
      }
    },
    axpys(rows, count, stride, coefficients, target, first, last) {
      for (let q = 0; q < count; q++) {
        const row = rows + q * stride;
        const factor = memory[coefficients + q];
        for (let j = first; j < last; j++) memory[target + j] -= factor * memory[row + j];
      }
    },
  };
}

/** The blocked reduction on `level2.memory` (A at offset 0, the rest per `layout`). */
function reduce(level2: Level2, layout: Layout, n: number, panelSize: number): Tridiagonal {
  const memory = level2.memory;
  const diagonal = new Float64Array(n);
  const offDiagonal = new Float64Array(n);
  const betas = new Float64Array(n);
  const reflectorCount = Math.max(n - 2, 0);
  const { y, v: vBase, w: wBase } = layout;
  const dotsV = layout.coefficients; // V_qᵀ v
  const dotsW = dotsV + panelSize; // W_qᵀ v
  const columnW = dotsW + panelSize; // W_q[k]
  const columnV = columnW + panelSize; // V_q[k]

  for (let start = 0; start < reflectorCount; start += panelSize) {
    const width = Math.min(panelSize, reflectorCount - start);
    memory.fill(0, vBase, vBase + 2 * panelSize * n); // V and W rows
    for (let p = 0; p < width; p++) {
      const k = start + p;
      const rowK = k * n;
      // 1. Bring row k (= column k) up to date with the panel's earlier reflectors:
      //    A[k, k:n] −= Σ_q V_q W_q[k] + W_q V_q[k].
      for (let q = 0; q < p; q++) {
        memory[columnW + q] = memory[wBase + q * n + k];
        memory[columnV + q] = memory[vBase + q * n + k];
      }
      level2.axpys(vBase, p, n, columnW, rowK, k, n);
      level2.axpys(wBase, p, n, columnV, rowK, k, n);
      diagonal[k] = memory[rowK + k];
      // 2. The reflector that zeroes A[k, k+2 : n].
      const first = k + 1;
      const beta = makeReflector(memory, rowK + first, n - first, offDiagonal, k);
      betas[k] = beta;
      if (beta === 0) continue;
      memory.copyWithin(vBase + p * n + first, rowK + first, rowK + n);
      // 3. y = A₂₂ v (A₂₂ as of the panel start) − V (Wᵀ v) − W (Vᵀ v).
      level2.product(first, rowK);
      level2.dots(vBase, p, n, rowK, first, n, dotsV);
      level2.dots(wBase, p, n, rowK, first, n, dotsW);
      level2.axpys(vBase, p, n, dotsW, y, first, n);
      level2.axpys(wBase, p, n, dotsV, y, first, n);
      // 4. w = β y − (β² yᵀv / 2) v.
      let yv = 0;
      for (let j = first; j < n; j++) yv += memory[y + j] * memory[rowK + j];
      const correction = 0.5 * beta * beta * yv;
      const wOffset = wBase + p * n;
      for (let j = first; j < n; j++) memory[wOffset + j] = beta * memory[y + j] - correction * memory[rowK + j];
    }
    // 5. Trailing update A₂₂ ← A₂₂ − V Wᵀ − W Vᵀ on rows/columns ≥ start + width (upper triangle).
    const trailing = start + width;
    const size = n - trailing;
    if (size > 0) {
      const vView = { data: memory, offset: vBase + trailing, rowStride: 1, colStride: n };
      const wView = { data: memory, offset: wBase + trailing, rowStride: 1, colStride: n };
      const vRows = { data: memory, offset: vBase + trailing, rowStride: n, colStride: 1 };
      const wRows = { data: memory, offset: wBase + trailing, rowStride: n, colStride: 1 };
      gemmAccumulate(size, size, width, -1, vView, wRows, memory, trailing * n + trailing, n, true);
      gemmAccumulate(size, size, width, -1, wView, vRows, memory, trailing * n + trailing, n, true);
    }
  }
  if (n >= 2) {
    diagonal[n - 2] = memory[(n - 2) * n + n - 2];
    offDiagonal[n - 2] = memory[(n - 2) * n + n - 1];
  }
  if (n >= 1) diagonal[n - 1] = memory[n * n - 1];
  return { diagonal, offDiagonal, betas };
}

/**
 * Turns `x = data[offset .. offset + length)` into the Householder vector `v` of the reflector
 * `H = I − β v vᵀ` with `H x = α e₁`, stores `α` at `alphaOut[alphaIndex]` and returns β (0 when
 * x is already zero). The vector is computed on `x / max|x|`, so nothing under- or overflows
 * (H does not depend on the scale of v).
 */
function makeReflector(data: Float64Array, offset: number, length: number, alphaOut: Float64Array, alphaIndex: number): number {
  let scale = 0;
  for (let j = 0; j < length; j++) scale = Math.max(scale, Math.abs(data[offset + j]));
  if (scale === 0) {
    alphaOut[alphaIndex] = 0;
    return 0;
  }
  const inverse = 1 / scale;
  let normSquared = 0;
  for (let j = 0; j < length; j++) {
    const value = data[offset + j] * inverse;
    data[offset + j] = value;
    normSquared += value * value;
  }
  const x0 = data[offset];
  const norm = Math.sqrt(normSquared);
  const alpha = x0 > 0 ? -norm : norm;
  // v = x − α e₁ and β = 2 / vᵀv = 1 / (α² − α x₀), all in units of `scale`.
  data[offset] = x0 - alpha;
  alphaOut[alphaIndex] = alpha * scale;
  return 1 / (alpha * alpha - alpha * x0);
}

/**
 * `y[first..n) = A[first..n, first..n] · x[xOffset + first ..)` for a symmetric A given by the
 * upper triangle of the row-major `n x n` array `a`: each stored entry serves row i and column j.
 * @internal
 */
export function symmetricUpperProduct(
  a: Float64Array,
  n: number,
  first: number,
  x: Float64Array,
  xOffset: number,
  y: Float64Array,
): void {
  y.fill(0, first, n);
  const base = xOffset;
  let i = first;
  // Two rows at a time: each pass over the columns j > i + 1 feeds two dot products and two axpys.
  for (; i + 1 < n; i += 2) {
    const row0 = i * n;
    const row1 = row0 + n;
    const x0 = x[base + i];
    const x1 = x[base + i + 1];
    const a01 = a[row0 + i + 1];
    let sum0 = a[row0 + i] * x0 + a01 * x1;
    let sum1 = a01 * x0 + a[row1 + i + 1] * x1;
    for (let j = i + 2; j < n; j++) {
      const a0 = a[row0 + j];
      const a1 = a[row1 + j];
      const xj = x[base + j];
      sum0 += a0 * xj;
      sum1 += a1 * xj;
      y[j] += a0 * x0 + a1 * x1;
    }
    y[i] += sum0;
    y[i + 1] += sum1;
  }
  if (i < n) y[i] += a[i * n + i] * x[base + i];
}

/**
 * `Z ← Q Z` for `Q = H_0 H_1 ⋯ H_{n−3}` from {@link tridiagonalize} and a row-major `n x cols`
 * array Z, by panels of reflectors from the last to the first, each applied in compact WY form
 * `I − Y T Yᵀ` (two matrix products). @internal
 */
export function applyTridiagonalQ(
  work: Float64Array,
  betas: Float64Array,
  n: number,
  z: Float64Array,
  cols: number,
  panelSize = PANEL,
): void {
  const reflectorCount = Math.max(n - 2, 0);
  if (reflectorCount === 0 || cols === 0) return;
  if (n < WASM_MINIMUM_SIZE) {
    applyReflectorsOneByOne(work, betas, n, z, cols);
    return;
  }
  const yRows = new Float64Array(panelSize * n);
  const t = new Float64Array(panelSize * panelSize);
  const product = new Float64Array(panelSize * cols);
  const scaled = new Float64Array(panelSize * cols);
  const lastStart = Math.floor((reflectorCount - 1) / panelSize) * panelSize;
  for (let start = lastStart; start >= 0; start -= panelSize) {
    const width = Math.min(panelSize, reflectorCount - start);
    const first = start + 1; // reflectors of this panel act on rows first..n−1
    const length = n - first;
    // Y as rows: row p = v_{start+p} on rows first..n−1 (zeros above its support).
    yRows.fill(0, 0, width * length);
    for (let p = 0; p < width; p++) {
      const k = start + p;
      const source = k * n;
      const target = p * length - first;
      for (let j = k + 1; j < n; j++) yRows[target + j] = work[source + j];
    }
    buildWyTriangle(yRows, betas, start, width, length, t, panelSize);
    // product = Yᵀ Z[first:n, :]
    product.fill(0, 0, width * cols);
    gemmAccumulate(
      width,
      cols,
      length,
      1,
      { data: yRows, offset: 0, rowStride: length, colStride: 1 },
      { data: z, offset: first * cols, rowStride: cols, colStride: 1 },
      product,
      0,
      cols,
    );
    // scaled = T · product (T upper triangular)
    for (let p = 0; p < width; p++) {
      const row = p * cols;
      scaled.fill(0, row, row + cols);
      for (let q = p; q < width; q++) {
        const factor = t[p * panelSize + q];
        if (factor === 0) continue;
        const source = q * cols;
        for (let j = 0; j < cols; j++) scaled[row + j] += factor * product[source + j];
      }
    }
    // Z[first:n, :] −= Y · scaled
    gemmAccumulate(
      length,
      cols,
      width,
      -1,
      { data: yRows, offset: 0, rowStride: 1, colStride: length },
      { data: scaled, offset: 0, rowStride: cols, colStride: 1 },
      z,
      first * cols,
      cols,
    );
  }
}

/** `Z ← H_0 ⋯ H_{n−3} Z` one reflector at a time, `Z ← Z − β v (vᵀ Z)` (small n: no products to batch). */
function applyReflectorsOneByOne(work: Float64Array, betas: Float64Array, n: number, z: Float64Array, cols: number): void {
  const projection = new Float64Array(cols);
  for (let k = n - 3; k >= 0; k--) {
    const beta = betas[k];
    if (beta === 0) continue;
    const rowK = k * n;
    projection.fill(0);
    for (let i = k + 1; i < n; i++) {
      const vi = work[rowK + i];
      const row = i * cols;
      for (let j = 0; j < cols; j++) projection[j] += vi * z[row + j];
    }
    for (let i = k + 1; i < n; i++) {
      const factor = beta * work[rowK + i];
      const row = i * cols;
      for (let j = 0; j < cols; j++) z[row + j] -= factor * projection[j];
    }
  }
}

/**
 * The upper-triangular `T` of `H_start ⋯ H_{start+width−1} = I − Y T Yᵀ` (forward accumulation:
 * `T ← [[T, −β T Yᵀ y], [0, β]]`), row-major with row stride `stride`.
 */
function buildWyTriangle(
  yRows: Float64Array,
  betas: Float64Array,
  start: number,
  width: number,
  length: number,
  t: Float64Array,
  stride: number,
): void {
  t.fill(0);
  const dots = new Float64Array(width);
  for (let p = 0; p < width; p++) {
    const beta = betas[start + p];
    t[p * stride + p] = beta;
    if (beta === 0 || p === 0) continue;
    const yp = p * length;
    for (let q = 0; q < p; q++) {
      let dot = 0;
      const yq = q * length;
      // v_{start+p} is zero on its first p rows of the panel.
      for (let j = p; j < length; j++) dot += yRows[yq + j] * yRows[yp + j];
      dots[q] = dot;
    }
    for (let q = 0; q < p; q++) {
      let sum = 0;
      for (let r = q; r < p; r++) sum += t[q * stride + r] * dots[r];
      t[q * stride + p] = -beta * sum;
    }
  }
}
