import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { svm } from './estimators/svm';
import { isTlkitError } from './errors';
import { parseConfig } from './plugin';

function configError(run: () => unknown) {
  try {
    run();
  } catch (error) {
    if (isTlkitError(error, 'INVALID_CONFIG')) return error;
    throw error;
  }
  throw new Error('expected INVALID_CONFIG');
}

describe('option errors', () => {
  it("say what each member of a union accepts, not only zod's 'Invalid input'", () => {
    const error = configError(() => svm({ C: Number.POSITIVE_INFINITY }));
    expect(error.message).toBe(`[INVALID_CONFIG] options of 'svm': C: no accepted form matches: expected number, received Infinity | expected "source-cv".`);
    expect(error.details['issues']).toEqual([{ path: ['C'], message: 'no accepted form matches: expected number, received Infinity | expected "source-cv"' }]);
  });

  it('name the inner field of an object member, and keep plain messages as they are', () => {
    const schema = z.object({ dataset: z.union([z.string(), z.object({ path: z.string() })]), n: z.number() }).strict();
    const error = configError(() => parseConfig(schema, { dataset: { path: 1 }, n: 'x' }, 'config'));
    expect(error.message).toBe(
      '[INVALID_CONFIG] config: dataset: no accepted form matches: expected string, received object | path: expected string, received number; n: Invalid input: expected number, received string.',
    );
  });
});
