/**
 * The one general matrix-multiply kernel behind every product in `linalg`:
 * `C += alpha · op(A) · op(B)` on strided Float64Array views.
 *
 * Layout follows the GotoBLAS / BLIS design (Goto & van de Geijn, "Anatomy of high-performance
 * matrix multiplication", ACM TOMS 34(3), 2008; Van Zee & van de Geijn, "BLIS", ACM TOMS 41(3),
 * 2015): B is packed into `KC x NC` blocks of 4-column micro-panels, A into `MC x KC` blocks of
 * 4-row micro-panels, and a 4 x 4 register-blocked micro-kernel streams both contiguously. Because
 * packing reads through (rowStride, colStride), transposed operands cost nothing extra.
 *
 * The macro-kernel runs in WebAssembly SIMD where available (`wasmKernel.ts`): the packed blocks
 * and a row-major copy of the C block live in the module's memory, C is copied in and out row by
 * row (`TypedArray.set`, a memory copy), and one call computes every tile of the block.
 * Otherwise the micro-kernel runs in plain JavaScript with the same packing.
 * @internal
 */
import { instantiateWasmKernel, loadWasmKernel } from './wasmKernel';
import type { WasmKernel } from './wasmKernel';

/** Rows of A per micro-panel (micro-tile height). */
const MR = 4;
/** Columns of B per micro-panel (micro-tile width). */
const NR = 4;
/** Depth of a packed block (shared dimension). */
const KC = 256;
/** Rows of A per packed block. */
const MC = 128;
/** Columns of B per packed block. */
const NC = 2048;

/** Layout of the wasm memory, in float64 elements: packed A, packed B, then the C block. */
const WASM_A_OFFSET = 0;
const WASM_B_OFFSET = MC * KC;
const WASM_C_OFFSET = WASM_B_OFFSET + KC * NC;
const WASM_ELEMENTS = WASM_C_OFFSET + MC * NC;
/** Rows of C narrower than this are copied element by element (a subarray per row costs more). */
const NARROW_COPY = 24;
/** `upperShift` that disables the upper-triangle skipping of the wasm kernel. */
const ALL_TILES = 1 << 30;

let kernel: WasmKernel | null | undefined;
let packedA: Float64Array = new Float64Array(0);
let packedB: Float64Array = new Float64Array(0);
let blockC: Float64Array = new Float64Array(0);

function activeKernel(): WasmKernel | null {
  if (kernel === undefined) {
    const loaded = loadWasmKernel(WASM_ELEMENTS * 8);
    selectKernel(loaded);
  }
  return kernel ?? null;
}

function selectKernel(loaded: WasmKernel | null): void {
  kernel = loaded;
  if (loaded) {
    packedA = loaded.memory.subarray(WASM_A_OFFSET, WASM_A_OFFSET + MC * KC);
    packedB = loaded.memory.subarray(WASM_B_OFFSET, WASM_B_OFFSET + KC * NC);
    blockC = loaded.memory.subarray(WASM_C_OFFSET, WASM_C_OFFSET + MC * NC);
  } else {
    packedA = new Float64Array(MC * KC);
    packedB = new Float64Array(KC * NC);
  }
}

/**
 * Chooses the micro-kernel: `'wasm'` (WebAssembly SIMD, the default where available) or
 * `'javascript'`. Returns the kernel now in use. For tests and benchmarks. @internal
 */
export function setGemmKernel(kind: 'wasm' | 'javascript'): 'wasm' | 'javascript' {
  if (kind === 'javascript') selectKernel(null);
  else selectKernel(loadWasmKernel(WASM_ELEMENTS * 8));
  return kernel ? 'wasm' : 'javascript';
}

/** A strided view: element (i, j) is `data[offset + i * rowStride + j * colStride]`. @internal */
export interface StridedView {
  readonly data: Float64Array;
  readonly offset: number;
  readonly rowStride: number;
  readonly colStride: number;
}

/** The view of a row-major `rows x cols` array, optionally transposed. @internal */
export function rowMajorView(data: Float64Array, cols: number, transpose = false, offset = 0): StridedView {
  return transpose ? { data, offset, rowStride: 1, colStride: cols } : { data, offset, rowStride: cols, colStride: 1 };
}

/**
 * `C[i, j] += alpha · Σ_p A[i, p] · B[p, j]` for `i < m`, `j < n`, `p < k`, where C is row-major with
 * row stride `cRowStride` starting at `cOffset`. With `upperOnly`, micro-tiles lying entirely below
 * the diagonal of C are skipped (the caller mirrors the upper triangle; used for symmetric results).
 * @internal
 */
export function gemmAccumulate(
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: StridedView,
  b: StridedView,
  c: Float64Array,
  cOffset: number,
  cRowStride: number,
  upperOnly = false,
): void {
  if (m === 0 || n === 0 || k === 0 || alpha === 0) return;
  const aData = a.data;
  const bData = b.data;
  const aRowStride = a.rowStride;
  const aColStride = a.colStride;
  const bRowStride = b.rowStride;
  const bColStride = b.colStride;
  const wasm = activeKernel();
  const bufferA = packedA;
  const bufferB = packedB;

  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    const ncPadded = roundUp(nc, NR);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packB(bData, b.offset + pc * bRowStride + jc * bColStride, bRowStride, bColStride, kc, nc, ncPadded, bufferB);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        const mcPadded = roundUp(mc, MR);
        if (upperOnly && ic > jc + nc - 1) continue;
        packA(aData, a.offset + ic * aRowStride + pc * aColStride, aRowStride, aColStride, kc, mc, mcPadded, bufferA);
        if (wasm) {
          wasmMacroKernel(wasm, blockC, WASM_A_OFFSET * 8, WASM_B_OFFSET * 8, WASM_C_OFFSET * 8, kc, mc, mcPadded, nc, ncPadded, ic, jc, alpha, c, cOffset, cRowStride, upperOnly);
          continue;
        }
        for (let jr = 0; jr < nc; jr += NR) {
          const bPanel = jr * kc;
          const columnStart = jc + jr;
          const width = Math.min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            const rowStart = ic + ir;
            if (upperOnly && columnStart + NR - 1 < rowStart) continue;
            microKernel(
              kc,
              alpha,
              bufferA,
              ir * kc,
              bufferB,
              bPanel,
              c,
              cOffset + rowStart * cRowStride + columnStart,
              cRowStride,
              Math.min(MR, mc - ir),
              width,
            );
          }
        }
      }
    }
  }
}

/** A left operand packed once for many products ({@link GemmWorkspace.pack}). @internal */
export interface PackedOperand {
  /** Rows (m) and depth (k) of the operand. */
  readonly rows: number;
  readonly depth: number;
  /** Element offsets of the packed `MC x KC` blocks in the workspace memory, `[pc block][ic block]`. */
  readonly blocks: Int32Array;
  /** The unpacked operand (used where WebAssembly is unavailable). */
  readonly view: StridedView;
}

/**
 * Products `C += α · A · B` with left operands A packed ONCE into the memory of a private kernel
 * instance, for operators applied many times (Lanczos): each product then only packs its (thin)
 * B. The instance and its memory are freed with the workspace. Where WebAssembly is unavailable
 * (or the JavaScript kernel is selected) it falls back to {@link gemmAccumulate}. @internal
 */
export class GemmWorkspace {
  private readonly kernel: WasmKernel | null;
  private readonly memory: Float64Array;
  private readonly bufferB: Float64Array;
  private readonly bufferC: Float64Array;
  /** Columns of B per packed block (`NC`, or less for thin products). */
  private readonly columnBlock: number;
  private next: number;

  /**
   * A workspace with room for operands totalling `operandElements` (their padded sizes, see
   * {@link packedSize}), with buffers sized for right-hand operands of up to `typicalColumns`
   * columns (wider ones are processed in slices of that width).
   */
  constructor(operandElements: number, typicalColumns = NC) {
    this.columnBlock = Math.min(NC, roundUp(Math.max(typicalColumns, 1), NR));
    const fixed = KC * this.columnBlock + MC * this.columnBlock;
    this.kernel = activeKernel() ? instantiateWasmKernel((fixed + operandElements) * 8) : null;
    this.memory = this.kernel ? this.kernel.memory : new Float64Array(0);
    this.bufferB = this.memory.subarray(0, KC * this.columnBlock);
    this.bufferC = this.memory.subarray(KC * this.columnBlock, fixed);
    this.next = fixed;
  }

  /** Elements an `m x k` operand takes when packed. */
  static packedSize(m: number, k: number): number {
    return roundUp(m, MR) * k;
  }

  /** Packs the `m x k` operand `a` (read through its strides) into the workspace. */
  pack(m: number, k: number, a: StridedView): PackedOperand {
    const icCount = Math.ceil(m / MC);
    const blocks = new Int32Array(Math.ceil(k / KC) * icCount);
    if (!this.kernel) return { rows: m, depth: k, blocks, view: a };
    let index = 0;
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        const mcPadded = roundUp(mc, MR);
        if (this.next + mcPadded * kc > this.memory.length) throw new Error('GemmWorkspace: operand space exhausted');
        packA(a.data, a.offset + ic * a.rowStride + pc * a.colStride, a.rowStride, a.colStride, kc, mc, mcPadded, this.memory.subarray(this.next));
        blocks[index++] = this.next;
        this.next += mcPadded * kc;
      }
    }
    return { rows: m, depth: k, blocks, view: a };
  }

  /** `C[i][j] += alpha · Σ_p A[i][p] B[p][j]` for the packed A (m x k) and a `k x n` B. */
  multiply(operand: PackedOperand, n: number, alpha: number, b: StridedView, c: Float64Array, cOffset: number, cRowStride: number): void {
    const { rows: m, depth: k } = operand;
    if (m === 0 || n === 0 || k === 0 || alpha === 0) return;
    const wasm = this.kernel;
    if (!wasm) {
      gemmAccumulate(m, n, k, alpha, operand.view, b, c, cOffset, cRowStride);
      return;
    }
    const icCount = Math.ceil(m / MC);
    const columnBlock = this.columnBlock;
    const cAddress = KC * columnBlock * 8;
    for (let jc = 0; jc < n; jc += columnBlock) {
      const nc = Math.min(columnBlock, n - jc);
      const ncPadded = roundUp(nc, NR);
      let index = 0;
      for (let pc = 0; pc < k; pc += KC) {
        const kc = Math.min(KC, k - pc);
        packB(b.data, b.offset + pc * b.rowStride + jc * b.colStride, b.rowStride, b.colStride, kc, nc, ncPadded, this.bufferB);
        for (let ic = 0; ic < m; ic += MC) {
          const mc = Math.min(MC, m - ic);
          const address = operand.blocks[index + ic / MC] * 8;
          wasmMacroKernel(wasm, this.bufferC, address, 0, cAddress, kc, mc, roundUp(mc, MR), nc, ncPadded, ic, jc, alpha, c, cOffset, cRowStride, false);
        }
        index += icCount;
      }
    }
  }
}

/**
 * Packs the `kc x nc` block of B starting at `start` into 4-column micro-panels (`[panel][p][4]`),
 * zero-padding the last panel to `ncPadded` columns.
 */
function packB(
  data: Float64Array,
  start: number,
  rowStride: number,
  colStride: number,
  kc: number,
  nc: number,
  ncPadded: number,
  buffer: Float64Array,
): void {
  for (let jr = 0; jr < ncPadded; jr += NR) {
    const panelOffset = jr * kc;
    const width = Math.min(NR, nc - jr);
    let source = start + jr * colStride;
    if (width === NR) {
      const c1 = colStride;
      const c2 = 2 * colStride;
      const c3 = 3 * colStride;
      const end = panelOffset + kc * NR;
      for (let target = panelOffset; target < end; target += NR) {
        buffer[target] = data[source];
        buffer[target + 1] = data[source + c1];
        buffer[target + 2] = data[source + c2];
        buffer[target + 3] = data[source + c3];
        source += rowStride;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const target = panelOffset + p * NR;
        for (let jj = 0; jj < NR; jj++) buffer[target + jj] = jj < width ? data[source + jj * colStride] : 0;
        source += rowStride;
      }
    }
  }
}

/**
 * Packs the `mc x kc` block of A starting at `start` into 4-row micro-panels (`[panel][p][4]`),
 * zero-padding the last panel to `mcPadded` rows.
 */
function packA(
  data: Float64Array,
  start: number,
  rowStride: number,
  colStride: number,
  kc: number,
  mc: number,
  mcPadded: number,
  buffer: Float64Array,
): void {
  for (let ir = 0; ir < mcPadded; ir += MR) {
    const panelOffset = ir * kc;
    const height = Math.min(MR, mc - ir);
    const rowBase = start + ir * rowStride;
    if (height === MR) {
      let s0 = rowBase;
      let s1 = rowBase + rowStride;
      let s2 = rowBase + 2 * rowStride;
      let s3 = rowBase + 3 * rowStride;
      const end = panelOffset + kc * MR;
      for (let target = panelOffset; target < end; target += MR) {
        buffer[target] = data[s0];
        buffer[target + 1] = data[s1];
        buffer[target + 2] = data[s2];
        buffer[target + 3] = data[s3];
        s0 += colStride;
        s1 += colStride;
        s2 += colStride;
        s3 += colStride;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const target = panelOffset + p * MR;
        for (let ii = 0; ii < MR; ii++) buffer[target + ii] = ii < height ? data[rowBase + ii * rowStride + p * colStride] : 0;
      }
    }
  }
}

/**
 * All tiles of the current (ic, jc) block through the wasm kernel: the `mc x nc` block of C is
 * copied into the kernel's memory, updated there in one call, and copied back.
 */
function wasmMacroKernel(
  wasm: WasmKernel,
  buffer: Float64Array,
  aAddress: number,
  bAddress: number,
  cAddress: number,
  kc: number,
  mc: number,
  mcPadded: number,
  nc: number,
  ncPadded: number,
  ic: number,
  jc: number,
  alpha: number,
  c: Float64Array,
  cOffset: number,
  cRowStride: number,
  upperOnly: boolean,
): void {
  let rows = mc;
  if (upperOnly) {
    // Rows below the block's last column are untouched: do not copy them.
    rows = Math.min(mc, Math.max(jc + nc - ic, 0));
    if (rows === 0) return;
  }
  const rowsPadded = Math.min(mcPadded, roundUp(rows, MR));
  const narrow = nc < NARROW_COPY;
  for (let r = 0; r < rows; r++) {
    const source = cOffset + (ic + r) * cRowStride + jc;
    const target = r * ncPadded;
    if (narrow) for (let j = 0; j < nc; j++) buffer[target + j] = c[source + j];
    else buffer.set(c.subarray(source, source + nc), target);
  }
  wasm.block(
    kc,
    rowsPadded,
    ncPadded,
    aAddress,
    bAddress,
    cAddress,
    ncPadded * 8,
    alpha,
    upperOnly ? jc - ic + NR - 1 : ALL_TILES,
  );
  for (let r = 0; r < rows; r++) {
    const target = cOffset + (ic + r) * cRowStride + jc;
    const source = r * ncPadded;
    if (narrow) for (let j = 0; j < nc; j++) c[target + j] = buffer[source + j];
    else c.set(buffer.subarray(source, source + nc), target);
  }
}

/** 4 x 4 register-blocked update of one C tile from packed micro-panels. */
function microKernel(
  kc: number,
  alpha: number,
  bufferA: Float64Array,
  aStart: number,
  bufferB: Float64Array,
  bStart: number,
  c: Float64Array,
  cStart: number,
  cRowStride: number,
  height: number,
  width: number,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  let ai = aStart;
  let bi = bStart;
  const aEnd = aStart + kc * MR;
  for (; ai < aEnd; ai += MR, bi += NR) {
    const a0 = bufferA[ai];
    const a1 = bufferA[ai + 1];
    const a2 = bufferA[ai + 2];
    const a3 = bufferA[ai + 3];
    const b0 = bufferB[bi];
    const b1 = bufferB[bi + 1];
    const b2 = bufferB[bi + 2];
    const b3 = bufferB[bi + 3];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
  }
  if (height === MR && width === NR) {
    let row = cStart;
    c[row] += alpha * c00; c[row + 1] += alpha * c01; c[row + 2] += alpha * c02; c[row + 3] += alpha * c03;
    row += cRowStride;
    c[row] += alpha * c10; c[row + 1] += alpha * c11; c[row + 2] += alpha * c12; c[row + 3] += alpha * c13;
    row += cRowStride;
    c[row] += alpha * c20; c[row + 1] += alpha * c21; c[row + 2] += alpha * c22; c[row + 3] += alpha * c23;
    row += cRowStride;
    c[row] += alpha * c30; c[row + 1] += alpha * c31; c[row + 2] += alpha * c32; c[row + 3] += alpha * c33;
    return;
  }
  const tile = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
  for (let ii = 0; ii < height; ii++) {
    const row = cStart + ii * cRowStride;
    for (let jj = 0; jj < width; jj++) c[row + jj] += alpha * tile[ii * NR + jj];
  }
}

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}
