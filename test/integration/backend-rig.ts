// The correctness rig that compares a backend with wasm: the same Adam steps from the same
// weights on a few fasseg-face images, the losses compared step by step.
import * as tf from '@tensorflow/tfjs';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { getLoss } from '../../src/main/training/losses';
import { buildModel, type ModelConfig } from '../../src/main/training/models';
import type { LossId } from '../../src/shared/ids';
import { FACE } from '../paths';

export interface Batch {
  x: Float32Array;
  y: Float32Array;
  n: number;
  size: number;
}

/** The first `n` fasseg-face training images and masks, stretched to `size`, as one batch. */
export async function faceBatch(n: number, size: number): Promise<Batch> {
  const stems = readdirSync(join(FACE, 'train', 'images'))
    .sort()
    .slice(0, n);
  const x = new Float32Array(n * size * size * 3);
  const y = new Float32Array(n * size * size);
  for (const [i, stem] of stems.entries()) {
    const rgb = await sharp(join(FACE, 'train', 'images', stem))
      .resize(size, size, { fit: 'fill' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer();
    const grey = await sharp(join(FACE, 'train', 'masks', stem))
      .resize(size, size, { fit: 'fill' })
      .greyscale()
      .raw()
      .toBuffer();
    for (let p = 0; p < rgb.length; p++) x[i * rgb.length + p] = rgb[p]! / 255;
    for (let p = 0; p < grey.length; p++) y[i * grey.length + p] = grey[p]! >= 128 ? 1 : 0;
  }
  return { x, y, n, size };
}

/**
 * `count` Adam steps on the current backend from the given weights (else the seeded
 * initialisation); the losses, and the weights it started from.
 */
export async function trainSteps(
  config: ModelConfig,
  loss: LossId,
  batch: Batch,
  start: Float32Array[] | null,
  count: number,
): Promise<{ losses: number[]; start: Float32Array[] }> {
  const net = buildModel(config);
  const optimizer = tf.train.adam(1e-3);
  try {
    if (start) {
      net.setWeights(start.map((w, i) => tf.tensor(w, net.getWeights()[i]!.shape)));
    }
    const initial = await Promise.all(
      net.getWeights().map(async (w) => (await w.data()) as Float32Array),
    );
    const losses = await steps(net, optimizer, loss, batch, count);
    return { losses, start: initial };
  } finally {
    optimizer.dispose();
    net.dispose();
  }
}

/** `count` Adam steps of `net` on the batch, as the trainer takes them; their losses. */
export async function steps(
  net: tf.LayersModel,
  optimizer: tf.Optimizer,
  loss: LossId,
  batch: Batch,
  count: number,
): Promise<number[]> {
  const lossFn = getLoss(loss);
  const variables = net.trainableWeights.map((w) => w.read() as tf.Variable);
  const { n, size } = batch;
  const losses: number[] = [];
  for (let s = 0; s < count; s++) {
    const cost = tf.tidy(() => {
      const xs = tf.tensor4d(batch.x, [n, size, size, 3]);
      const ys = tf.tensor4d(batch.y, [n, size, size, 1]);
      return optimizer.minimize(
        () => lossFn(ys, net.apply(xs, { training: true }) as tf.Tensor4D),
        true,
        variables,
      )!;
    });
    losses.push((await cost.data())[0]!);
    cost.dispose();
  }
  return losses;
}

/** |a - b| relative to b (the reference). */
export function relativeDifference(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-8);
}
