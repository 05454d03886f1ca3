import * as tf from '@tensorflow/tfjs';
import { TlkitError } from '@tlkit/core';
import { type GraphNode, layerOutput, producerOf, refCountOf, setRefCount } from './internal/graph';
import { requireLayersModel, requireOneOf } from './internal/validate';
import { extractorAt } from './surgery';

/** Output modes {@link splitAtLayer} accepts in `options.output`. */
const SPLIT_OUTPUTS = ['as-is', 'flatten'] as const;

/** Options of {@link splitAtLayer}. */
export interface SplitOptions {
  /**
   * What the backbone outputs: `'as-is'` (default) the layer's output; `'flatten'` a rank-2
   * `batch × features` tensor (the head then starts with a Reshape back to the layer's shape, so
   * backbone then head still computes the model). Core's trainer needs a rank-2 backbone output:
   * split at a Flatten, pooling or Dense layer, or use `'flatten'`. (`cutAtLayer`'s
   * `'global-average'` is not offered: the layers after the cut could not get their input back.)
   */
  readonly output?: 'as-is' | 'flatten';
  /** Name of the backbone model (default `'<model name>_cut_<layer name>'`, as `cutAtLayer`). */
  readonly backboneName?: string;
  /** Name of the head model (default `'<model name>_head_<layer name>'`). */
  readonly headName?: string;
}

/** A model split in two by {@link splitAtLayer}: `head.predict(backbone.predict(x))` is the model's prediction. */
export interface SplitModel {
  /** The model's inputs → the named layer's output (flattened with `output: 'flatten'`). */
  readonly backbone: tf.LayersModel;
  /** The named layer's output → the model's output(s), through the model's own layers after it. */
  readonly head: tf.LayersModel;
}

/**
 * Splits `model` after the layer `layerName` into a `backbone` (the model's inputs → that layer's
 * output, as {@link cutAtLayer} gives it) and a `head` (that output → the model's outputs, made of
 * the model's layers after the cut: multi-layer heads, dropout and branches that rejoin included).
 * `{ backbone, head }` is what core's trainer takes as `initialModel`: the trainer then fine-tunes
 * your pre-trained network, and the head is the source head that `fineTune({ head: 'keep' })`,
 * LwF and multi-task use. Split at the layer that gives the features (a Flatten, pooling or the
 * last hidden Dense layer), not at the classifier itself.
 *
 * **Weights are shared, not copied**, as in {@link cutAtLayer} and {@link withNewHead}: both parts
 * use `model`'s layer objects (the trainer copies them, so a fit leaves them untouched). The
 * shared layers are reference-counted: dispose `model`, `backbone` and `head` when done, in any
 * order; the shared weights are freed with the last one. The head applies the layers after the
 * cut a second time, so tfjs's own `layer.output` on them throws afterwards ("multiple inbound
 * nodes"); `model` itself predicts, saves and clones as before, and {@link cutAtLayer} and
 * `splitAtLayer` still cut it anywhere.
 *
 * @param model a LayersModel (functional or sequential; several outputs give a head with several).
 * @param layerName the layer to split after, a name from {@link listLayers}.
 * @param options `output` ('as-is' (default) | 'flatten'), `backboneName`
 *   ('<model name>_cut_<layer name>'), `headName` ('<model name>_head_<layer name>').
 * @returns `{ backbone, head }`.
 * @throws TlkitError `INVALID_ARGUMENT` (before building anything) when `layerName` is unknown (the
 *   message lists the layers), is the input or an output layer, or is applied more than once;
 *   when a layer after the cut also reads from a layer before it (a skip connection across the
 *   cut: the message names both); when an output does not depend on the layer; when `output` is
 *   not 'as-is' or 'flatten'.
 *
 * @example
 * ```ts
 * import { compose, trainer } from '@tlkit/core';
 * import { splitAtLayer } from '@tlkit/models';
 * import { loadModel } from '@tlkit/models/node';
 *
 * const mine = await loadModel('models/my-digits'); // … → my_flat → my_fc (relu) → my_digits (softmax)
 * const initialModel = splitAtLayer(mine, 'my_flat'); // backbone: … → my_flat; head: my_fc → my_digits
 * const fitted = await compose(trainer({ initialModel, epochs: 5 })).fit(task);
 * ```
 */
export function splitAtLayer(model: tf.LayersModel, layerName: string, options: SplitOptions = {}): SplitModel {
  requireLayersModel(model, 'model', false);
  if ((options.output as string | undefined) === 'global-average') {
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `options.output 'global-average' does not split a model: the layers after '${layerName}' need its whole output, which the spatial means do not give back. Split at the model's own pooling or Flatten layer, or use 'flatten' (or cutAtLayer(model, '${layerName}', { output: 'global-average' }) with a new head).`,
      { argument: 'options.output', allowed: [...SPLIT_OUTPUTS] },
    );
  }
  requireOneOf(options.output, SPLIT_OUTPUTS, 'options.output');
  const { layer, output: cut } = layerOutput(model, layerName);
  checkCut(model, layer, cut);
  const backbone = extractorAt(model, layerName, cut, {
    output: options.output ?? 'as-is',
    name: options.backboneName ?? `${model.name}_cut_${layerName}`,
  });
  try {
    const unflatten = options.output === 'flatten' && cut.shape.length > 2;
    const head = headAfter(model, cut, unflatten, options.headName ?? `${model.name}_head_${layerName}`);
    return { backbone, head };
  } catch (error) {
    backbone.dispose();
    throw error;
  }
}

/**
 * Checks that `cut` (the output of `layer` in `model`) splits the graph: it is neither an input
 * nor an output, every output depends on it, and every layer application after it reads only
 * from it and from other applications after it. Throws `INVALID_ARGUMENT` (argument `layerName`).
 */
function checkCut(model: tf.LayersModel, layer: tf.layers.Layer, cut: tf.SymbolicTensor): void {
  const layers = model.layers.map((candidate) => candidate.name).join(', ');
  if (model.inputs.includes(cut)) {
    throw new TlkitError('INVALID_ARGUMENT', `layer '${layer.name}' is the model's input; split after a layer that computes features (layers: ${layers}).`, {
      argument: 'layerName',
    });
  }
  if (model.outputs.includes(cut)) {
    const feeding = producerOf(cut).inboundLayers.map((inbound) => `'${inbound.name}'`).join(', ');
    throw new TlkitError(
      'INVALID_ARGUMENT',
      `layer '${layer.name}' gives the model's output, so nothing would be left for the head; split before it, at the layer that gives the features (e.g. ${feeding}).`,
      { argument: 'layerName' },
    );
  }
  const after = dependsOn(cut);
  for (const output of model.outputs) {
    if (!after(output)) {
      throw new TlkitError('INVALID_ARGUMENT', `the model's output from layer '${output.sourceLayer.name}' does not depend on layer '${layer.name}'; split at a layer on the way to every output.`, {
        argument: 'layerName',
      });
    }
  }
  const seen = new Set<GraphNode>();
  const visit = (tensor: tf.SymbolicTensor): void => {
    if (tensor === cut) return;
    const node = producerOf(tensor);
    if (seen.has(node)) return;
    seen.add(node);
    for (const input of node.inputTensors) {
      if (!after(input)) {
        throw new TlkitError(
          'INVALID_ARGUMENT',
          `layer '${node.outboundLayer.name}' reads the output of '${input.sourceLayer.name}', which comes before the cut at '${layer.name}' (a connection that skips the cut), so a head taking only the output of '${layer.name}' cannot compute it. Split at a layer that every path from the input to the output goes through (layers: ${layers}).`,
          { argument: 'layerName', layer: node.outboundLayer.name, reads: input.sourceLayer.name },
        );
      }
      visit(input);
    }
  };
  model.outputs.forEach(visit);
}

/** Whether a tensor of the graph is computed from `cut` (memoised; `cut` itself counts). */
function dependsOn(cut: tf.SymbolicTensor): (tensor: tf.SymbolicTensor) => boolean {
  const known = new Map<tf.SymbolicTensor, boolean>([[cut, true]]);
  const test = (tensor: tf.SymbolicTensor): boolean => {
    let result = known.get(tensor);
    if (result === undefined) {
      const node = producerOf(tensor);
      // An input layer's node lists its own output as its input.
      result = node.inboundLayers.length > 0 && node.inputTensors.some(test);
      known.set(tensor, result);
    }
    return result;
  };
  return test;
}

/**
 * The model `cut`'s shape → `model.outputs`, applying `model`'s layers after the cut again to a
 * new input (after a Reshape from the flattened features with `unflatten`). Each reused layer
 * counts the head as one more owner, whatever the number of its applications in the head, as
 * {@link cutAtLayer}'s models do. Call after {@link checkCut}.
 */
function headAfter(model: tf.LayersModel, cut: tf.SymbolicTensor, unflatten: boolean, name: string): tf.LayersModel {
  const taken = new Set(model.layers.map((layer) => layer.name));
  const perSample = cut.shape.slice(1) as number[];
  const input = unflatten
    ? tf.input({ shape: [perSample.reduce((product, size) => product * size, 1)], dtype: cut.dtype, name: fresh(`${name}_features`, taken) })
    : tf.input({ shape: perSample, dtype: cut.dtype, name: fresh(`${name}_input`, taken) });
  const start = unflatten ? (tf.layers.reshape({ targetShape: perSample, name: fresh(`${name}_unflatten`, taken) }).apply(input) as tf.SymbolicTensor) : input;
  const counts = new Map(model.layers.map((layer) => [layer, refCountOf(layer)]));
  const rebuilt = new Map<tf.SymbolicTensor, tf.SymbolicTensor>([[cut, start]]);
  const rebuild = (tensor: tf.SymbolicTensor): tf.SymbolicTensor => {
    const known = rebuilt.get(tensor);
    if (known) return known;
    const node = producerOf(tensor);
    const inputs = node.inputTensors.map(rebuild);
    const outputs = node.outboundLayer.apply(inputs.length === 1 ? inputs[0] : inputs, node.callArgs);
    const list = Array.isArray(outputs) ? outputs : [outputs];
    node.outputTensors.forEach((original, index) => rebuilt.set(original, list[index] as tf.SymbolicTensor));
    return rebuilt.get(tensor)!;
  };
  const restore = () => {
    for (const [layer, count] of counts) if (count !== null) setRefCount(layer, count);
  };
  let head: tf.LayersModel;
  try {
    const outputs = model.outputs.map(rebuild);
    head = tf.model({ inputs: input, outputs: outputs.length === 1 ? outputs[0] : outputs, name });
  } catch (error) {
    restore();
    throw error;
  }
  restore();
  for (const layer of head.layers) {
    const count = counts.get(layer);
    if (typeof count === 'number') setRefCount(layer, count + 1);
  }
  return head;
}

/** `base`, or `base_1`, `base_2`, … — the first not in `taken` (then added to it). */
function fresh(base: string, taken: Set<string>): string {
  let name = base;
  for (let index = 1; taken.has(name); index++) name = `${base}_${index}`;
  taken.add(name);
  return name;
}
