/**
 * Option schemas shared by TCA and JDA, the kernel they describe, and the input checks every
 * feature strategy runs before computing.
 */
import { type KernelSpec, type Matrix, type StepFitInput, TlkitError } from '@tlkit/core';
import * as z from 'zod';

/**
 * The options TCA and JDA share. Defaults follow the reference code (jindongwang/transferlearning's
 * TCA.py and JDA.py: dim 30, μ = 1, γ = 1, with its `kernel_type='linear'` setting, which its
 * `__main__` demo uses; the classes' own default is `'primal'`, here `form: 'primal'`) and its conventions (samples L2-normalised, MMD matrix divided by its
 * Frobenius norm, unit-norm eigenvectors, embedding rows L2-normalised).
 */
export const transferComponentFields = {
  /** Number of transfer components (output dimension). */
  dim: z.number().int().positive().default(30),
  /** μ, the trade-off weight of the regulariser `μ tr(WᵀW)` (the reference code's `lamb`/`lambda`). */
  mu: z.number().positive().finite().default(1),
  /** The kernel: `'linear'` ⟨x, y⟩, `'rbf'` exp(−γ‖x − y‖²), `'poly'` (γ⟨x, y⟩ + coef0)^degree. */
  kernel: z.enum(['linear', 'rbf', 'poly']).default('linear'),
  /** γ of the RBF and polynomial kernels. */
  gamma: z.number().positive().finite().default(1),
  /** Degree of the polynomial kernel. */
  degree: z.number().int().positive().default(3),
  /** coef0 of the polynomial kernel. */
  coef0: z.number().finite().default(1),
  /**
   * `'dual'` (the n x n kernel problem; exact, solved in the data's row space for the linear
   * kernel) or `'primal'` (the reference code's `kernel_type='primal'`: the d x d problem with
   * μI on the feature space; linear kernel only).
   */
  form: z.enum(['dual', 'primal']).default('dual'),
  /** `'exact'` or `'nystrom'` (low-rank kernel with `landmarks` landmarks, for large n). */
  approximation: z.enum(['exact', 'nystrom']).default('exact'),
  /** Number of Nyström landmarks (used when `approximation` is `'nystrom'`). */
  landmarks: z.number().int().positive().default(1000),
  /** L2-normalise each sample before the kernel (reference code: `X /= norm(X, axis=0)`). */
  normalizeSamples: z.boolean().default(true),
  /** L2-normalise each embedded sample (reference code: `Z /= norm(Z, axis=0)` before 1-NN). */
  normalizeEmbedding: z.boolean().default(true),
  /**
   * Divide the MMD matrix by its Frobenius norm (`'frobenius'`, reference code; JDA then weights M₀
   * by the number of classes C before dividing, as that code does) or keep the paper's M
   * (`'none'`: TCA's e eᵀ, JDA's M₀ + Σ_c M_c of eq. 8).
   */
  mmdNormalization: z.enum(['frobenius', 'none']).default('frobenius'),
  /** `'unit'` (each eigenvector of norm 1, as `scipy.linalg.eig` returns them) or `'b-orthonormal'`. */
  eigenvectorScaling: z.enum(['unit', 'b-orthonormal']).default('unit'),
};

/** The primal form has no kernel and no approximation. */
export function checkPrimalForm(
  options: { form: 'dual' | 'primal'; kernel: string; approximation: string },
  context: z.RefinementCtx,
): void {
  if (options.form === 'primal' && options.kernel !== 'linear') {
    context.addIssue({ code: 'custom', path: ['form'], message: "form 'primal' needs kernel 'linear' (use form 'dual' for rbf/poly)" });
  }
  if (options.form === 'primal' && options.approximation !== 'exact') {
    context.addIssue({ code: 'custom', path: ['approximation'], message: "form 'primal' is exact; use form 'dual' with approximation 'nystrom'" });
  }
}

/** The kernel spec of the options. */
export function kernelSpecOf(options: { kernel: 'linear' | 'rbf' | 'poly'; gamma: number; degree: number; coef0: number }): KernelSpec {
  switch (options.kernel) {
    case 'linear':
      return { type: 'linear' };
    case 'rbf':
      return { type: 'rbf', gamma: options.gamma };
    case 'poly':
      return { type: 'poly', gamma: options.gamma, degree: options.degree, coef0: options.coef0 };
  }
}

/** Checks the domains share a feature dimension and are not empty. Returns d. */
export function checkDomains(input: StepFitInput, strategy: string): number {
  const source = input.source.X;
  const target = input.target.X;
  if (source.rows === 0 || target.rows === 0) {
    throw new TlkitError('EMPTY_DOMAIN', `${strategy}: the ${source.rows === 0 ? 'source' : 'target'} domain has no samples; give both domains samples.`);
  }
  if (source.cols !== target.cols) {
    throw new TlkitError(
      'DIMENSION_MISMATCH',
      `${strategy}: the source has ${source.cols} features and the target ${target.cols}; both domains need the same features.`,
      { argument: 'target.X' },
    );
  }
  checkFinite(source, 'source.X', strategy);
  checkFinite(target, 'target.X', strategy);
  return source.cols;
}

function checkFinite(X: Matrix, argument: string, strategy: string): void {
  for (let index = 0; index < X.data.length; index++) {
    if (!Number.isFinite(X.data[index])) {
      throw new TlkitError('NON_FINITE_INPUT', `${strategy}: ${argument} has a non-finite value at row ${Math.floor(index / X.cols)}; remove or impute it.`, {
        argument,
      });
    }
  }
}

/** Throws `TOO_FEW_SAMPLES` when `dim` exceeds what the data allow (`limit`, explained by `why`). */
export function checkDim(dim: number, limit: number, why: string, strategy: string): void {
  if (dim > limit) {
    throw new TlkitError('TOO_FEW_SAMPLES', `${strategy}: dim = ${dim} but ${why} allow at most ${limit} components; lower dim.`, {
      argument: 'dim',
    });
  }
}

/** The largest `dim` the TCA/JDA problem allows for n samples of d features. */
export function transferComponentLimit(
  options: { form: 'dual' | 'primal'; kernel: string; approximation: 'exact' | 'nystrom'; landmarks: number },
  n: number,
  d: number,
): { limit: number; why: string } {
  if (options.form === 'primal') return { limit: d, why: `${d} features` };
  if (options.approximation === 'nystrom') {
    const limit = Math.min(n, options.landmarks);
    return { limit, why: `${n} samples and ${options.landmarks} landmarks` };
  }
  if (options.kernel === 'linear') return { limit: Math.min(n, d), why: `${n} samples of ${d} features` };
  return { limit: n, why: `${n} samples` };
}
