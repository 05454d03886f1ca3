import * as z from 'zod';
import { TlkitError } from '../errors';

/**
 * Loss-weight schedules: how a training step's weight λ moves over a run. `progress` p runs
 * from 0 (first step) to 1 (last step).
 *
 * - a number: constant λ;
 * - `'ganin'` / `{ type: 'ganin', gamma = 10, max = 1 }`: λ_p = max · (2 / (1 + exp(−γ p)) − 1), the
 *   schedule of Ganin & Lempitsky, "Unsupervised Domain Adaptation by Backpropagation", ICML 2015;
 * - `{ type: 'linear', from, to }`: straight ramp from `from` (p = 0) to `to` (p = 1);
 * - `{ type: 'step', values, boundaries }`: `values[i]` while p < `boundaries[i]`, then the last value.
 *
 * @example
 * ```ts
 * scheduleValue('ganin', 0);   // 0
 * scheduleValue('ganin', 1);   // ≈ 0.99991
 * scheduleValue({ type: 'linear', from: 0, to: 2 }, 0.25); // 0.5
 * ```
 */
export type LossWeight =
  | number
  | 'ganin'
  | { readonly type: 'ganin'; readonly gamma?: number; readonly max?: number }
  | { readonly type: 'linear'; readonly from: number; readonly to: number }
  | { readonly type: 'step'; readonly values: readonly number[]; readonly boundaries: readonly number[] };

/** A zod schema for {@link LossWeight} options (for plugin config schemas). */
export const lossWeightSchema = z.union([
  z.number().finite().nonnegative(),
  z.literal('ganin'),
  z.object({ type: z.literal('ganin'), gamma: z.number().positive().optional(), max: z.number().nonnegative().optional() }).strict(),
  z.object({ type: z.literal('linear'), from: z.number().finite(), to: z.number().finite() }).strict(),
  z
    .object({
      type: z.literal('step'),
      values: z.array(z.number().finite()).min(1),
      boundaries: z.array(z.number().min(0).max(1)),
    })
    .strict()
    .refine((spec) => spec.boundaries.length === spec.values.length - 1, {
      message: 'a step schedule needs one boundary fewer than values',
    }),
]);

/**
 * The value of a loss weight at `progress` ∈ [0, 1] (values outside are clamped to it).
 *
 * @throws TlkitError `INVALID_ARGUMENT` when `weight` is not a {@link LossWeight} (checked with
 *   {@link lossWeightSchema}) or `progress` is not a finite number.
 */
export function scheduleValue(weight: LossWeight, progress: number): number {
  if (typeof progress !== 'number' || !Number.isFinite(progress)) {
    throw new TlkitError('INVALID_ARGUMENT', `progress must be a finite number in [0, 1] (0 = first step, 1 = last); got ${String(progress)}.`, {
      argument: 'progress',
    });
  }
  const parsed = lossWeightSchema.safeParse(weight);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `weight ${JSON.stringify(weight)} is not a loss weight (${issue?.message ?? 'invalid'}); give a non-negative number, 'ganin', { type: 'ganin', gamma, max }, { type: 'linear', from, to } or { type: 'step', values, boundaries }.`,
      { argument: 'weight' },
    );
  }
  const p = Math.min(1, Math.max(0, progress));
  if (typeof weight === 'number') return weight;
  if (weight === 'ganin') return 2 / (1 + Math.exp(-10 * p)) - 1;
  switch (weight.type) {
    case 'ganin': {
      const gamma = weight.gamma ?? 10;
      return (weight.max ?? 1) * (2 / (1 + Math.exp(-gamma * p)) - 1);
    }
    case 'linear':
      return weight.from + (weight.to - weight.from) * p;
    case 'step': {
      for (let i = 0; i < weight.boundaries.length; i++) if (p < weight.boundaries[i]) return weight.values[i];
      return weight.values[weight.values.length - 1];
    }
  }
}
