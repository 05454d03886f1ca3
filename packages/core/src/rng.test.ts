import { describe, expect, it } from 'vitest';
import { bootstrapConfidenceInterval } from './protocols/bootstrap';
import { linearTimeMmd2 } from './discrepancy/linear-time-mmd';
import { medianHeuristic } from './kernels/median';
import { assertSeed, createRng, deriveSeed, MAX_SEED } from './rng';
import { TlkitError } from './errors';

describe('createRng', () => {
  it('gives the same stream for the same seed and a different one for another seed', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const drawsA = Array.from({ length: 20 }, () => a.uint32());
    const drawsB = Array.from({ length: 20 }, () => b.uint32());
    const drawsC = Array.from({ length: 20 }, () => c.uint32());
    expect(drawsA).toEqual(drawsB);
    expect(drawsA).not.toEqual(drawsC);
  });

  it('draws uniform floats with the moments of U(0, 1)', () => {
    const rng = createRng(1);
    const n = 200_000;
    let sum = 0;
    let sumSquares = 0;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.float();
      if (u < 0 || u >= 1) outside++;
      sum += u;
      sumSquares += u * u;
    }
    const mean = sum / n;
    expect(outside).toBe(0);
    // mean 1/2 and variance 1/12; standard errors ~6.5e-4 and ~2e-4
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.004);
    expect(Math.abs(sumSquares / n - mean * mean - 1 / 12)).toBeLessThan(0.002);
  });

  it('draws normals with mean 0 and variance 1', () => {
    const rng = createRng(2);
    const n = 200_000;
    let sum = 0;
    let sumSquares = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      sum += z;
      sumSquares += z * z;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.01);
    expect(Math.abs(sumSquares / n - 1)).toBeLessThan(0.02);
  });

  it('makes permutations that contain every index once', () => {
    const perm = createRng(3).permutation(1000);
    expect([...perm].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('int(n) is unbiased over a small range', () => {
    const rng = createRng(4);
    const counts = new Array(3).fill(0);
    for (let i = 0; i < 30_000; i++) counts[rng.int(3)]++;
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(400);
  });

  it('restores its state exactly, including a pending normal draw', () => {
    const rng = createRng(5);
    rng.normal();
    const state = rng.getState();
    const expected = [rng.normal(), rng.float(), rng.uint32()];
    const restored = createRng(999);
    restored.setState(state);
    expect([restored.normal(), restored.float(), restored.uint32()]).toEqual(expected);
  });

  it('forks independent streams that do not advance the parent', () => {
    const parent = createRng(6);
    const before = parent.getState();
    const childA = parent.fork('a');
    const childB = parent.fork('b');
    expect(parent.getState()).toEqual(before);
    expect(childA.uint32()).not.toBe(childB.uint32());
    expect(createRng(6).fork('a').uint32()).toBe(createRng(6).fork('a').uint32());
  });

  it('deriveSeed is stable and label-sensitive', () => {
    expect(deriveSeed(0, 'kmm', 1)).toBe(deriveSeed(0, 'kmm', 1));
    expect(deriveSeed(0, 'kmm', 1)).not.toBe(deriveSeed(0, 'kmm', 2));
    expect(deriveSeed(0, 'kmm')).not.toBe(deriveSeed(1, 'kmm'));
  });

  it('rejects a non-integer seed with a typed error', () => {
    expect(() => createRng(1.5)).toThrow(/INVALID_ARGUMENT.*seed/);
  });

  it('accepts exactly the integers 0..2^32-1 as seeds: no silent reduction mod 2^32', () => {
    // The ends of the range work and give different streams.
    expect(createRng(0).uint32()).not.toBe(createRng(2 ** 32 - 1).uint32());
    expect(Number.isInteger(deriveSeed(2 ** 32 - 1, 'x'))).toBe(true);
    // Seeds that used to alias 0, 2^32-1 and each other are rejected, naming `seed` and the range.
    for (const seed of [-1, 2 ** 32, 2 ** 32 + 7, 1e20, -0.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      let caught: unknown;
      try {
        createRng(seed);
      } catch (error) {
        caught = error;
      }
      expect(caught, String(seed)).toBeInstanceOf(TlkitError);
      expect((caught as TlkitError).code).toBe('INVALID_ARGUMENT');
      expect((caught as TlkitError).details.argument).toBe('seed');
      expect((caught as TlkitError).message).toContain('0..4294967295');
      expect(() => deriveSeed(seed, 'kmm')).toThrow(/INVALID_ARGUMENT.*seed: expected an integer in 0\.\.4294967295/);
    }
    expect(() => createRng('7' as unknown as number)).toThrow(/seed.*got "7"/);
  });
});

describe('assertSeed: one seed contract for every seeded function of core', () => {
  it('accepts 0 and 2^32-1, and rejects the rest naming the argument', () => {
    expect(() => assertSeed(0)).not.toThrow();
    expect(() => assertSeed(MAX_SEED, 'options.seed')).not.toThrow();
    expect(MAX_SEED).toBe(4294967295);
    for (const seed of [-1, 2 ** 32, 0.5, '1', null]) {
      expect(() => assertSeed(seed, 'options.x')).toThrow(/^\[INVALID_ARGUMENT\] options\.x: expected an integer in 0\.\.4294967295/);
    }
  });

  it('the seeded helpers reject a negative seed under their own argument name (-1 used to pass their integer check)', () => {
    const X = [[0], [1], [2], [3]];
    const Y = [[1], [2], [4], [5]];
    expect(() => medianHeuristic(X, Y, { seed: -1 })).toThrow(/options\.seed: expected an integer/);
    expect(() => linearTimeMmd2(X, Y, { seed: -1 })).toThrow(/options\.seed: expected an integer/);
    expect(() => bootstrapConfidenceInterval([1, 2, 3], (values) => values[0], { seed: -1 })).toThrow(/options\.seed: expected an integer/);
  });
});

describe('permutation and sample sizes', () => {
  it('reject sizes that are not whole numbers with INVALID_ARGUMENT (a raw RangeError before), and keep n = 0', () => {
    const rng = createRng(1);
    for (const n of [-1, 2.5, Number.NaN]) expect(() => rng.permutation(n)).toThrow(/^\[INVALID_ARGUMENT\] rng\.permutation: n must be a whole number ≥ 0/);
    expect(() => rng.sample(5, 1.5)).toThrow(/^\[INVALID_ARGUMENT\] rng\.sample: cannot draw 1\.5 distinct indices from 5/);
    expect(Array.from(rng.permutation(0))).toEqual([]);
    expect(Array.from(rng.permutation(4)).sort()).toEqual([0, 1, 2, 3]);
  });
});
