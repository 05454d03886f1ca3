/**
 * Typed errors. Every error tlkit raises on purpose is a {@link TlkitError} with a stable
 * {@link TlkitErrorCode}; the message names the argument at fault and how to fix it.
 */

/** Stable error codes. Match on `error.code`, never on the message text. */
export type TlkitErrorCode =
  /** Two inputs that must share a dimension do not (source vs target features, X vs y rows). */
  | 'DIMENSION_MISMATCH'
  /** NaN or ±Infinity in an input array. */
  | 'NON_FINITE_INPUT'
  /** A classification label is not an integer. */
  | 'LABEL_NOT_INTEGER'
  /** A classification label lies outside `0..numClasses-1`. */
  | 'LABEL_OUT_OF_RANGE'
  /** A domain has no samples. */
  | 'EMPTY_DOMAIN'
  /** Fewer samples (or features) than a step needs, e.g. fewer than `dim` components. */
  | 'TOO_FEW_SAMPLES'
  /** A plugin or backbone name that is not registered. */
  | 'UNKNOWN_PLUGIN'
  /** Pipeline steps in an order the orchestrator cannot run. */
  | 'BAD_STEP_ORDER'
  /** Options that fail a plugin's config schema, or a malformed experiment config. */
  | 'INVALID_CONFIG'
  /** A weighting step produces weights that no later step consumes. */
  | 'UNUSED_SAMPLE_WEIGHTS'
  /** A step needs labelled target samples and the task has none. */
  | 'MISSING_TARGET_LABELS'
  /** A step does not support the task's problem type (classification / regression). */
  | 'UNSUPPORTED_PROBLEM'
  /** The labels of the source domain are missing. */
  | 'MISSING_LABELS'
  /** A call received an argument of the wrong type or shape. */
  | 'INVALID_ARGUMENT'
  /** `fit` was stopped through its AbortSignal. */
  | 'ABORTED'
  /** A method that needs a fitted object was called before `fit`. */
  | 'NOT_FITTED'
  /** A saved artifact (pipeline, checkpoint) is malformed or from an incompatible version. */
  | 'INVALID_ARTIFACT'
  /** A requested tfjs backend cannot be set up. */
  | 'BACKEND_UNAVAILABLE'
  /** A numerical routine failed (a matrix that must be positive definite is not, no convergence). */
  | 'NUMERICAL_ERROR'
  /** A dataset or file could not be found or read. */
  | 'DATA_NOT_FOUND'
  /** A byte storage (checkpoints, the pre-training cache) could not be read or written. */
  | 'STORAGE_ERROR';

/** Extra facts attached to an error, for programs that handle it. */
export type TlkitErrorDetails = Record<string, unknown>;

/**
 * The one error class tlkit throws on purpose.
 *
 * @example
 * ```ts
 * try { await pipeline.fit(task); }
 * catch (error) {
 *   if (error instanceof TlkitError && error.code === 'DIMENSION_MISMATCH') { ... }
 * }
 * ```
 */
export class TlkitError extends Error {
  override readonly name = 'TlkitError';
  readonly code: TlkitErrorCode;
  readonly details: TlkitErrorDetails;

  constructor(code: TlkitErrorCode, message: string, details: TlkitErrorDetails = {}) {
    super(`[${code}] ${message}`);
    this.code = code;
    this.details = details;
  }
}

/** True when `error` is a {@link TlkitError}, optionally with the given code. */
export function isTlkitError(error: unknown, code?: TlkitErrorCode): error is TlkitError {
  return error instanceof TlkitError && (code === undefined || error.code === code);
}

/** Throws `INVALID_ARGUMENT` naming `argument` unless `condition` holds. @internal */
export function assertArgument(condition: unknown, argument: string, expectation: string): asserts condition {
  if (!condition) {
    throw new TlkitError('INVALID_ARGUMENT', `${argument}: ${expectation}.`, { argument });
  }
}

/** An error's message without a TlkitError's `[CODE] ` prefix, to quote it inside another message. @internal */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message.replace(/^\[[A-Z_]+\] /, '') : String(error);
}
