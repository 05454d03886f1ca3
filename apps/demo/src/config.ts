/**
 * The experiment config language of `tlkit run`. One JSON file describes a dataset, the
 * source → target pairs, the seeds and the pipelines to compare.
 */
import { type JsonValue, MAX_SEED, TlkitError } from '@tlkit/core';
import { parseSettingPath } from './selection';
import * as z from 'zod';

const domainReference = z
  .string()
  .min(1)
  .regex(/^[^:]+(:[^:]+)?$/, 'a domain is NAME or NAME:SPLIT (e.g. "usps:test")');

const pairSchema = z.union([
  z.tuple([domainReference, domainReference]),
  z.tuple([domainReference, domainReference, domainReference]),
]);

/** A seed: core's seed contract, an integer in 0 … 2^32 − 1. */
const seedSchema = z.number().int().min(0).max(MAX_SEED);

const stepSchema = z.looseObject({ use: z.string().min(1) });

const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
);

const selectSchema = z
  .object({
    folds: z.number().int().min(2).default(5),
    grid: z
      .record(z.string().min(1), z.array(jsonValue).min(1))
      .refine((grid) => Object.keys(grid).length > 0, { message: 'select.grid needs at least one setting path' }),
  })
  .strict();

const pipelineSchema = z
  .object({
    name: z.string().min(1),
    steps: z.array(stepSchema).min(1),
    trainOn: z.enum(['source', 'target', 'source+target']).default('source'),
    description: z.string().optional(),
    select: selectSchema.optional(),
  })
  .strict();

/** The experiment config schema (see {@link CONFIG_HELP}). */
export const experimentConfigSchema = z
  .object({
    name: z.string().optional(),
    description: z.string().optional(),
    dataset: z.union([z.string().min(1), z.object({ path: z.string().min(1), name: z.string().optional() }).strict()], {
      error: 'expected a shipped dataset name ("office_caltech10_surf") or {"path": "DIR"} (a folder in the shipped format)',
    }),
    preprocess: z.enum(['standard', 'l2', 'zscore', 'none']).default('standard'),
    problem: z.enum(['classification', 'regression']).default('classification'),
    pairs: z.union([z.literal('all'), z.array(pairSchema).min(1)]).default('all'),
    resize: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional(),
    crop: z
      .record(
        z.string().min(1),
        z.union([
          z.number().int().nonnegative(),
          z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative(), z.number().int().nonnegative(), z.number().int().nonnegative()]),
        ]),
      )
      .optional(),
    seed: seedSchema.optional(),
    seeds: z.array(seedSchema).min(1).optional(),
    targetLabeled: z
      .object({ perClass: z.number().int().positive(), seed: seedSchema.optional() })
      .strict()
      .optional(),
    plugins: z.array(z.string().min(1)).default([]),
    holdOut: z
      .object({
        domain: z.string().min(1).regex(/^[^:]+$/, 'holdOut.domain is a domain name without a split'),
        rows: z.number().int().positive(),
        seed: seedSchema.default(0),
        head: z.string().min(1).default('source'),
      })
      .strict()
      .optional(),
    pipelines: z.array(pipelineSchema).min(1),
  })
  .strict()
  .superRefine((config, context) => {
    if (config.seed !== undefined && config.seeds !== undefined) {
      context.addIssue({
        code: 'custom',
        path: ['seed'],
        message: '"seed" and "seeds" are both given; keep one ("seeds": [0, 1, 2] runs every seed, "seed": 0 one)',
      });
    }
    config.seeds?.forEach((seed, index) => {
      if (config.seeds!.indexOf(seed) !== index) {
        context.addIssue({
          code: 'custom',
          path: ['seeds', index],
          message: `seed ${seed} is listed twice; a repeated seed repeats the same run, so the mean ± std over seeds would count it twice`,
        });
      }
    });
    if (config.pairs !== 'all') {
      config.pairs.forEach((pair, index) => {
        // The scored rows (TEST, else TARGET) must not overlap the labelled source rows.
        const [sourceDomain, sourceSplit] = pair[0].split(':');
        const scored = pair[2] ?? pair[1];
        const [scoredDomain, scoredSplit] = scored.split(':');
        if (sourceDomain === scoredDomain && (sourceSplit === undefined || scoredSplit === undefined || sourceSplit === scoredSplit)) {
          context.addIssue({
            code: 'custom',
            path: ['pairs', index],
            message: `the scored domain '${scored}' shares its rows with the source '${pair[0]}', so the run would score the source's own training data; pick another target, or disjoint splits such as ["usps:train", "usps:test"]`,
          });
        }
      });
    }
    if (config.holdOut && config.pairs !== 'all') {
      const domain = config.holdOut.domain;
      config.pairs.forEach((pair, index) => {
        pair.forEach((entry, position) => {
          if (entry.startsWith(`${domain}:`)) {
            context.addIssue({
              code: 'custom',
              path: ['pairs', index, position],
              message: `'${entry}' names a split of the held-out domain '${domain}'; holdOut applies to the whole domain, so use '${domain}'`,
            });
          }
        });
      });
    }
    const names = new Set<string>();
    config.pipelines.forEach((pipeline, index) => {
      if (names.has(pipeline.name)) {
        context.addIssue({ code: 'custom', path: ['pipelines', index, 'name'], message: `duplicate pipeline name '${pipeline.name}'` });
      }
      names.add(pipeline.name);
      if (pipeline.select) {
        if (!config.targetLabeled) {
          context.addIssue({
            code: 'custom',
            path: ['pipelines', index, 'select'],
            message: 'select cross-validates on the labelled target samples; it needs "targetLabeled": { "perClass": N } in the config',
          });
        }
        if (config.targetLabeled && pipeline.select.folds > config.targetLabeled.perClass) {
          context.addIssue({
            code: 'custom',
            path: ['pipelines', index, 'select', 'folds'],
            message: `${pipeline.select.folds} folds of ${config.targetLabeled.perClass} labelled samples per class leave some folds without a class; use at most ${config.targetLabeled.perClass} folds`,
          });
        }
        for (const path of Object.keys(pipeline.select.grid)) {
          const parsed = parseSettingPath(path);
          if (!parsed || parsed.step >= pipeline.steps.length) {
            context.addIssue({
              code: 'custom',
              path: ['pipelines', index, 'select', 'grid', path],
              message: `'${path}' is not steps[N].option(.option...) with N below ${pipeline.steps.length} (the pipeline's steps, from 0)`,
            });
            continue;
          }
          // The trainer's pre-training falls back to the trainer's optimizer: a grid over it
          // would pre-train one source model per candidate and select among them on target labels.
          const step = pipeline.steps[parsed.step] as { pretrain?: { optimizer?: unknown } };
          if (parsed.keys[0] === 'optimizer' && step.pretrain && step.pretrain.optimizer === undefined) {
            context.addIssue({
              code: 'custom',
              path: ['pipelines', index, 'select', 'grid', path],
              message: `'${path}' would also change the pre-training optimizer (steps[${parsed.step}].pretrain has none of its own, so it uses the trainer's); give pretrain its own "optimizer"`,
            });
          }
        }
        pipeline.steps.forEach((step, position) => {
          if ((step as { checkpoint?: unknown }).checkpoint !== undefined) {
            context.addIssue({
              code: 'custom',
              path: ['pipelines', index, 'steps', position, 'checkpoint'],
              message: 'select fits the pipeline once per fold and candidate in one storage, so a checkpoint would resume one fit in the next; remove checkpoint from pipelines with select',
            });
          }
        });
      }
      if (pipeline.trainOn !== 'source' && !config.targetLabeled) {
        context.addIssue({
          code: 'custom',
          path: ['pipelines', index, 'trainOn'],
          message: `trainOn '${pipeline.trainOn}' needs "targetLabeled": { "perClass": N } in the config`,
        });
      }
    });
  });

/** A validated experiment config. */
export type ExperimentConfig = z.output<typeof experimentConfigSchema>;
/** A pipeline entry of a config. */
export type PipelineConfig = ExperimentConfig['pipelines'][number];

/** Parses and validates a config, failing with `INVALID_CONFIG` that names each bad field. */
export function parseExperimentConfig(value: unknown, where = 'config'): ExperimentConfig {
  const result = experimentConfigSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${[where, ...issue.path.map(String)].join('.')}: ${issue.message}`);
    throw new TlkitError('INVALID_CONFIG', `invalid experiment config:\n  ${problems.join('\n  ')}`, {
      issues: result.error.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message })),
    });
  }
  return result.data;
}

/** The config language, as `tlkit help` prints it. */
export const CONFIG_HELP = `EXPERIMENT CONFIG (JSON)
  {
    "name": "office-1nn",                      optional title
    "description": "1-NN on Office-Caltech",   optional notes (the protocol, what changed); not used by the run
    "dataset": "office_caltech10_surf",        a shipped dataset: office_caltech10_surf, mnist_usps, mnist_usps_jda
             | {"path": "DIR"},                or a folder of domain subfolders in the shipped format
                                               (DIR/<domain>/X.csv.gz|X.csv, y.csv, meta.json)
    "preprocess": "standard",                  standard (the dataset's published preprocessing) | l2 | zscore | none;
                                               applied per domain to the whole domain, before splits are taken
    "problem": "classification",               or "regression"
    "pairs": "all" | [["caltech","amazon"], ["amazon","caltech"]]
                                               [SOURCE, TARGET] or [SOURCE, TARGET, TEST]; "all" = every ordered pair.
                                               A domain may name an official split: "usps:train", "usps:test".
                                               With TEST, the target is adapted to (unlabelled) and TEST is scored.
    "resize": [16, 16],                        resize every image domain to h x w (bilinear) so two digit sets share a shape
    "crop": {"mnist": 4},                      remove a border from a domain's images (after preprocess, before resize):
             | {"mnist": [4, 4, 4, 4]}         N pixels from each side, or [top, bottom, left, right]; e.g. MNIST digits
                                               sit in a 20x20 box with a 4-pixel empty border, USPS digits fill the frame
    "seed": 0,                                 one run seed (default 0) ...
    "seeds": [0, 1, 2],                        ... or several, distinct (not with "seed"): tables show mean ± std over seeds
    "targetLabeled": {"perClass": 10, "seed": 0},
                                               draw that many labelled target samples per class (seeded; by default the
                                               run seed) for steps that declare they use target labels; every pipeline
                                               is then scored on the remaining target rows
    "plugins": ["my-tlkit-plugin"],            extra packages whose exported plugins are registered: a package name
                                               (looked up in node_modules from the config's folder up, then from the
                                               working directory; ESM "import" exports) or a path relative to the
                                               config's folder, to a module file or a package folder
    "holdOut": {"domain": "mnist", "rows": 2000, "seed": 0, "head": "source"},
                                               keep that many seeded random rows of a domain out of every run (the domain
                                               is used without them everywhere) and score each fitted pipeline on them too:
                                               metric heldOutAccuracy (a second table). Deep pipelines are scored with the
                                               network's "source" head (the pre-trained source head; LwF and multi-task
                                               train it) when they have one, else their task head: after transfer to the
                                               target this measures forgetting of the source task
    "pipelines": [
      {"name": "1nn", "steps": [{"use": "knn", "k": 1}]},
      {"name": "target-only", "trainOn": "target", "steps": [{"use": "logreg"}]},
      {"name": "fine-tune", "trainOn": "target", "steps": [{"use": "fine-tune", "freeze": "none"},
         {"use": "trainer", "backbone": {"use": "lenet"}, "epochs": 30, "pretrain": {"epochs": 5, "seed": 0}}]},
      {"name": "fine-tune-cv", "trainOn": "target", "steps": [{"use": "fine-tune", "freeze": "none"},
         {"use": "trainer", "backbone": {"use": "lenet"}, "epochs": 30,
          "pretrain": {"epochs": 5, "seed": 0, "optimizer": {"type": "adam", "learningRate": 0.001}}}],
       "select": {"folds": 5, "grid": {"steps[1].optimizer.learningRate": [0.0001, 0.001]}}}
    ]                                          steps use registry names (tlkit list) with that plugin's options;
                                               trainOn: source (default) | target | source+target — baselines trained on
                                               the source only, the labelled target samples only, or both.
                                               The trainer's "pretrain" first trains the backbone and a source head on
                                               the labelled source (cached under --cache, so reruns skip it); training
                                               steps (fine-tune, feature-extractor, l2-sp, lwf, multi-task) start from it;
                                               "augment": {"translate": 2, "rotate": 10, "scale": [0.9, 1.1]} (in the
                                               trainer or its "pretrain") warps every image of the labelled training batches
                                               at random (seeded; not the unlabelled target batches; lwf rejects the
                                               trainer's augment, pretrain.augment is fine).
                                               "select" chooses settings by k-fold cross-validation on the labelled target
                                               samples (stratified; needs targetLabeled; "folds" default 5): every
                                               combination of the grid's values (paths steps[N].option...) is fitted on all
                                               folds but one and scored on the held-out fold, each fold in turn; the best
                                               mean accuracy (lowest mean squared error for regression; ties: first listed)
                                               is refitted on all labelled samples and scored on the test domain, which
                                               selection never sees. The choice and every candidate's score are in --json
                                               (run.selection); run.seconds includes the selection fits. A grid over the
                                               "optimizer" of a trainer with "pretrain" needs pretrain's own "optimizer"
                                               (as in fine-tune-cv): else pre-training would change with each candidate
  }`;
