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
  return diff / (scale || 1);
}

const int = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
const values = (rng: Rng, n: number) => Float32Array.from({ length: n }, () => rng() * 2 - 1);

/** Runs one kernel by name on `backend` with plain-array inputs; returns shape and data. */
async function runOn(
  backend: 'cpu' | 'wasm',
  kernel: string,
  inputs: Record<string, { shape: number[]; data: Float32Array }>,
  attrs: tf.NamedAttrMap,
): Promise<{ shape: number[]; data: Float32Array }> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const tensors = Object.fromEntries(
      Object.entries(inputs).map(([name, { shape, data }]) => [name, tf.tensor(data, shape)]),
    );
    const out = tf.engine().runKernel(kernel, tensors, attrs) as tf.Tensor;
    return { shape: out.shape, data: out.dataSync() as Float32Array };
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

/** Inputs and attributes of one call of `kernel` for the layer shape `c`. */
async function kernelCall(
  kernel: string,
  c: ConvCase,
  rng: Rng,
): Promise<{ inputs: Parameters<typeof runOn>[2]; attrs: tf.NamedAttrMap }> {
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
    return { inputs: { dy: data(output.shape, rng), input: x, output }, attrs: pool };
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

async function compareKernel(kernel: string, c: ConvCase, rng: Rng): Promise<number> {
  const { inputs, attrs } = await kernelCall(kernel, c, rng);
  const expected = await runOn('cpu', kernel, inputs, attrs);
  const actual = await runOn('wasm', kernel, inputs, attrs);
  expect(actual.shape).toEqual(expected.shape);
  return relativeError(actual.data, expected.data);
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe.each(WASM_TRAINING_KERNELS.map((k) => k.kernelName))('%s on wasm', (kernel) => {
  const rng = createRng(kernel.length);
  const cases = [...FIXED_CASES, ...Array.from({ length: 40 }, () => randomCase(rng))];

  it('matches the cpu kernel on fixed and random shapes, strides and paddings', async () => {
    let worst = 0;
    for (const c of cases) {
      const error = await compareKernel(kernel, c, rng);
      expect(error, JSON.stringify(c)).toBeLessThan(TOLERANCE);
      worst = Math.max(worst, error);
    }
    // A vacuous pass (e.g. both sides all zeros) would show as exactly 0 everywhere.
    expect(worst).toBeGreaterThan(0);
  });

  it('frees every intermediate it makes', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as tf.KernelBackend & { numDataIds(): number };
    const c = FIXED_CASES[2] as ConvCase;
    await compareKernel(kernel, c, rng);
    const before = backend.numDataIds();
    await compareKernel(kernel, c, rng);
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
