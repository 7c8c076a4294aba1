// runs.predict: a finished run's model on images it has no stored prediction for, served
// through the same media path as the test predictions.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../src/main/api';
import { absolutePath } from '../../src/main/files';
import { resolveMedia } from '../../src/main/images/media';
import { createRun, findPredictionFile, listRunImages } from '../../src/main/store/runs';
import { trainRun } from '../../src/main/training/trainer';
import type { ImageRecord, ImportReport, Run } from '../../src/shared/domain';
import { FACE } from '../paths';
import { faceFixture, tinyConfig, type Fixture } from './train-fixture';

describe('runs.predict', () => {
  let fx: Fixture;
  let run: Run;
  let images: ImageRecord[];

  const call = <T>(method: string, input: unknown) => dispatch(fx.ctx, method, input) as Promise<T>;
  const predictionPixels = async (runId: number, imageId: number) => {
    const { file } = await resolveMedia(fx.ctx, { kind: 'prediction', runId, imageId });
    const { channels } = await sharp(file).metadata();
    const { data, info } = await sharp(file)
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data, info: { ...info, channels } };
  };

  beforeAll(async () => {
    fx = await faceFixture({ train: 4, test: 2 });
    // An image imported after the run, unassigned and without a mask, at 4x the size.
    const folder = join(fx.dataDir, '..', 'later');
    mkdirSync(folder);
    const stem = readdirSync(join(FACE, 'train/images')).sort().at(-1)!;
    await sharp(join(FACE, 'train/images', stem))
      .resize({ width: 728, height: 1024, fit: 'fill' })
      .toFile(join(folder, 'big.png'));

    const created = createRun(fx.ctx.db, { config: tinyConfig(fx.datasetId), name: 'tiny' });
    run = await trainRun({ db: fx.ctx.db, dataDir: fx.dataDir, runId: created.id });
    expect(run.status).toBe('finished');
    await call<ImportReport>('datasets.import', { folder, datasetId: fx.datasetId });
    images = await call<ImageRecord[]>('images.list', { datasetId: fx.datasetId });
  });
  afterAll(() => fx?.dispose());

  it('predicts a train image and a newly imported one at their own resolution', async () => {
    for (const image of images.filter((i) => i.split !== 'test')) {
      await expect(call('runs.predict', { runId: run.id, imageId: image.id })).resolves.toEqual({
        kind: 'prediction',
        runId: run.id,
        imageId: image.id,
      });
      const { data, info } = await predictionPixels(run.id, image.id);
      expect([info.width, info.height, info.channels]).toEqual([image.width, image.height, 1]);
      // A probability map, not a thresholded mask: more than two grey levels.
      expect(new Set(data).size).toBeGreaterThan(2);
    }
    const big = images.find((i) => i.split === 'unassigned')!;
    expect([big.width, big.height]).toEqual([728, 1024]);
    // On-demand maps are not test results: the run's metrics stay as they were.
    expect(listRunImages(fx.ctx.db, run.id)).toHaveLength(2);
  });

  it('makes the same map the trainer stored for a test image', async () => {
    const test = images.find((i) => i.split === 'test')!;
    const file = findPredictionFile(fx.ctx.db, run.id, test.id)!;
    const stored = await predictionPixels(run.id, test.id);
    // Stored already: answered without predicting, the file untouched.
    await call('runs.predict', { runId: run.id, imageId: test.id });
    expect((await predictionPixels(run.id, test.id)).data.equals(stored.data)).toBe(true);

    rmSync(absolutePath(fx.dataDir, file));
    await call('runs.predict', { runId: run.id, imageId: test.id });
    const again = await predictionPixels(run.id, test.id);
    expect(findPredictionFile(fx.ctx.db, run.id, test.id)).toBe(file);
    // The engine predicts on its fastest backend, the run trained on cpu: float rounding
    // may move a grey level by one, nothing more.
    let worst = 0;
    for (let i = 0; i < again.data.length; i++) {
      worst = Math.max(worst, Math.abs(again.data[i]! - stored.data[i]!));
    }
    expect(worst).toBeLessThanOrEqual(1);
  });

  it("predicts another dataset's images (pre-labels), and refuses runs that have not finished", async () => {
    const folder = join(fx.dataDir, '..', 'later');
    const other = await call<ImportReport>('datasets.import', { folder, name: 'other' });
    const [foreign] = await call<ImageRecord[]>('images.list', { datasetId: other.dataset.id });
    await call('runs.predict', { runId: run.id, imageId: foreign!.id });
    const { info } = await predictionPixels(run.id, foreign!.id);
    expect([info.width, info.height]).toEqual([foreign!.width, foreign!.height]);

    const queued = createRun(fx.ctx.db, { config: tinyConfig(fx.datasetId), name: 'queued' });
    await expect(
      call('runs.predict', { runId: queued.id, imageId: images[0]!.id }),
    ).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/is queued/) });
    await expect(call('runs.predict', { runId: run.id, imageId: 987654 })).rejects.toMatchObject({
      code: 'not-found',
    });
  });
});
