/**
 * Batch normalisation that a training step does not train runs in inference mode.
 */
import type * as tf from '@tensorflow/tfjs';
import { innerLayers } from './inner-layers';

type LayerCall = (inputs: unknown, kwargs: Record<string, unknown>) => unknown;

interface BatchNormEntry {
  readonly layer: tf.layers.Layer;
  /** The models it sits in, outermost first. */
  readonly containers: readonly tf.layers.Layer[];
  /** Its γ and β variables (none with `center: false, scale: false`). */
  readonly parameters: readonly tf.Variable[];
  /** Its own `call` property before the patch (absent: the prototype's). */
  readonly ownCall: LayerCall | undefined;
  /** The rule's wrapper, and whether it still applies (a detached wrapper passes calls through). */
  wrapper: LayerCall | null;
  active: boolean;
}

/**
 * The training loop's rule for batch-normalisation layers (Ioffe & Szegedy, ICML 2015, §3.1: with
 * the statistics frozen, a BN layer is the fixed affine map that inference uses): a BN layer that a
 * step does not train normalises with its moving statistics and leaves them alone, even in a
 * training-mode forward pass. "Not trained" means:
 *
 * - none of its γ, β is updated in the step: the layer or a model it sits in has
 *   `trainable = false`, or every hook's learning-rate factors give them 0 (a `fineTune` freeze, LwF's
 *   warm-up, a `learningRates.layers` entry of 0);
 * - a layer without γ and β (`center: false, scale: false`) follows its `trainable` flags.
 *
 * This is Keras's rule for a BN layer with `trainable = false` since TF 2. tfjs's own
 * `trainable = false` only stops γ and β: in training mode the layer still normalises with the batch
 * statistics and still updates its moving averages, so a "frozen" network drifts. The rule also
 * covers models whose `freezeBatchNorm` (from `@tlkit/models`) was lost when the loop copied them
 * through JSON: the copy keeps `trainable = false`.
 *
 * The loop patches each BN layer's `call` once per run ({@link FrozenBatchNormRule.attach}), says
 * before each step which variables the step updates ({@link FrozenBatchNormRule.beginStep}), and puts
 * the layers' own `call` back at the end ({@link FrozenBatchNormRule.detach}).
 * @internal
 */
export class FrozenBatchNormRule {
  private readonly entries = new Map<tf.layers.Layer, BatchNormEntry>();
  private updated: ReadonlySet<tf.Variable> = new Set();

  /** Patches every BN layer of `models` (nested models walked) not patched yet. */
  attach(models: readonly tf.LayersModel[]): void {
    const visit = (layer: tf.layers.Layer, containers: readonly tf.layers.Layer[]) => {
      const nested = innerLayers(layer);
      if (nested) {
        for (const inner of nested) visit(inner, [...containers, layer]);
        return;
      }
      if (layer.getClassName() !== 'BatchNormalization' || this.entries.has(layer)) return;
      this.patch(layer, containers);
    };
    for (const model of models) visit(model, []);
  }

  /** Says which variables the coming step updates (the others are frozen for it). */
  beginStep(updated: ReadonlySet<tf.Variable>): void {
    this.updated = updated;
  }

  /**
   * Puts every patched layer's own `call` back. A layer that got another patch on top of the rule's
   * during the run (a hook calling `freezeBatchNorm`) keeps it; the rule's wrapper underneath then
   * passes calls straight through.
   */
  detach(): void {
    for (const entry of this.entries.values()) {
      entry.active = false;
      const target = entry.layer as unknown as { call?: LayerCall };
      if (target.call !== entry.wrapper) continue;
      if (entry.ownCall) target.call = entry.ownCall;
      else delete target.call;
    }
    this.entries.clear();
  }

  /** True when the current step does not train `entry`'s layer. */
  private frozen(entry: BatchNormEntry): boolean {
    if (entry.parameters.length > 0) return !entry.parameters.some((variable) => this.updated.has(variable));
    return !entry.layer.trainable || entry.containers.some((container) => !container.trainable);
  }

  private patch(layer: tf.layers.Layer, containers: readonly tf.layers.Layer[]): void {
    const target = layer as unknown as { call: LayerCall; gamma?: tf.LayerVariable | null; beta?: tf.LayerVariable | null };
    const ownCall = Object.prototype.hasOwnProperty.call(layer, 'call') ? target.call : undefined;
    const parameters = [target.gamma, target.beta].filter((weight): weight is tf.LayerVariable => weight != null).map((weight) => weight.read() as tf.Variable);
    const entry: BatchNormEntry = { layer, containers, parameters, ownCall, wrapper: null, active: true };
    const previous = target.call;
    const rule = (inputs: unknown, kwargs: Record<string, unknown>) =>
      previous.call(layer, inputs, entry.active && this.frozen(entry) ? { ...(kwargs ?? {}), training: false } : kwargs);
    entry.wrapper = rule;
    target.call = rule;
    this.entries.set(layer, entry);
  }
}
