// Finished runs on real fasseg-face test images without training them: each run's
// "predictions" are its masks blurred by seeded noise, stored as the trainer stores them
// (8-bit PNGs at each image's own size, run_images rows, pooled test metrics at 0.5), so
// comparing them rescores real PNGs against real masks.
import { listStoredImages } from '../../src/main/store/images';
import { createRun, replaceRunImages, updateRun } from '../../src/main/store/runs';
import { loadTruth } from '../../src/main/training/data';
import { storePrediction } from '../../src/main/training/scoring';
import { createRng } from '../../src/main/training/random';
import { predictionFile } from '../../src/main/training/run-files';
import type { Run } from '../../src/shared/domain';
import { confusion, metricsFromConfusion, sumConfusions } from '../../src/shared/metrics';
import { faceFixture, tinyConfig, type Fixture } from './train-fixture';

export interface FaceRuns extends Fixture {
  runs: Run[];
  /** Current mask of each test image, by image id. */
  truths: Map<number, Uint8Array>;
  /** Stored prediction bytes, by `${runId}/${imageId}`. */
  probs: Map<string, Uint8Array>;
}

/** Each run is a little noisier than the one before, so they differ image by image. */
export async function faceRuns(options: { runs: number; test: number }): Promise<FaceRuns> {
  const fixture = await faceFixture({ train: 0, test: options.test });
  const { ctx, dataDir, datasetId } = fixture;
  const images = listStoredImages(ctx.db, datasetId).filter((i) => i.maskFile);
  const truths = new Map<number, Uint8Array>();
  for (const image of images) {
    const ref = { ...image, imageId: image.id, maskFile: image.maskFile! };
    truths.set(image.id, await loadTruth(dataDir, ref));
  }
  const probs = new Map<string, Uint8Array>();
  const runs: Run[] = [];
  for (let r = 0; r < options.runs; r++) {
    const config = tinyConfig(datasetId, { seed: r + 1 });
    const run = createRun(ctx.db, { config, name: `synthetic ${r + 1}` });
    const noise = createRng(r + 1);
    const spread = 0.4 + 0.1 * r;
    const rows = [];
    for (const image of images) {
      const truth = truths.get(image.id)!;
      const prob = truth.map((t) => {
        const p = (t ? 0.7 : 0.3) + (noise() - 0.5) * 2 * spread;
        return Math.round(Math.min(1, Math.max(0, p)) * 255);
      });
      const prediction = predictionFile(run.id, image.id);
      await storePrediction(dataDir, prediction, { ...image, prob });
      probs.set(`${run.id}/${image.id}`, prob);
      rows.push({ imageId: image.id, prediction, ...metricsFromConfusion(confusion(truth, prob)) });
    }
    replaceRunImages(ctx.db, run.id, rows);
    const pooled = sumConfusions(
      images.map((i) => confusion(truths.get(i.id)!, probs.get(`${run.id}/${i.id}`)!)),
    );
    runs.push(
      updateRun(ctx.db, run.id, {
        status: 'finished',
        backend: 'cpu',
        test: metricsFromConfusion(pooled),
        finishedAt: new Date().toISOString(),
        durationSeconds: 1,
      }),
    );
  }
  return { ...fixture, runs, truths, probs };
}
