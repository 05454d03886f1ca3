import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { isTlkitError } from '@tlkit/core';
import { describe, expect, it } from 'vitest';
import { parseCsvLabels, parseCsvMatrix } from './csv';

const dataFile = (path: string) => fileURLToPath(new URL(`../data/${path}`, import.meta.url));

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isTlkitError(error) ? error.code : `not a TlkitError: ${String(error)}`;
  }
  return undefined;
}

describe('parseCsvMatrix', () => {
  it('parses integers, decimals, signs and exponents to the values Number() gives', () => {
    const text = '1,2,3\n-4,5.5,-6e-1\n+7,0.0001355,1.5E+3\n12345678901234567,.5,5.\n';
    const X = parseCsvMatrix(text);
    expect([X.rows, X.cols]).toEqual([4, 3]);
    const expected = text
      .trim()
      .split('\n')
      .flatMap((line) => line.split(',').map(Number));
    expect(Array.from(X.data)).toEqual(expected);
    expect(X.get(1, 2)).toBe(-0.6);
    expect(X.get(3, 0)).toBe(12345678901234568); // 17 digits: the slow path, rounded like Number()
  });

  it('accepts bytes, \\r\\n line ends, a missing final newline and trailing blank lines', () => {
    const expected = [1, 2, 3, 4];
    expect(Array.from(parseCsvMatrix('1,2\r\n3,4').data)).toEqual(expected);
    expect(Array.from(parseCsvMatrix(new TextEncoder().encode('1,2\n3,4\n\n\n')).data)).toEqual(expected);
    expect(Array.from(parseCsvMatrix('\uFEFF1,2\n3,4\n').data)).toEqual(expected);
    expect(parseCsvMatrix('').rows).toBe(0);
    expect(parseCsvMatrix('', { expectedColumns: 5 }).cols).toBe(5);
  });

  it('rejects ragged rows, blank lines inside, headers, NaN and a wrong expected shape with typed errors', () => {
    expect(codeOf(() => parseCsvMatrix('1,2\n3\n'))).toBe('DIMENSION_MISMATCH');
    expect(codeOf(() => parseCsvMatrix('1,2\n3,4,5\n'))).toBe('DIMENSION_MISMATCH');
    expect(codeOf(() => parseCsvMatrix('1,2\n3,'))).toBe('DIMENSION_MISMATCH');
    expect(codeOf(() => parseCsvMatrix('1,2\n\n3,4\n'))).toBe('NON_FINITE_INPUT');
    expect(codeOf(() => parseCsvMatrix('a,b\n1,2\n'))).toBe('NON_FINITE_INPUT');
    expect(codeOf(() => parseCsvMatrix('1,NaN\n'))).toBe('NON_FINITE_INPUT');
    expect(codeOf(() => parseCsvMatrix('1,1e400\n'))).toBe('NON_FINITE_INPUT');
    expect(codeOf(() => parseCsvMatrix('1,2e\n'))).toBe('NON_FINITE_INPUT');
    // Number() reads these as 16, 1, 7 and 255; they are not decimal CSV.
    for (const token of ['0x10', '0b1', '0o7', '0xff']) expect(codeOf(() => parseCsvMatrix(`1,${token}\n`))).toBe('NON_FINITE_INPUT');
    // The slow path still reads long decimal mantissas, as Number() does.
    expect(Array.from(parseCsvMatrix('1.23456789012345678,-.5e-3\n').data)).toEqual([1.23456789012345678, -0.0005]);
    expect(codeOf(() => parseCsvMatrix('1,2\n', { expectedRows: 2 }))).toBe('DIMENSION_MISMATCH');
    expect(codeOf(() => parseCsvMatrix('1,2\n', { expectedColumns: 3 }))).toBe('DIMENSION_MISMATCH');
    try {
      parseCsvMatrix('1,2\n3,x\n', { argument: 'my/X.csv' });
    } catch (error) {
      expect((error as Error).message).toContain('my/X.csv: row 1, column 1');
    }
  });

  it('matches Number() on every token of a shipped float file (mnist_usps_jda/usps, 460800 values)', () => {
    const text = gunzipSync(readFileSync(dataFile('mnist_usps_jda/usps/X.csv.gz'))).toString('latin1');
    const X = parseCsvMatrix(text, { expectedRows: 1800, expectedColumns: 256 });
    const reference = text
      .slice(0, -1)
      .split('\n')
      .flatMap((line) => line.split(',').map(Number));
    expect(reference.length).toBe(X.data.length);
    let mismatches = 0;
    for (let k = 0; k < reference.length; k++) if (!Object.is(reference[k], X.data[k])) mismatches++;
    expect(mismatches).toBe(0);
  });
});

describe('parseCsvLabels', () => {
  it('parses one integer per line and rejects non-integers and negatives', () => {
    expect(Array.from(parseCsvLabels('0\n2\n1\n'))).toEqual([0, 2, 1]);
    expect(codeOf(() => parseCsvLabels('0\n1.5\n'))).toBe('LABEL_NOT_INTEGER');
    expect(codeOf(() => parseCsvLabels('0\n-1\n'))).toBe('LABEL_OUT_OF_RANGE');
    expect(codeOf(() => parseCsvLabels('0,1\n'))).toBe('DIMENSION_MISMATCH');
  });
});
