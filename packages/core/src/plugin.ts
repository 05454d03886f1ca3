import * as z from 'zod';
import { TlkitError } from './errors';
import type {
  Strategy,
  StrategyForRole,
  StrategyImplementation,
  StrategyKind,
  StrategyNeeds,
  StrategyRole,
} from './strategy';
import { STRATEGY_KINDS, STRATEGY_ROLES } from './strategy';

const PLUGIN_BRAND = Symbol.for('tlkit.plugin.v1');

/**
 * What a plugin author writes: the strategy's identity, its config schema, and a `create`
 * function that builds the role-specific implementation from validated options.
 */
export interface PluginDefinition<Schema extends z.ZodType, R extends StrategyRole> {
  /** Registry name, kebab-case (`'tca'`, `'l2-sp'`). */
  readonly name: string;
  readonly kind: StrategyKind;
  readonly role: R;
  /** One sentence for `tlkit list`. */
  readonly description: string;
  /** What the strategy needs; a function when it depends on the options. */
  readonly needs: StrategyNeeds | ((options: z.output<Schema>) => StrategyNeeds);
  /** Validates and fills in defaults for the options (a zod schema). */
  readonly configSchema: Schema;
  /** Builds the strategy from validated options. */
  create(options: z.output<Schema>): StrategyImplementation<R>;
  /** The paper or reference the strategy implements (shown by `tlkit list --verbose`). */
  readonly reference?: string;
}

/** A registered-ready plugin: the definition plus a validating `create`. */
export interface Plugin<Schema extends z.ZodType = z.ZodType, R extends StrategyRole = StrategyRole> {
  readonly name: string;
  readonly kind: StrategyKind;
  readonly role: R;
  readonly description: string;
  readonly reference?: string;
  readonly configSchema: Schema;
  /** The needs with default options (for listings). */
  readonly needs: StrategyNeeds;
  /**
   * Validates `options` against the schema (failing with `INVALID_CONFIG` naming the field) and
   * returns the strategy.
   */
  create(options?: z.input<Schema>): StrategyForRole<R>;
  /** @internal Brand so loaders can recognise plugins among a module's exports. */
  readonly [PLUGIN_BRAND]: true;
}

/** Formats zod issues as `field: problem` lines. @internal */
export function formatIssues(error: z.ZodError, prefix = ''): string {
  return error.issues
    .map((issue) => {
      const path = [prefix, ...issue.path.map(String)].filter((part) => part !== '').join('.');
      return `${path || '(options)'}: ${issueMessage(issue)}`;
    })
    .join('; ');
}

/**
 * An issue's message; for a value that matches no member of a union (zod says only "Invalid
 * input"), what each member expected, e.g. `no accepted form matches: expected number, received
 * Infinity | expected "source-cv"`. @internal
 */
export function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue.message;
  const forms = issue.errors.map((branch) =>
    branch
      .map((inner) => `${inner.path.length > 0 ? `${inner.path.map(String).join('.')}: ` : ''}${issueMessage(inner).replace(/^Invalid input: /, '')}`)
      .join(', '),
  );
  return `no accepted form matches: ${forms.join(' | ')}`;
}

/** Validates `value` against `schema`, throwing `INVALID_CONFIG` that names the failing fields. @internal */
export function parseConfig<Schema extends z.ZodType>(schema: Schema, value: unknown, what: string): z.output<Schema> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    throw new TlkitError('INVALID_CONFIG', `${what}: ${formatIssues(result.error)}.`, {
      issues: result.error.issues.map((issue) => ({ path: issue.path.map(String), message: issueMessage(issue) })),
    });
  }
  return result.data;
}

const KEBAB = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * Defines a strategy plugin. Nothing is registered at import time: pass the plugin to
 * {@link registerPlugin} (the CLI does this for every package it loads), or call
 * `plugin.create(options)` directly.
 *
 * @example
 * ```ts
 * export const centeringPlugin = definePlugin({
 *   name: 'centering', kind: 'feature', role: 'mapping',
 *   description: 'Subtracts each domain\'s mean.',
 *   needs: { problems: ['classification', 'regression'], targetLabels: 'never', acceptsSampleWeights: false },
 *   configSchema: z.object({}).strict(),
 *   create: () => ({ async doFit(input) { ... }, doRestore(state) { ... } }),
 * });
 * export const centering = (options?: CenteringOptions) => centeringPlugin.create(options);
 * ```
 */
export function definePlugin<Schema extends z.ZodType, R extends StrategyRole>(
  definition: PluginDefinition<Schema, R>,
): Plugin<Schema, R> {
  const { name, kind, role, configSchema } = definition;
  if (typeof name !== 'string' || !KEBAB.test(name)) {
    throw new TlkitError('INVALID_CONFIG', `definePlugin: name ${JSON.stringify(name)} must be kebab-case, e.g. 'my-strategy'.`);
  }
  if (!STRATEGY_KINDS.includes(kind)) {
    throw new TlkitError('INVALID_CONFIG', `definePlugin(${name}): kind must be one of ${STRATEGY_KINDS.join(', ')}.`);
  }
  if (!STRATEGY_ROLES.includes(role)) {
    throw new TlkitError('INVALID_CONFIG', `definePlugin(${name}): role must be one of ${STRATEGY_ROLES.join(', ')}.`);
  }
  const needsFor = (options: z.output<Schema>): StrategyNeeds =>
    typeof definition.needs === 'function' ? definition.needs(options) : definition.needs;
  const defaultNeeds = (): StrategyNeeds => {
    if (typeof definition.needs !== 'function') return definition.needs;
    const parsed = configSchema.safeParse({});
    return parsed.success ? definition.needs(parsed.data) : { problems: [], targetLabels: 'never', acceptsSampleWeights: false };
  };
  const plugin = {
    name,
    kind,
    role,
    description: definition.description,
    ...(definition.reference ? { reference: definition.reference } : {}),
    configSchema,
    get needs() {
      return defaultNeeds();
    },
    create(options?: z.input<Schema>) {
      const parsed = parseConfig(configSchema, options ?? {}, `options of '${name}'`);
      const implementation = definition.create(parsed);
      const strategy = {
        ...implementation,
        specificationVersion: 'v1' as const,
        name,
        kind,
        role,
        needs: needsFor(parsed),
        config: parsed as Record<string, unknown>,
      };
      return strategy as unknown as StrategyForRole<R>;
    },
    [PLUGIN_BRAND]: true as const,
  };
  return plugin as Plugin<Schema, R>;
}

/** True when `value` is a plugin made by {@link definePlugin} (any copy of core). */
export function isPlugin(value: unknown): value is Plugin {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PLUGIN_BRAND] === true;
}

/** The strategy type a plugin creates. */
export type PluginStrategy<P> = P extends Plugin<z.ZodType, infer R> ? StrategyForRole<R> : Strategy;
