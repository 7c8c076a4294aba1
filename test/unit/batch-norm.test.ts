import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchNormCalibrator } from '../../src/main/training/batch-norm';
import type { Sample } from '../../src/main/training/data';
import { createRng } from '../../src/main/training/random';

describe('BatchNormCalibrator', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('sets moving mean and variance to the exact statistics of the layer input, over chunks', async () => {
    const size = 8;
    const input = tf.input({ shape: [size, size, 3] });
    const conv = tf.layers.conv2d({
      filters: 4,
      kernelSize: 3,
      padding: 'same',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
    });
    const bn = tf.layers.batchNormalization();
    const features = conv.apply(input) as tf.SymbolicTensor;
    const output = tf.layers
      .conv2d({ filters: 1, kernelSize: 1 })
      .apply(bn.apply(features)) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });

    const rng = createRng(11);
    const samples = Array.from({ length: 5 }, (_, i) => ({
      imageId: i + 1,
      pixels: Float32Array.from({ length: size * size * 3 }, () => rng() * (1 + i)),
      mask: new Float32Array(size * size),
    })) as unknown as Sample[];

    // Chunks of 2, 2 and 1 exercise the merging of partial moments.
    await new BatchNormCalibrator(model).calibrate(samples, size, 2);

    const all = tf.tensor4d(Float32Array.from(samples.flatMap((s) => [...s.pixels])), [
      samples.length,
      size,
      size,
      3,
    ]);
    const expected = tf.moments(conv.apply(all) as tf.Tensor4D, [0, 1, 2]);
    const [, , movingMean, movingVariance] = bn.getWeights();
    const close = (a: Float32Array | Int32Array | Uint8Array, b: typeof a) =>
      Array.from(a).every((v, i) => Math.abs(v - b[i]!) < 1e-4 * (1 + Math.abs(b[i]!)));
    expect(close(await movingMean!.data(), await expected.mean.data())).toBe(true);
    expect(close(await movingVariance!.data(), await expected.variance.data())).toBe(true);
    // Far from the initial 0 and 1: the check above is not passing by default.
    expect(Math.abs((await movingMean!.data())[0]!)).toBeGreaterThan(0.01);
  });
});
