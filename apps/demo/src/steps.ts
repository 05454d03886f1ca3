/**
 * Resolves a config's steps into strategies, with errors that name the JSON path of the step
 * (`pipelines[2].steps[1]`), the pipeline and, for an unknown `use`, the nearest registered names.
 */
import { compose, didYouMean, hasPlugin, isTlkitError, listPlugins, type Pipeline, resolveStep, type Strategy, TlkitError } from '@tlkit/core';
import type { PipelineConfig } from './config';

/** The message of a TlkitError without its `[CODE] ` prefix. */
export function bareMessage(error: TlkitError): string {
  return error.message.replace(/^\[[A-Z_]+\] /, '');
}

/** Where a pipeline sits in the config: its JSON path (`pipelines[2]`) and its name. */
export interface PipelinePlace {
  readonly path: string;
  readonly name: string;
}

/** The place of the `index`-th pipeline (from 0) of a config. */
export function pipelinePlace(index: number, name: string): PipelinePlace {
  return { path: `pipelines[${index}]`, name };
}

/**
 * Resolves one config step (`{ "use": NAME, ...options }`); every error is a TlkitError whose
 * message starts with the step's JSON path and names the pipeline.
 *
 * @throws TlkitError `UNKNOWN_PLUGIN` (with a did-you-mean) or the plugin's `INVALID_CONFIG`.
 */
export function resolveConfigStep(step: PipelineConfig['steps'][number], place: PipelinePlace, position: number): Strategy {
  const path = `${place.path}.steps[${position}]`;
  const use = (step as { use?: unknown }).use;
  if (typeof use === 'string' && !hasPlugin(use)) {
    const known = listPlugins().map((plugin) => plugin.name);
    throw new TlkitError(
      'UNKNOWN_PLUGIN',
      `${path}.use (pipeline "${place.name}"): no plugin named '${use}' is registered.${didYouMean(use, known)} Known: ${[...known].sort().join(', ')}. For a plugin of another package: --plugin PACKAGE or "plugins": [...] in the config.`,
      { name: use, argument: `${path}.use`, pipeline: place.name },
    );
  }
  try {
    return resolveStep(step, undefined, path);
  } catch (error) {
    if (!isTlkitError(error)) throw error;
    const message = bareMessage(error);
    const prefix = `${path} (pipeline "${place.name}", '${String(use)}'):`;
    throw new TlkitError(error.code, message.startsWith(path) ? `${prefix}${message.slice(path.length).replace(/^:/, '')}` : `${prefix} ${message}`, {
      ...error.details,
      argument: path,
      pipeline: place.name,
    });
  }
}

/**
 * A pipeline from a config's steps. Errors name the step's JSON path and the pipeline; `compose`'s
 * order errors name the pipeline.
 */
export function buildConfigPipeline(steps: PipelineConfig['steps'], place: PipelinePlace): Pipeline {
  const strategies = steps.map((step, position) => resolveConfigStep(step, place, position));
  try {
    return compose(...strategies);
  } catch (error) {
    if (!isTlkitError(error)) throw error;
    throw new TlkitError(error.code, `${place.path}.steps (pipeline "${place.name}"): ${bareMessage(error)}`, {
      ...error.details,
      argument: `${place.path}.steps`,
      pipeline: place.name,
    });
  }
}
