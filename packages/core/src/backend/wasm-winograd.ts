/**
 * A 3 × 3 stride-1 convolution by Winograd's minimal filtering algorithm F(2 × 2, 3 × 3), as in
 * Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016: each 2 × 2 block
 * of outputs comes from a 4 × 4 patch of the input, transformed (V = Bᵀ d B), multiplied element by
 * element with the transformed filter (U = G g Gᵀ) and summed over the input channels, then
 * transformed back (Y = Aᵀ M A). The sums over channels are 16 matrix products per block of tiles,
 * M[ξ] = V[ξ] · U[ξ] (tiles × inChannels times inChannels × outChannels), so the layer costs 16
 * multiply-adds per tile and channel pair where the direct loop costs 36: 2.25 times fewer.
 *
 * `winogradConvolve(x, u, y, v, m, batch, tilesDown, tilesAcross, rowBytes, imageBytes, yRowBytes,
 * yImageBytes, rowsPerBlock, channelBytes, outBytes)` — byte offsets, then counts and byte
 * strides — stores y[b, 2 tr + r, 2 tc + c, k] for the tilesDown × tilesAcross tiles of every image
 * of an NHWC input x (rows of `rowBytes`, images of `imageBytes`, channels `channelBytes` / 4, a
 * multiple of 4) into the NHWC output y (rows of `yRowBytes`, images of `yImageBytes`, outputs
 * `outBytes` / 4, a multiple of 8). u holds the transformed filter, [16, inChannels, outChannels]
 * ({@link winogradFilter}); v and m are scratch for `rowsPerBlock` tile rows:
 * 16 · rowsPerBlock · tilesAcross · (channelBytes + outBytes) bytes in all. Per block of tile rows
 * (one image's rows at a time, so the block's scratch stays in L2): the input transform, the 16
 * products by the gemm loop of `wasm-gemm.ts` (an exported function of this module too), the
 * output transform. Functions 1 and 3 (the transforms) walk the channels four at a time in SIMD
 * registers.
 *
 * On small-CNN's second layer (64 × 26 × 26 × 32 → 64 outputs), the products take 24.4 ms on one
 * thread here, against 46–48 ms for the direct loop (`wasm-convolution.ts`) in the same process.
 */
import type * as tf from '@tensorflow/tfjs';
import { assembleModule, loopFromZero, op, relaxedSimdAvailable } from '../linalg/wasmAssembler';
import { GEMM_LOCALS, gemmBody } from './wasm-gemm';
import { instantiateOnBackend, loopFunction } from './wasm-module';

/** Signature of the exported driver (byte offsets, counts, byte strides). */
export type WinogradConvolve = (
  x: number,
  u: number,
  y: number,
  v: number,
  m: number,
  batch: number,
  tilesDown: number,
  tilesAcross: number,
  rowBytes: number,
  imageBytes: number,
  yRowBytes: number,
  yImageBytes: number,
  rowsPerBlock: number,
  channelBytes: number,
  outBytes: number,
) => void;

const { localGet: get, localSet: set, i32Const: constant } = op;
const [ADD, SUB, MUL, GT_S] = [op.i32Add(), op.i32Sub(), op.i32Mul(), op.i32GtS()];
const [FADD, FSUB] = [op.f32x4Add(), op.f32x4Sub()];
const [INPUT_TRANSFORM, GEMM, OUTPUT_TRANSFORM, GRADIENT_TRANSFORM, GEMM_ACCUMULATE] = [1, 2, 3, 5, 6];

// Both drivers: parameters (x, fixed, second, v, scratch, batch, tilesDown, tilesAcross, rowBytes,
// imageBytes, secondRowBytes, secondImageBytes, rowsPerBlock, channelBytes, outBytes): x and
// `second` (y, or dy) advance image by image; `fixed` is the transformed filter (or the products'
// sums), `scratch` the products (or dy's transforms). Then the loop locals.
const [PX, PFIXED, PSECOND, PV, PSCRATCH, PBATCH, PDOWN, PACROSS, PROW, PIMAGE, PSROW, PSIMAGE, PBLOCK, PCH, POUT] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
const [LB, LXI, LSI, LTR, LROWS, LTILES, LXIX, LVS, LOS, LFS] = [15, 16, 17, 18, 19, 20, 21, 22, 23, 24];
const DRIVER_LOCALS = 10;

/**
 * A driver's body: for every image, for every block of `rowsPerBlock` tile rows (the last one
 * shorter), `perBlock`, with rows (LROWS) and tiles (LTILES) of the block, the image's x and
 * `second` at the block's first row (inputAt, secondAt), and the strides of the 16 blocks of
 * v (LVS: block tiles · channelBytes), of the tile-sized scratch (LOS: block tiles · outBytes), and
 * of the channels × outputs blocks (LFS: channels · outBytes).
 */
function tiledDriver(perBlock: (inputAt: number[], secondAt: number[]) => number[]): number[] {
  const inputAt = [...get(LXI), ...get(LTR), ...constant(2), ...MUL, ...get(PROW), ...MUL, ...ADD];
  const secondAt = [...get(LSI), ...get(LTR), ...constant(2), ...MUL, ...get(PSROW), ...MUL, ...ADD];
  const block = [
    // rows = min(rowsPerBlock, tilesDown − tr); tiles = rows · tilesAcross
    ...get(PBLOCK), ...get(PDOWN), ...get(LTR), ...SUB, ...get(PDOWN), ...get(LTR), ...SUB, ...get(PBLOCK), ...GT_S, ...op.select(), ...set(LROWS),
    ...get(LROWS), ...get(PACROSS), ...MUL, ...set(LTILES),
    ...perBlock(inputAt, secondAt),
  ];
  return [
    ...get(PBLOCK), ...get(PACROSS), ...MUL, ...get(PCH), ...MUL, ...set(LVS),
    ...get(PBLOCK), ...get(PACROSS), ...MUL, ...get(POUT), ...MUL, ...set(LOS),
    ...get(PCH), ...constant(2), ...op.i32ShrU(), ...get(POUT), ...MUL, ...set(LFS),
    ...loopFromZero(LB, get(PBATCH), 1, [
      ...get(PX), ...get(LB), ...get(PIMAGE), ...MUL, ...ADD, ...set(LXI),
      ...get(PSECOND), ...get(LB), ...get(PSIMAGE), ...MUL, ...ADD, ...set(LSI),
      ...loopFromZero(LTR, get(PDOWN), get(PBLOCK), block),
    ]),
  ];
}

/** `base + ξ · stride` for the 16 blocks' loop. */
function blockAt(base: number, stride: number): number[] {
  return [...get(base), ...get(LXIX), ...get(stride), ...MUL, ...ADD];
}

/** The forward driver: (x, u, y, v, m, …): input transform, 16 products M[ξ] = V[ξ] · U[ξ], output transform. */
function driverBody(): number[] {
  return tiledDriver((inputAt, secondAt) => [
    // inputTransform(x at the block, v, rows, tilesAcross, rowBytes, channelBytes, vStride)
    ...inputAt, ...get(PV), ...get(LROWS), ...get(PACROSS), ...get(PROW), ...get(PCH), ...get(LVS), ...op.call(INPUT_TRANSFORM),
    // gemm(v + ξ · vStride, u + ξ · uStride, m + ξ · mStride, tiles, channels, outBytes, channelBytes, 4)
    ...loopFromZero(LXIX, constant(16), 1, [
      ...blockAt(PV, LVS), ...blockAt(PFIXED, LFS), ...blockAt(PSCRATCH, LOS),
      ...get(LTILES), ...get(PCH), ...constant(2), ...op.i32ShrU(), ...get(POUT), ...get(PCH), ...constant(4),
      ...op.call(GEMM),
    ]),
    // outputTransform(m, y at the block, rows, tilesAcross, yRowBytes, outBytes, mStride)
    ...get(PSCRATCH), ...secondAt, ...get(LROWS), ...get(PACROSS), ...get(PSROW), ...get(POUT), ...get(LOS), ...op.call(OUTPUT_TRANSFORM),
  ]);
}

// inputTransform(x, v, rows, across, rowBytes, channelBytes, vStride), then locals.
const [IX, IV, IROWS, IACROSS, IROW, ICH, IVS] = [0, 1, 2, 3, 4, 5, 6];
const [ITR, ITC, ICB, IP0, IP1, IP2, IP3, IOUT, IT, IBASE, IC2, IC3] = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18];
const IVEC = 19; // v128: 8 loaded values, 4 row-transformed values

function inputTransformBody(): number[] {
  const rowPointer = [IP0, IP1, IP2, IP3];
  const loaded = (slot: number) => IVEC + slot;
  const row = (j: number) => IVEC + 8 + j;
  /** The column offset of column `col` of a patch row: 0, channelBytes, 2 · channelBytes, 3 · channelBytes. */
  const columnAddress = (r: number, col: number): number[] => {
    if (col === 0) return get(rowPointer[r]!);
    return [...get(rowPointer[r]!), ...get([ICH, ICH, IC2, IC3][col]!), ...ADD];
  };
  // Rows of t = Bᵀ d: t0 = d0 − d2, t1 = d1 + d2, t2 = d2 − d1, t3 = d1 − d3 (each over 4 columns).
  const rowPlan: [number, number, 'add' | 'sub'][] = [[0, 2, 'sub'], [1, 2, 'add'], [2, 1, 'sub'], [1, 3, 'sub']];
  const perVector: number[] = [
    ...get(IBASE), ...get(ICB), ...ADD, ...set(IP0),
    ...get(IP0), ...get(IROW), ...ADD, ...set(IP1),
    ...get(IP1), ...get(IROW), ...ADD, ...set(IP2),
    ...get(IP2), ...get(IROW), ...ADD, ...set(IP3),
    // out = v + t · channelBytes + cb; V[ξ] at out + ξ · vStride, ξ = 4 i + j
    ...get(IV), ...get(IT), ...get(ICH), ...MUL, ...ADD, ...get(ICB), ...ADD, ...set(IOUT),
  ];
  for (const [first, second, kind] of rowPlan) {
    for (let col = 0; col < 4; col++) {
      perVector.push(...columnAddress(first, col), ...op.v128Load(0), ...set(loaded(col)));
      perVector.push(...columnAddress(second, col), ...op.v128Load(0), ...set(loaded(4 + col)));
    }
    for (let col = 0; col < 4; col++) perVector.push(...get(loaded(col)), ...get(loaded(4 + col)), ...(kind === 'add' ? FADD : FSUB), ...set(row(col)));
    // V row = t_row · B: v0 = a0 − a2, v1 = a1 + a2, v2 = a2 − a1, v3 = a1 − a3
    const columnPlan: [number, number, 'add' | 'sub'][] = [[0, 2, 'sub'], [1, 2, 'add'], [2, 1, 'sub'], [1, 3, 'sub']];
    for (const [a, b, op2] of columnPlan) {
      perVector.push(...get(IOUT), ...get(row(a)), ...get(row(b)), ...(op2 === 'add' ? FADD : FSUB), ...op.v128Store(0));
      perVector.push(...get(IOUT), ...get(IVS), ...ADD, ...set(IOUT));
    }
  }
  return [
    ...get(ICH), ...get(ICH), ...ADD, ...set(IC2),
    ...get(IC2), ...get(ICH), ...ADD, ...set(IC3),
    ...constant(0), ...set(IT),
    ...loopFromZero(ITR, get(IROWS), 1, [
      ...loopFromZero(ITC, get(IACROSS), 1, [
        // base = x + tr · 2 · rowBytes + tc · 2 · channelBytes
        ...get(IX), ...get(ITR), ...get(IROW), ...MUL, ...constant(1), ...op.i32Shl(), ...ADD,
        ...get(ITC), ...get(IC2), ...MUL, ...ADD, ...set(IBASE),
        ...loopFromZero(ICB, get(ICH), 16, perVector),
        ...get(IT), ...constant(1), ...ADD, ...set(IT),
      ]),
    ]),
  ];
}

// outputTransform(m, y, rows, across, yRowBytes, outBytes, mStride), then locals.
const [OM, OY, OROWS, OACROSS, OYROW, OOUT, OMS] = [0, 1, 2, 3, 4, 5, 6];
const [OTR, OTC, OKB, OT, OIN, OYT, OQ, OM4] = [7, 8, 9, 10, 11, 12, 13, 14];
const OVEC = 15; // v128: 4 loaded values, s0[0..3], s1[0..3]

function outputTransformBody(): number[] {
  const loaded = (i: number) => OVEC + i;
  const s0 = (j: number) => OVEC + 4 + j;
  const s1 = (j: number) => OVEC + 8 + j;
  const perVector: number[] = [
    // in = m + t · outBytes + kb
    ...get(OM), ...get(OT), ...get(OOUT), ...MUL, ...ADD, ...get(OKB), ...ADD, ...set(OIN),
  ];
  for (let j = 0; j < 4; j++) {
    // q = in + j · mStride; M[i][j] at q + i · 4 · mStride
    perVector.push(...get(OIN), ...(j === 0 ? [] : [...constant(j), ...get(OMS), ...MUL, ...ADD]), ...set(OQ));
    for (let i = 0; i < 4; i++) {
      perVector.push(...get(OQ), ...op.v128Load(0), ...set(loaded(i)));
      if (i < 3) perVector.push(...get(OQ), ...get(OM4), ...ADD, ...set(OQ));
    }
    // Rows of Aᵀ M: s0 = M0 + M1 + M2, s1 = M1 − M2 − M3
    perVector.push(...get(loaded(0)), ...get(loaded(1)), ...FADD, ...get(loaded(2)), ...FADD, ...set(s0(j)));
    perVector.push(...get(loaded(1)), ...get(loaded(2)), ...FSUB, ...get(loaded(3)), ...FSUB, ...set(s1(j)));
  }
  // yt = y + tr · 2 · yRowBytes + tc · 2 · outBytes + kb; (· A): y0 = s[0] + s[1] + s[2], y1 = s[1] − s[2] − s[3]
  perVector.push(
    ...get(OY), ...get(OTR), ...get(OYROW), ...MUL, ...constant(1), ...op.i32Shl(), ...ADD,
    ...get(OTC), ...get(OOUT), ...MUL, ...constant(1), ...op.i32Shl(), ...ADD, ...get(OKB), ...ADD, ...set(OYT),
  );
  for (const [s, rowOffset] of [[s0, false], [s1, true]] as const) {
    const base = rowOffset ? [...get(OYT), ...get(OYROW), ...ADD] : get(OYT);
    perVector.push(...base, ...get(s(0)), ...get(s(1)), ...FADD, ...get(s(2)), ...FADD, ...op.v128Store(0));
    perVector.push(...base, ...get(OOUT), ...ADD, ...get(s(1)), ...get(s(2)), ...FSUB, ...get(s(3)), ...FSUB, ...op.v128Store(0));
  }
  return [
    ...get(OMS), ...constant(2), ...op.i32Shl(), ...set(OM4),
    ...constant(0), ...set(OT),
    ...loopFromZero(OTR, get(OROWS), 1, [
      ...loopFromZero(OTC, get(OACROSS), 1, [
        ...loopFromZero(OKB, get(OOUT), 16, perVector),
        ...get(OT), ...constant(1), ...ADD, ...set(OT),
      ]),
    ]),
  ];
}

// The filter gradient (Lavin & Gray's F(3 × 3, 2 × 2) form): dW[i, j, c, k] = Σ x[b, r + i, s + j, c] ·
// dy[b, r, s, k] summed per 2 × 2 tile of dy (the "filter") over the 4 × 4 patch of x under it.
// x's patches go through the same input transform as above (F(3, 2)'s Bᵀ differs from F(2, 3)'s by
// the sign of its last row); dy's tiles through G = [[1, 0], [1, 1], [1, −1], [0, 1]] (F(3, 2)'s
// G without its ½s); the sign and the ½s are applied to the summed products in float64
// ({@link winogradFilterGradientFinish}).

// gradientTransform(dy, u, rows, across, dyRowBytes, outBytes, uStride), then locals.
const [GDY, GU, GROWS, GACROSS, GROW, GOUT, GUS] = [0, 1, 2, 3, 4, 5, 6];
const [GTR, GTC, GKB, GT, GBASE, GO] = [7, 8, 9, 10, 11, 12];
const GVEC = 13; // v128: a, b, c, d (the tile), p, q (a row of G dy)

function gradientTransformBody(): number[] {
  const [a, b, c, d, p, q] = [GVEC, GVEC + 1, GVEC + 2, GVEC + 3, GVEC + 4, GVEC + 5];
  const perVector: number[] = [
    ...get(GBASE), ...get(GKB), ...ADD, ...op.v128Load(0), ...set(a),
    ...get(GBASE), ...get(GKB), ...ADD, ...get(GOUT), ...ADD, ...op.v128Load(0), ...set(b),
    ...get(GBASE), ...get(GKB), ...ADD, ...get(GROW), ...ADD, ...op.v128Load(0), ...set(c),
    ...get(GBASE), ...get(GKB), ...ADD, ...get(GROW), ...ADD, ...get(GOUT), ...ADD, ...op.v128Load(0), ...set(d),
    // out = u + t · outBytes + kb; U[ξ] at out + ξ · uStride
    ...get(GU), ...get(GT), ...get(GOUT), ...MUL, ...ADD, ...get(GKB), ...ADD, ...set(GO),
  ];
  const rows: [number[], number[]][] = [
    [get(a), get(b)],
    [[...get(a), ...get(c), ...FADD], [...get(b), ...get(d), ...FADD]],
    [[...get(a), ...get(c), ...FSUB], [...get(b), ...get(d), ...FSUB]],
    [get(c), get(d)],
  ];
  for (const [first, second] of rows) {
    perVector.push(...first, ...set(p), ...second, ...set(q));
    for (const value of [get(p), [...get(p), ...get(q), ...FADD], [...get(p), ...get(q), ...FSUB], get(q)]) {
      perVector.push(...get(GO), ...value, ...op.v128Store(0), ...get(GO), ...get(GUS), ...ADD, ...set(GO));
    }
  }
  return [
    ...constant(0), ...set(GT),
    ...loopFromZero(GTR, get(GROWS), 1, [
      ...loopFromZero(GTC, get(GACROSS), 1, [
        // base = dy + tr · 2 · dyRowBytes + tc · 2 · outBytes
        ...get(GDY), ...get(GTR), ...get(GROW), ...MUL, ...constant(1), ...op.i32Shl(), ...ADD,
        ...get(GTC), ...get(GOUT), ...MUL, ...constant(1), ...op.i32Shl(), ...ADD, ...set(GBASE),
        ...loopFromZero(GKB, get(GOUT), 16, perVector),
        ...get(GT), ...constant(1), ...ADD, ...set(GT),
      ]),
    ]),
  ];
}

/**
 * The filter-gradient driver: (x, m, dy, v, u, …): input transform of x, G-transform of dy, 16
 * products summed into m: m[ξ] += V[ξ]ᵀ · U[ξ] (channels × tiles times tiles × outputs; V read
 * transposed in place).
 */
function filterGradientDriverBody(): number[] {
  return tiledDriver((inputAt, secondAt) => [
    ...inputAt, ...get(PV), ...get(LROWS), ...get(PACROSS), ...get(PROW), ...get(PCH), ...get(LVS), ...op.call(INPUT_TRANSFORM),
    // gradientTransform(dy at the block, u, rows, tilesAcross, dyRowBytes, outBytes, uStride)
    ...secondAt, ...get(PSCRATCH), ...get(LROWS), ...get(PACROSS), ...get(PSROW), ...get(POUT), ...get(LOS), ...op.call(GRADIENT_TRANSFORM),
    // gemmAccumulate(v + ξ · vStride, u + ξ · uStride, m + ξ · mStride, channels, tiles, outBytes, 4, channelBytes)
    ...loopFromZero(LXIX, constant(16), 1, [
      ...blockAt(PV, LVS), ...blockAt(PSCRATCH, LOS), ...blockAt(PFIXED, LFS),
      ...get(PCH), ...constant(2), ...op.i32ShrU(), ...get(LTILES), ...get(POUT), ...constant(4), ...get(PCH),
      ...op.call(GEMM_ACCUMULATE),
    ]),
  ]);
}

/** The module's bytes (memory imported; `shared` for tfjs's threaded binary). @internal */
export function winogradModuleBytes(shared: boolean, fused = relaxedSimdAvailable()): Uint8Array<ArrayBuffer> {
  const driver = { parameters: 15, i32: DRIVER_LOCALS, v128: 0 };
  const transform = (i32: number, v128: number) => ({ parameters: 7, i32, v128 });
  return assembleModule({ shared }, [
    loopFunction('winogradConvolve', driver, driverBody()),
    loopFunction('winogradInputTransform', transform(12, 12), inputTransformBody()),
    loopFunction('winogradGemm', GEMM_LOCALS, gemmBody(fused)),
    loopFunction('winogradOutputTransform', transform(8, 12), outputTransformBody()),
    loopFunction('winogradFilterGradient', driver, filterGradientDriverBody()),
    loopFunction('winogradGradientTransform', transform(6, 6), gradientTransformBody()),
    loopFunction('winogradGemmAccumulate', GEMM_LOCALS, gemmBody(fused, true)),
  ]);
}

/** Signature of the exported filter-gradient driver (the forward driver's, with the products' sums m and dy in u's and y's places). */
export type WinogradFilterGradient = (
  x: number,
  m: number,
  dy: number,
  v: number,
  u: number,
  batch: number,
  tilesDown: number,
  tilesAcross: number,
  rowBytes: number,
  imageBytes: number,
  dyRowBytes: number,
  dyImageBytes: number,
  rowsPerBlock: number,
  channelBytes: number,
  outBytes: number,
) => void;

/** The two drivers of one instance of the module. */
export interface WinogradLoops {
  readonly convolve: WinogradConvolve;
  readonly filterGradient: WinogradFilterGradient;
}

const instances = new WeakMap<tf.KernelBackend, WinogradLoops | null>();

/** The module instantiated once on a backend's heap, or null when its memory cannot be reached. @internal */
export function heapWinograd(backend: tf.KernelBackend): WinogradLoops | null {
  if (!instances.has(backend)) {
    const exports = instantiateOnBackend(backend, winogradModuleBytes);
    instances.set(
      backend,
      exports ? { convolve: exports.winogradConvolve as WinogradConvolve, filterGradient: exports.winogradFilterGradient as WinogradFilterGradient } : null,
    );
  }
  return instances.get(backend)!;
}

/**
 * dW [3, 3, inChannels, outChannels] from the filter-gradient driver's sums, `partials` (one
 * [16, inChannels, outChannels] block per part of the batch, added in order), in float64:
 * M = s_i s_j w_i w_j · Σ parts (s = (1, 1, 1, −1): the sign of F(3, 2)'s last input-transform
 * row; w = (1, ½, ½, 1): G's halves), then dW = Aᵀ M A with Aᵀ = [[1, 1, 1, 0], [0, 1, −1, 0],
 * [0, 1, 1, 1]]. @internal
 */
export function winogradFilterGradientFinish(partials: Float32Array, parts: number, inChannels: number, outChannels: number, target: Float32Array): void {
  const plane = inChannels * outChannels;
  const factor = [1, 0.5, 0.5, -1];
  const m = new Float64Array(16);
  const t = new Float64Array(12);
  for (let index = 0; index < plane; index++) {
    for (let xi = 0; xi < 16; xi++) {
      let sum = 0;
      for (let part = 0; part < parts; part++) sum += partials[(part * 16 + xi) * plane + index]!;
      m[xi] = factor[xi >> 2]! * factor[xi & 3]! * sum;
    }
    // t = Aᵀ M (3 × 4)
    for (let j = 0; j < 4; j++) {
      const [m0, m1, m2, m3] = [m[j]!, m[4 + j]!, m[8 + j]!, m[12 + j]!];
      t[j] = m0 + m1 + m2;
      t[4 + j] = m1 - m2;
      t[8 + j] = m1 + m2 + m3;
    }
    // dW = t A (3 × 3)
    for (let i = 0; i < 3; i++) {
      const [t0, t1, t2, t3] = [t[i * 4]!, t[i * 4 + 1]!, t[i * 4 + 2]!, t[i * 4 + 3]!];
      target[(i * 3) * plane + index] = t0 + t1 + t2;
      target[(i * 3 + 1) * plane + index] = t1 - t2;
      target[(i * 3 + 2) * plane + index] = t1 + t2 + t3;
    }
  }
}

/**
 * The transformed filter U[ξ, c, k] = (G g Gᵀ)[ξ] of a 3 × 3 filter g[i, j, c, k] (tfjs's
 * [3, 3, in, out] layout, or, with `transposed`, the filter of the convolution whose input gradient
 * this is: g[i, j, c, k] = w[2 − i, 2 − j, k, c] for w of shape [3, 3, k-count, c-count]), into
 * `target` ([16, inChannels, outChannels]), computed in float64.
 * G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]]. @internal
 */
export function winogradFilter(filter: Float32Array, inChannels: number, outChannels: number, target: Float32Array, transposed = false): void {
  const g = new Float64Array(9);
  const t = new Float64Array(12);
  const plane = inChannels * outChannels;
  for (let c = 0; c < inChannels; c++) {
    for (let k = 0; k < outChannels; k++) {
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++) {
          g[i * 3 + j] = transposed ? filter[((2 - i) * 3 + (2 - j)) * plane + k * inChannels + c]! : filter[(i * 3 + j) * plane + c * outChannels + k]!;
        }
      }
      // t = G g (4 × 3)
      for (let j = 0; j < 3; j++) {
        const [a, b, d] = [g[j]!, g[3 + j]!, g[6 + j]!];
        t[j] = a;
        t[3 + j] = 0.5 * (a + b + d);
        t[6 + j] = 0.5 * (a - b + d);
        t[9 + j] = d;
      }
      // U = t Gᵀ (4 × 4)
      for (let i = 0; i < 4; i++) {
        const [a, b, d] = [t[i * 3]!, t[i * 3 + 1]!, t[i * 3 + 2]!];
        const at = (xi: number) => xi * plane + c * outChannels + k;
        target[at(i * 4)] = a;
        target[at(i * 4 + 1)] = 0.5 * (a + b + d);
        target[at(i * 4 + 2)] = 0.5 * (a - b + d);
        target[at(i * 4 + 3)] = d;
      }
    }
  }
}

