/**
 * The training loop's checkpoints: what one holds, writing it, and reading it back only into the
 * run that wrote it (its fingerprint must match the run's).
 */
import { BlobWriter, type EncodedState, packArtifacts, unpackArtifacts } from '../artifacts';
import { reasonOf, TlkitError } from '../errors';
import type { Rng, RngState } from '../rng';
import type { JsonValue, StepState, StoredArray } from '../state';
import type { StepContext, TrainingStrategy } from '../strategy';
import { FINGERPRINT_PARTS, fingerprintArchitecture, fingerprintArrays, fingerprintData, fingerprintDifferences, fingerprintModels, Hasher, type RunFingerprint, stableText } from './fingerprint';
import { backboneConfigText } from './backbones';
import type { TrainingData, TrainingRunOptions } from './loop';
import type { ParameterOptimizer } from './optimizers';
import type { EpochLogs, TrainingHooks } from './types';
import type * as tf from '@tensorflow/tfjs';

/** The checkpoint format this code writes; version 1 had no fingerprint. */
const FORMAT_VERSION = 2;

/** A checkpoint's manifest. @internal */
export interface CheckpointManifest {
  readonly format: 'tlkit-checkpoint';
  readonly formatVersion: number;
  /** What determines the run that wrote it (absent before format version 2). */
  readonly fingerprint?: RunFingerprint;
  readonly epochsDone: number;
  readonly history: EpochLogs[];
  readonly rng: RngState;
  readonly targetRng: RngState;
  readonly optimizer: { steps: number };
  readonly early: { bestLoss: number; wait: number; hasBest: boolean };
  /**
   * True when early stopping ended the run after `epochsDone` epochs: a resumed run then trains
   * no further and ends as the original did (absent in checkpoints written before it was
   * recorded; there `early.wait` ≥ the run's patience says the same).
   */
  readonly stopped?: boolean;
  /** Generators of the extra labelled batch sets, in the order hooks added them. */
  readonly extraRngs?: RngState[];
  readonly model: EncodedState;
  readonly optimizerState: EncodedState;
  readonly best?: EncodedState;
  readonly hooks: (EncodedState | null)[];
}

/**
 * The fingerprint of a run: its resolved options with the training steps and their options
 * (minus the checkpoint's own settings, which change no number), its data, the weights it starts
 * from (the brought `initialModel`, the pre-trained weights, or `'built:…'`: a backbone built from
 * the options and the seed) and its epochs. @internal
 */
export function runFingerprint(
  options: TrainingRunOptions,
  data: TrainingData,
  steps: readonly TrainingStrategy[],
  seed: number,
  backbone: tf.LayersModel,
): RunFingerprint {
  const resolved = stableText({
    // A brought network replaces the configured backbone: the config then changes nothing.
    // The backbone's options with their defaults filled in, so `{ use: 'lenet' }` and the same
    // backbone with a default written out are one run.
    ...(options.initialModel ? {} : { backbone: backboneConfigText(options.backbone) }),
    batchSize: options.batchSize,
    optimizer: options.optimizer,
    earlyStopping: options.earlyStopping,
    augment: options.augment,
    seed,
    steps: steps.map((step) => ({ name: step.name, config: step.config })),
  });
  // A backbone built from the options is named by its architecture too, so a checkpoint written
  // before a change to the backbone's code is not loaded into the new network.
  const startingWeights = options.initialModel
    ? `model:${fingerprintModels([options.initialModel.backbone, ...(options.initialModel.head ? [options.initialModel.head] : [])])}`
    : options.initialWeights
      ? `arrays:${fingerprintArrays(options.initialWeights.arrays, `head outputs ${options.initialWeights.headOutputs}`)}/built:${fingerprintArchitecture(backbone)}`
      : `built:${fingerprintArchitecture(backbone)}`;
  return {
    options: new Hasher().text(resolved).digest(),
    data: fingerprintData(
      { problem: data.problem, numClasses: data.numClasses, imageShape: data.imageShape },
      { train: data.train, target: data.target, targetLabeled: data.targetLabeled, labeledSource: data.labeledSource },
    ),
    startingWeights,
    epochs: options.epochs,
  };
}

const PART_DETAILS: Record<keyof RunFingerprint, string> = {
  options: 'the training options (optimizer and learning rates, batch size, seed, backbone, augmentation, early stopping, or the training steps and their options)',
  data: 'the training data',
  startingWeights:
    "the starting weights or architecture (initialModel: its layers, their names and weights; or the pre-trained weights; tfjs's automatic layer names change when a model is built again in the same process, so name your layers)",
  epochs: 'epochs',
};

/**
 * The error for a checkpoint whose bytes cannot be read back (a truncated or overwritten file):
 * it names the key and the fixes. @internal
 */
export function damagedCheckpoint(key: string, error: unknown, fixes = `delete '${key}' from the run's storage, or set checkpoint.resume: false to start over`): TlkitError {
  return new TlkitError('INVALID_ARTIFACT', `checkpoint '${key}' is damaged (${reasonOf(error)}); ${fixes}.`, { argument: 'checkpoint.key', key });
}

/**
 * Reads the checkpoint under `key` for a run with `fingerprint`: `undefined` when there is none;
 * `INVALID_CONFIG` (naming the key, the parts that differ and the fixes) when it was written by
 * another run or by a tlkit that wrote no fingerprint; `INVALID_ARTIFACT` when it is not a
 * checkpoint this code can read. Nothing is loaded here. @internal
 */
export async function readCheckpoint(
  context: StepContext,
  key: string,
  fingerprint: RunFingerprint,
  hookCount: number,
): Promise<{ manifest: CheckpointManifest; blob: Uint8Array } | undefined> {
  const bytes = await context.storage.read(key);
  if (!bytes) return undefined;
  const fixes = `use another checkpoint.key for this run, delete '${key}' from the run's storage, or set checkpoint.resume: false to start over (the run then overwrites it)`;
  let unpacked: { manifest: CheckpointManifest; data: Uint8Array };
  try {
    unpacked = unpackArtifacts<CheckpointManifest>(bytes);
  } catch (error) {
    throw damagedCheckpoint(key, error, fixes);
  }
  const { manifest, data: blob } = unpacked;
  if (manifest?.format !== 'tlkit-checkpoint') {
    throw new TlkitError('INVALID_ARTIFACT', `checkpoint '${key}' is not a checkpoint of this pipeline (damaged, or written by something else); ${fixes}.`, { argument: 'checkpoint.key', key });
  }
  if (manifest.formatVersion > FORMAT_VERSION) {
    throw new TlkitError('INVALID_ARTIFACT', `checkpoint '${key}' has format version ${manifest.formatVersion}, newer than this tlkit reads (${FORMAT_VERSION}); update tlkit, or ${fixes}.`);
  }
  if (!manifest.fingerprint) {
    throw new TlkitError(
      'INVALID_CONFIG',
      `checkpoint '${key}' was written without a run fingerprint (by an earlier tlkit), so whether it belongs to this run (same options, data, starting weights and epochs) cannot be checked, and it is not resumed; ${fixes}.`,
      { argument: 'checkpoint.key', key },
    );
  }
  const differs = fingerprintDifferences(manifest.fingerprint, fingerprint);
  if (differs.length > 0) {
    const parts = differs.map((part) =>
      part === 'epochs' ? `epochs (${manifest.fingerprint!.epochs} in the checkpoint, ${fingerprint.epochs} now)` : PART_DETAILS[part],
    );
    throw new TlkitError(
      'INVALID_CONFIG',
      `checkpoint '${key}' was written by another run: ${parts.join('; ')} ${differs.length === 1 ? 'differs' : 'differ'} from this run's, so resuming it would continue that run, not this one. To train this run, ${fixes}.`,
      { argument: 'checkpoint.key', key, differs: differs.map((part) => FINGERPRINT_PARTS[part]) },
    );
  }
  if (manifest.hooks.length !== hookCount) {
    throw new TlkitError('INVALID_ARTIFACT', `checkpoint '${key}' is not a checkpoint of this pipeline.`);
  }
  return { manifest, blob };
}

/**
 * Writes a checkpoint of the run after `epochsDone` epochs, with the run's fingerprint. The
 * model's weights are the last epoch's; the best ones (early stopping) are stored beside them
 * and loaded after the loop, by the original run and by a resumed one alike. @internal
 */
export async function writeCheckpoint(
  context: StepContext,
  key: string,
  parts: {
    fingerprint: RunFingerprint;
    epochsDone: number;
    history: EpochLogs[];
    rng: Rng;
    targetRng: Rng;
    optimizer: ParameterOptimizer;
    variables: tf.Variable[];
    modelArrays: Record<string, StoredArray>;
    early: { bestLoss: number; wait: number; best: Record<string, StoredArray> | null };
    /** Early stopping ended the run with this checkpoint. */
    stopped: boolean;
    hooks: TrainingHooks[];
    extraRngs: Rng[];
  },
): Promise<void> {
  const writer = new BlobWriter();
  const optimizerState = parts.optimizer.getState(parts.variables);
  const hookStates: (EncodedState | null)[] = [];
  for (const hook of parts.hooks) {
    const state: StepState | undefined = await hook.getState?.();
    hookStates.push(state ? writer.encodeState(state) : null);
  }
  const manifest: CheckpointManifest = {
    format: 'tlkit-checkpoint',
    formatVersion: FORMAT_VERSION,
    fingerprint: parts.fingerprint,
    epochsDone: parts.epochsDone,
    history: parts.history,
    rng: parts.rng.getState(),
    targetRng: parts.targetRng.getState(),
    optimizer: optimizerState.json,
    early: { bestLoss: Number.isFinite(parts.early.bestLoss) ? parts.early.bestLoss : 1e308, wait: parts.early.wait, hasBest: parts.early.best !== null },
    ...(parts.stopped ? { stopped: true } : {}),
    ...(parts.extraRngs.length > 0 ? { extraRngs: parts.extraRngs.map((generator) => generator.getState()) } : {}),
    model: writer.encodeState({ arrays: parts.modelArrays }),
    optimizerState: writer.encodeState({ arrays: optimizerState.arrays }),
    ...(parts.early.best ? { best: writer.encodeState({ arrays: parts.early.best }) } : {}),
    hooks: hookStates,
  };
  await context.storage.write(key, packArtifacts({ manifest: manifest as unknown as JsonValue, data: writer.finish() }));
  context.progress({ phase: 'checkpoint', current: parts.epochsDone, message: `checkpoint written to '${key}'` });
}
