import { describe, expect, it } from 'vitest';
import { createRng } from '../rng';
import { tridiagonalEigenvectors, tridiagonalQl } from './tridiagonalEigen';

interface Tridiagonal {
  diagonal: number[];
  offDiagonal: number[]; // length n − 1
}

/** Eigenvalues (ascending) and eigenvector rows from the divide and conquer. */
function solve(t: Tridiagonal) {
  const n = t.diagonal.length;
  const values = Float64Array.from(t.diagonal);
  const off = new Float64Array(n);
  off.set(t.offDiagonal);
  const rows = new Float64Array(n * n);
  tridiagonalEigenvectors(values, off, n, rows);
  return { values, rows };
}

/** QL eigenvalues, ascending: an independent algorithm for the same spectrum. */
function qlValues(t: Tridiagonal): Float64Array {
  const n = t.diagonal.length;
  const values = Float64Array.from(t.diagonal);
  const off = new Float64Array(n);
  off.set(t.offDiagonal);
  tridiagonalQl(values, off, 0, n);
  return values.sort();
}

/** max_i ‖T v_i − λ_i v_i‖∞ / ‖T‖ and max |VᵀV − I| (V's rows are the eigenvectors). */
function errors(t: Tridiagonal, values: Float64Array, rows: Float64Array) {
  const n = t.diagonal.length;
  let norm = 0;
  for (let i = 0; i < n; i++) norm = Math.max(norm, Math.abs(t.diagonal[i]) + Math.abs(t.offDiagonal[i] ?? 0) + Math.abs(t.offDiagonal[i - 1] ?? 0));
  let residual = 0;
  for (let k = 0; k < n; k++) {
    const v = rows.subarray(k * n, (k + 1) * n);
    for (let i = 0; i < n; i++) {
      let tv = t.diagonal[i] * v[i];
      if (i > 0) tv += t.offDiagonal[i - 1] * v[i - 1];
      if (i + 1 < n) tv += t.offDiagonal[i] * v[i + 1];
      residual = Math.max(residual, Math.abs(tv - values[k] * v[i]));
    }
  }
  let orthogonality = 0;
  for (let a = 0; a < n; a++) {
    for (let b = a; b < n; b++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += rows[a * n + i] * rows[b * n + i];
      orthogonality = Math.max(orthogonality, Math.abs(dot - (a === b ? 1 : 0)));
    }
  }
  return { residual: residual / (norm || 1), orthogonality };
}

/** Wilkinson's W⁺_{2m+1}: diagonal |m − i|, off-diagonal 1 (pairs of nearly equal eigenvalues). */
function wilkinson(m: number): Tridiagonal {
  const n = 2 * m + 1;
  return { diagonal: Array.from({ length: n }, (_, i) => Math.abs(m - i)), offDiagonal: new Array<number>(n - 1).fill(1) };
}

function toeplitz(n: number): Tridiagonal {
  return { diagonal: new Array<number>(n).fill(2), offDiagonal: new Array<number>(n - 1).fill(-1) };
}

/** Copies of `block` joined by off-diagonal entries `glue`. */
function glued(block: Tridiagonal, copies: number, glue: number): Tridiagonal {
  const diagonal: number[] = [];
  const offDiagonal: number[] = [];
  for (let copy = 0; copy < copies; copy++) {
    if (copy > 0) offDiagonal.push(glue);
    diagonal.push(...block.diagonal);
    offDiagonal.push(...block.offDiagonal);
  }
  return { diagonal, offDiagonal };
}

describe('tridiagonal eigenvalues and eigenvectors (divide and conquer)', () => {
  it('matches the closed form of tridiag(−1, 2, −1), n = 100 (several merges)', () => {
    const n = 100;
    const { values, rows } = solve(toeplitz(n));
    for (let k = 1; k <= n; k++) {
      expect(Math.abs(values[k - 1] - (2 - 2 * Math.cos((k * Math.PI) / (n + 1))))).toBeLessThan(1e-14);
      // v_k(j) = sin(j k π / (n + 1)) up to sign and scale.
      let dot = 0;
      let normSquared = 0;
      for (let j = 0; j < n; j++) {
        const expected = Math.sin(((j + 1) * k * Math.PI) / (n + 1));
        dot += expected * rows[(k - 1) * n + j];
        normSquared += expected * expected;
      }
      expect(Math.abs(dot) / Math.sqrt(normSquared)).toBeGreaterThan(1 - 1e-13);
    }
  });

  it("resolves Wilkinson's W⁺₆₁ (eigenvalue pairs closer than 1e-14) with orthogonal vectors", () => {
    const t = wilkinson(30);
    const { values, rows } = solve(t);
    let closest = Number.POSITIVE_INFINITY;
    for (let i = 1; i < values.length; i++) closest = Math.min(closest, values[i] - values[i - 1]);
    expect(closest).toBeLessThan(1e-13); // the test really has near-multiple eigenvalues
    const { residual, orthogonality } = errors(t, values, rows);
    expect(residual).toBeLessThan(1e-15 * 61);
    expect(orthogonality).toBeLessThan(1e-15 * 61);
    expect(Math.abs(values.reduce((sum, value) => sum + value, 0) - t.diagonal.reduce((sum, value) => sum + value, 0))).toBeLessThan(1e-12);
    const reference = qlValues(t);
    for (let i = 0; i < values.length; i++) expect(Math.abs(values[i] - reference[i])).toBeLessThan(1e-13);
  });

  it('handles glued Wilkinson matrices (clusters of 5 nearly equal eigenvalues, glue 1e-10)', () => {
    const t = glued(wilkinson(10), 5, 1e-10);
    const { values, rows } = solve(t);
    const { residual, orthogonality } = errors(t, values, rows);
    expect(residual).toBeLessThan(1e-15 * 105);
    expect(orthogonality).toBeLessThan(1e-15 * 105);
    const reference = qlValues(t);
    for (let i = 0; i < values.length; i++) expect(Math.abs(values[i] - reference[i])).toBeLessThan(1e-13);
  });

  it('returns exactly repeated eigenvalues (three uncoupled copies) with an orthonormal basis of each eigenspace', () => {
    const block = toeplitz(40);
    const t = glued(block, 3, 0);
    const { values, rows } = solve(t);
    for (let k = 1; k <= 40; k++) {
      const expected = 2 - 2 * Math.cos((k * Math.PI) / 41);
      for (let copy = 0; copy < 3; copy++) expect(Math.abs(values[3 * (k - 1) + copy] - expected)).toBeLessThan(1e-14);
    }
    const { residual, orthogonality } = errors(t, values, rows);
    expect(residual).toBeLessThan(1e-14);
    expect(orthogonality).toBeLessThan(1e-14);
  });

  it('deflates a merge whose coupling is negligible but not below the split test', () => {
    const n = 60;
    const t = toeplitz(n);
    t.offDiagonal[29] = 4 * Number.EPSILON; // the tear point of the top-level merge
    const { values, rows } = solve(t);
    const { residual, orthogonality } = errors(t, values, rows);
    expect(residual).toBeLessThan(1e-14);
    expect(orthogonality).toBeLessThan(1e-14);
    // Two independent 30 x 30 Toeplitz blocks: every eigenvalue twice.
    for (let k = 1; k <= 30; k++) {
      const expected = 2 - 2 * Math.cos((k * Math.PI) / 31);
      expect(Math.abs(values[2 * k - 2] - expected)).toBeLessThan(1e-14);
      expect(Math.abs(values[2 * k - 1] - expected)).toBeLessThan(1e-14);
    }
  });

  it.each([37, 150])('random entries of both signs, n = %i: T V = V Λ, VᵀV = I, QL agrees', (n) => {
    const rng = createRng(n);
    const t: Tridiagonal = {
      diagonal: Array.from({ length: n }, () => rng.normal()),
      offDiagonal: Array.from({ length: n - 1 }, () => rng.normal()),
    };
    const { values, rows } = solve(t);
    const { residual, orthogonality } = errors(t, values, rows);
    expect(residual).toBeLessThan(1e-15 * n);
    expect(orthogonality).toBeLessThan(1e-15 * n);
    const reference = qlValues(t);
    for (let i = 0; i < n; i++) expect(Math.abs(values[i] - reference[i])).toBeLessThan(1e-13);
    for (let i = 1; i < n; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]);
  });

  it('is scale invariant (entries around 1e-200 and 1e200) and handles the zero matrix', () => {
    const base = glued(wilkinson(12), 2, 0.5);
    const reference = solve(base).values;
    for (const scale of [1e-200, 1e200]) {
      const scaled = { diagonal: base.diagonal.map((value) => value * scale), offDiagonal: base.offDiagonal.map((value) => value * scale) };
      const { values, rows } = solve(scaled);
      for (let i = 0; i < values.length; i++) expect(Math.abs(values[i] / scale - reference[i])).toBeLessThan(1e-13);
      expect(errors(scaled, values, rows).orthogonality).toBeLessThan(1e-13);
    }
    const zero = solve({ diagonal: [0, 0, 0], offDiagonal: [0, 0] });
    expect(Array.from(zero.values)).toEqual([0, 0, 0]);
    expect(Array.from(zero.rows)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  });
});
