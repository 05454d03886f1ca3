import type { Tensor } from '@tensorflow/tfjs';
import { TlkitError } from './errors';
import { Matrix } from './matrix';

/** What kind of supervised problem a task is. */
export type ProblemType = 'classification' | 'regression';

/** An image shape `[height, width, channels]`; a domain's `X` rows are such images flattened row-major. */
export type ImageShape = readonly [height: number, width: number, channels: number];

/**
 * Anything tlkit accepts as a feature matrix: a {@link Matrix}, nested arrays (`n` rows of `d`
 * numbers), or a tfjs tensor of rank 2 (`n x d`) or rank 4 (`n x h x w x c`, images).
 */
export type MatrixInput = Matrix | ArrayLike<ArrayLike<number>> | Tensor;

/** Anything tlkit accepts as labels or targets: an array of numbers or a rank-1 tfjs tensor. */
export type LabelsInput = ArrayLike<number> | Tensor;

/**
 * One domain's samples as a user passes them in.
 *
 * @example
 * ```ts
 * const source: Domain = { X: [[0, 1], [1, 0]], y: [0, 1], name: 'caltech' };
 * ```
 */
export interface Domain {
  /** Features, `n x d`; or images `n x h x w x c` as a rank-4 tensor. */
  X: MatrixInput;
  /** Labels (class ids `0..C-1`) or regression targets; one per row of `X`. */
  y?: LabelsInput;
  /** Image shape when `X` holds flattened images (inferred from a rank-4 tensor). */
  shape?: ImageShape;
  /** A display name, e.g. `'amazon'`. */
  name?: string;
}

/**
 * A transfer problem: a labelled source domain, an unlabelled target domain, and optionally a
 * few labelled target samples and a labelled target test set.
 *
 * Multi-source transfer will arrive as an optional `sources: Domain[]` beside `source`; code
 * that reads `source` keeps working.
 *
 * @example
 * ```ts
 * const task: TransferTask = {
 *   source: { X: Xs, y: ys },
 *   target: { X: Xt },
 *   problem: 'classification',
 * };
 * ```
 */
export interface TransferTask {
  /** The labelled source domain. */
  source: Domain;
  /** The target domain; its labels, if present, are never shown to any step. */
  target: Domain;
  /** A few labelled target samples, visible only to steps that declare they use target labels. */
  targetLabeled?: Domain;
  /** A labelled target test set, used only for scoring. */
  targetTest?: Domain;
  /** `'classification'` or `'regression'`. */
  problem: ProblemType;
  /**
   * Number of classes (classification). Inferred as `max label + 1` over all labelled parts if
   * omitted (at least 2). Class ids in `0..numClasses-1` need not all occur: a class with no sample
   * in the source is kept (a network still gets an output for it), which is legitimate when the
   * target has classes the source lacks. Labels are ids, not names: sparse ids such as `{0, 1000}`
   * build a 1001-class model, so map them to `0..C-1` first.
   */
  numClasses?: number;
}

/** A validated domain in tlkit's internal form. Labels are `Int32Array` for classification. */
export interface DomainData {
  readonly X: Matrix;
  readonly y?: Int32Array | Float64Array;
  readonly shape?: ImageShape;
  readonly name?: string;
}

/** A validated domain that has labels. */
export interface LabeledDomainData extends DomainData {
  readonly y: Int32Array | Float64Array;
}

/** A {@link TransferTask} after validation at the boundary: float64 matrices, typed labels. */
export interface PreparedTask {
  readonly source: LabeledDomainData;
  /** The target domain with its labels removed. */
  readonly target: DomainData;
  readonly targetLabeled?: LabeledDomainData;
  readonly targetTest?: LabeledDomainData;
  readonly problem: ProblemType;
  /** Number of classes (0 for regression). */
  readonly numClasses: number;
  /** Feature dimension shared by every domain. */
  readonly featureDim: number;
  /** Image shape shared by every domain, if the data are images. */
  readonly shape?: ImageShape;
}

function isTensor(value: unknown): value is Tensor {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Tensor).dataSync === 'function' &&
    Array.isArray((value as Tensor).shape)
  );
}

/** The largest finite float32 value; features beyond it become ±Infinity in a tfjs tensor. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** How a non-number value reads in a message: `the string "0"`, `null`, `the boolean true`. */
function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return `${typeof value === 'object' ? 'an object' : `the ${typeof value}`} ${String(value)}`;
}

/**
 * Throws `NON_FINITE_INPUT` at the first NaN or ±Infinity; with `float32Range`, also at the first
 * value whose magnitude exceeds float32's range (finite in float64, ±Infinity in a tensor).
 */
function assertFinite(data: ArrayLike<number>, argument: string, cols = 1, float32Range = false): void {
  const where = (k: number) => (cols > 1 ? `row ${Math.floor(k / cols)}, column ${k % cols}` : `index ${k}`);
  for (let k = 0; k < data.length; k++) {
    const value = data[k];
    if (!Number.isFinite(value)) {
      throw new TlkitError(
        'NON_FINITE_INPUT',
        `${argument} has a non-finite value (${value}) at ${where(k)}. Remove or impute NaN/Infinity before calling tlkit.`,
        { argument, index: k },
      );
    }
    if (float32Range && (value > FLOAT32_MAX || value < -FLOAT32_MAX)) {
      throw new TlkitError(
        'NON_FINITE_INPUT',
        `${argument} has the value ${value} at ${where(k)}, beyond float32's range (±${FLOAT32_MAX}); tfjs computes in float32, where it becomes Infinity. Rescale the features (e.g. standardise the columns or divide by a constant) before calling tlkit.`,
        { argument, index: k },
      );
    }
  }
}

/** Throws `INVALID_ARGUMENT` at the first cell of `rows` that is not a number (null, boolean, string, ...). */
function assertNumberCells(rows: ArrayLike<ArrayLike<unknown>>, argument: string): void {
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    for (let j = 0; j < row.length; j++) {
      const value = row[j];
      if (typeof value !== 'number') {
        throw new TlkitError(
          'INVALID_ARGUMENT',
          `${argument} has ${describeValue(value)} at row ${i}, column ${j}; every cell must be a number.${value === null ? ' (JSON.stringify turns NaN into null: impute missing values first.)' : ' Convert the cells to numbers first (e.g. row.map(Number)) and check the result.'}`,
          { argument, row: i, column: j },
        );
      }
    }
  }
}

/**
 * Converts any {@link MatrixInput} to a float64 {@link Matrix} and checks that every cell of nested
 * arrays is a number (`null`, booleans and strings are rejected, not coerced) and every value is
 * finite and, unless `options.float32Range` is false, within float32's range
 * (|x| ≤ 3.4028234663852886e38: tfjs computes in float32). A rank-4 tensor is flattened per sample
 * and its image shape returned.
 *
 * @param input - the features.
 * @param argument - the argument's name, used in error messages (e.g. `'task.source.X'`).
 * @param options - `float32Range` (default true): also reject values beyond float32's range; the
 * float64-only helpers (kernels, `mmd2`, CORAL distance) pass false.
 * @throws TlkitError `INVALID_ARGUMENT` (a cell that is not a number, a wrong shape),
 * `DIMENSION_MISMATCH` (ragged rows), `NON_FINITE_INPUT` (NaN, ±Infinity, beyond float32's range).
 */
export function toMatrix(input: MatrixInput, argument = 'X', options: { readonly float32Range?: boolean } = {}): { matrix: Matrix; shape?: ImageShape } {
  let matrix: Matrix;
  let shape: ImageShape | undefined;
  if (input instanceof Matrix) {
    matrix = input;
  } else if (isTensor(input)) {
    const dims = input.shape;
    if (dims.length === 2) {
      matrix = new Matrix(dims[0], dims[1], Float64Array.from(input.dataSync() as ArrayLike<number>));
    } else if (dims.length === 4) {
      const [n, h, w, c] = dims;
      matrix = new Matrix(n, h * w * c, Float64Array.from(input.dataSync() as ArrayLike<number>));
      shape = [h, w, c];
    } else {
      throw new TlkitError(
        'INVALID_ARGUMENT',
        `${argument} is a rank-${dims.length} tensor; pass rank 2 (n x d) or rank 4 (n x h x w x c).`,
        { argument },
      );
    }
  } else if (input && typeof input === 'object' && typeof (input as ArrayLike<unknown>).length === 'number') {
    const rows = input as ArrayLike<ArrayLike<number>>;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      if (!row || typeof row !== 'object' || typeof row.length !== 'number') {
        throw new TlkitError(
          'INVALID_ARGUMENT',
          `${argument}[${i}] is not an array of numbers; pass one array of d numbers per sample.`,
          { argument },
        );
      }
    }
    try {
      matrix = Matrix.fromRows(rows);
    } catch (error) {
      throw new TlkitError('DIMENSION_MISMATCH', `${argument}: ${(error as Error).message.replace(/^\[\w+\] /, '')}`, {
        argument,
      });
    }
    assertNumberCells(rows, argument);
  } else {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `${argument} must be a Matrix, an array of rows or a tfjs tensor; got ${typeof input}.`,
      { argument },
    );
  }
  assertFinite(matrix.data, argument, matrix.cols, options.float32Range ?? true);
  return shape ? { matrix, shape } : { matrix };
}

/**
 * Converts labels to `Int32Array` (classification) or `Float64Array` (regression) and checks them:
 * integers in range for classification, finite values for regression.
 */
export function toLabels(
  input: LabelsInput,
  problem: ProblemType,
  argument = 'y',
  numClasses?: number,
): Int32Array | Float64Array {
  const values: ArrayLike<number> = isTensor(input) ? (input.dataSync() as ArrayLike<number>) : input;
  if (!values || typeof values.length !== 'number') {
    throw new TlkitError('INVALID_ARGUMENT', `${argument} must be an array of numbers or a rank-1 tensor.`, {
      argument,
    });
  }
  for (let i = 0; i < values.length; i++) {
    const value: unknown = values[i];
    if (typeof value !== 'number') {
      throw new TlkitError(
        'INVALID_ARGUMENT',
        `${argument}[${i}] is ${describeValue(value)}; labels must be numbers (class ids 0..C-1 or regression targets): map class names to ids first, e.g. y.map(Number) for numeric strings.`,
        { argument, index: i },
      );
    }
  }
  assertFinite(values, argument);
  if (problem === 'regression') return Float64Array.from(values);
  const labels = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (!Number.isInteger(value)) {
      throw new TlkitError(
        'LABEL_NOT_INTEGER',
        `${argument}[${i}] = ${value} is not an integer class id. Classification labels must be integers 0..C-1; map class names to ids first (or set problem: 'regression').`,
        { argument, index: i },
      );
    }
    if (value < 0 || (numClasses !== undefined && value >= numClasses)) {
      throw new TlkitError(
        'LABEL_OUT_OF_RANGE',
        `${argument}[${i}] = ${value} is outside 0..${numClasses === undefined ? 'C-1' : numClasses - 1}. Labels must be 0-based class ids${numClasses === undefined ? '' : ` below numClasses = ${numClasses}`}.`,
        { argument, index: i },
      );
    }
    labels[i] = value;
  }
  return labels;
}

/** The distinct class ids in `labels`, ascending. */
function distinctLabels(labels: ArrayLike<number>): number[] {
  return [...new Set(Array.from(labels))].sort((a, b) => a - b);
}

function maxLabel(labels: ArrayLike<number>): number {
  let max = -1;
  for (let i = 0; i < labels.length; i++) if (labels[i] > max) max = labels[i];
  return max;
}

interface DomainPrepareOptions {
  readonly argument: string;
  readonly problem: ProblemType;
  readonly requireLabels: boolean;
  readonly keepLabels: boolean;
}

function prepareDomain(domain: Domain | undefined, options: DomainPrepareOptions): DomainData {
  const { argument } = options;
  if (!domain || typeof domain !== 'object') {
    throw new TlkitError('INVALID_ARGUMENT', `${argument} must be a domain object { X, y? }.`, { argument });
  }
  const { matrix, shape: tensorShape } = toMatrix(domain.X, `${argument}.X`);
  if (matrix.rows === 0) {
    throw new TlkitError('EMPTY_DOMAIN', `${argument}.X has no samples; every domain needs at least one row.`, {
      argument: `${argument}.X`,
    });
  }
  const shape = domain.shape ?? tensorShape;
  if (shape) {
    const [h, w, c] = shape;
    if (![h, w, c].every((v) => Number.isInteger(v) && v > 0) || h * w * c !== matrix.cols) {
      throw new TlkitError(
        'DIMENSION_MISMATCH',
        `${argument}.shape [${shape.join(', ')}] does not match ${matrix.cols} features per sample; h * w * c must equal the row length.`,
        { argument: `${argument}.shape` },
      );
    }
  }
  let y: Int32Array | Float64Array | undefined;
  if (domain.y !== undefined && options.keepLabels) {
    y = toLabels(domain.y, options.problem, `${argument}.y`);
    if (y.length !== matrix.rows) {
      throw new TlkitError(
        'DIMENSION_MISMATCH',
        `${argument}.y has ${y.length} labels but ${argument}.X has ${matrix.rows} rows; give one label per sample.`,
        { argument: `${argument}.y` },
      );
    }
  } else if (options.requireLabels) {
    throw new TlkitError('MISSING_LABELS', `${argument}.y is missing; this domain must be labelled.`, {
      argument: `${argument}.y`,
    });
  }
  return {
    X: matrix,
    ...(y ? { y } : {}),
    ...(shape ? { shape: [shape[0], shape[1], shape[2]] as const } : {}),
    ...(domain.name ? { name: domain.name } : {}),
  };
}

/** The tasks {@link prepareTask} returned: `Pipeline.fit` trusts these and validates anything else. */
const preparedTasks = new WeakSet<object>();

/** True when `task` is an object {@link prepareTask} returned (not a look-alike). @internal */
export function isPreparedTask(task: unknown): task is PreparedTask {
  return typeof task === 'object' && task !== null && preparedTasks.has(task);
}

/**
 * Validates a {@link TransferTask} once, at the boundary, and converts it to float64 form.
 *
 * Checks: every part non-empty; finite values; all domains share the feature dimension (and the
 * image shape when given); one label per sample; classification labels are integers in
 * `0..numClasses-1`, and the source holds at least 2 classes. The target domain's labels are dropped
 * here, so no step can see them.
 *
 * @throws TlkitError `EMPTY_DOMAIN`, `NON_FINITE_INPUT` (also for features beyond float32's range),
 * `DIMENSION_MISMATCH`, `LABEL_NOT_INTEGER`, `LABEL_OUT_OF_RANGE`, `MISSING_LABELS`,
 * `INVALID_ARGUMENT` (also for cells or labels that are not numbers), `TOO_FEW_SAMPLES` (a
 * classification source with a single class).
 */
export function prepareTask(task: TransferTask): PreparedTask {
  if (!task || typeof task !== 'object') {
    throw new TlkitError('INVALID_ARGUMENT', 'task must be an object { source, target, problem }.', {
      argument: 'task',
    });
  }
  const problem = task.problem;
  if (problem !== 'classification' && problem !== 'regression') {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `task.problem must be 'classification' or 'regression', got ${JSON.stringify(problem)}.`,
      { argument: 'task.problem' },
    );
  }
  const source = prepareDomain(task.source, { argument: 'task.source', problem, requireLabels: true, keepLabels: true });
  const target = prepareDomain(task.target, { argument: 'task.target', problem, requireLabels: false, keepLabels: false });
  const targetLabeled = task.targetLabeled
    ? prepareDomain(task.targetLabeled, { argument: 'task.targetLabeled', problem, requireLabels: true, keepLabels: true })
    : undefined;
  const targetTest = task.targetTest
    ? prepareDomain(task.targetTest, { argument: 'task.targetTest', problem, requireLabels: true, keepLabels: true })
    : undefined;

  const parts: [string, DomainData | undefined][] = [
    ['task.target', target],
    ['task.targetLabeled', targetLabeled],
    ['task.targetTest', targetTest],
  ];
  for (const [name, part] of parts) {
    if (!part) continue;
    if (part.X.cols !== source.X.cols) {
      throw new TlkitError(
        'DIMENSION_MISMATCH',
        `${name}.X has ${part.X.cols} features but task.source.X has ${source.X.cols}; both domains must share one feature space (resize images or select the same columns first).`,
        { argument: `${name}.X`, expected: source.X.cols, actual: part.X.cols },
      );
    }
    if (source.shape && part.shape && source.shape.join('x') !== part.shape.join('x')) {
      throw new TlkitError(
        'DIMENSION_MISMATCH',
        `${name}.shape [${part.shape.join(', ')}] differs from task.source.shape [${source.shape.join(', ')}]; resize one domain so both share an image shape.`,
        { argument: `${name}.shape` },
      );
    }
  }

  let numClasses = 0;
  if (problem === 'classification') {
    const inferred =
      Math.max(
        maxLabel(source.y as Int32Array),
        targetLabeled ? maxLabel(targetLabeled.y as Int32Array) : -1,
        targetTest ? maxLabel(targetTest.y as Int32Array) : -1,
      ) + 1;
    if (task.numClasses !== undefined) {
      if (!Number.isInteger(task.numClasses) || task.numClasses < 2) {
        throw new TlkitError('INVALID_ARGUMENT', `task.numClasses must be an integer ≥ 2, got ${task.numClasses}.`, {
          argument: 'task.numClasses',
        });
      }
      numClasses = task.numClasses;
      const checks: [string, DomainData | undefined][] = [
        ['task.source', source],
        ['task.targetLabeled', targetLabeled],
        ['task.targetTest', targetTest],
      ];
      for (const [name, part] of checks) {
        if (part?.y) toLabels(part.y, problem, `${name}.y`, numClasses);
      }
    } else {
      numClasses = Math.max(inferred, 2);
    }
    const present = distinctLabels(source.y as Int32Array);
    if (present.length < 2) {
      throw new TlkitError(
        'TOO_FEW_SAMPLES',
        `task.source.y holds a single class (${present[0]}); classification needs at least 2 classes in the labelled source. Add samples of another class (or use problem: 'regression' for real-valued targets).`,
        { argument: 'task.source.y', classes: present },
      );
    }
  }

  const shape = source.shape ?? target.shape;
  const prepared: PreparedTask = {
    source: source as LabeledDomainData,
    target,
    ...(targetLabeled ? { targetLabeled: targetLabeled as LabeledDomainData } : {}),
    ...(targetTest ? { targetTest: targetTest as LabeledDomainData } : {}),
    problem,
    numClasses,
    featureDim: source.X.cols,
    ...(shape ? { shape } : {}),
  };
  preparedTasks.add(prepared);
  return prepared;
}
