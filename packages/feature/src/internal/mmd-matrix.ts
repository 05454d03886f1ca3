/**
 * Factors E (n x k) of the MMD matrices M = E Eᵀ of TCA and JDA, for the pooled samples
 * ordered source rows first, then target rows.
 *
 * - Marginal (TCA, Pan et al. 2011, eq. 3; JDA's M₀, Long et al. 2013, eq. 3): e₀ with 1/n_s on
 *   source rows and −1/n_t on target rows, M₀ = e₀ e₀ᵀ: tr(Zᵀ M₀ Z) is the squared distance
 *   between the two domains' means of an embedding Z (rows = samples).
 * - Class-conditional (JDA's M_c, eq. 6): e_c with 1/n_s^(c) on source rows of class c and
 *   −1/n_t^(c) on target rows pseudo-labelled c. A class with no pseudo-labelled target row keeps
 *   only its source part (the reference MATLAB code's `e(isinf(e)) = 0`).
 * - JDA's combined M depends on the normalisation (C = number of source classes):
 *   - `'frobenius'` (the default): M = (C·M₀ + Σ_c M_c) / ‖C·M₀ + Σ_c M_c‖_F, the reference MATLAB
 *     code (`M = e*e'*C`, then `M = M + e*e'` per class, then `M / norm(M, 'fro')`), i.e.
 *     E = [√C e₀, e_1, …, e_C] scaled; the factor C only rescales M₀ before the normalisation;
 *   - `'none'`: M = M₀ + Σ_c M_c, the paper's eq. 8 (every MMD term with weight 1), i.e.
 *     E = [e₀, e_1, …, e_C].
 *
 * With `frobenius` normalisation M is divided by ‖M‖_F (reference code: `M / norm(M, 'fro')`),
 * i.e. E by ‖M‖_F^{1/2}; ‖E Eᵀ‖_F = ‖Eᵀ E‖_F is computed on the small k x k matrix.
 */
import { Matrix, matmulTransposeA } from '@tlkit/core';

/** How the MMD matrix is scaled. */
export type MmdNormalization = 'frobenius' | 'none';

/** The marginal factor e₀ (n x 1). */
export function marginalFactor(sourceCount: number, targetCount: number): Matrix {
  const n = sourceCount + targetCount;
  const E = new Matrix(n, 1);
  for (let i = 0; i < sourceCount; i++) E.data[i] = 1 / sourceCount;
  for (let i = sourceCount; i < n; i++) E.data[i] = -1 / targetCount;
  return E;
}

/**
 * JDA's factor [a·e₀, e_c for each class present in the source], not yet normalised: the marginal
 * weight a is √C for `'frobenius'` (the reference code's C·M₀) and 1 for `'none'` (the paper's
 * M₀). Without pseudo-labels (`targetLabels` undefined) it is a·e₀ alone, whose M equals TCA's
 * under the same normalisation.
 */
export function jointFactor(
  sourceLabels: ArrayLike<number>,
  targetLabels: ArrayLike<number> | undefined,
  targetCount: number,
  numClasses: number,
  normalization: MmdNormalization,
): Matrix {
  const sourceCount = sourceLabels.length;
  const n = sourceCount + targetCount;
  const sourcePerClass = new Float64Array(numClasses);
  for (let i = 0; i < sourceCount; i++) sourcePerClass[sourceLabels[i]]++;
  const classes: number[] = [];
  for (let c = 0; c < numClasses; c++) if (sourcePerClass[c] > 0) classes.push(c);
  const k = targetLabels ? 1 + classes.length : 1;
  const E = new Matrix(n, k);
  const marginalWeight = normalization === 'frobenius' ? Math.sqrt(classes.length) : 1;
  for (let i = 0; i < sourceCount; i++) E.data[i * k] = marginalWeight / sourceCount;
  for (let i = sourceCount; i < n; i++) E.data[i * k] = -marginalWeight / targetCount;
  if (targetLabels) {
    const targetPerClass = new Float64Array(numClasses);
    for (let i = 0; i < targetCount; i++) targetPerClass[targetLabels[i]]++;
    const columnOf = new Int32Array(numClasses).fill(-1);
    classes.forEach((c, index) => {
      columnOf[c] = index + 1;
    });
    for (let i = 0; i < sourceCount; i++) {
      const c = sourceLabels[i];
      E.data[i * k + columnOf[c]] = 1 / sourcePerClass[c];
    }
    for (let i = 0; i < targetCount; i++) {
      const c = targetLabels[i];
      const column = columnOf[c];
      if (column < 0) continue; // a class the source does not have: no M_c for it
      E.data[(sourceCount + i) * k + column] = -1 / targetPerClass[c];
    }
  }
  return E;
}

/** In place: scales E so that M = E Eᵀ has unit Frobenius norm (nothing for `'none'`). Returns E. */
export function normalizeMmdFactor(E: Matrix, normalization: MmdNormalization): Matrix {
  if (normalization === 'none') return E;
  const small = matmulTransposeA(E, E);
  let squared = 0;
  for (const value of small.data) squared += value * value;
  const norm = Math.sqrt(squared);
  if (norm > 0) {
    const scale = 1 / Math.sqrt(norm);
    for (let index = 0; index < E.data.length; index++) E.data[index] *= scale;
  }
  return E;
}
