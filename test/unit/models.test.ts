import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getLoss } from '../../src/main/training/losses';
import {
  buildModel,
  modelConfigError,
  type ModelConfig,
} from '../../src/main/training/models/index';
import { MODEL_IDS } from '../../src/shared/ids';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const tiny: Omit<ModelConfig, 'model'> = {
  size: 16,
  channels: 3,
  baseFilters: 4,
  depth: 3,
  batchNorm: true,
  seed: 1,
};

const conv = (k: number, cin: number, cout: number, bias: boolean) =>
  k * k * cin * cout + (bias ? cout : 0);
/** gamma, beta, moving mean, moving variance */
const bn = (c: number) => 4 * c;

/** Parameter count of the U-Net the docs describe, derived independently of the builder. */
function unetParams(c: ModelConfig): number {
  const f = (level: number) => c.baseFilters * 2 ** level;
  const doubleConv = (cin: number, cout: number) =>
    conv(3, cin, cout, !c.batchNorm) +
    conv(3, cout, cout, !c.batchNorm) +
    (c.batchNorm ? 2 * bn(cout) : 0);
  let total = 0;
  let cin = c.channels;
  for (let level = 0; level < c.depth; level++) {
    total += doubleConv(cin, f(level));
    cin = f(level);
  }
  for (let level = c.depth - 2; level >= 0; level--) {
    const below = f(level + 1);
    const transpose = (c.upsampling ?? 'transpose') === 'transpose';
    if (transpose) total += conv(2, below, f(level), true);
    total += doubleConv(f(level) + (transpose ? f(level) : below), f(level));
  }
  return total + conv(1, f(0), 1, true);
}

describe('buildModel', () => {
  for (const model of MODEL_IDS) {
    for (const upsampling of ['transpose', 'bilinear'] as const) {
      for (const batchNorm of [true, false]) {
        it(`${model}, ${upsampling}, batch norm ${batchNorm}: [n, size, size, 1] logits`, () => {
          const m = buildModel({ ...tiny, model, upsampling, batchNorm });
          expect(m.inputs[0]!.shape).toEqual([null, 16, 16, 3]);
          expect(m.outputs[0]!.shape).toEqual([null, 16, 16, 1]);
          const out = m.predict(tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 3)) as tf.Tensor;
          expect(out.shape).toEqual([2, 16, 16, 1]);
          // Logits, not probabilities: a sigmoid head could not go below 0.
          const head = m.getLayer('head').getConfig();
          expect(head.activation).toBe('linear');
          expect(m.layers.some((l) => l.getClassName() === 'BatchNormalization')).toBe(batchNorm);
        });
      }
    }
  }

  it('U-Net parameters match the architecture, including the reference bench network', () => {
    const configs: ModelConfig[] = [
      { ...tiny, model: 'unet' },
      { ...tiny, model: 'unet', batchNorm: false, upsampling: 'bilinear', depth: 2 },
      { model: 'unet', size: 128, channels: 3, baseFilters: 16, depth: 4, batchNorm: false },
    ];
    for (const c of configs) expect(buildModel(c).countParams()).toBe(unetParams(c));
    expect(unetParams(configs[2]!)).toBe(482_033); // summed by hand, level by level
  });

  it('U-Net has two 3x3 convolutions per level and depth - 1 poolings', () => {
    const m = buildModel({ ...tiny, model: 'unet', depth: 4, size: 32 });
    const names = (cls: string) => m.layers.filter((l) => l.getClassName() === cls);
    expect(names('MaxPooling2D')).toHaveLength(3);
    expect(names('Conv2DTranspose')).toHaveLength(3);
    expect(names('Conv2D')).toHaveLength(2 * (4 + 3) + 1);
  });

  it('Tiramisu is densely connected: blocks add 4 layers of growth baseFilters / 4', () => {
    const m = buildModel({ ...tiny, model: 'tiramisu', baseFilters: 8 });
    const convs = m.layers.filter((l) => l.getClassName() === 'Conv2D');
    // stem + 5 dense blocks x 4 layers + 2 transition 1x1 + head
    expect(convs).toHaveLength(1 + 5 * 4 + 2 + 1);
    const channelsOut = (name: string) => m.getLayer(name).outputShape.at(-1);
    expect(channelsOut('down0_l4_concat')).toBe(8 + 4 * 2);
    expect(channelsOut('down1_l4_concat')).toBe(8 + 2 * 4 * 2);
    expect(channelsOut('bottom_added')).toBe(4 * 2);
    // Fewer weights than the U-Net of the same base width, the point of dense blocks.
    expect(m.countParams()).toBeLessThan(
      buildModel({ ...tiny, model: 'unet', baseFilters: 8 }).countParams(),
    );
  });

  it('rejects sizes that the poolings cannot halve evenly, and bad numbers', () => {
    expect(() => buildModel({ ...tiny, model: 'unet', size: 18 })).toThrow(/multiple of 4/);
    expect(() => buildModel({ ...tiny, model: 'tiramisu', depth: 0 })).toThrow(/depth/);
    expect(() => buildModel({ ...tiny, model: 'unet', baseFilters: 2.5 })).toThrow(/baseFilters/);
    // The same check, without building, for configs the API and CLI receive.
    expect(modelConfigError({ size: 48, baseFilters: 16, depth: 6 })).toMatch(/multiple of 32/);
    expect(modelConfigError({ size: 64, baseFilters: 16, depth: 6 })).toBeNull();
  });

  it('the same seed rebuilds the same weights; another seed does not', () => {
    for (const model of MODEL_IDS) {
      const weights = (seed: number) =>
        buildModel({ ...tiny, model, seed })
          .getWeights()
          .map((w) => Array.from(w.dataSync()));
      const a = weights(5);
      expect(weights(5)).toEqual(a);
      expect(weights(6)).not.toEqual(a);
      // Same-shaped layers still start differently within one model.
      const m = buildModel({ ...tiny, model: 'unet', seed: 5 });
      const k1 = m.getLayer('enc0_conv2').getWeights()[0]!.dataSync();
      const k2 = m.getLayer('dec0_conv2').getWeights()[0]!.dataSync();
      expect(Array.from(k1)).not.toEqual(Array.from(k2));
    }
  });

  it('survives a save/load round trip (checkpoints use the standard format)', async () => {
    for (const model of MODEL_IDS) {
      const m = buildModel({ ...tiny, model, upsampling: 'bilinear' });
      let artifacts: tf.io.ModelArtifacts | undefined;
      await m.save(
        tf.io.withSaveHandler(async (a) => {
          artifacts = a;
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        }),
      );
      const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
      const x = tf.randomUniform([1, 16, 16, 3], 0, 1, 'float32', 9);
      const diff = tf.max(
        tf.abs(tf.sub(m.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor)),
      );
      expect(diff.dataSync()[0]).toBeLessThan(1e-6);
    }
  });
});

describe('on the wasm backend', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('predicts what the cpu backend predicts (inference kernels all native)', async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    for (const model of MODEL_IDS) {
      for (const upsampling of ['transpose', 'bilinear'] as const) {
        await tf.setBackend('cpu');
        const m = buildModel({ ...tiny, model, upsampling });
        const x = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 4);
        const onCpu = (m.predict(x) as tf.Tensor).dataSync();
        expect(await tf.setBackend('wasm')).toBe(true);
        const onWasm = (m.predict(x) as tf.Tensor).dataSync();
        onWasm.forEach((v, i) => expect(v).toBeCloseTo(onCpu[i]!, 4));
      }
    }
  });
});

describe('training', () => {
  // A bright square on a dark, noisy background; the mask is the square.
  function batch(n: number, size: number): { x: tf.Tensor4D; y: tf.Tensor4D } {
    return tf.tidy(() => {
      const masks: number[] = [];
      for (let i = 0; i < n; i++) {
        const side = size / 2;
        const at = (i * 3) % (size - side + 1);
        for (let r = 0; r < size; r++) {
          for (let c = 0; c < size; c++) {
            masks.push(r >= at && r < at + side && c >= at && c < at + side ? 1 : 0);
          }
        }
      }
      const y = tf.tensor4d(masks, [n, size, size, 1]);
      const noise = tf.randomUniform([n, size, size, 3], 0, 0.3, 'float32', 11);
      return { x: tf.add(tf.mul(y, 0.7), noise) as tf.Tensor4D, y };
    });
  }

  // Tiny on purpose: the cpu backend's filter gradient is slow, and the test only has to
  // show that gradients flow through every layer in the right direction.
  for (const model of MODEL_IDS) {
    it(`${model}: a few Adam steps lower the soft IoU loss`, () => {
      const m = buildModel({ ...tiny, model, size: 8, depth: 2, baseFilters: 8 });
      const { x, y } = batch(2, 8);
      const loss = getLoss('iou');
      const optimizer = tf.train.adam(0.01);
      const step = () =>
        optimizer.minimize(() => loss(y, m.apply(x, { training: true }) as tf.Tensor4D), true)!;
      const first = step().dataSync()[0]!;
      let last = first;
      for (let i = 0; i < 9; i++) last = step().dataSync()[0]!;
      expect(last).toBeLessThan(first * 0.8);
    });
  }
});
