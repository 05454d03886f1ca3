import { describe, expect, it } from 'vitest';
import { TlkitError } from '../errors';
import { type LossWeight, scheduleValue } from './schedules';

describe('scheduleValue', () => {
  it('computes each schedule by its formula (hand-worked values)', () => {
    expect(scheduleValue(0.3, 0.7)).toBe(0.3);
    // Ganin & Lempitsky: 2 / (1 + e^(−γp)) − 1; at p = 0.5, γ = 10: 2 / (1 + e^−5) − 1.
    expect(scheduleValue('ganin', 0.5)).toBeCloseTo(2 / (1 + Math.exp(-5)) - 1, 14);
    expect(scheduleValue({ type: 'ganin', gamma: 2, max: 3 }, 1)).toBeCloseTo(3 * (2 / (1 + Math.exp(-2)) - 1), 14);
    expect(scheduleValue({ type: 'linear', from: 2, to: 0 }, 0.25)).toBe(1.5);
    const steps: LossWeight = { type: 'step', values: [1, 0.5, 0.1], boundaries: [0.3, 0.6] };
    expect([0, 0.29, 0.3, 0.59, 0.6, 1].map((p) => scheduleValue(steps, p))).toEqual([1, 1, 0.5, 0.5, 0.1, 0.1]);
  });

  it('clamps progress to [0, 1]', () => {
    expect(scheduleValue({ type: 'linear', from: 0, to: 1 }, -3)).toBe(0);
    expect(scheduleValue({ type: 'linear', from: 0, to: 1 }, 7)).toBe(1);
  });

  it.each([
    ['an unknown name', 'foo'],
    ['a negative constant', -1],
    ['NaN', Number.NaN],
    ['a step schedule with no values', { type: 'step', values: [], boundaries: [] }],
    ['a step schedule with too many boundaries', { type: 'step', values: [1, 2], boundaries: [0.2, 0.5] }],
    ['a linear ramp without its end', { type: 'linear', from: 0 }],
  ])('rejects %s as the weight, naming it', (_label, weight) => {
    const failure = (() => {
      try {
        scheduleValue(weight as LossWeight, 0.5);
      } catch (error) {
        return error;
      }
    })();
    expect(failure).toBeInstanceOf(TlkitError);
    expect((failure as TlkitError).code).toBe('INVALID_ARGUMENT');
    expect((failure as TlkitError).details.argument).toBe('weight');
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, '0.5'])('rejects progress %s, naming it', (progress) => {
    expect(() => scheduleValue('ganin', progress as number)).toThrow(/progress must be a finite number/);
  });
});
