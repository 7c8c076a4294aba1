// Input modes end to end: patch runs train on crops and predict with a sliding window at
// each image's own size, fine-tuning starts from a parent's weights, and a huge image
// neither crashes training nor evaluation.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { absolutePath } from '../../src/main/files';
import { importFolder } from '../../src/main/images/importer';
import { getStoredImage } from '../../src/main/store/images';
import { createRun, getRun, listEpochs, listRunImages } from '../../src/main/store/runs';
import { trainRun } from '../../src/main/training/trainer';
import { loadPatchSources, runSplits } from '../../src/main/training/data';
import { slideWindows } from '../../src/main/predict/predict';
import { loadRunModel } from '../../src/main/predict/runtimes';
import { tfjsRuntime } from '../../src/main/predict/tfjs-runtime';
import {
  confusion,
  metricsFromConfusion,
  sumConfusions,
  type Confusion,
} from '../../src/shared/metrics';
import type { TrainProgress } from '../../src/shared/domain';
import { faceFixture, greyPixels, tinyConfig, type Fixture } from './train-fixture';

describe('input modes on real face images', () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await faceFixture({ train: 4, test: 2 });
  });
  afterAll(() => fx?.dispose());

  const train = async (overrides: Parameters<typeof tinyConfig>[1], progress?: TrainProgress[]) => {
    const run = createRun(fx.ctx.db, { config: tinyConfig(fx.datasetId, overrides), name: 'r' });
    return trainRun({
      db: fx.ctx.db,
      dataDir: fx.dataDir,
      runId: run.id,
      events: { progress: (p) => progress?.push(p) },
    });
  };

  it('trains a patch run on crops and predicts the test images at their own size', async () => {
    const progress: TrainProgress[] = [];
    const run = await train({ input: { mode: 'patches', scale: 0.5 }, epochs: 1 }, progress);
    expect(run.error).toBeNull();
    expect(run.status).toBe('finished');
    expect(getRun(fx.ctx.db, run.id).config.input).toEqual({ mode: 'patches', scale: 0.5 });
    // 3 training images (one validates) at 91x128, 12 crops of 32 px each, batch 2.
    expect(Math.max(...progress.map((p) => p.batches))).toBe(18);
    const rows = listRunImages(fx.ctx.db, run.id);
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      const image = getStoredImage(fx.ctx.db, row.imageId);
      const prob = await greyPixels(absolutePath(fx.dataDir, row.prediction));
      expect([prob.width, prob.height]).toEqual([image.width, image.height]);
    }
    expect(run.test!.iou).toBeGreaterThan(0);

    // Its validation IoU is that of the whole validation image under the sliding window,
    // as prediction sees it, not of fixed tiles that cut the face at their edges.
    const [held] = await loadPatchSources(fx.dataDir, runSplits(fx.ctx.db, run.config).validation, {
      mode: 'patches',
      scale: 0.5,
    });
    const runtime = tfjsRuntime(await loadRunModel(fx.dataDir, run), 32);
    const counts: Confusion[] = [];
    await slideWindows(runtime, held!.image, { batchSize: 2 }, (y, row) => {
      const { width } = held!.image;
      counts.push(confusion(held!.mask.subarray(y * width, (y + 1) * width), row));
    });
    runtime.dispose();
    expect(run.bestValIou).toBeCloseTo(metricsFromConfusion(sumConfusions(counts)).iou, 6);
  });

  it("draws the run's share of crops on the target: uniform crops train on other pixels", async () => {
    const input = { mode: 'patches', scale: 0.5 } as const;
    const centred = await train({ input, epochs: 1 });
    const uniform = await train({ input: { ...input, foregroundCrops: 0 }, epochs: 1 });
    expect(uniform.status).toBe('finished');
    expect(getRun(fx.ctx.db, uniform.id).config.input).toEqual({ ...input, foregroundCrops: 0 });
    // The same seed and weights: only the crops differ.
    const loss = (runId: number) => listEpochs(fx.ctx.db, runId)[0]!.trainLoss;
    expect(loss(uniform.id)).not.toBe(loss(centred.id));
  });

  it('fine-tunes from a parent run: with no learning, it predicts what the parent did', async () => {
    const mean = async (runId: number) => {
      const out: number[] = [];
      for (const row of listRunImages(fx.ctx.db, runId)) {
        const { data } = await greyPixels(absolutePath(fx.dataDir, row.prediction));
        out.push(data.reduce((a, b) => a + b, 0) / data.length);
      }
      return out;
    };
    const first = await train({});
    const still = { epochs: 1, learningRate: 1e-12 } as const;
    const child = await train({ ...still, parentRunId: first.id });
    const scratch = await train({ ...still, seed: 7 });
    expect(child.status).toBe('finished');
    const [parent, tuned, fresh] = await Promise.all([
      mean(first.id),
      mean(child.id),
      mean(scratch.id),
    ]);
    const gap = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
    // Batch-norm statistics are recomputed on the child's own images; weights are the parent's.
    expect(gap(tuned, parent)).toBeLessThan(gap(fresh, parent));
    expect(gap(tuned, parent)).toBeLessThan(3);
  });
});

describe('a 16000 x 16000 image in a dataset', () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await faceFixture({ train: 3, test: 0 });
    const folder = join(fx.dataDir, '..', 'huge');
    mkdirSync(join(folder, 'test', 'images'), { recursive: true });
    mkdirSync(join(folder, 'test', 'masks'), { recursive: true });
    const side = 16000;
    const disc = Buffer.from(
      `<svg width="${side}" height="${side}"><circle cx="8000" cy="8000" r="5000" fill="white"/></svg>`,
    );
    const base = (background: string) =>
      sharp({ create: { width: side, height: side, channels: 3, background } }).composite([
        { input: disc },
      ]);
    await base('#402010').png({ compressionLevel: 1 }).toFile(join(folder, 'test/images/huge.png'));
    await base('#000000')
      .toColourspace('b-w')
      .png({ compressionLevel: 1 })
      .toFile(join(folder, 'test/masks/huge.png'));
    const report = await importFolder(fx.ctx, { folder, datasetId: fx.datasetId });
    expect(report.problems).toEqual([]);
  }, 300_000);
  afterAll(() => fx?.dispose());

  it('trains and evaluates a resize run, storing a prediction at 16000 x 16000', async () => {
    const run = createRun(fx.ctx.db, {
      config: tinyConfig(fx.datasetId, { epochs: 1, validationFraction: 0 }),
      name: 'huge',
    });
    const done = await trainRun({ db: fx.ctx.db, dataDir: fx.dataDir, runId: run.id });
    expect(done.error).toBeNull();
    expect(done.status).toBe('finished');
    const [row] = listRunImages(fx.ctx.db, run.id);
    const meta = await sharp(absolutePath(fx.dataDir, row!.prediction), {
      limitInputPixels: false,
    }).metadata();
    expect([meta.width, meta.height]).toEqual([16000, 16000]);
  }, 600_000);
});
