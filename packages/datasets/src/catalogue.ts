import { didYouMean, TlkitError } from '@tlkit/core';
import type { RowRange } from './types';

/** Names of the datasets shipped in the package's `data/` folder. */
export type ShippedDatasetName = 'office_caltech10_surf' | 'mnist_usps' | 'mnist_usps_jda';

/** One domain of a shipped dataset, as listed in the catalogue. */
export interface CatalogueDomain {
  /** Folder name, e.g. `'amazon'`. */
  readonly name: string;
  /** The letter papers use, e.g. `'A'` (amazon), `'U'` (usps). */
  readonly letter: string;
  /** Samples. */
  readonly n: number;
  /** Features per sample. */
  readonly d: number;
  /** `[height, width, channels]` for images. */
  readonly shape?: readonly [number, number, number];
  /** Named row ranges. */
  readonly splits?: Readonly<Record<string, RowRange>>;
}

/** A standard source → target task of a shipped dataset. */
export interface StandardTask {
  /** Source domain name. */
  readonly source: string;
  /** Target domain name. */
  readonly target: string;
  /** The usual label, e.g. `'C→A'`. */
  readonly label: string;
  /**
   * Published accuracy (percent, all target samples) of plain 1-nearest-neighbour (Euclidean),
   * source → target, after the dataset's standard preprocessing, when the literature lists one.
   */
  readonly referenceOneNnAccuracy?: number;
}

/** A catalogue entry: what a shipped dataset holds and how it is normally used. */
export interface DatasetInfo {
  readonly name: ShippedDatasetName;
  /** A human title. */
  readonly title: string;
  /** Class names (index = label id), shared by every domain. */
  readonly classes: readonly string[];
  readonly domains: readonly CatalogueDomain[];
  /** The usual tasks (source fully labelled, target unlabelled, accuracy on all target samples). */
  readonly standardTasks: readonly StandardTask[];
  /** What `preprocess(name, domains, 'standard')` does, and where it comes from. */
  readonly standardPreprocessing: string;
  /** Where the reference 1-NN accuracies come from. */
  readonly referenceSource?: string;
  /** What to cite. */
  readonly citations: readonly string[];
}

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;

const OFFICE_ONE_NN: Record<string, number> = {
  'C→A': 23.7,
  'C→W': 25.76,
  'C→D': 25.48,
  'A→C': 26.0,
  'A→W': 29.83,
  'A→D': 25.48,
  'W→C': 19.86,
  'W→A': 22.96,
  'W→D': 59.24,
  'D→C': 26.27,
  'D→A': 28.5,
  'D→W': 63.39,
};

const OFFICE_DOMAINS: readonly CatalogueDomain[] = [
  { name: 'amazon', letter: 'A', n: 958, d: 800 },
  { name: 'caltech', letter: 'C', n: 1123, d: 800 },
  { name: 'dslr', letter: 'D', n: 157, d: 800 },
  { name: 'webcam', letter: 'W', n: 295, d: 800 },
];

function officeTasks(): StandardTask[] {
  const byLetter = new Map(OFFICE_DOMAINS.map((domain) => [domain.letter, domain.name]));
  return Object.entries(OFFICE_ONE_NN).map(([label, accuracy]) => {
    const [sourceLetter, targetLetter] = label.split('→');
    return {
      source: byLetter.get(sourceLetter) as string,
      target: byLetter.get(targetLetter) as string,
      label,
      referenceOneNnAccuracy: accuracy,
    };
  });
}

/**
 * The datasets shipped with the package (see `DATA-NOTICE.md` for provenance and terms).
 *
 * - `office_caltech10_surf` — Office-Caltech10 with 800-bin SURF bag-of-words histograms
 *   (Gong et al., CVPR 2012): domains amazon (A), caltech (C), dslr (D), webcam (W); 10 classes.
 * - `mnist_usps` — the MNIST test split (10000 × 28×28, uint8) and all 9298 USPS digits
 *   (16×16, uint8; splits `train` [0, 7291) and `test` [7291, 9298)).
 * - `mnist_usps_jda` — the fixed 2000 MNIST + 1800 USPS subset at 16×16 in [0, 1] used by JDA
 *   (Long et al., ICCV 2013) and its successors.
 *
 * @example
 * ```ts
 * DATASET_CATALOGUE.office_caltech10_surf.standardTasks[0]; // { source: 'caltech', target: 'amazon', label: 'C→A', referenceOneNnAccuracy: 23.7 }
 * ```
 */
export const DATASET_CATALOGUE: Readonly<Record<ShippedDatasetName, DatasetInfo>> = {
  office_caltech10_surf: {
    name: 'office_caltech10_surf',
    title: 'Office-Caltech10, SURF bag-of-visual-words features (800-d)',
    classes: [
      'back_pack',
      'bike',
      'calculator',
      'headphones',
      'keyboard',
      'laptop_computer',
      'monitor',
      'mouse',
      'mug',
      'projector',
    ],
    domains: OFFICE_DOMAINS,
    standardTasks: officeTasks(),
    standardPreprocessing:
      'Per domain: divide each row by its sum, then z-score every column with the population standard deviation (MATLAB zscore(X, 1)); a constant column gets standard deviation 1. As recommended in the GFK data README and done in the JDA/BDA/MEDA code.',
    referenceSource:
      'The 1NN row of the Office-Caltech10 SURF tables in Long et al., ICCV 2013 (JDA) and Wang et al., ACM MM 2018 (MEDA); reproduced exactly by the package tests.',
    citations: [
      'B. Gong, Y. Shi, F. Sha, K. Grauman. Geodesic Flow Kernel for Unsupervised Domain Adaptation. CVPR 2012.',
      'K. Saenko, B. Kulis, M. Fritz, T. Darrell. Adapting Visual Category Models to New Domains. ECCV 2010.',
      'G. Griffin, A. Holub, P. Perona. Caltech-256 Object Category Dataset. Caltech technical report, 2007.',
    ],
  },
  mnist_usps: {
    name: 'mnist_usps',
    title: 'MNIST (test split, 28×28) and USPS (all 9298, 16×16), raw uint8 pixels',
    classes: DIGITS,
    domains: [
      { name: 'mnist', letter: 'M', n: 10000, d: 784, shape: [28, 28, 1], splits: { test: [0, 10000] } },
      {
        name: 'usps',
        letter: 'U',
        n: 9298,
        d: 256,
        shape: [16, 16, 1],
        splits: { train: [0, 7291], test: [7291, 9298] },
      },
    ],
    standardTasks: [
      { source: 'mnist', target: 'usps', label: 'M→U' },
      { source: 'usps', target: 'mnist', label: 'U→M' },
    ],
    standardPreprocessing:
      'Scale pixels from 0..255 to [0, 1] (divide by 255). The domains differ in size (28×28 vs 16×16): resize one of them first (resizeImages).',
    citations: [
      'Y. LeCun, L. Bottou, Y. Bengio, P. Haffner. Gradient-based learning applied to document recognition. Proc. IEEE 86(11), 1998.',
      'J. J. Hull. A database for handwritten text recognition research. IEEE TPAMI 16(5):550-554, 1994.',
    ],
  },
  mnist_usps_jda: {
    name: 'mnist_usps_jda',
    title: 'USPS+MNIST benchmark of JDA-style papers (2000 MNIST + 1800 USPS, 16×16 in [0, 1])',
    classes: DIGITS,
    domains: [
      { name: 'mnist', letter: 'M', n: 2000, d: 256, shape: [16, 16, 1] },
      { name: 'usps', letter: 'U', n: 1800, d: 256, shape: [16, 16, 1] },
    ],
    standardTasks: [
      { source: 'usps', target: 'mnist', label: 'U→M', referenceOneNnAccuracy: 44.7 },
      { source: 'mnist', target: 'usps', label: 'M→U', referenceOneNnAccuracy: 65.94 },
    ],
    standardPreprocessing: 'L2-normalise each sample (row), as in the JDA code.',
    referenceSource:
      'Long et al., ICCV 2013 (JDA) and Wang et al., ACM MM 2018 (MEDA, Table 3: 44.7 and 65.9); reproduced exactly by the package tests.',
    citations: [
      'M. Long, J. Wang, G. Ding, J. Sun, P. S. Yu. Transfer Feature Learning with Joint Distribution Adaptation. ICCV 2013.',
    ],
  },
};

/** The names of the shipped datasets. */
export const SHIPPED_DATASET_NAMES: readonly ShippedDatasetName[] = ['office_caltech10_surf', 'mnist_usps', 'mnist_usps_jda'];

/**
 * True when `name` is one of the shipped datasets.
 *
 * @example
 * ```ts
 * isShippedDatasetName('mnist_usps'); // true
 * isShippedDatasetName('office31');   // false
 * ```
 */
export function isShippedDatasetName(name: unknown): name is ShippedDatasetName {
  return typeof name === 'string' && (SHIPPED_DATASET_NAMES as readonly string[]).includes(name);
}

/**
 * The catalogue entry of a shipped dataset.
 *
 * @param name - one of {@link SHIPPED_DATASET_NAMES}.
 * @throws TlkitError `DATA_NOT_FOUND` for any other name (the message lists the shipped ones).
 * @example
 * ```ts
 * getDatasetInfo('mnist_usps_jda').domains.map((domain) => domain.name); // ['mnist', 'usps']
 * ```
 */
export function getDatasetInfo(name: string): DatasetInfo {
  if (!isShippedDatasetName(name)) {
    throw new TlkitError(
      'DATA_NOT_FOUND',
      `dataset ${JSON.stringify(name)} is not shipped with @tlkit/datasets.${didYouMean(String(name), SHIPPED_DATASET_NAMES)} The shipped datasets are ${SHIPPED_DATASET_NAMES.join(', ')}. For your own data use loadDatasetFromDirectory(dir) from '@tlkit/datasets/node'.`,
      { argument: 'name', available: [...SHIPPED_DATASET_NAMES] },
    );
  }
  return DATASET_CATALOGUE[name];
}

/**
 * The catalogue domain of a shipped dataset.
 *
 * @param name - a shipped dataset name.
 * @param domain - a domain name (`'webcam'`) or its letter (`'W'`).
 * @throws TlkitError `DATA_NOT_FOUND` naming the dataset's domains when `domain` is not one of them.
 * @example
 * ```ts
 * getCatalogueDomain('office_caltech10_surf', 'W'); // { name: 'webcam', letter: 'W', n: 295, d: 800 }
 * ```
 */
export function getCatalogueDomain(name: string, domain: string): CatalogueDomain {
  const info = getDatasetInfo(name);
  const found = info.domains.find((entry) => entry.name === domain || entry.letter === domain);
  if (!found) {
    throw new TlkitError(
      'DATA_NOT_FOUND',
      `dataset ${name} has no domain ${JSON.stringify(domain)}.${didYouMean(String(domain), info.domains.map((entry) => entry.name))} Its domains are ${info.domains
        .map((entry) => `${entry.name} (${entry.letter})`)
        .join(', ')}.`,
      { argument: 'domain', available: info.domains.map((entry) => entry.name) },
    );
  }
  return found;
}
