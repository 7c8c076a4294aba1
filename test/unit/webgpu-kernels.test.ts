// Our webgpu training kernels against tfjs's reference cpu kernels: on the very calls a
// U-Net and a Tiramisu gradient make (recorded on cpu, data included), on odd and random
// shapes, strides and paddings, and in NCHW. Where Dawn finds no adapter (no Mesa EGL/GLES,
// no GPU) every test is skipped and its name says why.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { getLoss } from '../../src/main/training/losses';
import { buildModel, type ModelConfig } from '../../src/main/training/models';
import { createRng } from '../../src/main/training/random';
import { startDawn } from '../../src/main/training/webgpu/dawn';
import {
  WEBGPU_TRAINING_KERNELS,
  registerWebgpuTrainingKernels,
} from '../../src/main/training/webgpu/kernels';
import { tiling } from '../../src/main/training/webgpu/kernels/conv2d-backprop-filter';
import { callKey, type KernelCall, recordKernelCalls, runOn } from '../kernel-calls';
import { TOLERANCE, convCalls, data, relativeError, values } from '../kernel-cases';

const unavailable = await startDawn().then(
  async () => ((await tf.setBackend('webgpu')) ? '' : "tfjs's webgpu backend failed to start"),
  (error: Error) => error.message,
);
if (!unavailable) registerWebgpuTrainingKernels();
const skipped = unavailable ? ` (skipped: ${unavailable})` : '';

/** The Conv2DBackpropFilter calls of one gradient of `config` on cpu, with their data. */
async function modelCalls(config: ModelConfig, batch: number): Promise<KernelCall[]> {
  await tf.setBackend('cpu');
  const rng = createRng(11);
  const { size } = config;
  const model = buildModel(config);
  const x = tf.tensor4d(values(rng, batch * size * size * 3), [batch, size, size, 3]);
  const y = tf.tensor4d(
    Float32Array.from({ length: batch * size * size }, () => (rng() < 0.4 ? 1 : 0)),
    [batch, size, size, 1],
  );
  const { calls } = await recordKernelCalls(
    'cpu',
    () => {
      const { value, grads } = tf.variableGrads(() =>
        getLoss('bce')(y, model.apply(x, { training: true }) as tf.Tensor4D),
      );
      tf.dispose([value, Object.values(grads)]);
    },
    { kernels: [tf.Conv2DBackpropFilter], values: true },
  );
  tf.dispose([x, y]);
  model.dispose();
  return calls;
}

/** `call` with x and dy moved to channels-first, as an NCHW graph would hand them over. */
async function channelsFirst(call: KernelCall): Promise<KernelCall> {
  const inputs: KernelCall['inputs'] = {};
  for (const [name, x] of Object.entries(call.inputs)) {
    const perm = [0, 3, 1, 2];
    const moved = await runOn('cpu', { kernel: tf.Transpose, inputs: { x }, attrs: { perm } });
    inputs[name] = { shape: moved.shapes[0]!, values: moved.data };
  }
  return { ...call, inputs, attrs: { ...call.attrs, dataFormat: 'NCHW' } };
}

/** Error of the webgpu kernel relative to the cpu one, on `call`'s data. */
async function error(call: KernelCall): Promise<number> {
  const expected = call.output ?? (await runOn('cpu', call)).data;
  const actual = await runOn('webgpu', call);
  return relativeError(actual.data, expected);
}

const base = { channels: 3, baseFilters: 16, batchNorm: true, seed: 3 } as const;
const MODELS: { name: string; config: ModelConfig; batch: number }[] = [
  {
    name: 'U-Net 16 px, batch 2',
    config: { ...base, model: 'unet', size: 16, depth: 4, upsampling: 'transpose' },
    batch: 2,
  },
  {
    // 24 → 12 → 6 → 3: odd sides at the bottom level; a bias gradient path without BN.
    name: 'U-Net 24 px, batch 1, no batch norm',
    config: { ...base, model: 'unet', size: 24, depth: 4, batchNorm: false },
    batch: 1,
  },
  {
    // 3×3 stride-2 transposed convolutions up, 1×1 transitions down, growth 4.
    name: 'Tiramisu 16 px, batch 2',
    config: { ...base, model: 'tiramisu', size: 16, depth: 3, upsampling: 'transpose' },
    batch: 2,
  },
];

describe.skipIf(unavailable)(`Conv2DBackpropFilter on webgpu${skipped}`, () => {
  it('replaces the package kernel, once', () => {
    registerWebgpuTrainingKernels();
    for (const config of WEBGPU_TRAINING_KERNELS) {
      expect(tf.getKernel(config.kernelName, 'webgpu')).toBe(config);
    }
  });

  it.each(MODELS)('matches the cpu kernel on every layer of a $name step', async (m) => {
    const calls = await modelCalls(m.config, m.batch);
    // Every convolution and transposed convolution layer has a filter gradient.
    expect(calls.length).toBeGreaterThanOrEqual(m.config.depth * 4 - 1);
    for (const call of calls) {
      expect(await error(call), callKey(call)).toBeLessThan(TOLERANCE);
    }
  });

  it('matches the cpu kernel on odd and random shapes, strides and paddings', async () => {
    for (const call of convCalls(tf.Conv2DBackpropFilter, createRng(17))) {
      const c = await call;
      expect(await error(c), callKey(c)).toBeLessThan(TOLERANCE);
    }
  });

  it('matches the cpu kernel in NCHW', async () => {
    const calls = await Promise.all(convCalls(tf.Conv2DBackpropFilter, createRng(19)));
    // Explicit paddings are written for NHWC's axes.
    const simple = calls.filter((c) => !Array.isArray(c.attrs.pad)).slice(0, 12);
    expect(simple.length).toBeGreaterThan(6);
    for (const call of simple) {
      const c = await channelsFirst(call);
      expect(await error(c), callKey(c)).toBeLessThan(TOLERANCE);
    }
  });

  it('frees its partial sums', async () => {
    const rng = createRng(23);
    const filterShape = [3, 3, 16, 16];
    const call: KernelCall = {
      kernel: tf.Conv2DBackpropFilter,
      inputs: { x: data([2, 32, 32, 16], rng), dy: data([2, 32, 32, 16], rng) },
      attrs: { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape },
    };
    // 2·32·32 products per filter value: split across workgroups, then summed.
    expect(tiling(3 * 3 * 16, 16, 2 * 32 * 32).dispatch[2]).toBeGreaterThan(1);
    await tf.setBackend('webgpu');
    const backend = tf.backend() as tf.KernelBackend & { numDataIds(): number };
    await runOn('webgpu', call);
    const before = backend.numDataIds();
    await runOn('webgpu', call);
    expect(backend.numDataIds()).toBe(before);
  });
});
