import { Matrix, TlkitError } from '@tlkit/core';

/** What {@link preprocess} does to each domain. */
export type PreprocessMode = 'standard' | 'l2' | 'zscore' | 'none';

const MODES: readonly PreprocessMode[] = ['standard', 'l2', 'zscore', 'none'];

function checkMatrix(X: unknown, argument: string): asserts X is Matrix {
  if (!(X instanceof Matrix)) {
    throw new TlkitError('INVALID_ARGUMENT', `${argument} must be a Matrix (from @tlkit/core).`, { argument });
  }
}

/**
 * Divides each row by the sum of its values (turns a histogram of counts into frequencies).
 * A row that sums to 0 is left as it is.
 *
 * @example
 * ```ts
 * normalizeRowsBySum(Matrix.fromRows([[1, 3], [0, 0]])).toRows(); // [[0.25, 0.75], [0, 0]]
 * ```
 */
export function normalizeRowsBySum(X: Matrix): Matrix {
  checkMatrix(X, 'X');
  const { rows, cols, data } = X;
  const out = new Float64Array(data.length);
  for (let i = 0; i < rows; i++) {
    const offset = i * cols;
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += data[offset + j];
    const divisor = sum === 0 ? 1 : sum;
    for (let j = 0; j < cols; j++) out[offset + j] = data[offset + j] / divisor;
  }
  return new Matrix(rows, cols, out);
}

/**
 * Scales each row to unit Euclidean norm, `x / ‖x‖₂`. A zero row is left as it is.
 *
 * @example
 * ```ts
 * normalizeRowsL2(Matrix.fromRows([[3, 4]])).toRows(); // [[0.6, 0.8]]
 * ```
 */
export function normalizeRowsL2(X: Matrix): Matrix {
  checkMatrix(X, 'X');
  const { rows, cols, data } = X;
  const out = new Float64Array(data.length);
  for (let i = 0; i < rows; i++) {
    const offset = i * cols;
    let squares = 0;
    for (let j = 0; j < cols; j++) squares += data[offset + j] * data[offset + j];
    const norm = squares === 0 ? 1 : Math.sqrt(squares);
    for (let j = 0; j < cols; j++) out[offset + j] = data[offset + j] / norm;
  }
  return new Matrix(rows, cols, out);
}

/**
 * Z-scores every column: `(x - mean) / std` with the population standard deviation
 * (divisor `n`, MATLAB `zscore(X, 1)`, numpy `std(ddof=0)`). A constant column (std 0) is
 * divided by 1, so it becomes all zeros.
 *
 * @example
 * ```ts
 * zscoreColumns(Matrix.fromRows([[1, 5], [3, 5]])).toRows(); // [[-1, 0], [1, 0]]
 * ```
 */
export function zscoreColumns(X: Matrix): Matrix {
  checkMatrix(X, 'X');
  const { rows, cols, data } = X;
  const mean = new Float64Array(cols);
  const variance = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const offset = i * cols;
    for (let j = 0; j < cols; j++) mean[j] += data[offset + j];
  }
  for (let j = 0; j < cols; j++) mean[j] /= rows || 1;
  for (let i = 0; i < rows; i++) {
    const offset = i * cols;
    for (let j = 0; j < cols; j++) {
      const centred = data[offset + j] - mean[j];
      variance[j] += centred * centred;
    }
  }
  const std = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    const value = Math.sqrt(variance[j] / (rows || 1));
    std[j] = value === 0 ? 1 : value;
  }
  const out = new Float64Array(data.length);
  for (let i = 0; i < rows; i++) {
    const offset = i * cols;
    for (let j = 0; j < cols; j++) out[offset + j] = (data[offset + j] - mean[j]) / std[j];
  }
  return new Matrix(rows, cols, out);
}

/**
 * Multiplies every value by `factor` (e.g. `1 / 255` for uint8 pixels).
 *
 * @example
 * ```ts
 * scaleValues(Matrix.fromRows([[255, 0]]), 1 / 255).toRows(); // [[1, 0]]
 * ```
 */
export function scaleValues(X: Matrix, factor: number): Matrix {
  checkMatrix(X, 'X');
  if (!Number.isFinite(factor)) {
    throw new TlkitError('INVALID_ARGUMENT', `factor must be a finite number, got ${factor}.`, { argument: 'factor' });
  }
  const out = new Float64Array(X.data.length);
  for (let k = 0; k < out.length; k++) out[k] = X.data[k] * factor;
  return new Matrix(X.rows, X.cols, out);
}

/** The published per-domain preprocessing of each shipped dataset. */
const STANDARD: Record<string, (X: Matrix) => Matrix> = {
  office_caltech10_surf: (X) => zscoreColumns(normalizeRowsBySum(X)),
  mnist_usps_jda: (X) => normalizeRowsL2(X),
  mnist_usps: (X) => {
    const out = new Float64Array(X.data.length);
    for (let k = 0; k < out.length; k++) out[k] = X.data[k] / 255;
    return new Matrix(X.rows, X.cols, out);
  },
};

/**
 * Applies a preprocessing to each domain separately and returns new domains (same fields, new
 * `X`; the inputs are not modified).
 *
 * Modes:
 * - `'standard'` — the dataset's published preprocessing, the one its reference numbers assume:
 *   - `office_caltech10_surf`: per domain, each row divided by its sum, then every column
 *     z-scored with the population std (zero std → 1). Recommended in the GFK data README
 *     (Gong et al., CVPR 2012) and done in the JDA/BDA/MEDA code (Long et al., ICCV 2013).
 *   - `mnist_usps_jda`: each row L2-normalised (JDA code).
 *   - `mnist_usps`: pixels scaled from 0..255 to [0, 1] (`x / 255`); this is a convention for
 *     training networks on raw pixels, not a published protocol.
 * - `'l2'` — each row scaled to unit Euclidean norm ({@link normalizeRowsL2}).
 * - `'zscore'` — each column z-scored within each domain ({@link zscoreColumns}).
 * - `'none'` — the domains are returned with their `X` unchanged (shared, not copied).
 *
 * @param datasetName - the dataset the domains come from (needed for `'standard'` only).
 * @param domains - domains with an `X` {@link Matrix} (e.g. `DatasetDomain`s).
 * @param mode - default `'standard'`.
 * @throws TlkitError `INVALID_ARGUMENT` for an unknown mode, a dataset without a standard
 * preprocessing, or a domain whose `dataset` field names another dataset.
 * @example
 * ```ts
 * const { caltech, amazon } = (await loadShippedDataset('office_caltech10_surf')).domains;
 * const [source, target] = preprocess('office_caltech10_surf', [caltech, amazon], 'standard');
 * ```
 */
export function preprocess<T extends { readonly X: Matrix; readonly dataset?: string }>(
  datasetName: string,
  domains: readonly T[],
  mode: PreprocessMode = 'standard',
): T[] {
  if (!MODES.includes(mode)) {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `mode must be one of ${MODES.map((entry) => `'${entry}'`).join(', ')}, got ${JSON.stringify(mode)}.`,
      { argument: 'mode' },
    );
  }
  if (!Array.isArray(domains)) {
    throw new TlkitError('INVALID_ARGUMENT', 'domains must be an array of domains ({ X: Matrix, ... }).', {
      argument: 'domains',
    });
  }
  domains.forEach((domain, index) => {
    checkMatrix(domain?.X, `domains[${index}].X`);
    if (mode === 'standard' && domain.dataset !== undefined && domain.dataset !== datasetName) {
      throw new TlkitError(
        'INVALID_ARGUMENT',
        `domains[${index}] belongs to dataset ${domain.dataset}, but datasetName is ${datasetName}; the standard preprocessing is per dataset, pass the domain's own dataset name.`,
        { argument: 'datasetName' },
      );
    }
  });
  let transform: (X: Matrix) => Matrix;
  switch (mode) {
    case 'none':
      return domains.map((domain) => ({ ...domain }));
    case 'l2':
      transform = normalizeRowsL2;
      break;
    case 'zscore':
      transform = zscoreColumns;
      break;
    default: {
      const standard = Object.hasOwn(STANDARD, datasetName) ? STANDARD[datasetName] : undefined;
      if (!standard) {
        throw new TlkitError(
          'INVALID_ARGUMENT',
          `dataset ${JSON.stringify(datasetName)} has no published standard preprocessing (known: ${Object.keys(STANDARD).join(', ')}); pick mode 'l2', 'zscore' or 'none'.`,
          { argument: 'datasetName' },
        );
      }
      transform = standard;
    }
  }
  return domains.map((domain) => ({ ...domain, X: transform(domain.X) }));
}
