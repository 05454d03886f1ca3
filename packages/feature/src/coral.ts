/**
 * CORrelation ALignment (CORAL): Sun, Feng & Saenko, "Return of Frustratingly Easy Domain
 * Adaptation", AAAI 2016.
 */
import {
  definePlugin,
  type FittedMapping,
  gram,
  inverseSqrtmSymmetric,
  Matrix,
  matmul,
  matmulTransposeA,
  matmulTransposeB,
  readJson,
  readMatrix,
  type StepContext,
  type StepFitInput,
  type StepState,
  sqrtmSymmetric,
  storeMatrix,
  symmetricEigen,
  TlkitError,
} from '@tlkit/core';
import * as z from 'zod';
import { requireColumns } from './internal/fitted-embedding';
import { checkDomains } from './internal/options';
import { symmetrizeInPlace } from './internal/linear-algebra';

const coralConfigSchema = z
  .object({
    /** λ, the ridge added to both covariances (the paper's `eye(size(Xs, 2))`, i.e. 1). */
    lambda: z.number().positive().finite().default(1),
  })
  .strict();

/** Options of {@link coral}: `lambda` (1), the ridge λ added to both covariance matrices. */
export type CoralOptions = z.input<typeof coralConfigSchema>;

const STRATEGY = 'coral';

/**
 * `(C + λI)^power` for the unbiased covariance C of the rows of X (power ±1/2), through the
 * eigendecomposition (Higham, Functions of Matrices, 2008, §1.2). With fewer samples than
 * features, C = Xcᵀ Xc / (n − 1) has rank < d and the n x n Gram matrix gives its eigenvectors:
 * f(C + λI) = λ^p I + U (diag((σ + λ)^p) − λ^p I) Uᵀ.
 */
export function covariancePower(X: Matrix, lambda: number, power: 0.5 | -0.5): Matrix {
  const { rows: n, cols: d } = X;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += X.data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const centred = new Matrix(n, d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) centred.data[i * d + j] = X.data[i * d + j] - mean[j];
  const scale = 1 / (n - 1);
  if (n - 1 >= d) {
    const covariance = gram(centred);
    for (let index = 0; index < covariance.data.length; index++) covariance.data[index] *= scale;
    return power > 0 ? sqrtmSymmetric(covariance, { ridge: lambda }) : inverseSqrtmSymmetric(covariance, { ridge: lambda });
  }
  const inner = symmetrizeInPlace(matmulTransposeB(centred, centred));
  for (let index = 0; index < inner.data.length; index++) inner.data[index] *= scale;
  const { values, vectors } = symmetricEigen(inner);
  const base = lambda ** power;
  const kept: number[] = [];
  for (let j = 0; j < n; j++) if (values[j] > 1e-12 * Math.max(values[0], 0)) kept.push(j);
  const r = kept.length;
  // U = Xcᵀ V Σ^{-1/2} / √(n − 1): orthonormal eigenvectors of C for its non-zero eigenvalues σ.
  const V = new Matrix(n, r);
  const weights = new Float64Array(r);
  for (let column = 0; column < r; column++) {
    const j = kept[column];
    const normaliser = 1 / Math.sqrt(values[j] * (n - 1));
    for (let i = 0; i < n; i++) V.data[i * r + column] = vectors.data[i * n + j] * normaliser;
    weights[column] = (values[j] + lambda) ** power - base;
  }
  const U = matmulTransposeA(centred, V); // d x r
  const scaled = U.clone();
  for (let i = 0; i < d; i++) for (let column = 0; column < r; column++) scaled.data[i * r + column] *= weights[column];
  const out = matmulTransposeB(scaled, U);
  for (let i = 0; i < d; i++) out.data[i * d + i] += base;
  return symmetrizeInPlace(out);
}

function fittedCoral(transform: Matrix, lambda: number, fitted?: { source: Matrix; target: Matrix }): FittedMapping {
  const d = transform.rows;
  return {
    outputDim: d,
    transform(X: Matrix, domain: 'source' | 'target'): Matrix {
      requireColumns(X, d, STRATEGY);
      return domain === 'source' ? matmul(X, transform) : X.clone();
    },
    ...(fitted ? { fitted } : {}),
    info: { lambda },
    saveState(): StepState {
      return { json: { strategy: STRATEGY, lambda }, arrays: { transform: storeMatrix(transform) } };
    },
  };
}

/**
 * CORAL as a `mapping` plugin (registry name `coral`): re-colours the source so its covariance
 * matches the target's (paper Algorithm 1): with C_s, C_t the covariances (unbiased, n − 1) of
 * the source and target features, source samples become x (C_s + λI)^{-1/2} (C_t + λI)^{1/2}
 * (whitening, then re-colouring with the target's covariance); target samples are left as they
 * are. As in the paper, the data are not re-centred. Then any classifier is trained on the
 * transformed source and applied to the target.
 *
 * Figures (Office-Caltech10 SURF, standard preprocessing): see docs/strategies/coral.md
 * (logistic regression and the source-cross-validated linear SVM, against the published 48.8).
 */
export const coralPlugin = definePlugin({
  name: STRATEGY,
  kind: 'feature',
  role: 'mapping',
  description: 'CORAL: re-colours the source so its feature covariance matches the target\'s (Sun et al. 2016).',
  reference: 'B. Sun, J. Feng, K. Saenko. Return of Frustratingly Easy Domain Adaptation. AAAI 2016.',
  needs: { problems: ['classification', 'regression'], targetLabels: 'never', acceptsSampleWeights: false },
  configSchema: coralConfigSchema,
  create(options) {
    return {
      async doFit(input: StepFitInput, context: StepContext): Promise<FittedMapping> {
        checkDomains(input, STRATEGY);
        const source = input.source.X;
        const target = input.target.X;
        if (source.rows < 2 || target.rows < 2) {
          throw new TlkitError('TOO_FEW_SAMPLES', `${STRATEGY}: each domain needs at least 2 samples for a covariance (source ${source.rows}, target ${target.rows}).`);
        }
        const whitening = covariancePower(source, options.lambda, -0.5);
        context.throwIfAborted();
        const colouring = covariancePower(target, options.lambda, 0.5);
        const transform = matmul(whitening, colouring);
        return fittedCoral(transform, options.lambda, { source: matmul(source, transform), target: target.clone() });
      },
      doRestore(state: StepState): FittedMapping {
        const json = readJson<{ strategy: string; lambda: number }>(state);
        if (json.strategy !== STRATEGY) throw new TlkitError('INVALID_ARTIFACT', `saved state is not a fitted ${STRATEGY} mapping.`);
        return fittedCoral(readMatrix(state, 'transform'), json.lambda);
      },
    };
  },
});

/**
 * Creates a CORAL mapping step.
 *
 * @param options - {@link CoralOptions}.
 * @example
 * ```ts
 * import { compose, logisticRegression } from '@tlkit/core';
 * import { coral } from '@tlkit/feature';
 * const fitted = await compose(coral({ lambda: 1 }), logisticRegression()).fit(task, { seed: 0 });
 * ```
 */
export const coral = (options?: CoralOptions) => coralPlugin.create(options);
