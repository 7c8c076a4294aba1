// Jaccard's training ops (src/main/training/fast-ops.ts), on every backend that loads
// here: batch norm trains as tfjs-layers' would (the same output, gradients and moving
// statistics) with fewer passes over the tensor, and on native TensorFlow ReLU's step is
// TensorFlow's own ops with tfjs-node's values.
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { availableBackends, initBackend } from '../../src/main/training/backend';
import { batchNormalization } from '../../src/main/training/models/batch-norm-layer';
import { buildModel } from '../../src/main/training/models';
import type { BackendId } from '../../src/shared/ids';

const SHAPE = [4, 16, 16, 6] as const;

/** A training-mode loss through one batch-norm layer, its value, gradients and layer. */
async function trainThrough(build: (name: string) => tf.layers.Layer) {
  const x = tf.randomNormal([...SHAPE], 0.5, 2, 'float32', 3);
  const weight = tf.randomNormal([...SHAPE], 0, 1, 'float32', 4);
  const layer = build('bn');
  const net = tf.sequential({
    layers: [tf.layers.inputLayer({ inputShape: SHAPE.slice(1) }), layer],
  });
  // Scale and offset away from 1 and 0, so their gradients differ from the plain ones.
  const [gamma, beta, mean, variance] = layer.getWeights();
  layer.setWeights([gamma!.add(0.5), beta!.sub(0.25), mean!, variance!]);
  const loss = () => tf.sum(tf.mul(net.apply(x, { training: true }) as tf.Tensor, weight));
  const { value, grads } = tf.variableGrads(loss as () => tf.Scalar);
  return { layer, value: (await value.data())[0]!, grads: Object.values(grads) };
}

// Read asynchronously: a synchronous read of GPU data throws in Node.
const largest = async (t: tf.Tensor) => (await tf.max(tf.abs(t)).data())[0]!;

/** The kernels one training step of a small Tiramisu runs, and the tensors it leaves. */
async function stepKernels(): Promise<{ names: Set<string>; leaked: number }> {
  const net = buildModel({
    model: 'tiramisu',
    size: 32,
    channels: 3,
    baseFilters: 4,
    depth: 3,
    batchNorm: true,
    seed: 7,
  });
  const optimizer = tf.train.adam(1e-3);
  const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 5);
  const weight = tf.randomNormal([2, 32, 32, 1], 0, 1, 'float32', 6);
  // Linear in the output, so the kernels named below come from the layers.
  const step = () => {
    optimizer.minimize(
      () => tf.sum(tf.mul(net.apply(x, { training: true }) as tf.Tensor, weight)),
      false,
    );
  };
  step(); // Adam makes its moments on the first step
  const before = tf.memory().numTensors;
  const { kernels } = await tf.profile(step);
  return { names: new Set(kernels.map((k) => k.name)), leaked: tf.memory().numTensors - before };
}

const loaded = await availableBackends();
// WebGPU where an adapter loads, a software one included (slow, but the same code path);
// last, since loading native TensorFlow after Dawn on llvmpipe killed this file's worker.
const backends = (['cpu', 'wasm', 'tensorflow', 'webgpu'] as const).filter((b) =>
  loaded.includes(b),
);

describe.each(backends)('training ops on %s', (backend: BackendId) => {
  afterEach(() => {
    delete process.env.JACCARD_FAST_OPS;
  });

  it('batch norm trains as tfjs-layers does: output, gradients and moving statistics', async () => {
    await initBackend(backend);
    const ours = await trainThrough(batchNormalization);
    const plain = await trainThrough((name) => tf.layers.batchNormalization({ name }));
    expect(ours.value).toBeCloseTo(plain.value, 2);
    for (const [i, g] of ours.grads.entries()) {
      const scale = await largest(plain.grads[i]!);
      expect(await largest(tf.sub(g, plain.grads[i]!))).toBeLessThan(1e-5 * scale);
    }
    // The plain variance, as tfjs-layers keeps it, not the sample's.
    const [, , mean, variance] = ours.layer.getWeights();
    const [, , plainMean, plainVariance] = plain.layer.getWeights();
    expect(await largest(tf.sub(mean!, plainMean!))).toBeLessThan(1e-6);
    expect(await largest(tf.sub(variance!, plainVariance!))).toBeLessThan(1e-5);
  });

  it("skips tfjs's differentiation of moments(), keeps no tensor, and JACCARD_FAST_OPS=0 brings it back", async () => {
    await initBackend(backend);
    const ours = await stepKernels();
    expect(ours.leaked).toBe(0);
    // tfjs's batchNorm gradient tiles 1/sd to the whole tensor; moments() takes Means.
    expect(ours.names.has('Tile')).toBe(false);
    expect(ours.names.has('Mean')).toBe(false);
    // tfjs-node's step selects among NaN, 1 and alpha.
    if (backend === 'tensorflow') expect(ours.names.has('Select')).toBe(false);
    process.env.JACCARD_FAST_OPS = '0';
    const plain = await stepKernels();
    expect(plain.names.has('Tile')).toBe(true);
  });

  // tfjs-node's step is replaced on native TensorFlow only.
  if (backend === 'tensorflow')
    it('steps as tfjs-node does, NaN and signed zero included', async () => {
      await initBackend(backend);
      const x = tf.tensor1d([-2, -0, 0, 1e-30, 3, NaN, Infinity, -Infinity]);
      expect(Array.from(tf.step(x).dataSync())).toEqual([0, 0, 0, 1, 1, NaN, 1, 0]);
      expect(Array.from(tf.step(x, 0.2).dataSync())).toEqual(
        [0.2, 0.2, 0.2, 1, 1, NaN, 1, 0.2].map(Math.fround),
      );
    });
});
