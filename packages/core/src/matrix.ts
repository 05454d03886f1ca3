import { TlkitError } from './errors';

/**
 * A dense row-major float64 matrix: the numeric currency of tlkit's shallow methods.
 *
 * Shallow strategies (KMM, TCA, JDA, CORAL, base estimators) compute in float64 on a `Matrix`;
 * the deep path converts to float32 tfjs tensors. Element `(i, j)` is `data[i * cols + j]`.
 *
 * @example
 * ```ts
 * const a = Matrix.fromRows([[1, 2], [3, 4]]);
 * a.get(1, 0); // 3
 * a.toRows();  // [[1, 2], [3, 4]]
 * ```
 */
export class Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;

  constructor(rows: number, cols: number, data?: Float64Array) {
    if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) {
      throw new TlkitError('INVALID_ARGUMENT', `Matrix: rows and cols must be non-negative integers, got ${rows} x ${cols}.`);
    }
    const size = rows * cols;
    if (data && data.length !== size) {
      throw new TlkitError(
        'DIMENSION_MISMATCH',
        `Matrix: data has ${data.length} values but ${rows} x ${cols} needs ${size}.`,
      );
    }
    this.rows = rows;
    this.cols = cols;
    this.data = data ?? new Float64Array(size);
  }

  /** A zero matrix. */
  static zeros(rows: number, cols: number): Matrix {
    return new Matrix(rows, cols);
  }

  /** The identity matrix of size `n`, optionally scaled. */
  static identity(n: number, scale = 1): Matrix {
    const m = new Matrix(n, n);
    for (let i = 0; i < n; i++) m.data[i * n + i] = scale;
    return m;
  }

  /** Builds a matrix from nested arrays (all rows must have the same length). */
  static fromRows(rows: ArrayLike<ArrayLike<number>>): Matrix {
    const n = rows.length;
    const d = n === 0 ? 0 : rows[0].length;
    const m = new Matrix(n, d);
    for (let i = 0; i < n; i++) {
      const row = rows[i];
      if (row.length !== d) {
        throw new TlkitError('DIMENSION_MISMATCH', `Matrix.fromRows: row ${i} has ${row.length} values, row 0 has ${d}.`);
      }
      for (let j = 0; j < d; j++) m.data[i * d + j] = row[j];
    }
    return m;
  }

  /** A column vector (n x 1) from values. */
  static column(values: ArrayLike<number>): Matrix {
    return new Matrix(values.length, 1, Float64Array.from(values));
  }

  /** Element `(i, j)`. */
  get(i: number, j: number): number {
    return this.data[i * this.cols + j];
  }

  /** Sets element `(i, j)`. */
  set(i: number, j: number, value: number): void {
    this.data[i * this.cols + j] = value;
  }

  /** Row `i` as a view (no copy) into the data. */
  row(i: number): Float64Array {
    return this.data.subarray(i * this.cols, (i + 1) * this.cols);
  }

  /** Column `j` as a new array. */
  column(j: number): Float64Array {
    const out = new Float64Array(this.rows);
    for (let i = 0; i < this.rows; i++) out[i] = this.data[i * this.cols + j];
    return out;
  }

  /** A deep copy. */
  clone(): Matrix {
    return new Matrix(this.rows, this.cols, this.data.slice());
  }

  /** Nested arrays, row by row. */
  toRows(): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < this.rows; i++) out.push(Array.from(this.row(i)));
    return out;
  }

  /**
   * The rows at the given indices, in that order.
   * @throws TlkitError `INVALID_ARGUMENT` for an index that is not an integer in `[0, rows)`.
   */
  selectRows(indices: ArrayLike<number>): Matrix {
    const out = new Matrix(indices.length, this.cols);
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k];
      if (!Number.isInteger(i) || i < 0 || i >= this.rows) {
        throw new TlkitError('INVALID_ARGUMENT', `Matrix.selectRows: indices[${k}] = ${i} is not a row of this ${this.rows} x ${this.cols} matrix; give integers in [0, ${this.rows}).`, {
          argument: 'indices',
        });
      }
      out.data.set(this.data.subarray(i * this.cols, (i + 1) * this.cols), k * this.cols);
    }
    return out;
  }

  /** The first `count` columns (or the columns at the given indices). */
  selectColumns(columns: number | ArrayLike<number>): Matrix {
    const indices = typeof columns === 'number' ? Array.from({ length: columns }, (_, j) => j) : columns;
    const out = new Matrix(this.rows, indices.length);
    for (let i = 0; i < this.rows; i++) {
      for (let k = 0; k < indices.length; k++) out.data[i * indices.length + k] = this.data[i * this.cols + indices[k]];
    }
    return out;
  }

  /** The transpose, as a new matrix. */
  transpose(): Matrix {
    const { rows, cols, data } = this;
    const out = new Matrix(cols, rows);
    const target = out.data;
    for (let i = 0; i < rows; i++) {
      const offset = i * cols;
      for (let j = 0; j < cols; j++) target[j * rows + i] = data[offset + j];
    }
    return out;
  }

  /** Stacks matrices vertically (all must share `cols`). */
  static vstack(parts: readonly Matrix[]): Matrix {
    if (parts.length === 0) return new Matrix(0, 0);
    const cols = parts[0].cols;
    let rows = 0;
    for (const part of parts) {
      if (part.cols !== cols) {
        throw new TlkitError('DIMENSION_MISMATCH', `Matrix.vstack: a part has ${part.cols} columns, the first has ${cols}.`);
      }
      rows += part.rows;
    }
    const out = new Matrix(rows, cols);
    let offset = 0;
    for (const part of parts) {
      out.data.set(part.data, offset);
      offset += part.data.length;
    }
    return out;
  }

  /** A new matrix with `fn` applied to every element. */
  map(fn: (value: number, i: number, j: number) => number): Matrix {
    const out = new Matrix(this.rows, this.cols);
    for (let i = 0; i < this.rows; i++) {
      for (let j = 0; j < this.cols; j++) {
        const index = i * this.cols + j;
        out.data[index] = fn(this.data[index], i, j);
      }
    }
    return out;
  }
}
