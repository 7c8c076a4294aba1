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

const TOLERANCE = 1e-4;

/** max |a − b| / max |b|: the error relative to the reference's scale. */
function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs((actual[i] as number) - (expected[i] as number)));
    scale = Math.max(scale, Math.abs(expected[i] as number));
  }
  // Every case has some non-zero output; an all-zero pair would pass vacuously.
  expect(scale, `${expected.length} values`).toBeGreaterThan(0);
  return diff / scale;
}

const int = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
const values = (rng: Rng, n: number) => Float32Array.from({ length: n }, () => rng() * 2 - 1);

interface Input {
  shape: number[];
  data: Float32Array | Int32Array;
  dtype?: 'float32' | 'int32';
}

/** Runs one kernel by name on `backend`; returns every output's shape and all their data. */
async function runOn(
  backend: 'cpu' | 'wasm',
  kernel: string,
  inputs: Record<string, Input>,
  attrs: tf.NamedAttrMap,
): Promise<{ shapes: number[][]; data: Float32Array }> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const tensors = Object.fromEntries(
      Object.entries(inputs).map(([name, { shape, data, dtype }]) => [
        name,
        tf.tensor(data, shape, dtype),
      ]),
    );
    const result = tf.engine().runKernel(kernel, tensors, attrs) as tf.Tensor | tf.Tensor[];
    const outputs = Array.isArray(result) ? result : [result];
    return {
      shapes: outputs.map((t) => t.shape),
      data: Float32Array.from(outputs.flatMap((t) => Array.from(t.dataSync()))),
    };
  });
}

interface ConvCase {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: [number, number];
  pad: 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function randomCase(rng: Rng): ConvCase {
  const kh = int(rng, 1, 5);
  const kw = int(rng, 1, 5);
  const strides: [number, number] = [int(rng, 1, 3), int(rng, 1, 3)];
  const x: ConvCase['x'] = [int(rng, 1, 3), int(rng, kh, 14), int(rng, kw, 14), int(rng, 1, 6)];
  const filter: ConvCase['filter'] = [kh, kw, x[3], int(rng, 1, 6)];
  const kind = int(rng, 0, 3);
  if (kind === 0) return { x, filter, strides, pad: 'same' };
  if (kind === 1) return { x, filter, strides, pad: 'valid' };
  if (kind === 2) {
    // Explicit numeric padding; pooling asks for less than half the window.
    const p = int(rng, 0, Math.floor((Math.min(kh, kw) - 1) / 2));
    return { x, filter, strides, pad: p, dimRoundingMode: 'floor' };
  }
  const [top, bottom] = [int(rng, 0, kh - 1), int(rng, 0, kh - 1)];
  const [left, right] = [int(rng, 0, kw - 1), int(rng, 0, kw - 1)];
  return {
    x,
    filter,
    strides,
    pad: [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ],
  };
}

/** The U-Net's and Tiramisu's own layers, plus the odd ones the random cases may miss. */
const FIXED_CASES: ConvCase[] = [
  { x: [2, 16, 16, 8], filter: [3, 3, 8, 4], strides: [1, 1], pad: 'same' },
  { x: [2, 16, 16, 4], filter: [2, 2, 4, 8], strides: [2, 2], pad: 'same' },
  { x: [2, 16, 16, 4], filter: [3, 3, 4, 8], strides: [2, 2], pad: 'same' },
  { x: [2, 15, 13, 3], filter: [2, 2, 3, 3], strides: [2, 2], pad: 'valid' },
  { x: [1, 9, 9, 3], filter: [1, 1, 3, 2], strides: [3, 3], pad: 'valid' },
  { x: [1, 11, 10, 2], filter: [5, 2, 2, 3], strides: [3, 2], pad: 'valid' },
];

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const data = (shape: number[], rng: Rng) => ({ shape, data: values(rng, size(shape)) });

interface Call {
  inputs: Record<string, Input>;
  attrs: tf.NamedAttrMap;
}

/** Inputs and attributes of one call of a convolution or pooling gradient for `c`. */
async function convCall(kernel: string, c: ConvCase, rng: Rng): Promise<Call> {
  const common = {
    strides: c.strides,
    pad: c.pad,
    dataFormat: 'NHWC',
    dimRoundingMode: c.dimRoundingMode,
    // Explicit paddings are nested arrays, which NamedAttrMap's Attribute type leaves out.
  } as unknown as tf.NamedAttrMap;
  if (kernel === tf.MaxPoolGrad) {
    const pool = { ...common, filterSize: [c.filter[0], c.filter[1]] as [number, number] };
    // Coarse values: windows with ties and with only negative values are common.
    const x = { shape: c.x, data: values(rng, size(c.x)).map((v) => Math.round(v * 3) / 3) };
    const output = await runOn('cpu', tf.MaxPool, { x }, pool);
    const pooled = { shape: output.shapes[0] as number[], data: output.data };
    return { inputs: { dy: data(pooled.shape, rng), input: x, output: pooled }, attrs: pool };
  }
  const dy = data(
    tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad, c.dimRoundingMode)
      .outShape,
    rng,
  );
  if (kernel === tf.Conv2DBackpropFilter) {
    return { inputs: { x: data(c.x, rng), dy }, attrs: { ...common, filterShape: c.filter } };
  }
  return { inputs: { dy, filter: data(c.filter, rng) }, attrs: { ...common, inputShape: c.x } };
}

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
      const x: Input =
        rng() < 0.2
          ? {
              shape,
              data: Int32Array.from(values(rng, size(shape)), (v) => Math.round(v * 9)),
              dtype: 'int32',
            }
          : data(shape, rng);
      return { inputs: { x }, attrs: { axis, keepDims: rng() < 0.5 } };
    }),
  ],
};

function convCalls(kernel: string, rng: Rng): Promise<Call>[] {
  const cases = [...FIXED_CASES, ...Array.from({ length: 40 }, () => randomCase(rng))];
  // Layers with no output at all (window larger than the padded input) have nothing to test.
  const outputs = (c: ConvCase) =>
    size(
      tf.backend_util.computePool2DInfo(
        c.x,
        [c.filter[0], c.filter[1]],
        c.strides,
        1,
        c.pad,
        c.dimRoundingMode,
      ).outShape,
    );
  return cases.filter((c) => outputs(c) > 0).map((c) => convCall(kernel, c, rng));
}

async function compare({ inputs, attrs }: Call, kernel: string) {
  const expected = await runOn('cpu', kernel, inputs, attrs);
  const actual = await runOn('wasm', kernel, inputs, attrs);
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
