/**
 * Bench section: float32 GEMM throughput (GFLOP/s = 2n³ / seconds, n = 1024) of each tfjs backend
 * tlkit can set up here, beside a BLAS reference measured in the same run.
 *
 * - `wasm`: tlkit's default wasm set-up (`setupNodeBackend`: tfjs's threaded binary on the idle
 *   cores, tlkit's kernels); `wasmThreads1` / `wasmThreads<cores>`: one thread / every core;
 * - `cpu`: tfjs's stock cpu backend;
 * - `blas`: numpy's `float32 @` (OpenBLAS or whatever numpy links) through `python3`, or `null`
 *   when `python3 -c "import numpy"` fails.
 *
 * Every figure is the best of a few runs (`quick` runs fewer; the cpu backend runs once, on a
 * quarter of the rows, after a warm-up at n = 128).
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '@tlkit/core';
import { setupNodeBackend } from '@tlkit/core/node';
import type { BenchContext, BenchFigures } from './types';

const N = 1024;

/**
 * Best seconds of `repeats` products of a fixed `rows` × n matrix by a fixed n × n matrix, after
 * one warm-up product at `warmUpSize` (n by default; the stock cpu backend warms up at a small
 * size — one full product at n = 1024 takes it seconds).
 */
function bestProductSeconds(n: number, repeats: number, rows = n, warmUpSize = n): number {
  const a = tf.randomUniform([rows, n], -1, 1, 'float32', 1);
  const b = tf.randomUniform([n, n], -1, 1, 'float32', 2);
  tf.tidy(() => {
    const warmUp = (x: tf.Tensor2D) => (warmUpSize === n ? x : tf.slice(x, [0, 0], [Math.min(warmUpSize, x.shape[0]), warmUpSize]));
    return tf.matMul(warmUp(a as tf.Tensor2D), warmUp(b as tf.Tensor2D)).dataSync();
  });
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < repeats; run++) {
    const start = performance.now();
    const product = tf.matMul(a, b);
    product.dataSync();
    best = Math.min(best, (performance.now() - start) / 1000);
    product.dispose();
  }
  tf.dispose([a, b]);
  return best;
}

/** numpy's float32 GEMM at n, best of `repeats`, in GFLOP/s; null without python3 + numpy. */
export function blasGflops(n: number, repeats: number): { gflops: number | null; library: string | null } {
  const script = [
    'import time, numpy as np',
    `n = ${n}`,
    'rng = np.random.default_rng(0)',
    'a = rng.standard_normal((n, n), dtype=np.float32); b = rng.standard_normal((n, n), dtype=np.float32)',
    'a @ b',
    'best = float("inf")',
    `for _ in range(${repeats}):`,
    '    t = time.perf_counter(); a @ b; best = min(best, time.perf_counter() - t)',
    'config = np.show_config(mode="dicts") if hasattr(np, "show_config") else {}',
    'name = ((config or {}).get("Build Dependencies", {}).get("blas", {}) or {}).get("name", "unknown")',
    'print(2 * n ** 3 / best / 1e9, name)',
  ].join('\n');
  const result = spawnSync('python3', ['-c', script], { encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0 || !result.stdout) return { gflops: null, library: null };
  const [value, library] = result.stdout.trim().split(/\s+/);
  const gflops = Number(value);
  return Number.isFinite(gflops) ? { gflops, library: library ?? 'unknown' } : { gflops: null, library: null };
}

export async function benchGemm(context: BenchContext): Promise<BenchFigures> {
  const repeats = context.quick ? 2 : 5;
  const gflops = (seconds: number) => (2 * N ** 3) / seconds / 1e9;
  const cores = availableParallelism();
  context.log(`float32 GEMM, n = ${N} (best of ${repeats}; cpu once, ${N / 4} of the rows); load average ${loadavg()[0].toFixed(1)} on ${cores} cores`);

  const byThreads = new Map<number, number>();
  for (const threads of [1, cores]) {
    if (byThreads.has(threads)) continue;
    await setupNodeBackend({ backend: 'wasm', threads, log: false });
    byThreads.set(threads, gflops(bestProductSeconds(N, repeats)));
    context.log(`  wasm, ${threads} thread${threads > 1 ? 's' : ''}  ${byThreads.get(threads)!.toFixed(1)} GFLOP/s`);
  }
  const defaultInfo = await setupNodeBackend({ backend: 'wasm', log: false });
  const wasm = byThreads.get(defaultInfo.threads) ?? gflops(bestProductSeconds(N, repeats));
  context.log(`  wasm (tlkit default: ${defaultInfo.threads} thread${defaultInfo.threads > 1 ? 's' : ''})  ${wasm.toFixed(1)} GFLOP/s`);

  await setupBackend({ backend: 'cpu', log: false });
  const cpuStarted = performance.now();
  // A quarter of the rows: tfjs's cpu kernel computes blocks of rows independently, so the rate
  // of a 256 × 1024 by 1024 × 1024 product is the full product's (measured 0.177 and 0.200
  // against 0.174 GFLOP/s per CPU second), in a quarter of the time (one full product took 35 s
  // on a loaded machine).
  const cpu = (2 * (N / 4) * N * N) / bestProductSeconds(N, 1, N / 4, 128) / 1e9;
  const cpuSeconds = (performance.now() - cpuStarted) / 1000;
  context.log(`  cpu (tfjs stock)  ${cpu.toFixed(2)} GFLOP/s (${cpuSeconds.toFixed(1)} s)`);

  const blas = blasGflops(N, repeats);
  context.log(blas.gflops === null ? '  blas  skipped (python3 with numpy not found)' : `  blas (numpy, ${blas.library})  ${blas.gflops.toFixed(1)} GFLOP/s`);
  if (blas.gflops !== null) context.log(`  wasm / blas = ${(wasm / blas.gflops).toFixed(3)}`);

  // Leave the default set-up active for the sections that follow.
  await setupNodeBackend({ backend: 'wasm', log: false });
  return {
    n: N,
    gflops: { wasm, cpu, blas: blas.gflops, wasmThreads1: byThreads.get(1)!, [`wasmThreads${cores}`]: byThreads.get(cores)! },
    wasmThreads: defaultInfo.threads,
    cpuSeconds,
    loadAverage: loadavg()[0],
    ...(blas.library ? { blasLibrary: blas.library } : {}),
  };
}
