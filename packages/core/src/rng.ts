import { TlkitError } from './errors';

/**
 * Seeded pseudo-random numbers: xoshiro128** (Blackman & Vigna, 2018) seeded through
 * splitmix32. Every stochastic step in tlkit draws from one of these, so the same seed gives
 * the same result on every platform.
 *
 * @example
 * ```ts
 * const rng = createRng(7);
 * rng.float();          // in [0, 1)
 * rng.permutation(5);   // e.g. Int32Array [3, 0, 4, 1, 2]
 * const child = rng.fork('kmm'); // an independent stream, stable under unrelated changes
 * ```
 */
export interface Rng {
  /** A uniform float in [0, 1) with 53 random bits. */
  float(): number;
  /** A uniform 32-bit unsigned integer. */
  uint32(): number;
  /** A uniform integer in [0, n). */
  int(n: number): number;
  /** A standard normal draw (Box–Muller). */
  normal(): number;
  /** A random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array;
  /** Shuffles `values` in place and returns them. */
  shuffle<T extends { length: number; [index: number]: unknown }>(values: T): T;
  /** `k` distinct indices drawn from 0..n-1, in draw order. */
  sample(n: number, k: number): Int32Array;
  /** A 32-bit seed for a library that takes one (e.g. a tfjs initialiser). */
  seed(): number;
  /** An independent generator derived from this one's seed and `label` (does not advance this one). */
  fork(label: string | number): Rng;
  /** The internal state, for checkpoints. */
  getState(): RngState;
  /** Restores a state from {@link Rng.getState}. */
  setState(state: RngState): void;
}

/** The serialisable state of an {@link Rng}. */
export interface RngState {
  readonly origin: number;
  readonly words: readonly [number, number, number, number];
  /** The cached second Box–Muller draw, if any. */
  readonly spareNormal: number | null;
}

const UINT32 = 0x1_0000_0000;

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** FNV-1a over the string, mixed with a number: a stable 32-bit hash. @internal */
function hashLabel(seed: number, label: string | number): number {
  const text = `${seed >>> 0}:${label}`;
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return splitmix32(hash)();
}

/**
 * Derives a 32-bit seed from a base seed and labels, e.g. `deriveSeed(runSeed, 'step', 2, 'kmm')`.
 * The same inputs always give the same seed; different labels give unrelated seeds.
 *
 * @param seed - an integer in `0 … 2^32 − 1` (see {@link createRng}).
 * @throws TlkitError `INVALID_ARGUMENT` naming `seed` for any other value.
 */
export function deriveSeed(seed: number, ...labels: (string | number)[]): number {
  assertSeed(seed);
  let value = seed;
  for (const label of labels) value = hashLabel(value, label);
  return value;
}

/** The largest seed, `2^32 − 1`: seeds are 32-bit unsigned integers. */
export const MAX_SEED = UINT32 - 1;

/**
 * Checks tlkit's seed contract: a seed is an integer in `0 … 2^32 − 1` ({@link MAX_SEED}). Larger
 * or negative integers are rejected rather than reduced mod 2^32, which would give two different
 * seeds the same stream. Every seeded function of tlkit checks its seed with this; a plugin with
 * a seed option of its own can too.
 *
 * @param seed - the value to check.
 * @param argument - the argument's name for the message (default `'seed'`), e.g. `'options.seed'`.
 * @throws TlkitError `INVALID_ARGUMENT` naming `argument`, for anything else.
 *
 * @example
 * ```ts
 * assertSeed(options.seed === undefined ? 0 : options.seed, 'options.seed'); // null is not "left out"
 * ```
 */
export function assertSeed(seed: unknown, argument = 'seed'): asserts seed is number {
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `${argument}: expected an integer in 0..${MAX_SEED}, got ${typeof seed === 'string' ? JSON.stringify(seed) : String(seed)}. Pass e.g. { seed: 0 }; to derive seeds from a larger number, reduce it yourself (e.g. n % ${UINT32}).`,
      { argument },
    );
  }
}

class Xoshiro128 implements Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spareNormal: number | null = null;
  private origin: number;

  constructor(seed: number) {
    this.origin = seed >>> 0;
    const next = splitmix32(this.origin);
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  uint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  float(): number {
    const high = this.uint32() >>> 5; // 27 bits
    const low = this.uint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) {
      throw new TlkitError('INVALID_ARGUMENT', `rng.int: n must be a positive integer, got ${n}.`);
    }
    if (n <= UINT32) {
      // Rejection sampling removes modulo bias.
      const limit = UINT32 - (UINT32 % n);
      let value = this.uint32();
      while (value >= limit) value = this.uint32();
      return value % n;
    }
    return Math.floor(this.float() * n);
  }

  normal(): number {
    if (this.spareNormal !== null) {
      const value = this.spareNormal;
      this.spareNormal = null;
      return value;
    }
    let u = 0;
    while (u === 0) u = this.float();
    const v = this.float();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  }

  permutation(n: number): Int32Array {
    if (!Number.isInteger(n) || n < 0) {
      throw new TlkitError('INVALID_ARGUMENT', `rng.permutation: n must be a whole number ≥ 0, got ${String(n)}.`, { argument: 'n' });
    }
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    return this.shuffle(out);
  }

  shuffle<T extends { length: number; [index: number]: unknown }>(values: T): T {
    for (let i = values.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const swap = values[i];
      values[i] = values[j];
      values[j] = swap;
    }
    return values;
  }

  sample(n: number, k: number): Int32Array {
    if (!Number.isInteger(k) || k > n || k < 0) {
      throw new TlkitError('INVALID_ARGUMENT', `rng.sample: cannot draw ${k} distinct indices from ${n}; k must be a whole number in 0..n.`, { argument: 'k' });
    }
    const pool = this.permutation(n);
    return pool.slice(0, k);
  }

  seed(): number {
    return this.uint32();
  }

  fork(label: string | number): Rng {
    return new Xoshiro128(deriveSeed(this.origin, label));
  }

  getState(): RngState {
    return { origin: this.origin, words: [this.s0, this.s1, this.s2, this.s3], spareNormal: this.spareNormal };
  }

  setState(state: RngState): void {
    [this.s0, this.s1, this.s2, this.s3] = state.words.map((w) => w >>> 0) as [number, number, number, number];
    this.origin = state.origin >>> 0;
    this.spareNormal = state.spareNormal ?? null;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * A seeded generator.
 *
 * @param seed - an integer in `0 … 2^32 − 1`; distinct seeds give distinct streams.
 * @throws TlkitError `INVALID_ARGUMENT` naming `seed` for a seed that is not an integer in that range
 * (negative, ≥ 2^32, fractional, NaN or not a number).
 */
export function createRng(seed: number): Rng {
  assertSeed(seed);
  return new Xoshiro128(seed);
}
