/**
 * Option values that are not JSON but have a JSON stand-in for saved configs: the trainer's
 * `initialModel` (tfjs models) is saved as a marker, the network itself in the step's state.
 */
import type { JsonValue } from './state';

/** Where an option value keeps its JSON stand-in (a `Symbol.for` key, shared by every copy of core). */
const SAVED_CONFIG = Symbol.for('tlkit.savedConfig.v1');

/**
 * Gives a non-JSON option value the JSON that stands for it when the step's config is saved:
 * `strategyToConfig` (and so `fitted.save()` and `pipeline.toConfig()`) writes `saved` instead of
 * rejecting the value. Returns a shallow copy of `value` carrying it (the original is untouched).
 * The plugin must accept `saved` as that option's value again, since `loadPipeline` re-creates
 * the step from it, and must keep what the value stood for in its fitted state. @internal
 */
export function withSavedConfig<T extends object>(value: T, saved: JsonValue): T {
  const copy = { ...value };
  Object.defineProperty(copy, SAVED_CONFIG, { value: saved, enumerable: false });
  return copy;
}

/** The JSON stand-in given by {@link withSavedConfig}, if any. @internal */
export function savedConfigOf(value: object): JsonValue | undefined {
  return (value as Record<symbol, JsonValue | undefined>)[SAVED_CONFIG];
}
