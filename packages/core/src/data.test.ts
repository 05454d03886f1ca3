import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { prepareTask, toMatrix } from './data';
import { mmd2 } from './discrepancy/mmd';
import { TlkitError } from './errors';
import { Matrix } from './matrix';

function errorOf(run: () => unknown): TlkitError {
  try {
    run();
  } catch (error) {
    if (error instanceof TlkitError) return error;
    throw error;
  }
  throw new Error('expected a TlkitError');
}

const base = () => ({
  source: { X: [[0, 1], [1, 0], [1, 1]], y: [0, 1, 1] },
  target: { X: [[0, 2], [2, 0]] },
  problem: 'classification' as const,
});

describe('prepareTask', () => {
  it('converts arrays and tensors to float64 matrices and typed labels', () => {
    const X = tf.tensor2d([[1, 2], [3, 4]]);
    const task = prepareTask({ source: { X, y: tf.tensor1d([0, 1]) }, target: { X: [[5, 6]] }, problem: 'classification' });
    X.dispose();
    expect(task.source.X).toBeInstanceOf(Matrix);
    expect(task.source.X.toRows()).toEqual([[1, 2], [3, 4]]);
    expect(task.source.y).toBeInstanceOf(Int32Array);
    expect(task.numClasses).toBe(2);
    expect(task.featureDim).toBe(2);
  });

  it('flattens rank-4 image tensors and records their shape', () => {
    const images = tf.zeros([2, 3, 3, 1]);
    const task = prepareTask({ source: { X: images, y: [0, 1] }, target: { X: images }, problem: 'classification' });
    images.dispose();
    expect(task.shape).toEqual([3, 3, 1]);
    expect(task.source.X.cols).toBe(9);
  });

  it('drops the target labels so no step can see them', () => {
    const task = prepareTask({ ...base(), target: { X: [[0, 2]], y: [1] } });
    expect(task.target.y).toBeUndefined();
  });

  it('infers numClasses over every labelled part', () => {
    const task = prepareTask({ ...base(), targetTest: { X: [[0, 0]], y: [4] } });
    expect(task.numClasses).toBe(5);
  });

  // The error catalogue: each case names the argument and has a stable code.
  it.each([
    ['DIMENSION_MISMATCH', /task\.target\.X has 3 features but task\.source\.X has 2/, { target: { X: [[0, 1, 2]] } }],
    ['DIMENSION_MISMATCH', /task\.source\.y has 2 labels but task\.source\.X has 3 rows/, { source: { X: [[0, 1], [1, 0], [1, 1]], y: [0, 1] } }],
    ['DIMENSION_MISMATCH', /task\.source\.X: .*row 1 has 1 values/, { source: { X: [[0, 1], [1]], y: [0, 1] } }],
    ['NON_FINITE_INPUT', /task\.target\.X has a non-finite value \(NaN\) at row 1, column 0/, { target: { X: [[0, 1], [Number.NaN, 0]] } }],
    ['NON_FINITE_INPUT', /task\.source\.y has a non-finite value/, { source: { X: [[0, 1]], y: [Number.POSITIVE_INFINITY] } }],
    ['LABEL_NOT_INTEGER', /task\.source\.y\[1\] = 0\.5 is not an integer/, { source: { X: [[0, 1], [1, 0]], y: [0, 0.5] } }],
    ['LABEL_OUT_OF_RANGE', /task\.source\.y\[0\] = -1 is outside/, { source: { X: [[0, 1], [1, 0]], y: [-1, 0] } }],
    ['LABEL_OUT_OF_RANGE', /task\.source\.y\[2\] = 3 .*below numClasses = 3/, { numClasses: 3, source: { X: [[0, 1], [1, 0], [2, 2]], y: [0, 1, 3] } }],
    ['EMPTY_DOMAIN', /task\.target\.X has no samples/, { target: { X: [] } }],
    ['MISSING_LABELS', /task\.source\.y is missing/, { source: { X: [[0, 1]] } }],
    ['INVALID_ARGUMENT', /task\.problem must be 'classification' or 'regression'/, { problem: 'clustering' }],
    ['DIMENSION_MISMATCH', /task\.source\.shape \[2, 2, 1\] does not match 2 features/, { source: { X: [[0, 1]], y: [0], shape: [2, 2, 1] } }],
  ])('rejects bad input with %s', (code, message, patch) => {
    const error = errorOf(() => prepareTask({ ...base(), ...(patch as object) } as never));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it('rejects features beyond float32 range (finite in float64, Infinity in a tensor), naming row and column (review D1)', () => {
    const X = [[0, 1], [1, 0], [1, -1e39]];
    const error = errorOf(() => prepareTask({ ...base(), source: { X, y: [0, 1, 1] } }));
    expect(error.code).toBe('NON_FINITE_INPUT');
    expect(error.message).toMatch(/task\.source\.X has the value -1e\+39 at row 2, column 1, beyond float32's range.*Rescale the features/);
    expect(error.details).toMatchObject({ argument: 'task.source.X', index: 5 });
    expect(Math.fround(-1e39)).toBe(Number.NEGATIVE_INFINITY); // why: the deep path trains on it as -Infinity
    // The largest float32 itself is accepted, in every domain and at predict time (toMatrix).
    const max = 3.4028234663852886e38;
    expect(prepareTask({ ...base(), target: { X: [[max, -max]] } }).target.X.data[0]).toBe(max);
    expect(errorOf(() => toMatrix([[0, 1e39]], 'X')).message).toMatch(/X has the value 1e\+39 at row 0, column 1/);
    // The float64-only helpers keep such values: MMD of a sample with itself is 0, CORAL distance too.
    expect(toMatrix([[0, 1e39]], 'X', { float32Range: false }).matrix.data[1]).toBe(1e39);
    const big = [[1e39, 0], [2e39, 1], [3e39, 5]];
    expect(mmd2(big, big, { kernel: 'linear' })).toBe(0);
    expect(errorOf(() => toMatrix([[Number.NaN]], 'X', { float32Range: false })).code).toBe('NON_FINITE_INPUT');
  });

  it.each([
    [null, 'null', /JSON\.stringify turns NaN into null/],
    [true, 'the boolean true', /row\.map\(Number\)/],
    ['0x10', 'the string "0x10"', /row\.map\(Number\)/],
    [undefined, 'undefined', /row\.map\(Number\)/],
  ])('rejects the X cell %s instead of coercing it (review D2)', (cell, described, hint) => {
    const error = errorOf(() => prepareTask({ ...base(), target: { X: [[0, 2], [2, cell as never]] } }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain(`task.target.X has ${described} at row 1, column 1; every cell must be a number.`);
    expect(error.message).toMatch(hint);
    expect(error.details).toMatchObject({ argument: 'task.target.X', row: 1, column: 1 });
  });

  it.each([
    [['0', '1', '1'], 'the string "0"'],
    [[false, true, true], 'the boolean false'],
  ])('says labels must be numbers for %j, not "non-finite" (review U6)', (y, described) => {
    const error = errorOf(() => prepareTask({ ...base(), source: { X: [[0, 1], [1, 0], [1, 1]], y: y as never } }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain(`task.source.y[0] is ${described}; labels must be numbers`);
    expect(error.details).toMatchObject({ argument: 'task.source.y', index: 0 });
  });

  it('rejects a classification source with a single class, before numClasses is padded to 2 (review D3)', () => {
    const error = errorOf(() => prepareTask({ ...base(), source: { X: [[0, 1], [1, 0]], y: [1, 1] } }));
    expect(error.code).toBe('TOO_FEW_SAMPLES');
    expect(error.message).toMatch(/task\.source\.y holds a single class \(1\); classification needs at least 2 classes/);
    expect(error.details).toMatchObject({ argument: 'task.source.y', classes: [1] });
    // Also with numClasses given, or with other classes only in the test set.
    expect(errorOf(() => prepareTask({ ...base(), numClasses: 3, source: { X: [[0, 1]], y: [0] } })).code).toBe('TOO_FEW_SAMPLES');
    expect(errorOf(() => prepareTask({ ...base(), source: { X: [[0, 1]], y: [0] }, targetTest: { X: [[1, 1]], y: [1] } })).code).toBe(
      'TOO_FEW_SAMPLES',
    );
    // Two classes with gaps stay legitimate (documented: ids are kept, so {0, 3} is a 4-class task); regression is unaffected.
    expect(prepareTask({ ...base(), source: { X: [[0, 1], [1, 0]], y: [0, 3] } }).numClasses).toBe(4);
    expect(prepareTask({ ...base(), source: { X: [[0, 1], [1, 0]], y: [2, 2] }, problem: 'regression' }).numClasses).toBe(0);
  });

  it('accepts regression targets that are not integers', () => {
    const task = prepareTask({ ...base(), source: { X: [[0, 1], [1, 0]], y: [0.5, -2.25] }, problem: 'regression' });
    expect(Array.from(task.source.y)).toEqual([0.5, -2.25]);
    expect(task.source.y).toBeInstanceOf(Float64Array);
    expect(task.numClasses).toBe(0);
  });
});

describe('toMatrix', () => {
  it('rejects tensors of rank 3 with the argument named', () => {
    const cube = tf.zeros([2, 2, 2]);
    expect(() => toMatrix(cube, 'X')).toThrow(/X is a rank-3 tensor/);
    cube.dispose();
  });
});

describe('Matrix.selectRows', () => {
  it('copies the rows at the indices, in their order', () => {
    const matrix = Matrix.fromRows([[0, 1], [2, 3], [4, 5]]);
    expect(Array.from(matrix.selectRows([2, 0, 2]).data)).toEqual([4, 5, 0, 1, 4, 5]);
  });

  it.each([[[3]], [[-1]], [[1.5]], [[Number.NaN]]])('rejects index %j with INVALID_ARGUMENT naming indices', (indices) => {
    const matrix = Matrix.fromRows([[0, 1], [2, 3], [4, 5]]);
    expect(() => matrix.selectRows(indices)).toThrow(/selectRows: indices\[0\] = .* is not a row of this 3 x 2 matrix/);
  });
});
