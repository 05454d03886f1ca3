import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  heapHelperPool,
  type HeapHelperPool,
  MIN_NANOSECONDS_PER_PART,
  parallelParts,
  PARTS_PER_THREAD,
  recordSource,
  runInParts,
  setHeapHelperPool,
  setMinNanosecondsPerPart,
  setPoolWorkersSpin,
  SPINNING_POOL_NANOSECONDS_PER_PART,
  splitRange,
} from '../backend/heap-helpers';
import { assembleModule, unsignedLeb } from '../linalg/wasmAssembler';
import { createRng } from '../rng';
import { startHeapHelperPool } from './heap-helper-pool';
import { setupNodeBackend } from './native';

const I32 = 0x7f;
/**
 * fill(at, count, first): i32 words at byte offset `at` get first, first + 1, … (count of them);
 * trap(): unreachable.
 */
function testModuleBytes(): Uint8Array<ArrayBuffer> {
  const get = (local: number) => [0x20, local];
  const fillBody = [
    0x02, 0x40, 0x03, 0x40, // block, loop
    ...get(3), ...get(1), 0x4f, 0x0d, 1, // i ≥ count → break
    ...get(0), ...get(3), 0x41, 2, 0x74, 0x6a, // at + 4i
    ...get(2), ...get(3), 0x6a, // first + i
    0x36, 0x02, 0x00, // i32.store
    ...get(3), 0x41, 1, 0x6a, 0x21, 3, // i++
    0x0c, 0, 0x0b, 0x0b, // br loop, end, end
  ];
  return assembleModule({ shared: true }, [
    { name: 'fill', parameters: [I32, I32, I32], results: [], locals: [[1, I32]], body: fillBody },
    { name: 'trap', parameters: [], results: [], locals: [], body: [0x00] },
  ]);
}

/** A shared memory with the test module on it, its functions recorded for helper threads. */
function sharedTestModule() {
  const memory = new WebAssembly.Memory({ initial: 4, maximum: 65536, shared: true });
  const module = new WebAssembly.Module(testModuleBytes());
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as { fill: (...args: number[]) => void; trap: () => void };
  recordSource(exports.fill, module, 'fill', memory);
  recordSource(exports.trap, module, 'trap', memory);
  return { memory, module, ...exports };
}

/** The pool, patched in place to count the jobs it is given, by loop name. */
function counting(pool: HeapHelperPool): HeapHelperPool & { jobs: number; byName: Map<string, number> } {
  const counted = pool as HeapHelperPool & { jobs: number; byName: Map<string, number> };
  const run = pool.run.bind(pool);
  counted.jobs = 0;
  counted.byName = new Map();
  counted.run = (jobs, own) => {
    counted.jobs += jobs.length;
    for (const job of jobs) counted.byName.set(job.name, (counted.byName.get(job.name) ?? 0) + 1);
    run(jobs, own);
  };
  return counted;
}

describe('heap helper threads', () => {
  afterAll(() => setHeapHelperPool(null));

  it('split a count into near-equal contiguous parts, none empty', () => {
    expect(splitRange(64, 2)).toEqual([[0, 32], [32, 32]]);
    expect(splitRange(7, 3)).toEqual([[0, 3], [3, 2], [5, 2]]);
    expect(splitRange(1, 4)).toEqual([[0, 1]]);
    expect(splitRange(5, 1)).toEqual([[0, 5]]);
  });

  it('run the other parts of a call on helper threads, on the same shared memory', async () => {
    const { memory, fill } = sharedTestModule();
    const pool = counting(await startHeapHelperPool(memory, 2));
    setHeapHelperPool(pool);
    // 3 parts: one here, two on helpers; each writes its own range of 10 000 words.
    runInParts(fill, [
      [0, 10_000, 0],
      [40_000, 10_000, 10_000],
      [80_000, 10_000, 20_000],
    ]);
    expect(pool.jobs).toBe(2);
    const words = new Int32Array(memory.buffer, 0, 30_000);
    let wrong = 0;
    for (let i = 0; i < words.length; i++) if (words[i] !== i) wrong++;
    expect(wrong).toBe(0);
    // Again, so the helpers' cached instances are used; then more parts than threads, shared out
    // one at a time between this thread and both helpers.
    runInParts(fill, [
      [0, 5, 100],
      [20, 5, 200],
    ]);
    runInParts(fill, [[0, 1, 7], [4, 1, 8], [8, 1, 9], [12, 1, 10]]);
    expect(pool.jobs).toBe(5);
    expect(Array.from(new Int32Array(memory.buffer, 0, 10))).toEqual([7, 8, 9, 10, 104, 200, 201, 202, 203, 204]);
    // Many small parts: each runs exactly once, whoever claims it (every word written once, by its part).
    new Int32Array(memory.buffer, 0, 4000).fill(-1);
    runInParts(fill, Array.from({ length: 400 }, (_, part) => [40 * part, 10, 10 * part]));
    const shared = new Int32Array(memory.buffer, 0, 4000);
    let misplaced = 0;
    for (let part = 0; part < 400; part++) for (let k = 0; k < 10; k++) if (shared[10 * part + k] !== 10 * part + k) misplaced++;
    expect(misplaced).toBe(0);
    setHeapHelperPool(null);
  });

  it('report a part that failed on a helper as an error, and keep working', async () => {
    const { memory, module, fill } = sharedTestModule();
    const pool = await startHeapHelperPool(memory, 1);
    setHeapHelperPool(pool);
    let ownRan = false;
    expect(() => pool.run([{ module, name: 'trap', args: [] }], () => (ownRan = true))).toThrow(/BACKEND_UNAVAILABLE.*heap helper thread failed.*one thread from now on/);
    expect(ownRan).toBe(true);
    // The pool closed itself and left the registry: later calls run here.
    expect(heapHelperPool()).toBeNull();
    expect(parallelParts(fill, 100 * MIN_NANOSECONDS_PER_PART)).toBe(1);
    runInParts(fill, [[0, 2, 5], [8, 2, 7]]);
    expect(Array.from(new Int32Array(memory.buffer, 0, 4))).toEqual([5, 6, 7, 8]);
  });

  it('close and leave the registry when a helper exits', async () => {
    const { memory, fill } = sharedTestModule();
    const pool = await startHeapHelperPool(memory, 2);
    setHeapHelperPool(pool);
    await pool.workers[1]!.terminate();
    await new Promise((resolve) => setTimeout(resolve, 20)); // the 'exit' event
    expect(heapHelperPool()).toBeNull();
    expect(() => pool.run([], () => {})).toThrow(/BACKEND_UNAVAILABLE.*closed/);
    runInParts(fill, [[0, 1, 3], [4, 1, 4]]);
    expect(Array.from(new Int32Array(memory.buffer, 0, 2))).toEqual([3, 4]);
  });

  it('see memory that grew after they instantiated a module', async () => {
    const { memory, fill } = sharedTestModule();
    const pool = counting(await startHeapHelperPool(memory, 1));
    setHeapHelperPool(pool);
    runInParts(fill, [[0, 1, 1], [4, 1, 2]]);
    memory.grow(60); // 4 → 64 pages
    const far = 60 * 65536;
    runInParts(fill, [[far, 1000, 0], [far + 4000, 1000, 1000]]);
    expect(pool.jobs).toBe(2);
    const words = new Int32Array(memory.buffer, far, 2000);
    expect(words.every((value, index) => value === index)).toBe(true);
    setHeapHelperPool(null);
  });

  it('are refused for a memory that is not shared', async () => {
    await expect(startHeapHelperPool(new WebAssembly.Memory({ initial: 1 }), 1)).rejects.toThrow(/BACKEND_UNAVAILABLE.*threaded wasm backend/);
  });

  it('split only work worth a hand-off, into PARTS_PER_THREAD parts per thread it is worth', async () => {
    const { memory, fill } = sharedTestModule();
    expect(parallelParts(fill, 100 * MIN_NANOSECONDS_PER_PART)).toBe(1); // no pool yet
    setHeapHelperPool(await startHeapHelperPool(memory, 2));
    // Worth two or three threads: PARTS_PER_THREAD parts each, claimed one at a time.
    expect(PARTS_PER_THREAD).toBe(4);
    expect(parallelParts(fill, MIN_NANOSECONDS_PER_PART)).toBe(1);
    expect(parallelParts(fill, 2 * MIN_NANOSECONDS_PER_PART)).toBe(8);
    expect(parallelParts(fill, 100 * MIN_NANOSECONDS_PER_PART)).toBe(12);
    expect(parallelParts(() => {}, 100 * MIN_NANOSECONDS_PER_PART)).toBe(1); // not a tlkit loop
    // While tfjs's pool workers spin long after each operator, parts need 5 ms each.
    setPoolWorkersSpin(true);
    try {
      expect(MIN_NANOSECONDS_PER_PART).toBe(1e6);
      expect(parallelParts(fill, 9e6)).toBe(1);
      expect(parallelParts(fill, 2 * SPINNING_POOL_NANOSECONDS_PER_PART)).toBe(8);
    } finally {
      setPoolWorkersSpin(false);
    }
    expect(parallelParts(fill, 9e6)).toBe(12);
    setHeapHelperPool(null);
  });

  it('leave a function of another memory to the calling thread', async () => {
    const first = sharedTestModule();
    const second = sharedTestModule();
    const pool = counting(await startHeapHelperPool(first.memory, 1));
    setHeapHelperPool(pool);
    runInParts(second.fill, [[0, 2, 1], [8, 2, 3]]);
    expect(pool.jobs).toBe(0);
    expect(Array.from(new Int32Array(second.memory.buffer, 0, 4))).toEqual([1, 2, 3, 4]);
    setHeapHelperPool(null);
  });
});

for (const threads of [2, 3]) describe(`tlkit wasm kernels with helper threads (threaded binary, ${threads} threads)`, () => {
  let pool: ReturnType<typeof counting>;
  let previousMinWork: number;
  beforeAll(async () => {
    await setupNodeBackend({ backend: 'wasm', threads, log: false });
    const started = heapHelperPool();
    expect(started?.size).toBe(threads - 1);
    pool = counting(started!);
    // Split even these small test problems (the default leaves calls under about 2 ms whole).
    previousMinWork = setMinNanosecondsPerPart(0);
  });
  afterAll(async () => {
    setMinNanosecondsPerPart(previousMinWork);
    setHeapHelperPool(null);
    // Leave tfjs's single-threaded wasm registered for the test files that follow in this worker.
    await setupNodeBackend({ backend: 'wasm', threads: 1, log: false });
    await tf.setBackend('cpu');
  });

  function values(length: number, seed: number): Float32Array {
    const rng = createRng(seed);
    return Float32Array.from({ length }, () => rng.normal());
  }

  /** y, dL/dx and dL/dW of L = Σ w ⊙ maxPool?(relu?(conv2d(x, W))) on the active backend. */
  type Padding = 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];

  function convolutionAndGradients(xShape: [number, number, number, number], filterShape: [number, number, number, number], padding: Padding, pool2: boolean): Float32Array[] {
    return tf.tidy(() => {
      const x = tf.tensor(values(xShape.reduce((a, b) => a * b), 1), xShape) as tf.Tensor4D;
      const filter = tf.tensor(values(filterShape.reduce((a, b) => a * b), 2), filterShape) as tf.Tensor4D;
      const forward = (a: tf.Tensor4D, b: tf.Tensor4D) => {
        const y = tf.conv2d(a, b, 1, padding);
        return pool2 ? tf.maxPool(y, 2, 2, 'valid') : y;
      };
      const y = forward(x, filter);
      const weights = tf.tensor(values(y.size, 3), y.shape);
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(weights, forward(a as tf.Tensor4D, b as tf.Tensor4D))))([x, filter]);
      return [y.dataSync() as Float32Array, dx!.dataSync() as Float32Array, dw!.dataSync() as Float32Array];
    });
  }

  function relativeError(a: Float32Array, b: Float32Array): number {
    let difference = 0;
    let norm = 0;
    for (let i = 0; i < b.length; i++) {
      difference += (a[i]! - b[i]!) ** 2;
      norm += b[i]! ** 2;
    }
    return Math.sqrt(difference / norm);
  }

  // Each case takes paths whose batch is split over the threads (wasm-kernels.ts), named: the
  // one-channel forward loop and filter gradient with taps in lanes (LeNet-5's first layer; 32
  // outputs in six groups), the per-pixel one-channel filter gradient (a filter 25 taps wide), the
  // blocked forward loop and the streamed filter
  // gradient (outputs a multiple of 16), the blocked input gradient, also padded to whole channel
  // blocks (6 → 8), the few-channel filter gradient (3 → 8), and the 2 × 2 max-pool gradient.
  // Batch 2 with 3 threads leaves one thread without a part.
  const cases: [string, [number, number, number, number], [number, number, number, number], Padding, boolean, string[]][] = [
    ['1 → 6 channels, 5 × 5 same, max-pool', [5, 12, 12, 1], [5, 5, 1, 6], 'same', true, ['convolveOneChannel', 'filterGradientTaps', 'maxPoolGradTwoByTwo']],
    ['1 → 32 channels, 3 × 3 valid', [5, 10, 10, 1], [3, 3, 1, 32], 'valid', false, ['filterGradientTaps']],
    ['1 → 8 channels, 2 × 25 valid', [5, 4, 30, 1], [2, 25, 1, 8], 'valid', false, ['filterGradientOneChannel']],
    ['32 → 64 channels, 3 × 3 valid, odd output (no whole Winograd tiles), max-pool', [3, 9, 9, 32], [3, 3, 32, 64], 'valid', true, ['convolveBlocked', 'filterGradientStreamed', 'inputGradientBlocked', 'maxPoolGradTwoByTwo']],
    ['32 → 64 channels, 3 × 3 valid (Winograd: forward, input and filter gradients)', [3, 8, 8, 32], [3, 3, 32, 64], 'valid', false, ['winogradConvolve', 'winogradFilterGradient']],
    ['32 → 32 channels, 3 × 3 same (Winograd on the padded input and on dy padded by 1)', [3, 8, 8, 32], [3, 3, 32, 32], 'same', false, ['winogradConvolve', 'winogradFilterGradient']],
    ['32 → 32 channels, 3 × 3, padding 0 / 2 rows and 2 / 0 columns (Winograd, dy padded 2 / 0 and 0 / 2)', [3, 8, 8, 32], [3, 3, 32, 32], [[0, 0], [0, 2], [2, 0], [0, 0]], false, ['winogradConvolve', 'winogradFilterGradient']],
    ['32 → 32 channels, 3 × 3, padding 1 / 0 rows and 1 / 1 columns (7 × 8 outputs: only the 8 × 8 input gradient on Winograd)', [3, 8, 8, 32], [3, 3, 32, 32], [[0, 0], [1, 0], [1, 1], [0, 0]], false, ['winogradConvolve', 'convolveBlocked', 'filterGradientStreamed']],
    ['6 → 16 channels, 5 × 5 valid', [5, 10, 10, 6], [5, 5, 6, 16], 'valid', false, ['convolveBlocked', 'inputGradientBlocked', 'filterGradientStreamed']],
    ['batch of 2, 32 → 16 channels, 3 × 3 valid', [2, 6, 6, 32], [3, 3, 32, 16], 'valid', false, ['convolveBlocked', 'filterGradientStreamed', 'inputGradientBlocked']],
    ['3 → 8 channels, 3 × 3 valid', [5, 10, 10, 3], [3, 3, 3, 8], 'valid', false, ['filterGradientFew']],
  ];
  for (const [name, xShape, filterShape, padding, pool2, loops] of cases) {
    it(`${name}: split over the helper threads (${loops.join(', ')}), equal to stock cpu within 1e-5 relative, no tensor leaks`, async () => {
      const before = new Map(pool.byName);
      const tensorsBefore = tf.memory().numTensors;
      const onWasm = convolutionAndGradients(xShape, filterShape, padding, pool2);
      expect(tf.memory().numTensors).toBe(tensorsBefore);
      for (const loop of loops) expect((pool.byName.get(loop) ?? 0) - (before.get(loop) ?? 0), loop).toBeGreaterThan(0);
      await tf.setBackend('cpu');
      try {
        const onCpu = convolutionAndGradients(xShape, filterShape, padding, pool2);
        for (let output = 0; output < 3; output++) expect(relativeError(onWasm[output]!, onCpu[output]!)).toBeLessThan(1e-5);
      } finally {
        await tf.setBackend('wasm');
      }
    });
  }

  it('3 × 3 layers with whole 2 × 2 tiles: the forward pass (run twice by the gradient), the input gradient and the filter gradient all on Winograd\'s loops, split over the threads', async () => {
    const before = new Map(pool.byName);
    convolutionAndGradients([3, 8, 8, 32], [3, 3, 32, 64], 'valid', false);
    const helpersPerCall = Math.min(threads, 3) - 1;
    const jobs = (loop: string) => (pool.byName.get(loop) ?? 0) - (before.get(loop) ?? 0);
    expect(jobs('winogradConvolve')).toBe(3 * helpersPerCall);
    expect(jobs('winogradFilterGradient')).toBe(helpersPerCall);
    expect(jobs('convolveBlocked') + jobs('inputGradientBlocked') + jobs('filterGradientStreamed')).toBe(0);
  });

  it('leave the forward loop to model layers: a large product (a 1 × 1 convolution inside the kernel) and a long reduction keep tfjs\'s kernel, equal to cpu', async () => {
    const before = pool.byName.get('convolveBlocked') ?? 0;
    const run = () =>
      tf.tidy(() => {
        // 256 × 256 × 256: above the small-product loop, so a 1 × 1 convolution made inside BatchMatMul.
        const product = tf.matMul(tf.tensor(values(256 * 256, 4), [256, 256]), tf.tensor(values(256 * 256, 5), [256, 256]));
        // 3 × 3 × 128 = 1152 terms per output: above FORWARD_MAX_REDUCTION (5 × 5 outputs: no whole Winograd tiles).
        const deep = tf.conv2d(tf.tensor(values(2 * 7 * 7 * 128, 6), [2, 7, 7, 128]) as tf.Tensor4D, tf.tensor(values(9 * 128 * 16, 7), [3, 3, 128, 16]) as tf.Tensor4D, 1, 'valid');
        return [product.dataSync() as Float32Array, deep.dataSync() as Float32Array];
      });
    const onWasm = run();
    expect((pool.byName.get('convolveBlocked') ?? 0) - before).toBe(0);
    await tf.setBackend('cpu');
    try {
      const onCpu = run();
      for (let output = 0; output < 2; output++) expect(relativeError(onWasm[output]!, onCpu[output]!)).toBeLessThan(1e-5);
    } finally {
      await tf.setBackend('wasm');
    }
  });

  it('are closed when a later set-up picks another backend', async () => {
    await setupNodeBackend({ backend: 'cpu', log: false });
    expect(heapHelperPool()).toBeNull();
  });
});
