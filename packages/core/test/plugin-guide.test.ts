/**
 * The plugin of docs/writing-a-plugin.md, verbatim: if this file changes, update the guide.
 * It runs the conformance suite exactly as a third-party author would.
 */
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { compose, definePlugin, knn, Matrix, readArray, storeArray, TlkitError } from '../src/index';
import { describeStrategyConformance } from '../src/testing/index';

// --- guide code begins ---
function columnMeans(X: Matrix): Float64Array {
  const means = new Float64Array(X.cols);
  for (let i = 0; i < X.rows; i++) for (let j = 0; j < X.cols; j++) means[j] += X.data[i * X.cols + j];
  for (let j = 0; j < X.cols; j++) means[j] /= X.rows;
  return means;
}

function subtract(X: Matrix, means: Float64Array): Matrix {
  if (X.cols !== means.length) {
    throw new TlkitError('DIMENSION_MISMATCH', `X has ${X.cols} features; the centering was fitted on ${means.length}.`, {
      argument: 'X',
    });
  }
  return X.map((value, _i, j) => value - means[j]);
}

/**
 * Domain-specific mean centering: subtracts each domain's own mean, so the two domains'
 * first moments match — the simplest feature-based domain adaptation (a linear-kernel MMD of 0).
 */
export const domainCenteringPlugin = definePlugin({
  name: 'domain-centering',
  kind: 'feature',
  role: 'mapping',
  description: 'Subtracts each domain\'s own feature mean (matches first moments).',
  needs: { problems: ['classification', 'regression'], targetLabels: 'never', acceptsSampleWeights: false },
  configSchema: z.object({}).strict(),
  create: () => {
    const fitted = (sourceMean: Float64Array, targetMean: Float64Array) => ({
      outputDim: sourceMean.length,
      transform: (X: Matrix, domain: 'source' | 'target') => subtract(X, domain === 'source' ? sourceMean : targetMean),
      saveState: () => ({ arrays: { sourceMean: storeArray(sourceMean), targetMean: storeArray(targetMean) } }),
    });
    return {
      async doFit(input) {
        return fitted(columnMeans(input.source.X), columnMeans(input.target.X));
      },
      doRestore: (state) =>
        fitted(readArray(state, 'sourceMean').data as Float64Array, readArray(state, 'targetMean').data as Float64Array),
    };
  },
});

export const domainCentering = () => domainCenteringPlugin.create();
// --- guide code ends ---

describeStrategyConformance({ plugin: domainCenteringPlugin });

describe('the guide plugin', () => {
  it('makes both domains zero-mean and composes with an estimator', async () => {
    const task = {
      source: { X: [[0, 0], [2, 2], [10, 10], [12, 12]], y: [0, 0, 1, 1] },
      target: { X: [[100, 100], [102, 102], [110, 110], [112, 112]] },
      problem: 'classification' as const,
    };
    const fitted = await compose(domainCentering(), knn()).fit(task);
    expect(fitted.transform(task.target.X).toRows()).toEqual([[-6, -6], [-4, -4], [4, 4], [6, 6]]);
    expect(Array.from(fitted.predict(task.target.X))).toEqual([0, 0, 1, 1]);
  });
});
