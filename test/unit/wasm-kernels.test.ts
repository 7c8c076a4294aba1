// Our wasm training kernels against tfjs's reference cpu kernels, on random shapes,
// strides and paddings; then whole training steps of both models, wasm against cpu.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/main/training/backend';
import { getLoss } from '../../src/main/training/losses';
import { buildModel, type ModelConfig } from '../../src/main/training/models';
import { createRng, type Rng } from '../../src/main/training/random';
import { WASM_TRAINING_KERNELS } from '../../src/main/training/wasm';
import { LOSS_IDS } from '../../src/shared/ids';
import { type KernelCall, type RecordedInput, runOn } from '../kernel-calls';
import { TOLERANCE, convCalls, data, int, relativeError, size, values } from '../kernel-cases';

/** A call whose kernel is the one under test. */
type Call = Omit<KernelCall, 'kernel'>;

const randomShape = (rng: Rng) => Array.from({ length: int(rng, 1, 4) }, () => int(rng, 1, 9));

/** Random calls of each kernel we register, the layer shapes of our models first. */
const CALLS: Record<string, (rng: Rng) => Promise<Call>[]> = {
  [tf.Conv2DBackpropFilter]: (rng) => convCalls(tf.Conv2DBackpropFilter, rng),
  [tf.Conv2DBackpropInput]: (rng) => convCalls(tf.Conv2DBackpropInput, rng),
  [tf.MaxPoolGrad]: (rng) => convCalls(tf.MaxPoolGrad, rng),
  [tf.Identity]: (rng) =>
    Array.from({ length: 10 }, async () => ({
      inputs: { x: data(randomShape(rng), rng) },
      attrs: {},
    })),
  [tf.SplitV]: (rng) =>
    Array.from({ length: 30 }, async () => {
      const shape = randomShape(rng);
      const axis = int(rng, 0, shape.length - 1);
      const dim = shape[axis] as number;
      const sizes: number[] = [];
      for (let left = dim; left > 0;) {
        const next = int(rng, 1, left);
        sizes.push(next);
        left -= next;
      }
      // -1 ("the rest") only last: tfjs 4.22's prepareSplitSize miscounts a leading -1.
      if (sizes.length > 1 && rng() < 0.3) sizes[sizes.length - 1] = -1;
      const numOrSizeSplits = rng() < 0.3 ? 1 : sizes;
      return {
        inputs: { x: data(shape, rng) },
        attrs: { numOrSizeSplits, axis: axis - (rng() < 0.5 ? 0 : shape.length) },
      };
    }),
  [tf.Sum]: (rng) => [
    // Bias gradients: all but the channel axis of an activation.
    ...[
      [8, 16, 16, 16],
      [2, 9, 7, 3],
    ].map(async (shape) => ({
      inputs: { x: data(shape, rng) },
      attrs: { axis: [0, 1, 2], keepDims: false },
    })),
    ...Array.from({ length: 30 }, async () => {
      const shape = randomShape(rng);
      const axis = shape.map((_, i) => i).filter(() => rng() < 0.5);
      const x: RecordedInput =
        rng() < 0.2
          ? {
              shape,
              values: Int32Array.from(values(rng, size(shape)), (v) => Math.round(v * 9)),
              dtype: 'int32',
            }
          : data(shape, rng);
      return { inputs: { x }, attrs: { axis, keepDims: rng() < 0.5 } };
    }),
  ],
};

async function compare({ inputs, attrs }: Call, kernel: string) {
  const expected = await runOn('cpu', { kernel, inputs, attrs });
  const actual = await runOn('wasm', { kernel, inputs, attrs });
  expect(actual.shapes).toEqual(expected.shapes);
  return relativeError(actual.data, expected.data);
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe.each(WASM_TRAINING_KERNELS.map((k) => k.kernelName))('%s on wasm', (kernel) => {
  const calls = CALLS[kernel];

  it('matches the cpu kernel on fixed and random shapes, strides, paddings and axes', async () => {
    expect(calls, `no test cases for ${kernel}`).toBeDefined();
    for (const call of calls!(createRng(kernel.length))) {
      const c = await call;
      expect(await compare(c, kernel), JSON.stringify(c.attrs)).toBeLessThan(TOLERANCE);
    }
  });

  it('frees every intermediate it makes', async () => {
    const call = await calls!(createRng(1))[0]!;
    await tf.setBackend('wasm');
    const backend = tf.backend() as tf.KernelBackend & { numDataIds(): number };
    await compare(call, kernel);
    const before = backend.numDataIds();
    await compare(call, kernel);
    await tf.setBackend('wasm');
    expect(backend.numDataIds()).toBe(before);
  });
});

describe('training steps on wasm', () => {
  const base = { size: 16, channels: 3, baseFilters: 4, depth: 3, batchNorm: true, seed: 3 };
  const configs: ModelConfig[] = [
    { ...base, model: 'unet', upsampling: 'transpose' },
    { ...base, model: 'tiramisu', upsampling: 'transpose' },
    { ...base, model: 'unet', upsampling: 'bilinear', batchNorm: false },
  ];

  async function gradients(backend: 'cpu' | 'wasm', config: ModelConfig): Promise<Float32Array[]> {
    await tf.setBackend(backend);
    const rng = createRng(7);
    const model = buildModel(config);
    const x = tf.tensor4d(values(rng, 2 * 16 * 16 * 3), [2, 16, 16, 3]);
    const y = tf.tensor4d(
      Float32Array.from({ length: 2 * 16 * 16 }, () => (rng() < 0.4 ? 1 : 0)),
      [2, 16, 16, 1],
    );
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { grads } = tf.variableGrads(
      () => getLoss('iou')(y, model.apply(x, { training: true }) as tf.Tensor4D),
      variables,
    );
    const out = variables.map((v) => grads[v.name]!.dataSync() as Float32Array);
    tf.dispose([x, y, Object.values(grads)]);
    model.dispose();
    return out;
  }

  it.each(configs)('$model ($upsampling) gradients match the cpu backend', async (config) => {
    const expected = await gradients('cpu', config);
    const actual = await gradients('wasm', config);
    expect(actual).toHaveLength(expected.length);
    // A conv bias right before batch norm has a zero gradient in exact arithmetic; both
    // backends return rounding noise there, so scale such tensors by the model's largest.
    const largest = Math.max(...expected.map((g) => Math.max(...g.map(Math.abs))));
    actual.forEach((g, i) => {
      const reference = expected[i] as Float32Array;
      const scale = Math.max(...reference.map(Math.abs), 1e-3 * largest);
      const diff = Math.max(...g.map((v, j) => Math.abs(v - (reference[j] as number))));
      expect(diff / scale).toBeLessThan(TOLERANCE);
    });
  });

  it.each(LOSS_IDS)('an Adam step with the %s loss finds every kernel it needs', async (loss) => {
    await tf.setBackend('wasm');
    for (const config of configs.slice(0, 2)) {
      const model = buildModel(config);
      const optimizer = tf.train.adam(1e-3);
      const x = tf.randomUniform([2, 16, 16, 3]) as tf.Tensor4D;
      const y = tf.cast(tf.randomUniform([2, 16, 16, 1]).greater(0.5), 'float32') as tf.Tensor4D;
      const cost = optimizer.minimize(
        () => getLoss(loss)(y, model.apply(x, { training: true }) as tf.Tensor4D),
        true,
      );
      expect(Number.isFinite(cost!.dataSync()[0])).toBe(true);
      tf.dispose([x, y, cost!]);
      optimizer.dispose();
      model.dispose();
    }
  });
});
