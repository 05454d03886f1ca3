import { createRng, Matrix } from '@tlkit/core';
import {
  circleClassMeans,
  exactClassCounts,
  gaussianClassSamples,
  integerOption,
  numberOption,
  priorsOption,
  type SyntheticSizeOptions,
  type SyntheticTask,
  shuffledLabels,
  sizeOptions,
} from './common';

/** Options of {@link subspaceShift}. */
export interface SubspaceShiftOptions extends SyntheticSizeOptions {
  /** Number of classes `C`. Default 3. */
  readonly numClasses?: number;
  /** Number of features `d` (at least 2). Default 4. */
  readonly dim?: number;
  /** Radius `r` of the circle the class means lie on. Default 3. */
  readonly separation?: number;
  /** Within-class standard deviation `σ`. Default 1. */
  readonly std?: number;
  /** Rotation angle `θ` in radians, applied in every coordinate plane `(2k, 2k+1)`. Default π/4. */
  readonly angle?: number;
  /** Class proportions, the same in both domains. Default uniform. */
  readonly priors?: readonly number[];
}

/** What {@link subspaceShift} knows. */
export interface SubspaceShiftTruth {
  /** The orthogonal `d × d` matrix `R` (determinant 1) with `x_target = R x` for `x` drawn like the source. */
  readonly rotation: Matrix;
  /** `θ`. */
  readonly angle: number;
  /** Class means `m_c` of the source (`C × d`); the target's are `R m_c`. */
  readonly classMeans: Matrix;
  /**
   * The target rows before rotation: draws from the source distribution, so that
   * `target.X[i] = R · targetUnrotated.X[i]` exactly (and likewise for the test rows).
   */
  readonly targetUnrotated: Matrix;
  readonly targetTestUnrotated: Matrix;
}

/** The block-diagonal rotation by `angle` in the planes (0,1), (2,3), …; a lone last coordinate is kept. */
function planeRotation(dim: number, angle: number): Matrix {
  const rotation = Matrix.identity(dim);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  for (let k = 0; k + 1 < dim; k += 2) {
    rotation.set(k, k, cos);
    rotation.set(k, k + 1, -sin);
    rotation.set(k + 1, k, sin);
    rotation.set(k + 1, k + 1, cos);
  }
  return rotation;
}

/** Rows `R x_i` of `X` (i.e. `X Rᵀ`). */
function rotateRows(X: Matrix, rotation: Matrix): Matrix {
  const { rows, cols } = X;
  const out = new Matrix(rows, cols);
  for (let i = 0; i < rows; i++) {
    for (let a = 0; a < cols; a++) {
      let sum = 0;
      for (let b = 0; b < cols; b++) sum += rotation.data[a * cols + b] * X.data[i * cols + b];
      out.data[i * cols + a] = sum;
    }
  }
  return out;
}

/**
 * Subspace shift: the target is the source rotated, `x_t = R x_s` in distribution, with the
 * labels unchanged — the setting subspace alignment (Fernando et al., *Unsupervised visual
 * domain adaptation using subspace alignment*, ICCV 2013) and CORAL (Sun, Feng & Saenko,
 * AAAI 2016) correct, since the source and target covariances differ by `R`.
 *
 * Model: source `x | y = c ~ N(m_c, σ² I)` with `m_c = r · (cos 2πc/C, sin 2πc/C, 0, …)`;
 * the target (and target test) rows are fresh draws `z` from the same distribution mapped to
 * `R z`, where `R` rotates every coordinate plane `(2k, 2k+1)` by `θ`
 * (`R_{2k,2k} = R_{2k+1,2k+1} = cos θ`, `R_{2k+1,2k} = −R_{2k,2k+1} = sin θ`).
 * The class means thus turn by `θ` in the (0, 1) plane, where the classes are separated.
 *
 * @param options - sizes, seed, `numClasses`, `dim`, `separation`, `std`, `angle`, `priors`
 *   (defaults above; 200 samples per part, seed 0).
 * @throws TlkitError `INVALID_ARGUMENT` naming the bad option.
 * @example
 * ```ts
 * const task = subspaceShift({ angle: Math.PI / 3, seed: 2 });
 * task.truth.rotation.get(1, 0); // sin(π/3)
 * ```
 */
export function subspaceShift(options: SubspaceShiftOptions = {}): SyntheticTask<SubspaceShiftTruth> {
  const { nSource, nTarget, nTest, seed } = sizeOptions(options, 'subspaceShift', ['numClasses', 'dim', 'separation', 'std', 'angle', 'priors']);
  const numClasses = integerOption(options.numClasses, 3, 'numClasses', 2);
  const dim = integerOption(options.dim, 4, 'dim', 2);
  const separation = numberOption(options.separation, 3, 'separation', 'nonNegative');
  const std = numberOption(options.std, 1, 'std', 'positive');
  const angle = numberOption(options.angle, Math.PI / 4, 'angle');
  const uniform = Array.from({ length: numClasses }, () => 1 / numClasses);
  const priors = priorsOption(options.priors, uniform, 'priors', numClasses);

  const classMeans = circleClassMeans(numClasses, dim, separation);
  const rotation = planeRotation(dim, angle);
  const rng = createRng(seed);
  const draw = (name: 'source' | 'target' | 'targetTest', n: number) => {
    const stream = rng.fork(name);
    const y = shuffledLabels(exactClassCounts(n, priors), stream);
    return { X: gaussianClassSamples(y, classMeans, std, stream), y, name };
  };
  const source = draw('source', nSource);
  const targetUnrotated = draw('target', nTarget);
  const testUnrotated = draw('targetTest', nTest);
  return {
    source,
    target: { ...targetUnrotated, X: rotateRows(targetUnrotated.X, rotation) },
    targetTest: { ...testUnrotated, X: rotateRows(testUnrotated.X, rotation) },
    problem: 'classification',
    numClasses,
    truth: {
      rotation,
      angle,
      classMeans,
      targetUnrotated: targetUnrotated.X,
      targetTestUnrotated: testUnrotated.X,
    },
    description: `subspace shift (C = ${numClasses}, d = ${dim}): source x | y = c ~ N(m_c, ${std}² I); target x = R z with z drawn like the source and R a rotation by ${Number(angle.toFixed(4))} rad in every coordinate plane (2k, 2k+1)`,
  };
}
