/**
 * Kernels tlkit adds to tfjs's wasm backend. tfjs 4.22 has no `Conv2DBackpropFilter`, depthwise
 * backprop or `UnsortedSegmentSum` kernel there, its `Conv2DBackpropInput` and every matrix product
 * with a transposed operand are scalar loops, its `MaxPoolGrad` routes the gradient of a window
 * with tied (or all-negative) maxima to the wrong element, and it copies every tensor saved for
 * backpropagation. Each kernel here is built from kernels the backend has, run directly on the
 * backend (no op dispatch, no tape), so the heavy part runs in XNNPACK's convolution:
 *
 * - the filter gradient of a convolution is itself a convolution: with the batch axis moved into
 *   the channel position, x ⋆ dy (stride and dilation swapped) gives dW;
 * - the input gradient is the transposed convolution: dy with (stride − 1) zeros inserted between
 *   samples, correlated with the filter rotated by 180° and its in/out channels swapped;
 * - the depthwise filter gradient is one batched matrix product per channel over strided patches;
 * - max-pool's gradient sends dy to the first maximum of each window (row-major scan, as
 *   TensorFlow and tfjs's cpu backend do), in one JavaScript pass over the heap;
 * - `UnsortedSegmentSum` is a `ScatterNd` (which adds rows that share an index), after dropping
 *   negative segment ids as TensorFlow does;
 * - a matrix product is a 1×1 convolution (XNNPACK's GEMM, threaded), operands transposed first;
 * - `Identity` and same-dtype `Cast` share the input's memory (tensors are immutable);
 * - a sum over leading axes (every bias gradient) is an average pooling × n, not a transpose;
 * - a bias `Add` runs in long rows (the vector tiled), not row by row;
 * - `Transpose`, `Tile`, the 2 × 2 max-pool gradient, small matrix products, and most convolution
 *   passes of stride-1 layers — the forward pass of layers with outputs a multiple of 16 and a
 *   short reduction (`wasm-convolution.ts`), filter gradients (`wasm-filter-gradient.ts`,
 *   `wasm-filter-gradient-few.ts`, and the one-input-channel loops of `wasm-module.ts`), input
 *   gradients — run as WebAssembly loops on the backend's heap: no transposes and no per-call
 *   packing of x or dy, and no JavaScript at 5–10 ns per element.
 *
 * The convolution identities are those of Dumoulin & Visin, "A guide to convolution arithmetic for
 * deep learning" (arXiv:1603.07285, 2016), §4 (transposed convolution as a direct convolution with
 * zero insertion) and the standard backpropagation of a correlation (LeCun et al., "Gradient-based
 * learning applied to document recognition", Proc. IEEE 1998).
 */
import * as tf from '@tensorflow/tfjs';
import { TlkitError } from '../errors';
import { NANOSECONDS_PER, parallelParts, runInParts, splitRange } from './heap-helpers';
import { streamedFilterGradient } from './wasm-filter-gradient';
import { fewChannelFilterGradient } from './wasm-filter-gradient-few';
import { blockedConvolution } from './wasm-convolution';
import { heapGemm } from './wasm-gemm';
import { heapWinograd, winogradFilter, winogradFilterGradientFinish } from './wasm-winograd';
import { biasPeriod, elementwiseLoops } from './wasm-elementwise';
import { registerReluGradient, unregisterReluGradient } from './relu-gradient';
import { blockedInputGradient, hasHeap, type HeapBackend, heapByteOffset, heapModule, oneChannelConvolution, tapsFilterGradient } from './wasm-module';

type Info = tf.TensorInfo;
type Attrs = Record<string, unknown>;
type Padding = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];

/** Kernels whose tlkit version is for a model's own layers; calls made inside kernels use tfjs's. */
const CONVOLUTIONS = new Set(['Conv2D', 'FusedConv2D']);

/**
 * The kernel a tlkit kernel calls for `kernelName`: tlkit's where it registered one, except for
 * convolutions. Convolutions made inside kernels (products as 1 × 1 convolutions, transposed
 * convolutions) go to tfjs's own kernel, XNNPACK's threaded GEMM: tlkit's forward loop splits work
 * by images only and is tuned for a layer's shape (a 512 × 1024 × 512 product through it: 94
 * against 71 ms on one thread, 69 against 35 on two). @internal
 */
export function internalKernel(kernelName: string, backendName: string): tf.KernelConfig | undefined {
  return CONVOLUTIONS.has(kernelName) ? stockKernel(kernelName, backendName) : tf.getKernel(kernelName, backendName);
}

/** Calls other kernels of one backend and frees every intermediate result but the kept ones. */
class KernelCalls {
  private readonly made: Info[] = [];

  constructor(
    readonly backend: tf.KernelBackend,
    private readonly backendName: string,
  ) {}

  run(kernelName: string, inputs: Record<string, Info> | Info[], attrs: Attrs = {}): Info {
    const kernel = internalKernel(kernelName, this.backendName);
    if (!kernel) throw new Error(`tlkit: the ${this.backendName} backend has no ${kernelName} kernel.`);
    const output = kernel.kernelFunc({ inputs: inputs as tf.NamedTensorInfoMap, backend: this.backend, attrs: attrs as tf.NamedAttrMap });
    const outputs = Array.isArray(output) ? output : [output];
    this.made.push(...outputs);
    return outputs[0];
  }

  /** Takes ownership of a tensor made with `backend.write`, so {@link finish} frees it. */
  adopt(info: Info): Info {
    this.made.push(info);
    return info;
  }

  reshape(x: Info, shape: number[]): Info {
    return this.run('Reshape', { x }, { shape });
  }

  transpose(x: Info, perm: number[]): Info {
    return this.run('Transpose', { x }, { perm });
  }

  /** Frees every intermediate except `result` and returns it. */
  finish(result: Info): Info {
    let kept = false;
    for (const info of this.made) {
      if (info === result && !kept) {
        kept = true;
        continue;
      }
      this.backend.disposeData(info.dataId);
    }
    this.made.length = 0;
    return result;
  }

  /** Frees every intermediate (after an error). */
  abandon(): void {
    for (const info of this.made) this.backend.disposeData(info.dataId);
    this.made.length = 0;
  }
}

function requireChannelsLast(dataFormat: unknown, kernelName: string): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `dataFormat: tlkit's wasm ${kernelName} supports NHWC (channels last) only, got '${String(dataFormat)}'; transpose the input to NHWC.`,
      { argument: 'dataFormat' },
    );
  }
}

/**
 * Correlation of `input` [n, h, w, cIn] with `filter` [kh, kw, cIn, cOut] (or a depthwise filter
 * [kh, kw, c, 1]) at stride 1: out[n, r, c, o] = Σ input[n, r + i·dh − top, c + j·dw − left, ·] ·
 * filter[i, j, ·, o] for r < outHeight, c < outWidth, with zeros outside the input. Negative
 * padding crops the input first, so any window arithmetic fits XNNPACK's explicit padding.
 */
function correlate(
  calls: KernelCalls,
  kind: 'Conv2D' | 'DepthwiseConv2dNative',
  input: Info,
  filter: Info,
  window: { top: number; left: number; outHeight: number; outWidth: number; dilationHeight: number; dilationWidth: number },
): Info {
  const [n, height, width, channels] = input.shape;
  const [kh, kw] = filter.shape;
  const { top, left, outHeight, outWidth, dilationHeight, dilationWidth } = window;
  const bottom = outHeight - 1 + (kh - 1) * dilationHeight - top - (height - 1);
  const right = outWidth - 1 + (kw - 1) * dilationWidth - left - (width - 1);
  const cropTop = Math.max(0, -top);
  const cropLeft = Math.max(0, -left);
  const cropBottom = Math.max(0, -bottom);
  const cropRight = Math.max(0, -right);
  let source = input;
  if (cropTop + cropLeft + cropBottom + cropRight > 0) {
    source = calls.run(
      'Slice',
      { x: input },
      { begin: [0, cropTop, cropLeft, 0], size: [n, height - cropTop - cropBottom, width - cropLeft - cropRight, channels] },
    );
  }
  const pad: Padding = [
    [0, 0],
    [Math.max(0, top), Math.max(0, bottom)],
    [Math.max(0, left), Math.max(0, right)],
    [0, 0],
  ];
  return calls.run(kind, { x: source, filter }, { strides: [1, 1], pad, dilations: [dilationHeight, dilationWidth], dataFormat: 'NHWC' });
}

/** dy [b, oh, ow, c] with (stride − 1) zeros after every row and column: [b, oh·sh, ow·sw, c]. */
function insertZeros(calls: KernelCalls, dy: Info, strideHeight: number, strideWidth: number): Info {
  if (strideHeight === 1 && strideWidth === 1) return dy;
  const [batch, outHeight, outWidth, channels] = dy.shape;
  let spread = dy;
  if (strideHeight > 1) {
    const rows = calls.reshape(spread, [batch * outHeight, 1, outWidth, channels]);
    const padded = calls.run('PadV2', { x: rows }, { paddings: [[0, 0], [0, strideHeight - 1], [0, 0], [0, 0]], constantValue: 0 });
    spread = calls.reshape(padded, [batch, outHeight * strideHeight, outWidth, channels]);
  }
  if (strideWidth > 1) {
    const height = spread.shape[1];
    const columns = calls.reshape(spread, [batch * height, outWidth, 1, channels]);
    const padded = calls.run('PadV2', { x: columns }, { paddings: [[0, 0], [0, 0], [0, strideWidth - 1], [0, 0]], constantValue: 0 });
    spread = calls.reshape(padded, [batch, height, outWidth * strideWidth, channels]);
  }
  return spread;
}

function withCalls(backend: tf.KernelBackend, backendName: string, body: (calls: KernelCalls) => Info): Info {
  const calls = new KernelCalls(backend, backendName);
  try {
    return calls.finish(body(calls));
  } catch (error) {
    calls.abandon();
    throw error;
  }
}

/**
 * A filter rotated by 180° with its channel axes rearranged, in one JavaScript pass over the heap
 * (filters are small; tfjs's wasm `Reverse` took 0.5 ms for a 5 × 5 × 6 × 16 filter and 2.9 ms
 * for 3 × 3 × 32 × 64, its `Transpose` as long again):
 * - `'swapChannels'`: W [fh, fw, a, b] → out[i, j, b, a] = W[fh − 1 − i, fw − 1 − j, a, b];
 * - `'outputFirst'`: R [b, fh, fw, a] → out[i, j, a, b] = R[b, fh − 1 − i, fw − 1 − j, a].
 * Other backends get tfjs's `Reverse` and `Transpose`.
 */
function rotateFilter(calls: KernelCalls, filter: Info, layout: 'swapChannels' | 'outputFirst'): Info {
  const backend = calls.backend;
  if (!hasHeap(backend) || filter.dtype !== 'float32') {
    return layout === 'swapChannels'
      ? calls.transpose(calls.run('Reverse', { x: filter }, { dims: [0, 1] }), [0, 1, 3, 2])
      : calls.transpose(calls.run('Reverse', { x: filter }, { dims: [1, 2] }), [1, 2, 3, 0]);
  }
  const [fh, fw, a, b] = layout === 'swapChannels' ? filter.shape : [filter.shape[1], filter.shape[2], filter.shape[3], filter.shape[0]];
  const out = calls.adopt(backend.makeOutput(layout === 'swapChannels' ? [fh, fw, b, a] : [fh, fw, a, b], 'float32'));
  // Views after the allocation (a growing heap replaces the buffer).
  const target = backend.typedArrayFromHeap(out) as Float32Array;
  const source = backend.typedArrayFromHeap(filter) as Float32Array;
  for (let i = 0; i < fh; i++) {
    for (let j = 0; j < fw; j++) {
      const tap = (i * fw + j) * a * b;
      const rotatedRow = fh - 1 - i;
      const rotatedColumn = fw - 1 - j;
      if (layout === 'swapChannels') {
        const from = (rotatedRow * fw + rotatedColumn) * a * b;
        for (let p = 0; p < a; p++) for (let q = 0; q < b; q++) target[tap + q * a + p] = source[from + p * b + q];
      } else {
        const plane = fh * fw * a;
        const from = (rotatedRow * fw + rotatedColumn) * a;
        for (let p = 0; p < a; p++) for (let q = 0; q < b; q++) target[tap + p * b + q] = source[q * plane + from + p];
      }
    }
  }
  return out;
}

/**
 * Accumulators per pass of the one-channel taps loop (tap blocks × outputs of a group). Loop alone,
 * one thread, interleaved in one process, LeNet-5's first layer (2 tap blocks, 6 outputs): 6
 * outputs in one pass (12 accumulators) 2.59 ms, groups of 4 (8) 2.23, of 3 (6) 1.96, of 2 (4)
 * 3.02; small-CNN's (1 tap block, 32 outputs): groups of 16 3.95 ms, of 8 3.14, of 6 3.06, of 4
 * 4.00, against 5.7 for the four-outputs-per-step loop it had used (its 32 accumulators did not
 * fit).
 */
const TAPS_ACCUMULATORS = 6;

/**
 * The output groups `[first, size]` of the one-channel taps loop: as few passes as keep each within
 * {@link TAPS_ACCUMULATORS} accumulators, each ⌈outChannels / passes⌉ outputs but the last, which
 * takes the rest (so at most two assembled loops; 32 outputs with one tap block: 6 × 5 + 2 — an
 * even 6, 6, 5, 5, 5, 5 was no faster, 2.77 and 4.15 against 2.66 and 3.91 ms). Null when one tap
 * block alone is too many.
 */
function tapsOutputGroups(outChannels: number, tapBlocks: number): [number, number][] | null {
  const largest = Math.floor(TAPS_ACCUMULATORS / tapBlocks);
  if (largest < 1) return null;
  const passes = Math.ceil(outChannels / largest);
  const size = Math.ceil(outChannels / passes);
  const groups: [number, number][] = [];
  for (let first = 0; first < outChannels; first += size) groups.push([first, Math.min(size, outChannels - first)]);
  return groups;
}

/**
 * dW of a convolution with one input channel (a first layer on grey images) by tlkit's
 * WebAssembly loops (x zero-padded first). The taps loop: four horizontal filter taps per SIMD
 * step, broadcast dy values, the sums of a group of outputs in registers along each input row
 * ({@link tapsOutputGroups}), one pass per group. Filters wider than 24 taps go to the per-pixel
 * loop (four output channels per SIMD step, added into dW in memory; output channels a multiple
 * of four). XNNPACK's form — x correlated with dy, batch in the channel slot — packs all of dy as
 * its filter on every call and has few output pixels to spread over: small-CNN's first layer (32
 * outputs) took 29–34 ms per step there, 5.2–5.4 with the per-pixel loop. Null when it does not
 * apply (more input channels, strides, dilations, no heap module).
 */
function oneChannelFilterGradient(backend: tf.KernelBackend, x: Info, dy: Info, info: tf.backend_util.Conv2DInfo): Info | null {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth, padInfo } = info;
  if (inChannels !== 1 || !isStrideOne(info)) return null;
  if (x.dtype !== 'float32' || dy.dtype !== 'float32' || !hasHeap(backend)) return null;
  const paddedHeight = outHeight + filterHeight - 1;
  const paddedWidth = outWidth + filterWidth - 1;
  const bottom = paddedHeight - inHeight - padInfo.top;
  const right = paddedWidth - inWidth - padInfo.left;
  if (padInfo.top < 0 || padInfo.left < 0 || bottom < 0 || right < 0) return null;
  // Four horizontal taps per SIMD step, the accumulators of a group of outputs in registers.
  const tapBlocks = Math.ceil(filterWidth / 4);
  const groups = tapsOutputGroups(outChannels, tapBlocks);
  const loops = groups && groups.map(([, size]) => tapsFilterGradient(backend, outChannels, tapBlocks, size));
  if (groups && loops && loops.every((loop) => loop !== null)) {
    const taps = loops[0]!;
    return withCalls(backend, 'wasm', (calls) => {
      // One extra zero row under each image: the last taps of a row read up to three values past it.
      const padded = calls.run(
        'PadV2',
        { x: calls.reshape(x, [batchSize, inHeight, inWidth]) },
        { paddings: [[0, 0], [padInfo.top, bottom + 1], [padInfo.left, right]], constantValue: 0 },
      );
      // One block of sums per part of the batch (helper threads), added up below.
      // Each group is its own split of the batch: the estimate is one group's work.
      const ranges = splitRange(batchSize, parallelParts(taps, (NANOSECONDS_PER.multiplyAdd * batchSize * outHeight * outWidth * outChannels * filterHeight * filterWidth) / groups.length));
      const sumSize = filterHeight * tapBlocks * outChannels * 4;
      const sums = calls.adopt(backend.makeOutput([ranges.length * sumSize], 'float32'));
      (backend.typedArrayFromHeap(sums) as Float32Array).fill(0);
      const rowBytes = paddedWidth * 4;
      const imageBytes = (paddedHeight + 1) * rowBytes;
      const dyImageBytes = outHeight * outWidth * outChannels * 4;
      const [xAt, dyAt, sumsAt] = [heapOffset(backend, padded), heapOffset(backend, dy), heapOffset(backend, sums)];
      groups.forEach(([first], index) =>
        runInParts(
          loops[index]!,
          ranges.map(([start, count], part) => [xAt + start * imageBytes, dyAt + start * dyImageBytes + 4 * first, sumsAt + (part * sumSize + 4 * first) * 4, count, outHeight, outWidth, filterHeight, rowBytes, imageBytes]),
        ),
      );
      const gradient = calls.adopt(backend.makeOutput([filterHeight, filterWidth, 1, outChannels], 'float32'));
      const target = backend.typedArrayFromHeap(gradient) as Float32Array;
      const source = backend.typedArrayFromHeap(sums) as Float32Array;
      for (let i = 0; i < filterHeight; i++)
        for (let j = 0; j < filterWidth; j++)
          for (let o = 0; o < outChannels; o++) {
            const from = ((i * tapBlocks + (j >> 2)) * outChannels + o) * 4 + (j & 3);
            let total = source[from]!;
            for (let part = 1; part < ranges.length; part++) total += source[part * sumSize + from]!;
            target[(i * filterWidth + j) * outChannels + o] = total;
          }
      return gradient;
    });
  }
  // Output channels in whole SIMD steps: with 6 (LeNet-5) the two scalar channels per tap made this
  // loop slower than XNNPACK's form (11.4–12.6 against 10.2–10.4 ms).
  if (outChannels % 4 !== 0) return null;
  const compiled = heapModule(backend);
  if (!compiled) return null;
  return withCalls(backend, 'wasm', (calls) => {
    let padded = calls.reshape(x, [batchSize, inHeight, inWidth]);
    if (padInfo.top + padInfo.left + bottom + right > 0) {
      padded = calls.run('PadV2', { x: padded }, { paddings: [[0, 0], [padInfo.top, bottom], [padInfo.left, right]], constantValue: 0 });
    }
    const gradientSize = filterHeight * filterWidth * outChannels;
    const ranges = splitRange(batchSize, parallelParts(compiled.filterGradientOneChannel, NANOSECONDS_PER.multiplyAdd * batchSize * outHeight * outWidth * outChannels * filterHeight * filterWidth));
    // The first part adds into the gradient, the others into partial sums added up below.
    const gradient = calls.adopt(backend.makeOutput([filterHeight, filterWidth, 1, outChannels], 'float32'));
    const partials = ranges.length > 1 ? calls.adopt(backend.makeOutput([(ranges.length - 1) * gradientSize], 'float32')) : null;
    (backend.typedArrayFromHeap(gradient) as Float32Array).fill(0);
    if (partials) (backend.typedArrayFromHeap(partials) as Float32Array).fill(0);
    const rowBytes = paddedWidth * 4;
    const imageBytes = paddedHeight * rowBytes;
    const dyImageBytes = outHeight * outWidth * outChannels * 4;
    const [xAt, dyAt] = [heapOffset(backend, padded), heapOffset(backend, dy)];
    const outputAt = (part: number) => (part === 0 ? heapOffset(backend, gradient) : heapOffset(backend, partials!) + (part - 1) * gradientSize * 4);
    runInParts(
      compiled.filterGradientOneChannel,
      ranges.map(([start, count], part) => [xAt + start * imageBytes, dyAt + start * dyImageBytes, outputAt(part), count, outHeight, outWidth, outChannels, filterHeight, filterWidth, rowBytes, imageBytes]),
    );
    if (partials) addPartials(backend, gradient, partials, gradientSize);
    return gradient;
  });
}

/**
 * Images per chunk of the streamed filter-gradient loop (`wasm-filter-gradient.ts`): one keeps an
 * image's x and dy in the L2 cache across the taps and blocks that read them again. Loop alone,
 * one thread, per call: small-CNN's second layer (64 × 26 × 26 × 32 → 64) 69–73 ms at 1 image,
 * 71–74 at 2, 81–87 at 4, 152–156 at 8, 281–310 at 64; LeNet-5's (64 × 14 × 14 × 6 → 16) 2.3–2.7 ms
 * at 1, 2.5–2.7 at 2 and 8.
 */
const FILTER_GRADIENT_CHUNK = 1;

/**
 * Bytes of one image's x and dy above which the streamed filter-gradient loop runs row by row
 * (its `rows` order: the row's dy and x rows stay in the L1 cache) instead of image by image (every
 * block rereads the image, from L2 once it no longer fits in L1). The loop alone, one thread,
 * interleaved, images → rows, ms per call, with each image's x + dy: small-CNN's second layer
 * (16 images, 228.5 KiB) 36.0 → 27.4 and 23.1 → 18.5; ResNet-18 width 16's 28 × 28 × 16 layers
 * (32 images, x padded: 105.3 KiB) 7.3 → 6.5; 14 × 14 × 32 (56.5 KiB) 13.1 → 11.9; 7 × 7 × 64
 * (32.5 KiB) 10.6 → 10.2; a 16 × 16 × 16 → 32 layer (52.3 KiB) 5.6 → 4.5; LeNet-5's second layer
 * (64 images, 10.8 KiB) 2.37 → 2.74 and 2.10 → 2.10.
 */
const ROW_ORDER_IMAGE_BYTES = 32 * 1024;

/**
 * dW of an unpadded stride-1 convolution with an even number of input channels and output channels
 * a multiple of 16 by tlkit's streamed WebAssembly loop, straight from x and dy in NHWC: for each
 * filter tap and block of 2 input × 16 output channels, 8 SIMD accumulators stay in registers
 * while pixels stream past, image by image for small images and row by row for large ones
 * ({@link ROW_ORDER_IMAGE_BYTES}). Against the row-streaming 4 × 16 loop it replaced (16
 * accumulators: some lived on the stack), the loop alone, one thread: small-CNN's second layer
 * 83–86 → 69–73 ms (image order), LeNet-5's 3.1–3.6 (2–6-channel loop) → 2.3–2.7 ms. XNNPACK's form
 * transposes x and dy and packs one of them as its filter on every call. Null when it does not apply.
 */
function streamedFilterGradientKernel(backend: tf.KernelBackend, x: Info, dy: Info, info: tf.backend_util.Conv2DInfo): Info | null {
  if (!isStrideOne(info)) return null;
  // A padded layer (ResNet's 'same' 3 × 3) runs the loop on x with its padding written out.
  const padded = isPadded(info.padInfo);
  const layer = unpaddedLayer(info);
  if (!layer) return null;
  const { inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = layer;
  if (inChannels % 2 !== 0 || outChannels % 16 !== 0) return null;
  if (x.dtype !== 'float32' || dy.dtype !== 'float32' || !hasHeap(backend)) return null;
  const order = 4 * (inHeight * inWidth * inChannels + outHeight * outWidth * outChannels) > ROW_ORDER_IMAGE_BYTES ? 'rows' : 'images';
  const compiled = streamedFilterGradient(backend, { inChannels, outChannels, filterHeight, filterWidth, channels: 2, vectors: 4, order });
  if (!compiled) return null;
  const run = (input: Info) => filterGradientInParts(backend, compiled, input, dy, layer, [outHeight, outWidth, inHeight, inWidth, FILTER_GRADIENT_CHUNK], true);
  return padded ? withCalls(backend, 'wasm', (calls) => run(padImages(backend, calls, x, info.padInfo))) : run(x);
}

/**
 * dW of an unpadded stride-1 convolution with 2–6 input channels and outputs a multiple of 8 that
 * the streamed loop does not take (an odd channel count, or outputs not a multiple of 16) by
 * tlkit's WebAssembly loop (`wasm-filter-gradient-few.ts`): the accumulators of a tap and 8 outputs
 * stay in registers over the whole batch. Null when it does not apply.
 */
function fewChannelFilterGradientKernel(backend: tf.KernelBackend, x: Info, dy: Info, info: tf.backend_util.Conv2DInfo): Info | null {
  const { inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth, padInfo } = info;
  if (!isStrideOne(info) || isPadded(padInfo)) return null;
  if (x.dtype !== 'float32' || dy.dtype !== 'float32' || !hasHeap(backend)) return null;
  const compiled = fewChannelFilterGradient(backend, inChannels, outChannels);
  if (!compiled) return null;
  return filterGradientInParts(backend, compiled, x, dy, info, [outHeight, outWidth, inHeight, inWidth, filterHeight, filterWidth], false);
}

/**
 * dW of an unpadded stride-1 convolution by a filter-gradient loop called as
 * `loop(x, dy, dw, batch, ...rest)` (byte offsets, then counts), over parts of the batch: the first
 * part into the gradient, the others (helper threads) into partial sums added afterwards.
 * `accumulates`: the loop adds into dw, so every output starts at zero (else it stores).
 */
function filterGradientInParts(
  backend: tf.KernelBackend & HeapBackend,
  loop: (...args: number[]) => void,
  x: Info,
  dy: Info,
  info: tf.backend_util.Conv2DInfo,
  rest: readonly number[],
  accumulates: boolean,
): Info {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info;
  const gradientSize = filterHeight * filterWidth * inChannels * outChannels;
  const ranges = splitRange(batchSize, parallelParts(loop, NANOSECONDS_PER.multiplyAdd * batchSize * outHeight * outWidth * gradientSize));
  const gradient = backend.makeOutput([filterHeight, filterWidth, inChannels, outChannels], 'float32');
  const partials = ranges.length > 1 ? backend.makeOutput([(ranges.length - 1) * gradientSize], 'float32') : null;
  if (accumulates) {
    (backend.typedArrayFromHeap(gradient) as Float32Array).fill(0);
    if (partials) (backend.typedArrayFromHeap(partials) as Float32Array).fill(0);
  }
  const xImageBytes = inHeight * inWidth * inChannels * 4;
  const dyImageBytes = outHeight * outWidth * outChannels * 4;
  const [xAt, dyAt] = [heapOffset(backend, x), heapOffset(backend, dy)];
  const outputAt = (part: number) => (part === 0 ? heapOffset(backend, gradient) : heapOffset(backend, partials!) + (part - 1) * gradientSize * 4);
  try {
    freeOnThrow(backend, gradient, () => {
      runInParts(
        loop,
        ranges.map(([start, count], part) => [xAt + start * xImageBytes, dyAt + start * dyImageBytes, outputAt(part), count, ...rest]),
      );
      if (partials) addPartials(backend, gradient, partials, gradientSize);
    });
  } finally {
    if (partials) backend.disposeData(partials.dataId);
  }
  return gradient;
}

/** Stride 1 and dilation 1 in both directions. */
function isStrideOne(info: tf.backend_util.Conv2DInfo): boolean {
  return info.strideHeight === 1 && info.strideWidth === 1 && info.dilationHeight === 1 && info.dilationWidth === 1;
}

/** Whether a layer has padding on any side. */
function isPadded({ top, left, bottom, right }: tf.backend_util.PadInfo): boolean {
  return top !== 0 || left !== 0 || bottom !== 0 || right !== 0;
}

/**
 * A layer as the unpadded loops (filter gradient, forward) see it: an unpadded layer as it is; a
 * padded stride-1 layer as the same layer on an input with its padding written out (`Conv2DInfo`
 * with the padded input size and no padding), else null. Only for rows of at least {@link PADDED_LOOP_MIN_WIDTH} outputs: the copy is a pass
 * over x, and short rows were not measured. With the row-streaming filter-gradient loop that the
 * streamed one replaced, ResNet-18 (width 16, 28 × 28, one thread, per-kernel profile): filter gradients of its
 * 28 × 28 × 16 layers 118 → 62 and 113 → 61 ms per step, 14 × 14 × 32 73 → 50 and 66 → 54. The same
 * for the input gradient (dx of the padded input, cropped) measured no faster than the transposed
 * convolution (60 → 53, 56 → 58; 45 → 43, 42 → 46) and is not used.
 */
function unpaddedLayer(info: tf.backend_util.Conv2DInfo): tf.backend_util.Conv2DInfo | null {
  const { padInfo } = info;
  if (!isPadded(padInfo)) return info;
  if (!isStrideOne(info)) return null;
  if (padInfo.top < 0 || padInfo.left < 0 || padInfo.bottom < 0 || padInfo.right < 0 || info.outWidth < PADDED_LOOP_MIN_WIDTH) return null;
  return {
    ...info,
    inHeight: info.inHeight + padInfo.top + padInfo.bottom,
    inWidth: info.inWidth + padInfo.left + padInfo.right,
    padInfo: { top: 0, left: 0, bottom: 0, right: 0, type: 'VALID' },
  };
}

/** Rows shorter than this keep XNNPACK's forms for padded layers (see {@link unpaddedLayer}). */
const PADDED_LOOP_MIN_WIDTH = 8;

/** x [b, h, w, c] with `pad` zero rows and columns written around each image: [b, h + top + bottom, w + left + right, c]. */
function padImages(backend: tf.KernelBackend & HeapBackend, calls: KernelCalls, x: Info, pad: { top: number; bottom: number; left: number; right: number }): Info {
  const [batch, height, width, channels] = x.shape as [number, number, number, number];
  const paddedHeight = height + pad.top + pad.bottom;
  const paddedWidth = width + pad.left + pad.right;
  const out = calls.adopt(backend.makeOutput([batch, paddedHeight, paddedWidth, channels], x.dtype));
  const target = backend.typedArrayFromHeap(out) as Float32Array;
  const source = backend.typedArrayFromHeap(x) as Float32Array;
  const row = width * channels;
  const paddedRow = paddedWidth * channels;
  for (let b = 0; b < batch; b++) {
    const image = b * paddedHeight * paddedRow;
    // Only the padding is zeroed (the heap is not): the rows above and below, and each row's ends.
    target.fill(0, image, image + pad.top * paddedRow);
    target.fill(0, image + (pad.top + height) * paddedRow, image + paddedHeight * paddedRow);
    for (let r = 0; r < height; r++) {
      const start = image + (r + pad.top) * paddedRow;
      const from = (b * height + r) * row;
      target.fill(0, start, start + pad.left * channels);
      target.set(source.subarray(from, from + row), start + pad.left * channels);
      target.fill(0, start + (pad.left + width) * channels, start + paddedRow);
    }
  }
  return out;
}

/** dW of y = conv2d(x, W): a convolution of x (batch in the channel slot) with dy as the filter. */
function conv2dBackpropFilter(backendName: string): tf.KernelFunc {
  return ({ inputs, backend: untypedBackend, attrs }) => {
    const backend = untypedBackend as tf.KernelBackend;
    const { x, dy } = inputs as { x: Info; dy: Info };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as {
      strides: [number, number] | number;
      pad: Padding;
      dataFormat?: string;
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      filterShape: [number, number, number, number];
    };
    requireChannelsLast(dataFormat, 'Conv2DBackpropFilter');
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode);
    // XNNPACK packs a convolution's filter on every call (a slow, scalar pass). With stride 1 the
    // roles can swap — dy (channels first) correlated with x as the filter gives dW rotated by
    // 180° — so the smaller of x and dy is packed; worth it once x has enough channels to fill
    // XNNPACK's output tiles (small-CNN's second layer: 176 vs 206 ms).
    const compiled =
      winogradFilterGradientKernel(backend, x, dy, info) ??
      oneChannelFilterGradient(backend, x, dy, info) ??
      streamedFilterGradientKernel(backend, x, dy, info) ??
      fewChannelFilterGradientKernel(backend, x, dy, info);
    if (compiled) return compiled;
    const swap =
      info.strideHeight === 1 &&
      info.strideWidth === 1 &&
      info.inChannels >= 16 &&
      info.inHeight * info.inWidth * info.inChannels < info.outHeight * info.outWidth * info.outChannels;
    if (swap) {
      return withCalls(backend, backendName, (calls) => {
        const gradientImages = calls.transpose(dy, [3, 1, 2, 0]); // [cOut, oh, ow, b]
        const inputFilter = calls.transpose(x, [1, 2, 0, 3]); // [h, w, b, cIn]
        const rotated = correlate(calls, 'Conv2D', gradientImages, inputFilter, {
          top: info.filterHeight - 1 - info.padInfo.top,
          left: info.filterWidth - 1 - info.padInfo.left,
          outHeight: info.filterHeight,
          outWidth: info.filterWidth,
          dilationHeight: 1,
          dilationWidth: 1,
        }); // [cOut, fh, fw, cIn], spatially reversed
        return rotateFilter(calls, rotated, 'outputFirst'); // [fh, fw, cIn, cOut]
      });
    }
    return withCalls(backend, backendName, (calls) => {
      const channelsFirst = calls.transpose(x, [3, 1, 2, 0]); // [cIn, h, w, b]
      const gradientFilter = calls.transpose(dy, [1, 2, 0, 3]); // [oh, ow, b, cOut]
      const perChannel = correlate(calls, 'Conv2D', channelsFirst, gradientFilter, {
        top: info.padInfo.top,
        left: info.padInfo.left,
        outHeight: info.filterHeight,
        outWidth: info.filterWidth,
        dilationHeight: info.strideHeight,
        dilationWidth: info.strideWidth,
      }); // [cIn, fh, fw, cOut]
      return calls.transpose(perChannel, [1, 2, 0, 3]);
    });
  };
}

/**
 * Register block of the forward loop: 2 columns × 4 vectors of 4 outputs (8 accumulators, 4 filter
 * vectors, a splat). LeNet-5's second layer (64 × 14 × 14 × 6 → 16, one thread, the loop alone, per
 * call): 2 × 4 1.1–1.2 ms, 1 × 4 1.9, 3 × 4 (17 live vectors: spills) 2.3, 5 × 2 2.7–3.4, 2 × 2
 * 1.7–3.3, 4 × 2 4.3–4.6, against 2.6–2.9 ms for XNNPACK's kernel. Layers whose outputs are not a
 * multiple of 16 keep XNNPACK's kernel (narrower blocks were slower than it).
 */
const FORWARD_BLOCK = { pixels: 2, vectors: 4 } as const;

/**
 * Longest reduction (filter height × width × input channels) the forward loop takes: its block
 * reads 16 outputs' filter values per term, so the filter slice (reduction × 64 bytes, 36 KiB
 * here) stays in the L1 cache. Valid 3 × 3 layers, 16 × 18 × 18 × c → c, one thread, median ms,
 * tfjs's kernel → the loop, two runs: reduction 144: 2.0 → 2.0, 2.1 → 1.2; 288: 7.7 → 9.3, 6.5 →
 * 4.3; 576: 21.0 → 33.7, 21.4 → 16.2; 864: 32.5 → 24.6, 32.3 → 42.6; 1152: 151 → 70, 89 → 119;
 * 2304: 371 → 592, 393 → 532 (the machine's speed swings within minutes; the layers the loop was
 * measured on in training, LeNet-5's 150 and small-CNN's 288, gained 2× and 1.5×).
 */
const FORWARD_MAX_REDUCTION = 576;

/**
 * y of a stride-1 convolution with outputs a multiple of 16 and a reduction of at most
 * {@link FORWARD_MAX_REDUCTION} by tlkit's WebAssembly loop (`wasm-convolution.ts`): register
 * blocks of neighbouring columns × output channels accumulated over the whole reduction; a padded
 * layer on x with its padding written out (rows of at least 8 outputs). Null when it does not
 * apply (then XNNPACK's kernel runs).
 */
function blockedForwardConvolution(backend: tf.KernelBackend, x: Info, filter: Info, info: tf.backend_util.Conv2DInfo): Info | null {
  const { padInfo } = info;
  const padded = isPadded(padInfo);
  // A padded layer runs the loop on x with its padding written out, as the filter gradient does.
  const layer = unpaddedLayer(info);
  if (!layer) return null;
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = layer;
  if (filterHeight * filterWidth * inChannels > FORWARD_MAX_REDUCTION) return null;
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || !hasHeap(backend)) return null;
  const compiled = blockedConvolution(backend, { inChannels, outChannels, filterHeight, filterWidth, ...FORWARD_BLOCK });
  if (!compiled) return null;
  return withCalls(backend, 'wasm', (calls) => {
    const input = padded ? padImages(backend, calls, x, padInfo) : x;
    const y = calls.adopt(backend.makeOutput([batchSize, outHeight, outWidth, outChannels], 'float32'));
    const [xAt, filterAt, yAt] = [heapOffset(backend, input), heapOffset(backend, filter), heapOffset(backend, y)];
    const xImageBytes = inHeight * inWidth * inChannels * 4;
    const yImageBytes = outHeight * outWidth * outChannels * 4;
    runInParts(
      compiled,
      splitRange(batchSize, parallelParts(compiled, NANOSECONDS_PER.multiplyAdd * batchSize * outHeight * outWidth * outChannels * filterHeight * filterWidth * inChannels)).map(([start, count]) => [xAt + start * xImageBytes, filterAt, yAt + start * yImageBytes, count, outHeight, outWidth, inHeight, inWidth]),
    );
    return y;
  });
}

/**
 * Smallest inChannels · outChannels for which a 3 × 3 layer runs as Winograd's F(2 × 2, 3 × 3)
 * (`wasm-winograd.ts`): its 16 products per block of tiles need reductions and outputs long enough
 * for the gemm loop's blocks. small-CNN's second layer (32 · 64) and its input gradient (64 · 32),
 * 64 images, loop alone on one thread: 30.4 against 48.5 ms and 34.6 against 57.5 ms (minima of
 * 15, the direct forward loop on the same shapes). ResNet-18 width 16's 16 · 16 layers (32 images
 * of 30 × 30, padded) gained less, 3.3 against 3.9 ms for the loop alone, before the padding
 * copies the input gradient adds; they keep the direct loops.
 */
const WINOGRAD_MIN_CHANNEL_PRODUCT = 1024;

/**
 * Tiles per block of the Winograd loops (whole tile rows, at least one): a block's transformed
 * input and products (16 · tiles · (inChannels + outChannels) floats: 216 KiB for 36 tiles of
 * 32 → 64 channels) stay in L2. small-CNN's second layer (12 tiles a row), 64 images, one thread,
 * loop alone, minimum of 15 in a noisy half hour: forward 28.4–29.3 ms with blocks of 2 or 3 tile
 * rows (24, 36 tiles) against 30.4–56.2 with whole images (144); the filter gradient 33.1–59.8
 * against 46.7–57.6.
 */
const WINOGRAD_BLOCK_TILES = 36;

/**
 * Whether a stride-1, unpadded 3 × 3 layer (`inChannels` → `outChannels`, output `outHeight` ×
 * `outWidth`) runs as Winograd's F(2 × 2, 3 × 3): channels in whole SIMD vectors (inputs a multiple
 * of 4, outputs of 8), an even output size (whole 2 × 2 tiles), enough channels, and the loop on
 * the backend's heap.
 */
function winogradApplies(
  backend: tf.KernelBackend,
  filterHeight: number,
  filterWidth: number,
  inChannels: number,
  outChannels: number,
  outHeight: number,
  outWidth: number,
): backend is tf.KernelBackend & HeapBackend {
  if (filterHeight !== 3 || filterWidth !== 3 || inChannels % 4 !== 0 || outChannels % 8 !== 0) return false;
  if (outHeight % 2 !== 0 || outWidth % 2 !== 0 || outHeight === 0 || outWidth === 0) return false;
  if (inChannels * outChannels < WINOGRAD_MIN_CHANNEL_PRODUCT || !hasHeap(backend)) return false;
  return heapWinograd(backend) !== null;
}

/**
 * y = the valid 3 × 3 convolution of `input` (NHWC, padding already written out) by Winograd's
 * F(2 × 2, 3 × 3) (Lavin & Gray, CVPR 2016; `wasm-winograd.ts`), the filter transformed in
 * float64 first: `filter` as tfjs stores it ([3, 3, in, out]), or with `transposed` the filter of
 * the convolution whose input gradient this is ([3, 3, out, in] of that layer, rotated by 180°).
 * Images are independent: helper threads take parts of the batch, each with its own scratch.
 */
function winogradConvolution(backend: tf.KernelBackend & HeapBackend, calls: KernelCalls, input: Info, filter: Info, transposed: boolean, outChannels: number): Info {
  const [batch, inHeight, inWidth, inChannels] = input.shape as [number, number, number, number];
  const [outHeight, outWidth] = [inHeight - 2, inWidth - 2];
  const plan = winogradPlan(heapWinograd(backend)!.convolve, batch, outHeight, outWidth, inChannels, outChannels);
  const transformed = calls.adopt(backend.makeOutput([16 * inChannels * outChannels], 'float32'));
  const scratch = calls.adopt(backend.makeOutput([plan.ranges.length * plan.scratchFloats], 'float32'));
  const y = calls.adopt(backend.makeOutput([batch, outHeight, outWidth, outChannels], 'float32'));
  // Views after the allocations (a growing heap replaces the buffer).
  winogradFilter(backend.typedArrayFromHeap(filter) as Float32Array, inChannels, outChannels, backend.typedArrayFromHeap(transformed) as Float32Array, transposed);
  const transformedAt = heapOffset(backend, transformed);
  runWinogradDriver(plan, heapOffset(backend, input), () => transformedAt, heapOffset(backend, y), heapOffset(backend, scratch));
  return y;
}

/** How a Winograd driver runs over a batch: tiles, tile rows per block, parts of the batch, scratch per part. */
interface WinogradPlan {
  readonly driver: (...args: number[]) => void;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly rowsPerBlock: number;
  readonly ranges: readonly [number, number][];
  /** Floats of v (the transformed input) per part; the tile-sized scratch follows it. */
  readonly vFloats: number;
  /** Floats of scratch per part: v and the tile-sized products (or dy's transforms). */
  readonly scratchFloats: number;
}

function winogradPlan(driver: (...args: number[]) => void, batch: number, outHeight: number, outWidth: number, inChannels: number, outChannels: number): WinogradPlan {
  const [down, across] = [outHeight / 2, outWidth / 2];
  const rowsPerBlock = Math.max(1, Math.min(down, Math.floor(WINOGRAD_BLOCK_TILES / across)));
  const ranges = splitRange(batch, parallelParts(driver, NANOSECONDS_PER.multiplyAdd * batch * down * across * 16 * inChannels * outChannels));
  const vFloats = 16 * rowsPerBlock * across * inChannels;
  return { driver, inChannels, outChannels, outHeight, outWidth, rowsPerBlock, ranges, vFloats, scratchFloats: vFloats + 16 * rowsPerBlock * across * outChannels };
}

/**
 * Runs a plan's driver over its parts of the batch (helper threads take all but the first):
 * x (the valid layer's input, NHWC) at `inputAt`, the per-image `second` buffer (y, or dy) at
 * `secondAt`, `fixedAt(part)` (the transformed filter, or that part's sums), scratch per part.
 */
function runWinogradDriver(plan: WinogradPlan, inputAt: number, fixedAt: (part: number) => number, secondAt: number, scratchAt: number): void {
  const { driver, inChannels, outChannels, outHeight, outWidth, rowsPerBlock, ranges, vFloats, scratchFloats } = plan;
  const [rowBytes, secondRowBytes] = [(outWidth + 2) * inChannels * 4, outWidth * outChannels * 4];
  const [imageBytes, secondImageBytes] = [(outHeight + 2) * rowBytes, outHeight * secondRowBytes];
  runInParts(
    driver,
    ranges.map(([start, count], part) => {
      const v = scratchAt + part * scratchFloats * 4;
      return [
        inputAt + start * imageBytes, fixedAt(part), secondAt + start * secondImageBytes, v, v + vFloats * 4,
        count, outHeight / 2, outWidth / 2, rowBytes, imageBytes, secondRowBytes, secondImageBytes, rowsPerBlock, inChannels * 4, outChannels * 4,
      ];
    }),
  );
}

/**
 * `Conv2DBackpropFilter` of a stride-1 3 × 3 layer by Winograd's minimal filtering in its
 * F(3 × 3, 2 × 2) form (Lavin & Gray, CVPR 2016, §4: the filter gradient is a convolution of x with
 * dy as the filter, taken 2 × 2 tile of dy at a time): per block of tiles, x's 4 × 4 patches and
 * dy's tiles are transformed and their 16 products (channels × tiles times tiles × outputs) summed
 * into 16 · inChannels · outChannels floats per part of the batch; the parts are added in order
 * and transformed back in float64 ({@link winogradFilterGradientFinish}). Padded layers run on x
 * with its padding written out. Null when it does not apply ({@link winogradApplies}).
 */
function winogradFilterGradientKernel(backend: tf.KernelBackend, x: Info, dy: Info, info: tf.backend_util.Conv2DInfo): Info | null {
  const padded = isPadded(info.padInfo);
  const layer = unpaddedLayer(info);
  if (!layer || !isStrideOne(layer) || x.dtype !== 'float32' || dy.dtype !== 'float32') return null;
  const { batchSize, inChannels, outChannels, outHeight, outWidth, filterHeight, filterWidth } = layer;
  if (!winogradApplies(backend, filterHeight, filterWidth, inChannels, outChannels, outHeight, outWidth)) return null;
  const gradient = heapWinograd(backend)!.filterGradient;
  if (dy.shape[0] !== batchSize || dy.shape[1] !== outHeight || dy.shape[2] !== outWidth || dy.shape[3] !== outChannels) return null;
  return withCalls(backend, 'wasm', (calls) => {
    const input = padded ? padImages(backend, calls, x, info.padInfo) : x;
    const plan = winogradPlan(gradient, batchSize, outHeight, outWidth, inChannels, outChannels);
    const sumFloats = 16 * inChannels * outChannels;
    const sums = calls.adopt(backend.makeOutput([plan.ranges.length * sumFloats], 'float32'));
    const scratch = calls.adopt(backend.makeOutput([plan.ranges.length * plan.scratchFloats], 'float32'));
    const dw = calls.adopt(backend.makeOutput([3, 3, inChannels, outChannels], 'float32'));
    (backend.typedArrayFromHeap(sums) as Float32Array).fill(0);
    const sumsAt = heapOffset(backend, sums);
    runWinogradDriver(plan, heapOffset(backend, input), (part) => sumsAt + part * sumFloats * 4, heapOffset(backend, dy), heapOffset(backend, scratch));
    winogradFilterGradientFinish(backend.typedArrayFromHeap(sums) as Float32Array, plan.ranges.length, inChannels, outChannels, backend.typedArrayFromHeap(dw) as Float32Array);
    return dw;
  });
}

/** `Conv2D` by Winograd's F(2 × 2, 3 × 3) where it applies ({@link winogradApplies}; padded layers with the padding written out), else null. */
function winogradForwardConvolution(backend: tf.KernelBackend, x: Info, filter: Info, info: tf.backend_util.Conv2DInfo): Info | null {
  const padded = isPadded(info.padInfo);
  const layer = unpaddedLayer(info);
  if (!layer || !isStrideOne(layer) || x.dtype !== 'float32' || filter.dtype !== 'float32') return null;
  if (!winogradApplies(backend, layer.filterHeight, layer.filterWidth, layer.inChannels, layer.outChannels, layer.outHeight, layer.outWidth)) return null;
  return withCalls(backend, 'wasm', (calls) => winogradConvolution(backend, calls, padded ? padImages(backend, calls, x, info.padInfo) : x, filter, false, layer.outChannels));
}

/**
 * `Conv2DBackpropInput` of a stride-1 3 × 3 layer by Winograd's F(2 × 2, 3 × 3) where it applies:
 * dx is the valid convolution of dy, zero-padded by 2 − the layer's padding on each side, with the
 * filter rotated by 180° and its channel axes swapped. Else null.
 */
function winogradInputGradient(backend: tf.KernelBackend, dy: Info, filter: Info, info: tf.backend_util.Conv2DInfo): Info | null {
  const { padInfo, filterHeight, filterWidth, inChannels, outChannels, inHeight, inWidth } = info;
  if (!isStrideOne(info) || dy.dtype !== 'float32' || filter.dtype !== 'float32') return null;
  const pad = { top: filterHeight - 1 - padInfo.top, bottom: filterHeight - 1 - padInfo.bottom, left: filterWidth - 1 - padInfo.left, right: filterWidth - 1 - padInfo.right };
  if (pad.top < 0 || pad.bottom < 0 || pad.left < 0 || pad.right < 0) return null;
  // dx's size follows from dy's here, so dy must be the size the declared input gives (tfjs checks only depths).
  if (dy.shape[1] !== info.outHeight || dy.shape[2] !== info.outWidth || dy.shape[3] !== outChannels) return null;
  if (!winogradApplies(backend, filterHeight, filterWidth, outChannels, inChannels, inHeight, inWidth)) return null;
  return withCalls(backend, 'wasm', (calls) => winogradConvolution(backend, calls, padImages(backend, calls, dy, pad), filter, true, inChannels));
}

/**
 * `Conv2D` of a model's layer: the blocked loop where it applies ({@link blockedForwardConvolution};
 * outputs a multiple of 16, also with one input channel: small-CNN's first layer 11.0 → 1.9 ms per
 * call on one thread); else, with one input channel (a first layer on grey images), stride 1 and
 * up to 12 outputs, tlkit's one-channel loop: four output pixels per SIMD lane group,
 * each filter tap one vector load of the zero-padded input row times the tap's broadcast weights.
 * XNNPACK runs that convolution as a GEMM whose reduction is one channel per tap (LeNet-5's first
 * layer: 5.4–6.7 ms per forward pass). Other convolutions, and one-channel ones whose output width
 * is not a multiple of 4, go to tfjs's kernel.
 */
function conv2d(backendName: string, fallback: tf.KernelFunc | undefined): tf.KernelFunc {
  return (args) => {
    if (!fallback) throw new Error(`tlkit: no ${backendName} Conv2D kernel to fall back to.`);
    const backend = args.backend as tf.KernelBackend;
    const { x, filter } = args.inputs as { x: Info; filter: Info };
    const { strides, pad, dataFormat, dilations, dimRoundingMode } = args.attrs as unknown as {
      strides: [number, number] | number;
      pad: Padding;
      dataFormat?: string;
      dilations?: [number, number] | number;
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
    };
    const [fh, fw, inChannels, outChannels] = filter.shape;
    const ones = (value: [number, number] | number | undefined) => value === undefined || (Array.isArray(value) ? value[0] === 1 && value[1] === 1 : value === 1);
    if (x.shape.length !== 4 || !ones(strides) || !ones(dilations) || (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast')) return fallback(args);
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], 1, 1, pad, dimRoundingMode);
    const winograd = winogradForwardConvolution(backend, x, filter, info);
    if (winograd) return winograd;
    const blocked = blockedForwardConvolution(backend, x, filter, info);
    if (blocked) return blocked;
    if (inChannels !== 1 || x.dtype !== 'float32' || filter.dtype !== 'float32' || !hasHeap(backend)) return fallback(args);
    const { batchSize, inHeight, inWidth, outHeight, outWidth, padInfo } = info;
    const paddedHeight = outHeight + fh - 1;
    const paddedWidth = outWidth + fw - 1;
    const bottom = paddedHeight - inHeight - padInfo.top;
    const right = paddedWidth - inWidth - padInfo.left;
    if (outWidth % 4 !== 0 || padInfo.top < 0 || padInfo.left < 0 || bottom < 0 || right < 0) return fallback(args);
    const convolve = oneChannelConvolution(backend, outChannels);
    if (!convolve) return fallback(args);
    return withCalls(backend, backendName, (calls) => {
      let padded = calls.reshape(x, [batchSize, inHeight, inWidth]);
      if (padInfo.top + padInfo.left + bottom + right > 0) {
        padded = calls.run('PadV2', { x: padded }, { paddings: [[0, 0], [padInfo.top, bottom], [padInfo.left, right]], constantValue: 0 });
      }
      const weights = calls.adopt(backend.makeOutput([fh * fw * outChannels * 4], 'float32'));
      const y = calls.adopt(backend.makeOutput([batchSize, outHeight, outWidth, outChannels], 'float32'));
      // Views after the allocations (a growing heap replaces the buffer).
      const broadcast = backend.typedArrayFromHeap(weights) as Float32Array;
      const values = backend.typedArrayFromHeap(filter) as Float32Array;
      for (let index = 0; index < fh * fw * outChannels; index++) broadcast.fill(values[index], 4 * index, 4 * index + 4);
      const rowBytes = paddedWidth * 4;
      const imageBytes = paddedHeight * rowBytes;
      const yImageBytes = outHeight * outWidth * outChannels * 4;
      const [xAt, weightsAt, yAt] = [heapOffset(backend, padded), heapOffset(backend, weights), heapOffset(backend, y)];
      runInParts(
        convolve,
        splitRange(batchSize, parallelParts(convolve, NANOSECONDS_PER.multiplyAdd * batchSize * outHeight * outWidth * outChannels * fh * fw)).map(([start, count]) => [xAt + start * imageBytes, weightsAt, yAt + start * yImageBytes, count, outHeight, outWidth, fh, fw, rowBytes, imageBytes]),
      );
      return y;
    });
  };
}

/**
 * Register block of the input-gradient loop: neighbouring dx columns × SIMD vectors of 4 input
 * channels. 4 × 2 (8 accumulators, 2 filter vectors and a splat: within x86-64's 16 SIMD
 * registers) ran small-CNN's 64 × 24 × 24 × 64 case in 82–100 ms; 2 × 4 about the same; 4 × 4
 * (21 live vectors) 107–110, 3 × 2 97–109, 2 × 2 and 1 × 4 106–115, and unrolling 2 or 4 output
 * channels per step 104–137 (XNNPACK's form: 107–146 in the same runs).
 */
const INPUT_GRADIENT_BLOCK = { pixels: 4, vectors: 2 };

/**
 * Columns per register block of the input-gradient loop for rows of `outWidth` dy columns: 4, or 5
 * when that leaves fewer columns for the one-at-a-time tail (5 × 2 blocks: 13 live vectors).
 * LeNet-5's second layer (10 columns: 2 blocks of 5, against 2 of 4 and 2 single columns), per step
 * in interleaved processes: 3.98 → 3.43 and 3.74 → 3.40 ms.
 */
function inputGradientPixels(outWidth: number): number {
  return outWidth % 5 < outWidth % 4 ? 5 : INPUT_GRADIENT_BLOCK.pixels;
}

/**
 * dx of an unpadded stride-1 convolution with input channels a multiple of 8 (other counts from 6
 * up run padded to the next multiple when that adds under half the work) by tlkit's
 * WebAssembly loop, straight from dy and the filter in NHWC: for each dy row and filter tap, 4
 * neighbouring dx columns × 8 input channels are accumulated in SIMD registers over the output
 * channels (dx[b, r + i, c + j, ·] += Σ_o dy[b, r, c, o] · W[i, j, ·, o]). XNNPACK's form
 * zero-pads dy by fh − 1 rows and fw − 1 columns on every side (tfjs's `PadV2`, ≈ 15 ns per
 * element here) and then computes on the padding too. Null when it does not apply.
 */
function blockedConvolutionInputGradient(backend: tf.KernelBackend, dy: Info, filter: Info, info: tf.backend_util.Conv2DInfo): Info | null {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth, padInfo } = info;
  const { vectors } = INPUT_GRADIENT_BLOCK;
  const pixels = inputGradientPixels(outWidth);
  // Other channel counts (LeNet-5's 6: 11.0–11.6 → 6.8–7.4 ms per call) run padded to whole blocks
  // with zero filter rows, then compacted, unless the padding would add half the work or more
  // (1–5 channels: such layers are first layers, whose input gradient training never asks for).
  const blockChannels = 4 * vectors;
  const paddedChannels = Math.ceil(inChannels / blockChannels) * blockChannels;
  if (2 * paddedChannels > 3 * inChannels) return null;
  const compact = paddedChannels === inChannels ? null : heapModule(backend);
  if (paddedChannels !== inChannels && !compact) return null;
  if (!isStrideOne(info) || isPadded(padInfo)) return null;
  if (dy.dtype !== 'float32' || filter.dtype !== 'float32' || !hasHeap(backend)) return null;
  const compiled = blockedInputGradient(backend, paddedChannels, outChannels, pixels, vectors);
  if (!compiled) return null;
  return withCalls(backend, 'wasm', (calls) => {
    const byOutput = calls.adopt(backend.makeOutput([filterHeight, filterWidth, outChannels, paddedChannels], 'float32'));
    const dx = calls.adopt(backend.makeOutput([batchSize, inHeight, inWidth, paddedChannels], 'float32'));
    // Views after the allocations (a growing heap replaces the buffer).
    const target = backend.typedArrayFromHeap(byOutput) as Float32Array;
    const source = backend.typedArrayFromHeap(filter) as Float32Array;
    if (paddedChannels !== inChannels) target.fill(0);
    for (let tap = 0; tap < filterHeight * filterWidth; tap++) {
      const from = tap * inChannels * outChannels;
      const to = tap * outChannels * paddedChannels;
      for (let ci = 0; ci < inChannels; ci++) for (let o = 0; o < outChannels; o++) target[to + o * paddedChannels + ci] = source[from + ci * outChannels + o];
    }
    (backend.typedArrayFromHeap(dx) as Float32Array).fill(0);
    // Images are independent: helper threads take parts of the batch.
    const [dyAt, filterAt, dxAt] = [heapOffset(backend, dy), heapOffset(backend, byOutput), heapOffset(backend, dx)];
    const dyImageBytes = outHeight * outWidth * outChannels * 4;
    const dxImageBytes = inHeight * inWidth * paddedChannels * 4;
    runInParts(
      compiled,
      splitRange(batchSize, parallelParts(compiled, NANOSECONDS_PER.multiplyAdd * batchSize * outHeight * outWidth * filterHeight * filterWidth * paddedChannels * outChannels)).map(([start, count]) => [dyAt + start * dyImageBytes, filterAt, dxAt + start * dxImageBytes, count, outHeight, outWidth, inHeight, inWidth, filterHeight, filterWidth]),
    );
    if (!compact) return dx;
    const pixelCount = batchSize * inHeight * inWidth;
    const result = calls.adopt(backend.makeOutput([batchSize, inHeight, inWidth, inChannels], 'float32'));
    compact.transposeFour(heapOffset(backend, dx), heapOffset(backend, result), 1, 1, pixelCount, inChannels, 0, 0, paddedChannels * 4, 4);
    return result;
  });
}

/** dx of y = conv2d(x, W): the transposed convolution of dy (zero insertion + rotated filter). */
function conv2dBackpropInput(backendName: string): tf.KernelFunc {
  return ({ inputs, backend: untypedBackend, attrs }) => {
    const backend = untypedBackend as tf.KernelBackend;
    const { dy, filter } = inputs as { dy: Info; filter: Info };
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as {
      strides: [number, number] | number;
      pad: Padding;
      dataFormat?: string;
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      inputShape: [number, number, number, number];
    };
    requireChannelsLast(dataFormat, 'Conv2DBackpropInput');
    const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode);
    const winograd = winogradInputGradient(backend, dy, filter, info);
    if (winograd) return winograd;
    const compiled = blockedConvolutionInputGradient(backend, dy, filter, info);
    if (compiled) return compiled;
    return withCalls(backend, backendName, (calls) => {
      const rotated = rotateFilter(calls, filter, 'swapChannels'); // [fh, fw, cOut, cIn]
      const spread = insertZeros(calls, dy, info.strideHeight, info.strideWidth);
      return correlate(calls, 'Conv2D', spread, rotated, {
        top: info.filterHeight - 1 - info.padInfo.top,
        left: info.filterWidth - 1 - info.padInfo.left,
        outHeight: info.inHeight,
        outWidth: info.inWidth,
        dilationHeight: 1,
        dilationWidth: 1,
      });
    });
  };
}

/** dx of a depthwise convolution: a depthwise transposed convolution, summed over the multiplier. */
function depthwiseBackpropInput(backendName: string): tf.KernelFunc {
  return ({ inputs, backend: untypedBackend, attrs }) => {
    const backend = untypedBackend as tf.KernelBackend;
    const { dy, filter } = inputs as { dy: Info; filter: Info };
    const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs as unknown as {
      strides: [number, number] | number;
      dilations?: [number, number] | number;
      pad: Padding;
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      inputShape: [number, number, number, number];
    };
    const filterShape = filter.shape as [number, number, number, number];
    const info = tf.backend_util.computeConv2DInfo(inputShape, filterShape, strides, dilations ?? 1, pad, dimRoundingMode, true);
    const [fh, fw, channels, multiplier] = filterShape;
    return withCalls(backend, backendName, (calls) => {
      // g[i', j', c·M + m, 0] = W[fh−1−i', fw−1−j', c, m]: one filter per dy channel.
      const rotated = calls.reshape(calls.run('Reverse', { x: filter }, { dims: [0, 1] }), [fh, fw, channels * multiplier, 1]);
      const spread = insertZeros(calls, dy, info.strideHeight, info.strideWidth);
      const perOutput = correlate(calls, 'DepthwiseConv2dNative', spread, rotated, {
        top: (fh - 1) * info.dilationHeight - info.padInfo.top,
        left: (fw - 1) * info.dilationWidth - info.padInfo.left,
        outHeight: info.inHeight,
        outWidth: info.inWidth,
        dilationHeight: info.dilationHeight,
        dilationWidth: info.dilationWidth,
      }); // [b, h, w, c·M]
      if (multiplier === 1) return perOutput;
      const split = calls.reshape(perOutput, [info.batchSize, info.inHeight, info.inWidth, channels, multiplier]);
      return calls.run('Sum', { x: split }, { axis: [4], keepDims: false });
    });
  };
}

/** dW of a depthwise convolution: per channel, (strided patches of x)ᵀ · dy as one batched matmul. */
function depthwiseBackpropFilter(backendName: string): tf.KernelFunc {
  return ({ inputs, backend: untypedBackend, attrs }) => {
    const backend = untypedBackend as tf.KernelBackend;
    const { x, dy } = inputs as { x: Info; dy: Info };
    const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs as unknown as {
      strides: [number, number] | number;
      dilations?: [number, number] | number;
      pad: Padding;
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      filterShape: [number, number, number, number];
    };
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, dilations ?? 1, pad, dimRoundingMode, true);
    const [fh, fw, channels, multiplier] = filterShape;
    const { batchSize, inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } = info;
    return withCalls(backend, backendName, (calls) => {
      const neededHeight = (outHeight - 1) * strideHeight + (fh - 1) * dilationHeight + 1;
      const neededWidth = (outWidth - 1) * strideWidth + (fw - 1) * dilationWidth + 1;
      const padded = calls.run(
        'PadV2',
        { x },
        {
          paddings: [
            [0, 0],
            [padInfo.top, Math.max(0, neededHeight - padInfo.top - inHeight)],
            [padInfo.left, Math.max(0, neededWidth - padInfo.left - inWidth)],
            [0, 0],
          ],
          constantValue: 0,
        },
      );
      const patches: Info[] = [];
      for (let i = 0; i < fh; i++) {
        for (let j = 0; j < fw; j++) {
          const begin = [0, i * dilationHeight, j * dilationWidth, 0];
          patches.push(
            calls.run(
              'StridedSlice',
              { x: padded },
              {
                begin,
                end: [batchSize, begin[1] + (outHeight - 1) * strideHeight + 1, begin[2] + (outWidth - 1) * strideWidth + 1, channels],
                strides: [1, strideHeight, strideWidth, 1],
                beginMask: 0,
                endMask: 0,
                ellipsisMask: 0,
                newAxisMask: 0,
                shrinkAxisMask: 0,
              },
            ),
          );
        }
      }
      const pixels = batchSize * outHeight * outWidth;
      const stacked = calls.reshape(calls.run('Pack', patches, { axis: 0 }), [fh * fw, pixels, channels]);
      const perChannelPatches = calls.transpose(stacked, [2, 0, 1]); // [c, K, N]
      const perChannelGradient = calls.transpose(calls.reshape(dy, [pixels, channels, multiplier]), [1, 0, 2]); // [c, N, M]
      const product = calls.run('BatchMatMul', { a: perChannelPatches, b: perChannelGradient }, { transposeA: false, transposeB: false }); // [c, K, M]
      return calls.transpose(calls.reshape(product, [channels, fh, fw, multiplier]), [1, 2, 0, 3]);
    });
  };
}

/**
 * Max-pool gradient: dy of each window goes to the window's first maximum in row-major scan order
 * (TensorFlow's MaxPoolGrad rule, and tfjs's cpu backend's); windows that overlap add up. One pass
 * in JavaScript over the wasm heap (no copies), finding each window's maximum by equality with the
 * pooled output when tfjs passes it (it always does), else by a scan. tfjs's wasm `MaxPoolGrad`
 * picks the last of tied maxima and starts its scan at the smallest positive float (so a window of
 * zeros or negatives sends its gradient to the wrong place), and its `MaxPoolWithArgmax` returns
 * wrong positions for batch items after the first.
 */
function maxPoolGrad(): tf.KernelFunc {
  return ({ inputs, backend: untypedBackend, attrs }) => {
    const backend = untypedBackend as tf.KernelBackend;
    const { dy, input, output } = inputs as { dy: Info; input: Info; output?: Info };
    const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as {
      filterSize: [number, number] | number;
      strides: [number, number] | number;
      pad: Padding;
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
    };
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
    const shape = [...input.shape];
    const heap = hasHeap(backend);
    const out: Info = heap ? backend.makeOutput(shape, 'float32') : { dataId: {}, shape, dtype: 'float32' };
    // Views after the allocation (a growing heap replaces the buffer); copies on other backends.
    const view = (info: Info) => (heap ? backend.typedArrayFromHeap(info) : backend.readSync(info.dataId)) as Float32Array;
    const dx = heap ? (backend.typedArrayFromHeap(out) as Float32Array) : new Float32Array(size(shape));
    const pooled = output !== undefined && output.shape.join(',') === dy.shape.join(',');
    const compiled = pooled && heap && isTwoByTwoTiling(info) ? heapModule(backend) : null;
    // The WebAssembly loop stores every window element when it runs 4 channels per step, so only
    // a last odd row or column (in no window) would need the zeros.
    const everyElementStored = compiled !== null && info.inChannels >= 4 && info.inHeight === 2 * info.outHeight && info.inWidth === 2 * info.outWidth;
    if (!everyElementStored) dx.fill(0);
    const x = view(input);
    const gradient = view(dy);
    if (pooled) {
      if (compiled) {
        // The same loop compiled to WebAssembly, on the heap in place (64 × 24 × 24 × 64: 28 → 4 ms).
        const offset = (tensor: Info) => heapOffset(backend, tensor);
        const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth } = info;
        const rowBytes = inWidth * inChannels * 4;
        const imageBytes = inHeight * rowBytes;
        const pooledImageBytes = outHeight * outWidth * inChannels * 4;
        const [xAt, maximaAt, dyAt] = [offset(input), offset(output), offset(dy)];
        freeOnThrow(backend, out, () => runInParts(
          compiled.maxPoolGradTwoByTwo,
          splitRange(batchSize, parallelParts(compiled.maxPoolGradTwoByTwo, NANOSECONDS_PER.poolElement * batchSize * inHeight * inWidth * inChannels)).map(([start, count]) => [
            xAt + start * imageBytes,
            maximaAt + start * pooledImageBytes,
            dyAt + start * pooledImageBytes,
            offset(out) - xAt,
            count,
            outHeight,
            outWidth,
            inChannels,
            rowBytes,
            imageBytes,
          ]),
        ));
      } else if (isTwoByTwoTiling(info)) {
        scatterTwoByTwo(x, view(output), gradient, dx, info);
      } else {
        scatterToFirstMatch(x, view(output), gradient, dx, info);
      }
    } else {
      scatterToFirstMaxima(x, gradient, dx, info);
    }
    return heap ? out : { dataId: backend.write(dx, shape, 'float32'), shape, dtype: 'float32' };
  };
}

/** dx[first max of window w] += dy[w] for every pooling window (NHWC). */
function scatterToFirstMaxima(x: Float32Array, gradient: Float32Array, dx: Float32Array, info: tf.backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  const rowStride = inWidth * channels;
  let outIndex = 0;
  for (let b = 0; b < batchSize; b++) {
    const batchBase = b * inHeight * rowStride;
    for (let outRow = 0; outRow < outHeight; outRow++) {
      const rowStart = outRow * strideHeight - top;
      const rowFrom = rowStart < 0 ? 0 : rowStart;
      const rowTo = Math.min(inHeight, rowStart + filterHeight);
      for (let outColumn = 0; outColumn < outWidth; outColumn++) {
        const columnStart = outColumn * strideWidth - left;
        const columnFrom = columnStart < 0 ? 0 : columnStart;
        const columnTo = Math.min(inWidth, columnStart + filterWidth);
        const windowBase = batchBase + rowFrom * rowStride + columnFrom * channels;
        for (let c = 0; c < channels; c++, outIndex++) {
          let best = Number.NEGATIVE_INFINITY;
          let bestAt = -1;
          for (let row = rowFrom, rowBase = windowBase + c; row < rowTo; row++, rowBase += rowStride) {
            for (let column = columnFrom, at = rowBase; column < columnTo; column++, at += channels) {
              const value = x[at];
              if (value > best) {
                best = value;
                bestAt = at;
              }
            }
          }
          if (bestAt >= 0) dx[bestAt] += gradient[outIndex];
        }
      }
    }
  }
}

/** 2 × 2 windows at stride 2 without padding: every input element lies in at most one window. */
function isTwoByTwoTiling(info: tf.backend_util.Conv2DInfo): boolean {
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } = info;
  return (
    filterHeight === 2 &&
    filterWidth === 2 &&
    strideHeight === 2 &&
    strideWidth === 2 &&
    dilationHeight === 1 &&
    dilationWidth === 1 &&
    padInfo.top === 0 &&
    padInfo.left === 0 &&
    2 * info.outHeight <= info.inHeight &&
    2 * info.outWidth <= info.inWidth
  );
}

/**
 * {@link scatterToFirstMatch} for 2 × 2 windows at stride 2 without padding (every max-pooling
 * layer of LeNet-5 and the Keras examples): the four candidates are tested in row-major order, and
 * since the windows do not overlap each gradient is stored, not added (measured 3.6 → 1 ms on a
 * 64 × 28 × 28 × 6 input).
 */
function scatterTwoByTwo(x: Float32Array, maxima: Float32Array, gradient: Float32Array, dx: Float32Array, info: tf.backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const rowStride = inWidth * channels;
  let outIndex = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let outRow = 0; outRow < outHeight; outRow++) {
      let at = (b * inHeight + 2 * outRow) * rowStride;
      for (let outColumn = 0; outColumn < outWidth; outColumn++, at += channels) {
        for (let c = 0; c < channels; c++, at++, outIndex++) {
          const maximum = maxima[outIndex];
          if (maximum === Number.NEGATIVE_INFINITY) continue; // no maximum, as in the scan
          if (x[at] === maximum) dx[at] = gradient[outIndex];
          else if (x[at + channels] === maximum) dx[at + channels] = gradient[outIndex];
          else if (x[at + rowStride] === maximum) dx[at + rowStride] = gradient[outIndex];
          else if (x[at + rowStride + channels] === maximum) dx[at + rowStride + channels] = gradient[outIndex];
        }
      }
    }
  }
}

/**
 * Like {@link scatterToFirstMaxima}, given the pooled maxima y: the first element of each window
 * equal to its maximum (a window whose maximum is −∞ or NaN has none, as in the scan).
 */
function scatterToFirstMatch(x: Float32Array, maxima: Float32Array, gradient: Float32Array, dx: Float32Array, info: tf.backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  const rowStride = inWidth * channels;
  let outIndex = 0;
  for (let b = 0; b < batchSize; b++) {
    const batchBase = b * inHeight * rowStride;
    for (let outRow = 0; outRow < outHeight; outRow++) {
      const rowStart = outRow * strideHeight - top;
      const rowFrom = rowStart < 0 ? 0 : rowStart;
      const rowTo = Math.min(inHeight, rowStart + filterHeight);
      for (let outColumn = 0; outColumn < outWidth; outColumn++) {
        const columnStart = outColumn * strideWidth - left;
        const columnFrom = columnStart < 0 ? 0 : columnStart;
        const columnTo = Math.min(inWidth, columnStart + filterWidth);
        const windowBase = batchBase + rowFrom * rowStride + columnFrom * channels;
        for (let c = 0; c < channels; c++, outIndex++) {
          const maximum = maxima[outIndex];
          if (!(maximum > Number.NEGATIVE_INFINITY)) continue;
          search: for (let row = rowFrom, rowBase = windowBase + c; row < rowTo; row++, rowBase += rowStride) {
            for (let column = columnFrom, at = rowBase; column < columnTo; column++, at += channels) {
              if (x[at] === maximum) {
                dx[at] += gradient[outIndex];
                break search;
              }
            }
          }
        }
      }
    }
  }
}

/**
 * Σ over the leading axes (keeping the trailing ones) as n × the mean of one n-sample average
 * pooling window (XNNPACK's multipass average pooling): tfjs's wasm `Sum` first transposes the
 * reduced axes to the end, and every bias gradient of a convolution reduces batch × height × width
 * (measured 2.4 ms against 23 ms for a 64 × 24 × 24 × 64 gradient; agrees with tfjs to 6e-6
 * relative, both summing in float32). Other reductions, small ones and non-float32 go to tfjs's
 * kernel.
 */
function sum(backendName: string, fallback: tf.KernelFunc | undefined): tf.KernelFunc {
  return (args) => {
    const backend = args.backend as tf.KernelBackend;
    const { x } = args.inputs as { x: Info };
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const leading = axes.length > 0 && axes.length < rank && axes.every((value, index) => value === index);
    const rows = product(x.shape.slice(0, axes.length));
    if (!leading || x.dtype !== 'float32' || rows < 2 || rows * product(x.shape.slice(axes.length)) < 16_384) {
      if (!fallback) throw new Error(`tlkit: no ${backendName} Sum kernel to fall back to.`);
      return fallback(args);
    }
    const kept = x.shape.slice(axes.length);
    const columns = product(kept);
    // The reduced rows as one pooling window of height × width = first axis × the rest.
    const height = x.shape[0];
    const width = rows / height;
    return withCalls(backend, backendName, (calls) => {
      const image = calls.reshape(x, [1, height, width, columns]);
      const mean = calls.run('AvgPool', { x: image }, { filterSize: [height, width], strides: [1, 1], pad: 'valid' });
      const count = calls.run('Fill', {}, { shape: [], value: rows, dtype: 'float32' });
      const total = calls.run('Multiply', { a: mean, b: count });
      return calls.reshape(total, keepDims ? [...axes.map(() => 1), ...kept] : kept);
    });
  };
}

/**
 * `Add` of a per-channel vector to a tensor (a layer's bias: [..., c] + [c], either order):
 * - by tlkit's SIMD loop when the tensor is whole runs of lcm(c, 4) values ({@link simdBiasAdd});
 * - else, from 4096 values, with longer rows: tfjs's wasm kernel broadcasts the vector row by row,
 *   paying a call per row of c elements (3.1 ms for a 64 × 28 × 28 × 6 tensor, LeNet-5's first
 *   layer: 0.3 M additions). The tensor is viewed as rows of k·c elements (k of the original rows,
 *   k·c ≤ 256) and the vector tiled k times, so the same additions run in long rows (0.4 ms
 *   there; 3.0 → 1.8 ms for 64 × 26 × 26 × 32).
 * Every sum is the same float32 addition. Other `Add`s go to tfjs's kernel.
 */
function add(backendName: string, fallback: tf.KernelFunc | undefined): tf.KernelFunc {
  return (args) => {
    const backend = args.backend as tf.KernelBackend;
    const { a, b } = args.inputs as { a: Info; b: Info };
    if (!fallback) throw new Error(`tlkit: no ${backendName} Add kernel to fall back to.`);
    const [large, vector] = size(a.shape) >= size(b.shape) ? [a, b] : [b, a];
    const channels = large.shape[large.shape.length - 1] ?? 1;
    const path = biasAddPath(large, vector);
    const simd = path === 'simd' ? simdBiasAdd(backend, large, vector, channels) : null;
    if (simd) return simd;
    const rows = size(large.shape) / channels;
    const k = path === 'stock' ? 1 : rowsPerTile(rows, channels);
    if (k === 1) return fallback(args);
    return withCalls(backend, backendName, (calls) => {
      const tiled = calls.run('Tile', { x: calls.reshape(vector, [channels]) }, { reps: [k] });
      const inputs = { a: calls.reshape(large, [rows / k, k * channels]), b: tiled };
      const sum = calls.adopt(fallback({ inputs, backend, attrs: {} }) as Info);
      return calls.reshape(sum, [...large.shape]);
    });
  };
}

/**
 * How `Add` runs `large + vector` (`large` the operand with more values): `'simd'` for a bias
 * (float32, one value per channel of the last axis) over whole runs of lcm(c, 4) values; `'tiled'`
 * for other biases from {@link BIAS_ADD_MINIMUM} values (when a tile size divides the rows);
 * `'stock'` otherwise. @internal
 */
export function biasAddPath(large: Pick<Info, 'shape' | 'dtype'>, vector: Pick<Info, 'shape' | 'dtype'>): 'simd' | 'tiled' | 'stock' {
  const channels = large.shape[large.shape.length - 1] ?? 1;
  const total = size(large.shape);
  const isBias =
    large.dtype === 'float32' &&
    vector.dtype === 'float32' &&
    vector.shape.length >= 1 &&
    vector.shape.length <= large.shape.length &&
    vector.shape[vector.shape.length - 1] === channels &&
    size(vector.shape) === channels;
  if (!isBias) return 'stock';
  if (total % biasPeriod(channels) === 0) return 'simd';
  return total >= BIAS_ADD_MINIMUM ? 'tiled' : 'stock';
}

/**
 * `large + vector` for a bias `vector` of `channels` values by tlkit's SIMD loop (`biasAdd` in
 * wasm-elementwise.ts), for a tensor of whole runs of the bias pattern (lcm(channels, 4) values:
 * {@link biasAddPath} `'simd'`); null where the loop cannot run on the backend. One pass over
 * memory on the calling thread: LeNet-5's first layer (64 × 28 × 28 × 6) took 0.34–0.49 ms per
 * call in training before, 0.19–0.22 ms after.
 */
function simdBiasAdd(backend: tf.KernelBackend, large: Info, vector: Info, channels: number): Info | null {
  const total = size(large.shape);
  const period = biasPeriod(channels);
  if (!hasHeap(backend)) return null;
  const loops = elementwiseLoops(backend);
  if (!loops) return null;
  return withCalls(backend, 'wasm', (calls) => {
    const pattern = calls.adopt(backend.makeOutput([period], 'float32'));
    const y = calls.adopt(backend.makeOutput([...large.shape], 'float32'));
    // Views after the allocations (a growing heap replaces the buffer).
    const target = backend.typedArrayFromHeap(pattern) as Float32Array;
    const bias = backend.typedArrayFromHeap(vector) as Float32Array;
    for (let index = 0; index < period; index++) target[index] = bias[index % channels]!;
    loops.biasAdd(heapOffset(backend, large), heapOffset(backend, pattern), heapOffset(backend, y), total / period, 4 * period);
    return y;
  });
}

/** Below this many elements tfjs's `Add` is as fast (its per-call cost dominates both). */
const BIAS_ADD_MINIMUM = 4096;

/** The largest k ≤ 256 / channels dividing `rows` (1: no tiling helps). */
function rowsPerTile(rows: number, channels: number): number {
  for (let k = Math.floor(256 / channels); k >= 2; k--) if (rows % k === 0) return k;
  return 1;
}

/** Output sizes and input byte strides of the transpose loop's four axes, outermost first. */
interface FourAxes {
  readonly sizes: [number, number, number, number];
  readonly byteStrides: [number, number, number, number];
  /** Axes left after merging (the rest are size-1 padding). */
  readonly used: number;
}

/**
 * `Transpose` and `Tile` of 4-byte tensors (float32, int32) by tlkit's WebAssembly transpose loop
 * on the heap: each is an ordered walk over the output reading x at per-axis strides, planned by
 * `plan` (output shape and {@link FourAxes}, or null for tfjs's kernel; other dtypes too).
 */
function stridedCopy(
  kernelName: string,
  plan: (shape: readonly number[], attrs: tf.NamedAttrMap) => { shape: number[]; axes: FourAxes } | null,
): (backendName: string, fallback: tf.KernelFunc | undefined) => tf.KernelFunc {
  return (backendName, fallback) => (args) => {
    if (!fallback) throw new Error(`tlkit: no ${backendName} ${kernelName} kernel to fall back to.`);
    const backend = args.backend as tf.KernelBackend;
    const { x } = args.inputs as { x: Info };
    if (!hasHeap(backend) || (x.dtype !== 'float32' && x.dtype !== 'int32')) return fallback(args);
    const compiled = heapModule(backend);
    const planned = compiled ? plan(x.shape, args.attrs ?? {}) : null;
    if (!compiled || !planned) return fallback(args);
    const { sizes, byteStrides } = planned.axes;
    const out = backend.makeOutput(planned.shape, x.dtype);
    freeOnThrow(backend, out, () => compiled.transposeFour(heapOffset(backend, x), heapOffset(backend, out), ...sizes, ...byteStrides));
    return out;
  };
}

/**
 * (size, element stride) pairs of output axes, outermost first, as at most four axes of the
 * transpose loop: size-1 axes dropped; an axis merged into the one before it when both repeat
 * (stride 0) or when the two are adjacent in x (the outer stride is size × the inner). Null when
 * more than four remain.
 */
function fourAxes(pairs: readonly (readonly [number, number])[]): FourAxes | null {
  const axes: { size: number; stride: number }[] = [];
  for (const [size, stride] of pairs) {
    if (size === 1) continue;
    const previous = axes[axes.length - 1];
    if (previous && ((previous.stride === 0 && stride === 0) || (stride !== 0 && previous.stride === size * stride))) {
      previous.size *= size;
      previous.stride = stride;
      continue;
    }
    axes.push({ size, stride });
  }
  const used = axes.length;
  if (used > 4) return null;
  while (axes.length < 4) axes.unshift({ size: 1, stride: 0 });
  return {
    sizes: axes.map((axis) => axis.size) as [number, number, number, number],
    byteStrides: axes.map((axis) => axis.stride * 4) as [number, number, number, number],
    used,
  };
}

/** Element strides of a row-major tensor. */
function rowMajorStrides(shape: readonly number[]): number[] {
  const strides: number[] = [];
  for (let axis = shape.length - 1, stride = 1; axis >= 0; stride *= shape[axis]!, axis--) strides[axis] = stride;
  return strides;
}

/**
 * `Transpose`: tfjs's wasm kernel moves about one element per 10 ns here (64 × 24 × 24 × 64 in
 * 20–25 ms), and every convolution gradient transposes x or dy. Output axis k reads x's axis
 * perm[k]; axes that stay adjacent merge, so each row x holds contiguously is one `memory.copy`.
 * A plain copy (tfjs shares the data then) or an empty tensor stays with tfjs's kernel.
 */
function transposePlan(shape: readonly number[], perm: readonly number[]): FourAxes | null {
  if (shape.some((extent) => extent === 0)) return null;
  const strides = rowMajorStrides(shape);
  const axes = fourAxes(perm.map((axis) => [shape[axis]!, strides[axis]!] as const));
  return axes && axes.used > 1 ? axes : null;
}

/**
 * `Tile`: output axis k of size shape[k] · reps[k] is an outer axis of reps[k] at stride 0 and an
 * inner axis of shape[k] at x's stride, so the tiles of batch-norm gradients ([1, 1, 1, c] by
 * [b, h, w, 1]) are one stride-0 axis and one contiguous row. tfjs's wasm `Tile` ran those at about
 * 260 ns per element here — a third of a small ResNet-18's step.
 */
export function tilePlan(shape: readonly number[], reps: readonly number[]): FourAxes | null {
  if (reps.length !== shape.length || shape.some((extent) => extent === 0) || reps.some((count) => !(count >= 1))) return null;
  const strides = rowMajorStrides(shape);
  return fourAxes(shape.flatMap((extent, axis) => [[reps[axis]!, 0] as const, [extent, strides[axis]!] as const]));
}

const transpose = stridedCopy('Transpose', (shape, attrs) => {
  const perm = attrs.perm as number[];
  const axes = transposePlan(shape, perm);
  return axes && { shape: perm.map((axis) => shape[axis]!), axes };
});

const tile = stridedCopy('Tile', (shape, attrs) => {
  const reps = attrs.reps as number[];
  const axes = tilePlan(shape, reps);
  return axes && { shape: shape.map((extent, axis) => extent * reps[axis]!), axes };
});

/** Runs `work`; if it throws, frees `output` (a heap tensor made outside `withCalls`) first. */
function freeOnThrow(backend: tf.KernelBackend, output: Info, work: () => void): void {
  try {
    work();
  } catch (error) {
    backend.disposeData(output.dataId);
    throw error;
  }
}

/** target[i] += Σ_p partials[p · size + i]: the partial sums of the parts of a batch (heap tensors). */
function addPartials(backend: tf.KernelBackend & HeapBackend, target: Info, partials: Info, size: number): void {
  const sum = backend.typedArrayFromHeap(target) as Float32Array;
  const parts = backend.typedArrayFromHeap(partials) as Float32Array;
  for (let from = 0; from < parts.length; from += size) for (let index = 0; index < size; index++) sum[index]! += parts[from + index]!;
}

/** Byte offset of a tensor's data in the wasm backend's heap. */
function heapOffset(backend: tf.KernelBackend, tensor: Info): number {
  return heapByteOffset(backend, tensor.dataId);
}

/** Identity without a copy (tensors are immutable; tfjs's wasm kernel copies every saved tensor). */
function identity(backendName: string, fallback: tf.KernelFunc | undefined): tf.KernelFunc {
  return (args) => {
    const backend = args.backend as tf.KernelBackend;
    const { x } = args.inputs as { x: Info };
    if (x.dtype === 'string' && fallback) return fallback(args);
    backend.incRef(x.dataId);
    void backendName;
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
}

/** Cast to the same dtype without a copy; other casts go to tfjs's kernel. */
function cast(backendName: string, fallback: tf.KernelFunc | undefined): tf.KernelFunc {
  const copyFree = identity(backendName, undefined);
  return (args) => {
    const { x } = args.inputs as { x: Info };
    const { dtype } = args.attrs as unknown as { dtype: tf.DataType };
    if (x.dtype === dtype && dtype !== 'string') return copyFree(args);
    if (!fallback) throw new Error(`tlkit: no ${backendName} Cast kernel for ${x.dtype} → ${dtype}.`);
    return fallback(args);
  };
}

/** Σ of the rows of x sharing a segment id; ids < 0 are dropped (TensorFlow's rule). */
function unsortedSegmentSum(backendName: string): tf.KernelFunc {
  return ({ inputs, backend: untypedBackend, attrs }) => {
    const backend = untypedBackend as tf.KernelBackend;
    const { x, segmentIds } = inputs as { x: Info; segmentIds: Info };
    const { numSegments } = attrs as unknown as { numSegments: number };
    const rows = x.shape[0] ?? 1;
    if (segmentIds.shape.length !== 1 || segmentIds.shape[0] !== rows) {
      throw new TlkitError(
        'DIMENSION_MISMATCH',
        `segmentIds: tlkit's wasm UnsortedSegmentSum takes one id per row of x (shape [${rows}]), got [${segmentIds.shape.join(', ')}].`,
        { argument: 'segmentIds' },
      );
    }
    const rowShape = x.shape.slice(1);
    const rowSize = rowShape.reduce((a, b) => a * b, 1);
    const ids = backend.readSync(segmentIds.dataId) as Int32Array;
    const kept: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] >= numSegments) {
        throw new TlkitError('INVALID_ARGUMENT', `segmentIds: id ${ids[i]} at position ${i} is not below numSegments ${numSegments}.`, {
          argument: 'segmentIds',
        });
      }
      if (ids[i] >= 0) kept.push(i);
    }
    return withCalls(backend, backendName, (calls) => {
      let values = calls.reshape(x, [rows, rowSize]);
      let indexTensor: Info;
      if (kept.length === rows) {
        indexTensor = calls.reshape(segmentIds, [rows, 1]);
      } else {
        const keptRows = calls.adopt({ dataId: backend.write(Int32Array.from(kept), [kept.length], 'int32'), shape: [kept.length], dtype: 'int32' });
        values = calls.run('GatherV2', { x: values, indices: keptRows }, { axis: 0, batchDims: 0 });
        indexTensor = calls.adopt({
          dataId: backend.write(Int32Array.from(kept, (row) => ids[row]), [kept.length, 1], 'int32'),
          shape: [kept.length, 1],
          dtype: 'int32',
        });
      }
      const summed = calls.run('ScatterNd', { indices: indexTensor, updates: values }, { shape: [numSegments, rowSize] });
      return calls.reshape(summed, [numSegments, ...rowShape]);
    });
  };
}

function size(shape: readonly number[]): number {
  return product(shape);
}

function product(values: readonly number[]): number {
  let out = 1;
  for (const value of values) out *= value;
  return out;
}

/**
 * A matrix product as XNNPACK's 1×1 convolution. tfjs's wasm `BatchMatMul` sends every product
 * with a transposed operand or a batch (all of backpropagation's products) to a scalar C++ loop,
 * and its XNNPACK path runs without the thread pool; a 1×1 convolution of [1, 1, m, k] by
 * [1, 1, k, n] is the same GEMM, SIMD and threaded. Transposed operands are transposed first (one
 * O(size) pass). Batched products with a batched right operand go to tfjs's kernel.
 */
function matMulAsConvolution(
  calls: KernelCalls,
  a: Info,
  b: Info,
  transposeA: boolean,
  transposeB: boolean,
  fused?: { bias?: Info; preluActivationWeights?: Info; activation: string; leakyreluAlpha?: number },
): Info {
  const rankA = a.shape.length;
  const rankB = b.shape.length;
  const outerA = transposeA ? a.shape[rankA - 1] : a.shape[rankA - 2];
  const inner = transposeA ? a.shape[rankA - 2] : a.shape[rankA - 1];
  const outerB = transposeB ? b.shape[rankB - 2] : b.shape[rankB - 1];
  const batchShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const rows = product(a.shape.slice(0, -2)) * outerA;
  let left = calls.reshape(a, transposeA ? [inner, outerA] : [rows, inner]);
  if (transposeA) left = calls.transpose(left, [1, 0]);
  let right = calls.reshape(b, transposeB ? [outerB, inner] : [inner, outerB]);
  if (transposeB) right = calls.transpose(right, [1, 0]);
  const image = calls.reshape(left, [1, 1, rows, inner]);
  const filter = calls.reshape(right, [1, 1, inner, outerB]);
  const convolution = { strides: [1, 1], pad: 'valid', dilations: [1, 1], dataFormat: 'NHWC' };
  const product2d = fused
    ? calls.run(
        'FusedConv2D',
        { x: image, filter, ...(fused.bias ? { bias: fused.bias } : {}), ...(fused.preluActivationWeights ? { preluActivationWeights: fused.preluActivationWeights } : {}) },
        { ...convolution, activation: fused.activation, leakyreluAlpha: fused.leakyreluAlpha ?? 0 },
      )
    : calls.run('Conv2D', { x: image, filter }, convolution);
  return calls.reshape(product2d, [...batchShape, outerA, outerB]);
}

/** Can the product run as one 2-D GEMM (the right operand has no batch, and a transposed left operand has none either)? */
function foldsToOneProduct(a: Info, b: Info, transposeA: boolean): boolean {
  const batchA = product(a.shape.slice(0, -2));
  const batchB = product(b.shape.slice(0, -2));
  return batchB === 1 && (batchA === 1 || !transposeA) && a.dtype === 'float32' && b.dtype === 'float32';
}

/**
 * Products up to this many multiply-adds run as tlkit's WebAssembly loop (`wasm-gemm.ts`) on one
 * thread; larger ones go to XNNPACK, tuned for them and spread over the threads. LeNet-5's largest
 * (64 × 400 × 120) is 3.1 M.
 */
const SMALL_PRODUCT_MULTIPLY_ADDS = 1 << 23;

/**
 * aᵀ · b for a left operand stored transposed (a: [K × M], b: [K × N]) with few columns N that are
 * not whole 8-column blocks and many rows M that are: the weight gradient of a narrow dense layer
 * over wide features (small-CNN's head, 9216 → 10: dW = xᵀ · dy). The loop computes the transposed
 * result, (aᵀ b)ᵀ = bᵀ a, with a read in place as its right operand (no padding, M columns in whole
 * blocks) and b read with strides as its left; the transpose loop then writes M × N. The direct
 * form pads N to 16 and reads a with a stride of M floats per step. Null when it does not apply.
 */
function narrowTransposedProduct(backend: tf.KernelBackend, a: Info, b: Info, transposeA: boolean, transposeB: boolean): Info | null {
  if (!transposeA || transposeB || !hasHeap(backend) || !foldsToOneProduct(a, b, transposeA)) return null;
  const [inner, rows] = a.shape.slice(-2) as [number, number];
  const columns = b.shape[b.shape.length - 1]!;
  if (columns % 8 === 0 || rows % 8 !== 0 || rows < 8 * columns || rows * inner * columns > SMALL_PRODUCT_MULTIPLY_ADDS) return null;
  const gemm = heapGemm(backend);
  const transposer = heapModule(backend);
  if (!gemm || !transposer) return null;
  const batchShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  return withCalls(backend, 'wasm', (calls) => {
    const transposed = calls.adopt(backend.makeOutput([columns * rows], 'float32'));
    const result = calls.adopt(backend.makeOutput([...batchShape, rows, columns], 'float32'));
    // transposed[n, m] = Σ_k b[k, n] · a[k, m]: left operand b (row n: 4 bytes on, step k: a row of b), right a as stored.
    gemm(heapOffset(backend, b), heapOffset(backend, a), heapOffset(backend, transposed), columns, inner, rows * 4, 4, columns * 4);
    // result[m, n] = transposed[n, m]
    transposer.transposeFour(heapOffset(backend, transposed), heapOffset(backend, result), 1, 1, rows, columns, 0, 0, 4, rows * 4);
    return result;
  });
}

/**
 * A small 2-D product by tlkit's WebAssembly loop: the right operand read in place when its rows
 * are whole 8-column blocks already, else copied once into rows padded to them (and transposed on
 * the way when `transposeB`), the left read in place with strides (transposed or not), the result
 * compacted when padded. Null when it does not apply.
 */
function smallProduct(backend: tf.KernelBackend, a: Info, b: Info, transposeA: boolean, transposeB: boolean): Info | null {
  if (!hasHeap(backend) || !foldsToOneProduct(a, b, transposeA)) return null;
  const rankA = a.shape.length;
  const rankB = b.shape.length;
  const outerA = transposeA ? a.shape[rankA - 1]! : a.shape[rankA - 2]!;
  const inner = transposeA ? a.shape[rankA - 2]! : a.shape[rankA - 1]!;
  const outerB = transposeB ? b.shape[rankB - 2]! : b.shape[rankB - 1]!;
  const rows = product(a.shape.slice(0, -2)) * outerA;
  if (rows * inner * outerB > SMALL_PRODUCT_MULTIPLY_ADDS || rows * inner * outerB === 0) return null;
  const gemm = heapGemm(backend);
  if (!gemm) return null;
  const batchShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const padded = Math.ceil(outerB / 8) * 8;
  return withCalls(backend, 'wasm', (calls) => {
    // b's rows already padded to whole blocks of 8 (not transposed): the loop reads b in place.
    const inPlace = !transposeB && padded === outerB;
    const right = inPlace ? b : calls.adopt(backend.makeOutput([inner * padded], 'float32'));
    const result = calls.adopt(backend.makeOutput([...batchShape, outerA, outerB], 'float32'));
    const target = padded === outerB ? result : calls.adopt(backend.makeOutput([rows * padded], 'float32'));
    if (!inPlace) {
      // Views after the allocations (a growing heap replaces the buffer).
      const source = backend.typedArrayFromHeap(b) as Float32Array;
      const copy = backend.typedArrayFromHeap(right) as Float32Array;
      if (padded !== outerB) copy.fill(0);
      const transposer = transposeB && padded === outerB ? heapModule(backend) : null;
      if (transposer) {
        // right[k, n] = b[n, k] by the transpose loop (a strided JavaScript pass took ~0.5 ms for 400 × 120).
        transposer.transposeFour(heapOffset(backend, b), heapOffset(backend, right), 1, 1, inner, outerB, 0, 0, 4, inner * 4);
      } else if (transposeB) {
        for (let n = 0; n < outerB; n++) for (let k = 0; k < inner; k++) copy[k * padded + n] = source[n * inner + k]!;
      } else {
        for (let k = 0; k < inner; k++) copy.set(source.subarray(k * outerB, (k + 1) * outerB), k * padded);
      }
    }
    const [aRowBytes, aColumnBytes] = transposeA ? [4, outerA * 4] : [inner * 4, 4];
    gemm(heapOffset(backend, a), heapOffset(backend, right), heapOffset(backend, target), rows, inner, padded * 4, aRowBytes, aColumnBytes);
    if (target !== result) {
      const from = backend.typedArrayFromHeap(target) as Float32Array;
      const to = backend.typedArrayFromHeap(result) as Float32Array;
      for (let m = 0; m < rows; m++) to.set(from.subarray(m * padded, m * padded + outerB), m * outerB);
    }
    return result;
  });
}

function batchMatMul(backendName: string, fallback: tf.KernelFunc | undefined): tf.KernelFunc {
  return (args) => {
    const backend = args.backend as tf.KernelBackend;
    const { a, b } = args.inputs as { a: Info; b: Info };
    const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
    if (!foldsToOneProduct(a, b, transposeA) && fallback) return fallback(args);
    if (backendName === 'wasm') {
      const small = narrowTransposedProduct(backend, a, b, transposeA, transposeB) ?? smallProduct(backend, a, b, transposeA, transposeB);
      if (small) return small;
    }
    return withCalls(backend, backendName, (calls) => matMulAsConvolution(calls, a, b, transposeA, transposeB));
  };
}

function fusedMatMul(backendName: string, fallback: tf.KernelFunc | undefined): tf.KernelFunc {
  return (args) => {
    const backend = args.backend as tf.KernelBackend;
    const { a, b, bias, preluActivationWeights } = args.inputs as { a: Info; b: Info; bias?: Info; preluActivationWeights?: Info };
    const { transposeA, transposeB, activation, leakyreluAlpha } = args.attrs as unknown as {
      transposeA: boolean;
      transposeB: boolean;
      activation: string;
      leakyreluAlpha?: number;
    };
    const columns = transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
    const perColumn = (info: Info | undefined) => !info || product(info.shape) === columns;
    if ((!foldsToOneProduct(a, b, transposeA) || !perColumn(bias) || !perColumn(preluActivationWeights)) && fallback) return fallback(args);
    return withCalls(backend, backendName, (calls) =>
      matMulAsConvolution(calls, a, b, transposeA, transposeB, {
        ...(bias ? { bias: calls.reshape(bias, [columns]) } : {}),
        ...(preluActivationWeights ? { preluActivationWeights: calls.reshape(preluActivationWeights, [columns]) } : {}),
        activation,
        ...(leakyreluAlpha !== undefined ? { leakyreluAlpha } : {}),
      }),
    );
  };
}

/**
 * `FusedConv2D` without bias, prelu weights or activation (how tfjs runs a bias-free convolution
 * layer followed by batch norm, e.g. ResNet's) is a plain convolution: tlkit's `Conv2D` paths
 * take it; anything fused goes to tfjs's kernel.
 */
function fusedConv2d(backendName: string, fallback: tf.KernelFunc | undefined): tf.KernelFunc {
  const plain = conv2d(backendName, fallback);
  return (args) => {
    if (!fallback) throw new Error(`tlkit: no ${backendName} FusedConv2D kernel to fall back to.`);
    const { bias, preluActivationWeights } = args.inputs as { bias?: Info; preluActivationWeights?: Info };
    const { activation } = args.attrs as { activation?: string | null };
    if (bias || preluActivationWeights || (activation != null && activation !== 'linear')) return fallback(args);
    return plain(args);
  };
}

/** The kernels tlkit registers for the wasm backend, by tfjs kernel name. */
export const WASM_KERNELS = [
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNativeBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'MaxPoolGrad',
  'UnsortedSegmentSum',
  'BatchMatMul',
  '_FusedMatMul',
  'Identity',
  'Cast',
  'Sum',
  'Add',
  'Transpose',
  'Tile',
  'Conv2D',
  'FusedConv2D',
] as const;

type WasmKernelName = (typeof WASM_KERNELS)[number];

const factories: Record<WasmKernelName, (backendName: string, original: tf.KernelFunc | undefined) => tf.KernelFunc> = {
  Conv2DBackpropFilter: conv2dBackpropFilter,
  Conv2DBackpropInput: conv2dBackpropInput,
  DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInput,
  DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilter,
  MaxPoolGrad: () => maxPoolGrad(),
  UnsortedSegmentSum: unsortedSegmentSum,
  BatchMatMul: batchMatMul,
  _FusedMatMul: fusedMatMul,
  Identity: identity,
  Cast: cast,
  Sum: sum,
  Add: add,
  Transpose: transpose,
  Tile: tile,
  Conv2D: conv2d,
  FusedConv2D: fusedConv2d,
};

/** tfjs's own kernels that tlkit replaced, by `backend:kernel` (the matmuls fall back to them). */
const replaced = new Map<string, tf.KernelConfig | undefined>();

/** tfjs's own kernel `kernelName` of a backend, also where tlkit registered its own. */
function stockKernel(kernelName: string, backendName: string): tf.KernelConfig | undefined {
  const key = `${backendName}:${kernelName}`;
  return replaced.has(key) ? replaced.get(key) : tf.getKernel(kernelName, backendName);
}

/**
 * Registers tlkit's kernels for the wasm backend: the missing gradient kernels, and replacements
 * for tfjs's `Conv2DBackpropInput`, `MaxPoolGrad`, `BatchMatMul` and `_FusedMatMul` there, and
 * ReLU's gradient in one pass (a kernel, and a gradient for `Relu` that uses it where it can:
 * relu-gradient.ts). Called by the backend set-up once wasm is active (never at import time);
 * idempotent.
 * @internal
 */
export function registerWasmKernels(backendName = 'wasm'): void {
  for (const kernelName of WASM_KERNELS) {
    const key = `${backendName}:${kernelName}`;
    if (replaced.has(key)) continue;
    const original = tf.getKernel(kernelName, backendName);
    replaced.set(key, original);
    if (original) tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel({
      kernelName,
      backendName,
      kernelFunc: factories[kernelName](backendName, original?.kernelFunc),
      // Keep tfjs's set-up (it binds the C++ function the fallback calls) for every backend instance.
      ...(original?.setupFunc ? { setupFunc: original.setupFunc } : {}),
    });
  }
  // ReLU's gradient in one pass (relu-gradient.ts): the kernel here, and `Relu`'s gradient using it.
  registerReluGradient(backendName);
}

/** Puts tfjs's own wasm kernels back (tests compare against them). @internal */
export function unregisterWasmKernels(backendName = 'wasm'): void {
  for (const kernelName of WASM_KERNELS) {
    const key = `${backendName}:${kernelName}`;
    if (!replaced.has(key)) continue;
    tf.unregisterKernel(kernelName, backendName);
    const original = replaced.get(key);
    if (original) tf.registerKernel(original);
    replaced.delete(key);
  }
  unregisterReluGradient(backendName);
}
