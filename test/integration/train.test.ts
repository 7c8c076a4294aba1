import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { absolutePath } from '../../src/main/files';
import { getStoredImage } from '../../src/main/store/images';
import { createRun, listEpochs, listRunImages, runPid } from '../../src/main/store/runs';
import { scoreStoredPredictions } from '../../src/main/training/scoring';
import { runFolders } from '../../src/main/training/run-files';
import { trainRun } from '../../src/main/training/trainer';
import type { TrainProgress } from '../../src/shared/domain';
import { faceFixture, tinyConfig, type Fixture } from './train-fixture';

describe('trainer on real face images', () => {
  let fx: Fixture;

  beforeAll(async () => {
    fx = await faceFixture({ train: 4, test: 2 });
  });
  afterAll(() => fx?.dispose());

  it('trains, keeps curves and checkpoints, evaluates the test split and stores predictions', async () => {
    const run = createRun(fx.ctx.db, { config: tinyConfig(fx.datasetId), name: 'tiny' });
    const progress: TrainProgress[] = [];
    const epochs: number[] = [];
    const done = await trainRun({
      db: fx.ctx.db,
      dataDir: fx.dataDir,
      runId: run.id,
      events: { progress: (p) => progress.push(p), epoch: (_id, m) => epochs.push(m.epoch) },
    });

    expect(done.error).toBeNull();
    expect(done.status).toBe('finished');
    expect(done.backend).toBe('cpu');
    expect(done.epochsDone).toBe(2);
    expect(done.splitSizes).toEqual({ train: 3, validation: 1, test: 2 });
    expect(runPid(fx.ctx.db, run.id)).toBeNull();
    expect(done.durationSeconds).toBeGreaterThan(0);
    expect(epochs).toEqual([1, 2]);
    expect(progress.some((p) => p.phase === 'training' && p.batches === 2)).toBe(true);
    expect(progress.at(-1)?.phase).toBe('done');

    const curve = listEpochs(fx.ctx.db, run.id);
    expect(curve.map((e) => e.epoch)).toEqual([1, 2]);
    for (const e of curve) {
      expect(Number.isFinite(e.trainLoss) && e.trainLoss > 0 && e.trainLoss <= 1).toBe(true);
      expect(e.valIou).toBeGreaterThanOrEqual(0);
      expect(e.valIou).toBeLessThanOrEqual(1);
    }

    expect(done.test).not.toBeNull();
    expect(done.test!.iou).toBeGreaterThanOrEqual(0);
    const rows = listRunImages(fx.ctx.db, run.id);
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(existsSync(absolutePath(fx.dataDir, row.prediction))).toBe(true);

    // The stored PNGs reproduce the recorded metrics exactly.
    const rescored = await scoreStoredPredictions(fx.ctx.db, fx.dataDir, run.id, 0.5);
    expect(rescored.pooled).toEqual(done.test);
    expect(rescored.images.map((m) => m.iou)).toEqual(rows.map((r) => r.iou));
    // Predictions are at the image's own resolution, not the model's 32px.
    const { default: sharp } = await import('sharp');
    const image = getStoredImage(fx.ctx.db, rows[0]!.imageId);
    const meta = await sharp(absolutePath(fx.dataDir, rows[0]!.prediction)).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([image.width, image.height, 1]);
    expect(image.height).toBe(256);

    const folders = runFolders(fx.dataDir, run.id);
    expect(existsSync(`${folders.model}/model.json`)).toBe(true);
    expect(existsSync(`${folders.checkpoint}/optimizer.bin`)).toBe(true);
  });

  it('repeats exactly with the same seed', async () => {
    const config = tinyConfig(fx.datasetId, { epochs: 1, seed: 5 });
    const losses = [];
    for (let i = 0; i < 2; i++) {
      const run = createRun(fx.ctx.db, { config, name: `repeat ${i}` });
      await trainRun({ db: fx.ctx.db, dataDir: fx.dataDir, runId: run.id });
      losses.push(listEpochs(fx.ctx.db, run.id)[0]!.trainLoss);
    }
    expect(losses[0]).toBe(losses[1]);
    const other = createRun(fx.ctx.db, { config: { ...config, seed: 6 }, name: 'other seed' });
    await trainRun({ db: fx.ctx.db, dataDir: fx.dataDir, runId: other.id });
    expect(listEpochs(fx.ctx.db, other.id)[0]!.trainLoss).not.toBe(losses[0]);
  });

  it('ends a cancelled run as cancelled, resumable', async () => {
    const run = createRun(fx.ctx.db, { config: tinyConfig(fx.datasetId), name: 'cancel' });
    const controller = new AbortController();
    const done = await trainRun({
      db: fx.ctx.db,
      dataDir: fx.dataDir,
      runId: run.id,
      signal: controller.signal,
      events: { epoch: () => controller.abort() },
    });
    expect(done.status).toBe('cancelled');
    expect(done.epochsDone).toBe(1);
    const resumed = await trainRun({ db: fx.ctx.db, dataDir: fx.dataDir, runId: run.id });
    expect(resumed.status).toBe('finished');
    expect(listEpochs(fx.ctx.db, run.id).map((e) => e.epoch)).toEqual([1, 2]);
  });

  it('stops early when validation IoU stops improving', async () => {
    // A learning rate this small leaves the predictions, and so the validation IoU, unchanged.
    const config = tinyConfig(fx.datasetId, { epochs: 5, patience: 1, learningRate: 1e-12 });
    const run = createRun(fx.ctx.db, { config, name: 'early stop' });
    const done = await trainRun({ db: fx.ctx.db, dataDir: fx.dataDir, runId: run.id });
    expect(done.status).toBe('finished');
    expect(done.epochsDone).toBe(2);
    expect(done.test).not.toBeNull();
  });
});
