import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { fingerprintArchitecture, fingerprintModels } from './fingerprint';

/** input → dense 4 → (activation) → dense 2, optionally with a skip from the first dense to the output; tfjs names unless `prefix`. */
function network(options: { activation?: 'relu' | 'tanh'; skip?: boolean; prefix?: string; seed?: number } = {}) {
  const name = (part: string) => (options.prefix ? { name: `${options.prefix}${part}` } : {});
  const input = tf.input({ shape: [3], ...name('input') });
  const first = tf.layers.dense({ units: 4, kernelInitializer: tf.initializers.glorotUniform({ seed: options.seed ?? 1 }), ...name('first') }).apply(input) as tf.SymbolicTensor;
  const activated = tf.layers.activation({ activation: options.activation ?? 'relu', ...name('act') }).apply(first) as tf.SymbolicTensor;
  let output = tf.layers.dense({ units: 4, ...name('second') }).apply(activated) as tf.SymbolicTensor;
  if (options.skip) output = tf.layers.add({ ...name('add') }).apply([output, first]) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
}

describe('fingerprintArchitecture', () => {
  it('is the same for the same layers and connections, whatever the names and weights', () => {
    const models = [network(), network(), network({ prefix: 'mine_' }), network()];
    expect(models[0].layers[0].name).not.toBe(models[1].layers[0].name); // tfjs named them input1, input2, ...
    const shifted = models[3].getWeights().map((weight) => tf.add(weight, 0.5));
    models[3].setWeights(shifted);
    tf.dispose(shifted);
    const hashes = models.map(fingerprintArchitecture);
    expect(new Set(hashes).size).toBe(1);
    // The checkpoint's model fingerprint, by contrast, counts names and weights.
    expect(fingerprintModels([models[0]])).not.toBe(fingerprintModels([models[3]]));
    // Initialiser settings are layer settings: another seed is another architecture entry.
    const reseeded = network({ seed: 7 });
    expect(fingerprintArchitecture(reseeded)).not.toBe(hashes[0]);
    reseeded.dispose();
    for (const model of models) model.dispose();
  });

  it('differs for another layer setting or another connection', () => {
    const models = [network(), network({ activation: 'tanh' }), network({ skip: true })];
    expect(new Set(models.map(fingerprintArchitecture)).size).toBe(3);
    for (const model of models) model.dispose();
  });

  it('ignores the automatic names of layers inside wrappers (timeDistributed), but not their settings (diff review s18 finding 2)', () => {
    const wrapped = (units: number) => {
      const input = tf.input({ shape: [3, 2] });
      const inner = tf.layers.dense({ units, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }); // tfjs names it dense_DenseN
      const output = tf.layers.flatten().apply(tf.layers.timeDistributed({ layer: inner }).apply(input)) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: output });
    };
    const [a, b, c] = [wrapped(4), wrapped(4), wrapped(5)];
    const innerName = (model: tf.LayersModel) => (model.layers[1].getConfig().layer as { config: { name: string } }).config.name;
    expect(innerName(a)).not.toBe(innerName(b));
    expect(fingerprintArchitecture(a)).toBe(fingerprintArchitecture(b));
    expect(fingerprintArchitecture(a)).not.toBe(fingerprintArchitecture(c));
    for (const model of [a, b, c]) model.dispose();
  });

  it('covers a nested model by its own layers', () => {
    const nested = (activation: 'relu' | 'tanh') => {
      const inner = network({ activation });
      const input = tf.input({ shape: [3] });
      const outer = tf.model({ inputs: input, outputs: inner.apply(input) as tf.SymbolicTensor });
      return { inner, outer };
    };
    const [a, b, c] = [nested('relu'), nested('relu'), nested('tanh')];
    expect(fingerprintArchitecture(a.outer)).toBe(fingerprintArchitecture(b.outer));
    expect(fingerprintArchitecture(a.outer)).not.toBe(fingerprintArchitecture(c.outer));
    for (const { inner } of [a, b, c]) inner.dispose();
  });
});
