// The ONNX exporter against tfjs itself: both builders, both upsamplings, batch norm with
// non-trivial statistics, on real face photos, at the trained size and at another one
// (height and width are free in the exported graph).
import * as tf from '@tensorflow/tfjs';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportOnnx, INPUT_NAME, OUTPUT_NAME } from '../../src/main/onnx/export';
import { buildModel, type ModelConfig } from '../../src/main/training/models';
import { FACE } from '../paths';

const TEST_IMAGES = join(FACE, 'test/images');

/** `n` face photos stretched to width x height, RGB in [0, 1], NHWC. */
async function faces(n: number, width: number, height: number): Promise<Float32Array> {
  const files = readdirSync(TEST_IMAGES).sort().slice(0, n);
  const out = new Float32Array(n * width * height * 3);
  for (const [i, file] of files.entries()) {
    const pixels = await sharp(join(TEST_IMAGES, file))
      .removeAlpha()
      .resize(width, height, { fit: 'fill' })
      .raw()
      .toBuffer();
    for (let j = 0; j < pixels.length; j++) out[i * width * height * 3 + j] = pixels[j]! / 255;
  }
  return out;
}

/** Batch-norm statistics as after training, so folding or misplacing them would show. */
function randomiseBatchNorm(model: tf.LayersModel, seed: number): void {
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    // gamma, beta, moving mean, moving variance
    layer.setWeights(
      layer
        .getWeights()
        .map((w, i) =>
          i === 3
            ? tf.randomUniform(w.shape, 0.3, 3, 'float32', seed++)
            : tf.randomNormal(w.shape, i === 0 ? 1 : 0, 0.3, 'float32', seed++),
        ),
    );
  }
}

function tfjsProbabilities(model: tf.LayersModel, x: Float32Array, shape: number[]): Float32Array {
  return tf
    .tidy(() => tf.sigmoid(model.predict(tf.tensor4d(x, shape as never)) as tf.Tensor))
    .dataSync() as Float32Array;
}

async function onnxProbabilities(
  session: ort.InferenceSession,
  x: Float32Array,
  shape: number[],
): Promise<Float32Array> {
  const out = await session.run({ [INPUT_NAME]: new ort.Tensor('float32', x, shape) });
  expect(out[OUTPUT_NAME]!.dims).toEqual([...shape.slice(0, 3), 1]);
  return out[OUTPUT_NAME]!.data as Float32Array;
}

function agreement(a: Float32Array, b: Float32Array): { maxDiff: number; iou: number } {
  let maxDiff = 0;
  let both = 0;
  let either = 0;
  for (let i = 0; i < a.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
    const p = a[i]! >= 0.5;
    const q = b[i]! >= 0.5;
    if (p && q) both++;
    if (p || q) either++;
  }
  return { maxDiff, iou: either === 0 ? 1 : both / either };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const CASES: [ModelConfig['model'], 'transpose' | 'bilinear'][] = [
  ['unet', 'transpose'],
  ['unet', 'bilinear'],
  ['tiramisu', 'transpose'],
  ['tiramisu', 'bilinear'],
];

describe('exportOnnx', () => {
  it.each(CASES)('%s with %s upsampling agrees with tfjs', async (name, upsampling) => {
    const config: ModelConfig = {
      model: name,
      size: 64,
      channels: 3,
      baseFilters: 8,
      depth: 3,
      batchNorm: true,
      upsampling,
      seed: 7,
    };
    const model = buildModel(config);
    randomiseBatchNorm(model, 11);
    const session = await ort.InferenceSession.create(await exportOnnx(model));

    const x = await faces(3, 64, 64);
    const expected = tfjsProbabilities(model, x, [3, 64, 64, 3]);
    const actual = await onnxProbabilities(session, x, [3, 64, 64, 3]);
    const { maxDiff, iou } = agreement(expected, actual);
    expect(maxDiff).toBeLessThan(1e-4);
    expect(iou).toBeGreaterThanOrEqual(0.999);
    // Not a trivial agreement: the map has both classes and values between.
    const mid = expected.filter((p) => p > 0.05 && p < 0.95).length;
    expect(mid / expected.length).toBeGreaterThan(0.05);

    // Another height and width through the same tfjs model: apply() on a concrete tensor
    // runs the layers at any size, where predict() holds to the built one.
    const x2 = await faces(2, 96, 64);
    const wideExpected = tf.tidy(() =>
      tf.sigmoid(model.apply(tf.tensor4d(x2, [2, 64, 96, 3])) as tf.Tensor).dataSync(),
    ) as Float32Array;
    const wideActual = await onnxProbabilities(session, x2, [2, 64, 96, 3]);
    expect(agreement(wideExpected, wideActual).maxDiff).toBeLessThan(1e-4);

    await session.release();
    model.dispose();
  });

  it('names the layer it cannot translate', async () => {
    const input = tf.input({ shape: [8, 8, 3] });
    const output = tf.layers.dense({ units: 1, name: 'odd_one' }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });
    await expect(exportOnnx(model)).rejects.toThrow(/layer "odd_one" \(Dense\)/);
    model.dispose();
  });
});
