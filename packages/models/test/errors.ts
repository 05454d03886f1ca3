/** Assertions on the typed errors of the surgery functions, shared by their test files. */
import { TlkitError } from '@tlkit/core';
import { expect } from 'vitest';

/** What `call` throws; fails the test when it returns. */
export function errorOf(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

/** Checks that `call` throws a TlkitError INVALID_ARGUMENT with `argument` in its details and a message matching `message`. */
export function expectInvalidArgument(call: () => unknown, argument: string, message: RegExp): TlkitError {
  const error = errorOf(call);
  expect(error).toBeInstanceOf(TlkitError);
  expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument } });
  expect((error as Error).message).toMatch(message);
  return error as TlkitError;
}
