import { didYouMean, type Domain, type ImageShape, type Matrix, TlkitError, type TransferTask } from '@tlkit/core';
import { isShippedDatasetName } from './catalogue';
import { type PreprocessMode, preprocess } from './preprocess';
import { resizeImages } from './resize';
import { selectSplit } from './splits';
import type { DatasetDomain, LoadedDataset } from './types';

/** Options of {@link makeTransferTask}. */
export interface MakeTransferTaskOptions {
  /** Preprocessing applied per domain (see {@link preprocess}). Default `'standard'` for a shipped dataset, `'none'` otherwise. */
  readonly preprocessing?: PreprocessMode;
  /** Resize image domains to this `[h, w, c]` first (needed for `mnist_usps`: 28×28 vs 16×16). */
  readonly resizeTo?: ImageShape;
  /** Use only this named split of the source (e.g. `'train'`). */
  readonly sourceSplit?: string;
  /** Use only this named split of the target (e.g. `'test'`). */
  readonly targetSplit?: string;
}

/**
 * One domain of a task made by {@link makeTransferTask}: the loaded rows as a `Matrix`, the labels
 * as an `Int32Array`, the domain's name and, for image domains, the image shape.
 */
export interface DatasetTaskDomain extends Domain {
  X: Matrix;
  y: Int32Array;
  name: string;
  shape?: ImageShape;
}

/**
 * What {@link makeTransferTask} returns: a {@link TransferTask} (pass it to `fit` as is) whose
 * domains are {@link DatasetTaskDomain}s and whose `targetTest` (the target rows with their
 * labels) is always set, so `task.source.X.rows`, `task.targetTest.y[i]` and
 * `selectDomainRows(task.source, rows)` type-check without casts.
 */
export interface DatasetTransferTask extends TransferTask {
  source: DatasetTaskDomain;
  /** The target rows, labels included (tlkit never shows target labels to a step). */
  target: DatasetTaskDomain;
  targetTest: DatasetTaskDomain;
  problem: 'classification';
}

function findDomain(dataset: LoadedDataset, name: string, argument: string): DatasetDomain {
  const domain = Object.hasOwn(dataset.domains, name) ? dataset.domains[name] : undefined;
  if (!domain) {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `${argument}: dataset ${dataset.name} has no loaded domain ${JSON.stringify(name)}.${didYouMean(String(name), Object.keys(dataset.domains))} Loaded: ${Object.keys(dataset.domains).join(', ')}.`,
      { argument },
    );
  }
  return domain;
}

/**
 * Builds the standard unsupervised domain-adaptation task from two domains of a loaded dataset:
 * the source fully labelled, the target unlabelled, and the same target rows with labels as
 * `targetTest` (accuracy on all target samples, the protocol of the Office-Caltech and
 * USPS+MNIST tables). Steps, in order: split selection, resizing, preprocessing (per domain).
 *
 * @param dataset - a loaded dataset (`loadShippedDataset`, `fetchDataset`, `loadDatasetFromDirectory`).
 * @param sourceName - the source domain's name.
 * @param targetName - the target domain's name.
 * @param options - `preprocessing`, `resizeTo`, `sourceSplit`, `targetSplit`.
 * @throws TlkitError `INVALID_ARGUMENT` (unknown domain or split), `DIMENSION_MISMATCH` (the
 *   domains' feature counts differ and no `resizeTo` makes them agree).
 * @example
 * ```ts
 * const office = await loadShippedDataset('office_caltech10_surf'); // from '@tlkit/datasets/node'
 * const task = makeTransferTask(office, 'caltech', 'amazon'); // C→A, standard preprocessing
 * ```
 */
export function makeTransferTask(
  dataset: LoadedDataset,
  sourceName: string,
  targetName: string,
  options: MakeTransferTaskOptions = {},
): DatasetTransferTask {
  if (!dataset || typeof dataset.domains !== 'object') {
    throw new TlkitError('INVALID_ARGUMENT', 'dataset must be a LoadedDataset { name, domains }.', { argument: 'dataset' });
  }
  let source = findDomain(dataset, sourceName, 'sourceName');
  let target = findDomain(dataset, targetName, 'targetName');
  if (options.sourceSplit !== undefined) source = selectSplit(source, options.sourceSplit);
  if (options.targetSplit !== undefined) target = selectSplit(target, options.targetSplit);
  if (options.resizeTo !== undefined) {
    const resize = (domain: DatasetDomain, argument: string): DatasetDomain => {
      if (!domain.shape) {
        throw new TlkitError('INVALID_ARGUMENT', `${argument}: domain ${domain.name} is not an image domain (no shape), so it cannot be resized.`, {
          argument: 'options.resizeTo',
        });
      }
      return { ...domain, X: resizeImages(domain.X, domain.shape, options.resizeTo as ImageShape), shape: options.resizeTo };
    };
    source = resize(source, 'sourceName');
    target = resize(target, 'targetName');
  }
  if (source.X.cols !== target.X.cols) {
    throw new TlkitError(
      'DIMENSION_MISMATCH',
      `source ${source.name} has ${source.X.cols} features, target ${target.name} has ${target.X.cols}${
        source.shape && target.shape ? `; pass resizeTo (e.g. [${source.shape.join(', ')}]) to bring the images to one shape` : ''
      }.`,
      { argument: 'targetName' },
    );
  }
  const mode = options.preprocessing ?? (isShippedDatasetName(dataset.name) ? 'standard' : 'none');
  [source, target] = preprocess(dataset.name, [source, target], mode);
  const numClasses = source.meta.classes?.length ?? target.meta.classes?.length;
  const asDomain = (domain: DatasetDomain): DatasetTaskDomain => ({
    X: domain.X,
    y: domain.y,
    name: domain.name,
    ...(domain.shape ? { shape: domain.shape } : {}),
  });
  return {
    source: asDomain(source),
    target: asDomain(target),
    targetTest: asDomain(target),
    problem: 'classification',
    ...(numClasses !== undefined ? { numClasses } : {}),
  };
}
