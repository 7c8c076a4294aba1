// Native TensorFlow (@tensorflow/tfjs-node) against the wasm backend, where the rig is
// built (`npm run setup:tensorflow`, or an npm install that could download libtensorflow):
// every model x loss takes the same three Adam steps from the same weights on both; a
// checkpoint saved on tensorflow resumes there; predictions agree with wasm's; and
// `jaccard train --backend tensorflow` records the backend and TensorFlow's version.
// Elsewhere every test here skips and says why.
import * as tf from '@tensorflow/tfjs';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRunModel } from '../../src/main/predict/runtimes';
import { tfjsRuntime } from '../../src/main/predict/tfjs-runtime';
import { getRun } from '../../src/main/store/runs';
import { availableBackends, initBackend, nativeVersion } from '../../src/main/training/backend';
import { loadCheckpoint, saveCheckpoint } from '../../src/main/training/checkpoint';
import { buildModel, type ModelConfig } from '../../src/main/training/models';
import type { Run } from '../../src/shared/domain';
import { LOSS_IDS, MODEL_IDS, type LossId, type ModelId } from '../../src/shared/ids';
import {
  faceBatch,
  relativeDifference,
  steps,
  trainSteps as rigSteps,
  type Batch,
} from './backend-rig';
import { repoRoot } from '../paths';
import { faceFixture, type Fixture } from './train-fixture';

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

/** Adam steps on the current backend from the given weights; the losses. */
const trainSteps = (model: ModelId, loss: LossId, batch: Batch, start: Float32Array[] | null) =>
  rigSteps(modelConfig(model), loss, batch, start, STEPS);

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
    batch = await faceBatch(BATCH, SIZE);
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
          const relative = relativeDifference(l, w);
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
      const images = await faceBatch(BATCH, SIZE);
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
