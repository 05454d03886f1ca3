import type { ImageShape, Matrix } from '@tlkit/core';

/** A split of a domain's rows: the half-open row range `[start, end)`. */
export type RowRange = readonly [start: number, end: number];

/**
 * The description of one domain, exactly as stored in its `meta.json` (the keys keep the file's
 * snake_case spelling, so a user's folder and the shipped data share one format).
 *
 * Only `n` and `d` are required in a user's own folder (see `loadDatasetFromDirectory` in
 * `@tlkit/datasets/node`); every shipped domain has all the keys below except the optional ones.
 */
export interface DomainMeta {
  /** The dataset's name, e.g. `'office_caltech10_surf'`. */
  readonly dataset?: string;
  /** The domain's name, e.g. `'amazon'`. */
  readonly domain?: string;
  /** Number of samples (rows of `X.csv.gz`, lines of `y.csv`). */
  readonly n: number;
  /** Number of features per sample (columns of `X.csv.gz`). */
  readonly d: number;
  /** Class names; index = label id. */
  readonly classes?: readonly string[];
  /** `[height, width, channels]` for flattened images, `null` otherwise. */
  readonly shape?: readonly [number, number, number] | null;
  /** Where the data came from: `owner/repo@commit:path`. */
  readonly source?: string;
  /** The terms the data come with. */
  readonly license?: string;
  /** Free-text notes: conversions applied, caveats. */
  readonly notes?: string;
  /** `'integer'` (counts, uint8 pixels) or `'float'`. */
  readonly value_type?: 'integer' | 'float';
  /** Smallest and largest value in `X`. */
  readonly value_range?: readonly [number, number];
  /** Samples per class, index = label id. */
  readonly class_counts?: readonly number[];
  /** SHA-256 (hex) of the decompressed `X.csv` text. */
  readonly sha256_X_csv_uncompressed?: string;
  /** SHA-256 (hex) of `y.csv`. */
  readonly sha256_y_csv?: string;
  /** Named row ranges, e.g. `{ train: [0, 7291], test: [7291, 9298] }`. */
  readonly splits?: Readonly<Record<string, RowRange>>;
  /** How the source's labels were mapped to 0-based ids. */
  readonly label_map?: string;
  /** What to cite. */
  readonly citation?: string;
}

/**
 * One loaded domain: features, labels and its description. It is a valid `Domain` of
 * `@tlkit/core` (it has `X`, `y`, `shape` and `name`), so it can be put into a `TransferTask`
 * as it is.
 *
 * @example
 * ```ts
 * const amazon = await loadDomain('office_caltech10_surf', 'amazon'); // from '@tlkit/datasets/node'
 * amazon.X.rows; // 958
 * amazon.y[0];   // 0 (back_pack)
 * ```
 */
export interface DatasetDomain {
  /** The dataset this domain belongs to. */
  readonly dataset: string;
  /** The domain's name, e.g. `'amazon'`. */
  readonly name: string;
  /** Features, `n x d`, row-major float64 (images flattened row-major, `index = (row * w + col) * c + channel`). */
  readonly X: Matrix;
  /** Class ids `0..C-1`, one per row of `X`. */
  readonly y: Int32Array;
  /** The domain's `meta.json` (it describes the file, also after {@link selectSplit}). */
  readonly meta: DomainMeta;
  /** Image shape when the rows are flattened images. */
  readonly shape?: ImageShape;
  /** Named row ranges (see {@link selectSplit}). */
  readonly splits?: Readonly<Record<string, RowRange>>;
  /** Set by {@link selectSplit}: which split of the file these rows are. */
  readonly split?: { readonly name: string; readonly range: RowRange };
}

/**
 * A loaded dataset: its domains by name.
 *
 * @example
 * ```ts
 * const office = await loadShippedDataset('office_caltech10_surf'); // from '@tlkit/datasets/node'
 * Object.keys(office.domains); // ['amazon', 'caltech', 'dslr', 'webcam']
 * ```
 */
export interface LoadedDataset {
  /** The dataset's name (the folder name for a user's directory). */
  readonly name: string;
  /** The loaded domains, keyed by domain name. */
  readonly domains: Readonly<Record<string, DatasetDomain>>;
}
