/**
 * The computations the browser check runs twice: once in Node (inside the vitest test, for the
 * expected values) and once in headless Chromium (bundled into the page). Both runtimes import the
 * BUILT packages by their published names, so the same code runs on two independent JavaScript
 * engines; only the data loading differs (the file system in Node, `fetch` in the page).
 */
import * as tf from '@tensorflow/tfjs';
import { compose, knn, registerBackbone, trainer, type TransferTask } from '@tlkit/core';
import { type LoadedDataset, makeTransferTask, selectDomainRows } from '@tlkit/datasets';
import { tca } from '@tlkit/feature';
import { lenetBackbone, modelBackbones } from '@tlkit/models';

/** The Office-Caltech10 SURF pair of the shallow check: caltech → amazon (the feature README's example). */
export const OFFICE_PAIR = { source: 'caltech', target: 'amazon' } as const;

/** The digits of the LeNet check: the first rows of USPS (source) and MNIST (target) of `mnist_usps_jda`. */
export const DIGITS_PAIR = { source: 'usps', target: 'mnist', rows: 256 } as const;

/** Training steps of the LeNet check; every epoch is one full-batch step, so each epoch's loss is one step's loss. */
export const LENET_STEPS = 8;

/** Images of the model-file check's fixed input batch (16 × 16 × 1, the digits' shape). */
export const REFERENCE_BATCH = 8;

/** The image shape of the digits and of the model-file check's LeNet. */
export const DIGIT_SHAPE = [16, 16, 1] as const;

/** One public call and the tensors alive before and after it (`tf.memory().numTensors`). */
export interface TensorCount {
  /** What was called, e.g. `'compose(tca, knn).fit'`. */
  readonly call: string;
  readonly before: number;
  readonly after: number;
  /**
   * The change the call is allowed to make: + the tensors its result owns until disposed (a
   * fitted network's or a loaded model's weights), − those a dispose frees; 0 for every other call.
   */
  readonly expectedChange: number;
}

/** Records the tensor count around each public call of a check. */
export class TensorLedger {
  readonly counts: TensorCount[] = [];

  /**
   * Runs `run` and records the live tensor count before and after it, with the change the caller
   * expects (`expectedChange` of the result; default 0).
   */
  async measure<T>(call: string, run: () => T | Promise<T>, expectedChange: (result: T) => number = () => 0): Promise<T> {
    const before = tf.memory().numTensors;
    const result = await run();
    this.counts.push({ call, before, after: tf.memory().numTensors, expectedChange: expectedChange(result) });
    return result;
  }
}

/**
 * A fingerprint of a loaded dataset's numbers: per domain the shape, the float64 sum of X, the sum
 * of X weighted by position, and the label sum. Two loaders that parse the same files to the same
 * float64 values give the same fingerprint exactly.
 */
export function datasetFingerprint(dataset: LoadedDataset): Record<string, number[]> {
  const fingerprint: Record<string, number[]> = {};
  for (const name of Object.keys(dataset.domains).sort()) {
    const domain = dataset.domains[name];
    let sum = 0;
    let weighted = 0;
    for (let index = 0; index < domain.X.data.length; index++) {
      sum += domain.X.data[index];
      weighted += domain.X.data[index] * ((index % 997) + 1);
    }
    let labels = 0;
    for (const label of domain.y) labels += label;
    fingerprint[name] = [domain.X.rows, domain.X.cols, sum, weighted, labels];
  }
  return fingerprint;
}

/** What the shallow check measured. */
export interface ShallowResult {
  /** Target accuracy in percent (correct / n × 100). */
  readonly accuracy: number;
  /** The predicted class of every target sample. */
  readonly predictions: number[];
  /** TCA's leading eigenvalues, as the step reports them (float64). */
  readonly eigenvalues: number[];
  readonly tensorCounts: TensorCount[];
}

/**
 * TCA (dim 30) + 1-NN on Office-Caltech10 SURF caltech → amazon with the standard preprocessing,
 * fitted with seed 0 and scored on every target sample (the protocol of the feature README).
 *
 * @param office - a loaded `office_caltech10_surf` with at least the caltech and amazon domains.
 */
export async function runShallowCheck(office: LoadedDataset): Promise<ShallowResult> {
  const ledger = new TensorLedger();
  const task = makeTransferTask(office, OFFICE_PAIR.source, OFFICE_PAIR.target);
  const testSet = task.targetTest ?? task.target;
  const fitted = await ledger.measure('compose(tca({ dim: 30 }), knn()).fit', () => compose(tca({ dim: 30 }), knn()).fit(task, { seed: 0 }));
  const predicted = await ledger.measure('FittedPipeline.predict', () => fitted.predict(testSet.X));
  await ledger.measure('FittedPipeline.dispose', () => fitted.dispose());
  const truth = testSet.y as Int32Array;
  let correct = 0;
  for (let index = 0; index < predicted.length; index++) if (predicted[index] === truth[index]) correct++;
  const eigenvalues = (fitted.reports[0]?.info?.eigenvalues ?? []) as number[];
  return {
    accuracy: (100 * correct) / predicted.length,
    predictions: Array.from(predicted),
    eigenvalues: eigenvalues.slice(0, 5),
    tensorCounts: ledger.counts,
  };
}

/** The LeNet check's task: the first {@link DIGITS_PAIR}.rows images of each domain. */
export function digitsTask(digits: LoadedDataset): TransferTask {
  const rows = Array.from({ length: DIGITS_PAIR.rows }, (_, index) => index);
  const domains = {
    [DIGITS_PAIR.source]: selectDomainRows(digits.domains[DIGITS_PAIR.source], rows),
    [DIGITS_PAIR.target]: selectDomainRows(digits.domains[DIGITS_PAIR.target], rows),
  };
  return makeTransferTask({ ...digits, domains }, DIGITS_PAIR.source, DIGITS_PAIR.target);
}

/** What the LeNet training check measured. */
export interface TrainingResult {
  /** The task loss of each training step (float32 values widened to float64 by the loop). */
  readonly losses: number[];
  /** Training accuracy of each step's batch. */
  readonly accuracies: number[];
  /** Predicted classes of the target images after training. */
  readonly predictions: number[];
  readonly tensorCounts: TensorCount[];
}

interface EpochHistoryEntry {
  readonly losses: { readonly task: number };
  readonly accuracy?: number;
}

/**
 * Trains core's `trainer` with the `lenet` backbone of `@tlkit/models` for {@link LENET_STEPS}
 * full-batch Adam steps (learning rate 3e-3, seed 0) on {@link digitsTask}, then predicts the
 * target images. Needs the tfjs backend set up first (wasm on one thread for comparable sums).
 *
 * @param digits - a loaded `mnist_usps_jda` with the usps and mnist domains.
 */
export async function runLenetTraining(digits: LoadedDataset): Promise<TrainingResult> {
  const ledger = new TensorLedger();
  registerBackbone(modelBackbones);
  const task = digitsTask(digits);
  const pipeline = compose(
    trainer({
      backbone: { use: 'lenet' },
      epochs: LENET_STEPS,
      batchSize: DIGITS_PAIR.rows,
      optimizer: { type: 'adam', learningRate: 3e-3 },
    }),
  );
  // The fitted network owns its weights until it is disposed: kernel and bias of LeNet-5's two
  // convolutions and two dense layers, and of the task head.
  const networkWeights = 10;
  const fitted = await ledger.measure('compose(trainer({ backbone: lenet })).fit', () => pipeline.fit(task, { seed: 0 }), () => networkWeights);
  const predicted = await ledger.measure('FittedPipeline.predict', () => fitted.predict(task.target.X));
  const history = (fitted.reports[0]?.info?.history ?? []) as unknown as EpochHistoryEntry[];
  await ledger.measure('FittedPipeline.dispose', () => fitted.dispose(), () => -networkWeights);
  return {
    losses: history.map((entry) => entry.losses.task),
    accuracies: history.map((entry) => entry.accuracy ?? Number.NaN),
    predictions: Array.from(predicted),
    tensorCounts: ledger.counts,
  };
}

/**
 * The model of the model-file check: LeNet-5 for 16 × 16 × 1 images with tlkit's seeded dropout
 * (rate 0.25, so loading it needs `registerModelLayers`) and a seeded 10-class softmax head.
 */
export function buildReferenceModel(): tf.LayersModel {
  const options = lenetBackbone.configSchema.parse({ dropout: 0.25 });
  const backbone = lenetBackbone.build(options, { inputShape: DIGIT_SHAPE, seed: 11, namePrefix: '' });
  const head = tf.layers.dense({
    units: 10,
    activation: 'softmax',
    kernelInitializer: tf.initializers.glorotUniform({ seed: 12 }),
    name: 'digits',
  });
  return tf.model({ inputs: backbone.inputs, outputs: head.apply(backbone.outputs[0]) as tf.SymbolicTensor, name: 'reference_lenet' });
}

/**
 * The fixed input of the model-file check: {@link REFERENCE_BATCH} images whose pixels are
 * `((7 · i + 13 · image) mod 256) / 256`, exact in float32.
 */
export function referenceInput(): tf.Tensor4D {
  const [height, width, channels] = DIGIT_SHAPE;
  const size = height * width * channels;
  const pixels = new Float32Array(REFERENCE_BATCH * size);
  for (let image = 0; image < REFERENCE_BATCH; image++) {
    for (let index = 0; index < size; index++) pixels[image * size + index] = ((7 * index + 13 * image) % 256) / 256;
  }
  return tf.tensor4d(pixels, [REFERENCE_BATCH, height, width, channels]);
}

/** The model's class probabilities on {@link referenceInput}, in inference mode, as plain numbers. */
export function referencePredictions(model: tf.LayersModel): number[] {
  const input = referenceInput();
  const output = model.predict(input) as tf.Tensor;
  const values = Array.from(output.dataSync());
  tf.dispose([input, output]);
  return values;
}
