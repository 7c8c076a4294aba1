// Native TensorFlow (@tensorflow/tfjs-node) against the wasm backend, where the rig is
// built (`npm run setup:tensorflow`, or an npm install that could download libtensorflow):
// every model x loss takes the same three Adam steps from the same weights on both; a
// checkpoint saved on tensorflow resumes there; predictions agree with wasm's; and
// `jaccard train --backend tensorflow` records the backend and TensorFlow's version.
// Elsewhere every test here skips and says why.
import * as tf from '@tensorflow/tfjs';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRunModel } from '../../src/main/predict/runtimes';
import { tfjsRuntime } from '../../src/main/predict/tfjs-runtime';
import { getRun } from '../../src/main/store/runs';
import { availableBackends, initBackend, nativeVersion } from '../../src/main/training/backend';
import { loadCheckpoint, saveCheckpoint } from '../../src/main/training/checkpoint';
import { getLoss } from '../../src/main/training/losses';
import { buildModel, type ModelConfig } from '../../src/main/training/models';
import type { Run } from '../../src/shared/domain';
import { LOSS_IDS, MODEL_IDS, type LossId, type ModelId } from '../../src/shared/ids';
import { FACE, faceFixture, repoRoot, type Fixture } from './train-fixture';

const SIZE = 64;
const STEPS = 3;
const BATCH = 2;

const skipReason = (await availableBackends()).includes('tensorflow')
  ? null
  : `@tensorflow/tfjs-node ${installed('@tensorflow/tfjs-node') ? 'does not load' : 'is not installed'} here; \`npm run setup:tensorflow\` builds it`;

function installed(specifier: string): boolean {
  try {
    createRequire(import.meta.url).resolve(specifier);
    return true;
  } catch {
    return false;
  }
}
if (skipReason) console.warn(`tensorflow-backend.test.ts skipped: ${skipReason}`);
const title = `the native tensorflow backend${skipReason ? ` (skipped: ${skipReason})` : ''}`;

const modelConfig = (model: ModelId): ModelConfig => ({
  model,
  size: SIZE,
  channels: 3,
  baseFilters: 4,
  depth: 3,
  batchNorm: true,
  seed: 7,
});

/** A few fasseg-face training images and masks at 64 px, as one batch. */
async function faceBatch(n: number): Promise<{ x: Float32Array; y: Float32Array }> {
  const stems = readdirSync(join(FACE, 'train', 'images'))
    .sort()
    .slice(0, n);
  const x = new Float32Array(n * SIZE * SIZE * 3);
  const y = new Float32Array(n * SIZE * SIZE);
  for (const [i, stem] of stems.entries()) {
    const rgb = await sharp(join(FACE, 'train', 'images', stem))
      .resize(SIZE, SIZE, { fit: 'fill' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer();
    const grey = await sharp(join(FACE, 'train', 'masks', stem))
      .resize(SIZE, SIZE, { fit: 'fill' })
      .greyscale()
      .raw()
      .toBuffer();
    for (let p = 0; p < rgb.length; p++) x[i * rgb.length + p] = rgb[p]! / 255;
    for (let p = 0; p < grey.length; p++) y[i * grey.length + p] = grey[p]! >= 128 ? 1 : 0;
  }
  return { x, y };
}

interface Batch {
  x: Float32Array;
  y: Float32Array;
}

/** Adam steps on the current backend from the given weights; the losses. */
async function trainSteps(
  model: ModelId,
  loss: LossId,
  batch: Batch,
  start: Float32Array[] | null,
): Promise<{ losses: number[]; start: Float32Array[] }> {
  const net = buildModel(modelConfig(model));
  const optimizer = tf.train.adam(1e-3);
  try {
    if (start) {
      net.setWeights(start.map((w, i) => tf.tensor(w, net.getWeights()[i]!.shape)));
    }
    const initial = await Promise.all(
      net.getWeights().map(async (w) => (await w.data()) as Float32Array),
    );
    const losses = await steps(net, optimizer, loss, batch, STEPS);
    return { losses, start: initial };
  } finally {
    optimizer.dispose();
    net.dispose();
  }
}

async function steps(
  net: tf.LayersModel,
  optimizer: tf.Optimizer,
  loss: LossId,
  batch: Batch,
  n: number,
): Promise<number[]> {
  const lossFn = getLoss(loss);
  const variables = net.trainableWeights.map((w) => w.read() as tf.Variable);
  const losses: number[] = [];
  for (let s = 0; s < n; s++) {
    const cost = tf.tidy(() => {
      const xs = tf.tensor4d(batch.x, [BATCH, SIZE, SIZE, 3]);
      const ys = tf.tensor4d(batch.y, [BATCH, SIZE, SIZE, 1]);
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

function maskIou(a: Float32Array, b: Float32Array): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const p = a[i]! >= 0.5;
    const q = b[i]! >= 0.5;
    if (p && q) inter++;
    if (p || q) union++;
  }
  return union === 0 ? 1 : inter / union;
}

function jaccardCli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin/jaccard.js'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe.skipIf(skipReason !== null)(title, () => {
  let batch: Batch;
  beforeAll(async () => {
    batch = await faceBatch(BATCH);
  });

  it(`trains every model x loss ${STEPS} steps from the same weights as wasm, losses within 1e-3`, async () => {
    const wasm = new Map<string, { losses: number[]; start: Float32Array[] }>();
    await initBackend('wasm');
    for (const model of MODEL_IDS) {
      for (const loss of LOSS_IDS)
        wasm.set(`${model} ${loss}`, await trainSteps(model, loss, batch, null));
    }
    expect(await initBackend('tensorflow')).toBe('tensorflow');
    expect(tf.getBackend()).toBe('tensorflow');
    const worst: string[] = [];
    let largest = 0;
    for (const model of MODEL_IDS) {
      for (const loss of LOSS_IDS) {
        const reference = wasm.get(`${model} ${loss}`)!;
        const { losses } = await trainSteps(model, loss, batch, reference.start);
        losses.forEach((l, s) => {
          const w = reference.losses[s]!;
          const relative = Math.abs(l - w) / Math.max(Math.abs(w), 1e-8);
          largest = Math.max(largest, relative);
          if (!(relative <= 1e-3)) {
            worst.push(`${model} ${loss} step ${s + 1}: tensorflow ${l}, wasm ${w}`);
          }
        });
        // Training moved the loss: the steps did something on both backends.
        expect(losses[STEPS - 1]).not.toBe(losses[0]);
      }
    }
    console.log(
      `largest relative loss difference, tensorflow vs wasm: ${largest.toExponential(2)}`,
    );
    expect(worst).toEqual([]);
  });

  it('saves a checkpoint and resumes from it on tensorflow', async () => {
    await initBackend('tensorflow');
    const dir = mkdtempSync(join(tmpdir(), 'jaccard-tf-checkpoint-'));
    try {
      const net = buildModel(modelConfig('unet'));
      const optimizer = tf.train.adam(1e-3);
      await steps(net, optimizer, 'iou', batch, 2);
      const state = { epoch: 1, bestValIou: null, bestEpoch: null, staleEpochs: 0, seconds: 1 };
      await saveCheckpoint(dir, net, optimizer, state);
      const [continued] = await steps(net, optimizer, 'iou', batch, 1);
      optimizer.dispose();
      net.dispose();

      const resumedNet = buildModel({ ...modelConfig('unet'), seed: 8 });
      const resumedOptimizer = tf.train.adam(1e-3);
      expect(await loadCheckpoint(dir, resumedNet, resumedOptimizer)).toEqual(state);
      const [resumed] = await steps(resumedNet, resumedOptimizer, 'iou', batch, 1);
      resumedOptimizer.dispose();
      resumedNet.dispose();
      expect(Math.abs(resumed! - continued!) / continued!).toBeLessThan(1e-5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('a run trained with `jaccard train --backend tensorflow`', () => {
    let fx: Fixture;
    let run: Run;
    let stderr: string;

    beforeAll(async () => {
      fx = await faceFixture({ train: 4, test: 2 });
      const db = join(fx.dataDir, 'jaccard.db');
      const flags = ['--size', String(SIZE), '--epochs', '3', '--batch', '2', '--filters', '4'];
      const result = await jaccardCli([
        'train',
        '--dataset',
        'face',
        '--backend',
        'tensorflow',
        ...flags,
        '--depth',
        '3',
        '--json',
        '--db',
        db,
      ]);
      stderr = result.err;
      expect(result.code, result.err).toBe(0);
      const end = result.out
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { event: string; run?: Run })
        .find((line) => line.event === 'end');
      run = getRun(fx.ctx.db, end!.run!.id);
    }, 300_000);
    afterAll(() => fx?.dispose());

    it('records the backend and says which TensorFlow ran', async () => {
      expect(run.status).toBe('finished');
      expect(run.backend).toBe('tensorflow');
      await initBackend('tensorflow');
      const version = nativeVersion()!;
      expect(version).toMatch(/^TensorFlow \d+\.\d+\.\d+ \(@tensorflow\/tfjs-node 4\.22\.0\)$/);
      expect(stderr).toContain(version);
    });

    it("predicts the same masks as wasm from the run's model (IoU >= 0.999)", async () => {
      const images = await faceBatch(BATCH);
      const predict = async (backend: 'wasm' | 'tensorflow') => {
        await initBackend(backend);
        const runtime = tfjsRuntime(await loadRunModel(fx.dataDir, run), SIZE);
        try {
          return await runtime.forward(images.x, BATCH);
        } finally {
          runtime.dispose();
        }
      };
      const onWasm = await predict('wasm');
      const onTensorflow = await predict('tensorflow');
      expect(tf.getBackend()).toBe('tensorflow');
      // Trained masks, not a constant: something is foreground and something is not.
      const foreground = onTensorflow.filter((p) => p >= 0.5).length;
      expect(foreground).toBeGreaterThan(0);
      expect(foreground).toBeLessThan(onTensorflow.length);
      expect(maskIou(onTensorflow, onWasm)).toBeGreaterThanOrEqual(0.999);
    });
  });
});
