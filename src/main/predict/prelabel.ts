// Pre-labelling: a finished run's masks for the images of a dataset that still need a
// person, stored as mask revisions marked 'prediction'. They show in the annotator like
// any mask, train only once accepted or corrected (training/data.ts), and each keeps its
// probability map and uncertainty so "Label next" can order them.
import type { PrelabelReport } from '#shared/domain';
import { ApiError } from '#shared/errors';
import type { AppContext } from '../context';
import { storeContent, withStoreErrors } from '../files';
import { encodeMask, foregroundFraction } from '../images/mask';
import { getDataset } from '../store/datasets';
import { imagesToLabel } from '../store/images';
import { insertMask } from '../store/masks';
import { getRun, insertPrediction } from '../store/runs';
import { predictionFile } from '../training/run-files';
import { thresholdMask } from './predict';
import { predictStoredImage } from './service';

/** The threshold pre-labels are cut at: the one every metric reports by default. */
export const PRELABEL_THRESHOLD = 0.5;

export async function prelabelDataset(
  ctx: AppContext,
  input: { datasetId: number; runId: number; imageIds?: readonly number[] },
): Promise<PrelabelReport> {
  const { db, dataDir } = ctx;
  const { datasetId, runId } = input;
  getDataset(db, datasetId);
  const run = getRun(db, runId);
  if (run.status !== 'finished') {
    throw new ApiError('invalid', `Run ${runId} is ${run.status}; only finished runs pre-label.`);
  }
  let targets = imagesToLabel(db, datasetId).map((t) => t.image);
  if (input.imageIds) {
    const wanted = new Set(input.imageIds);
    targets = targets.filter((image) => wanted.delete(image.id));
    if (wanted.size > 0) {
      throw new ApiError(
        'invalid',
        `Image(s) ${[...wanted].join(', ')} are not images of this dataset that need a mask.`,
      );
    }
  }
  const started = performance.now();
  const report: PrelabelReport = {
    runId,
    datasetId,
    images: 0,
    seconds: 0,
    runtime: null,
    skipped: [],
  };
  for (const [i, image] of targets.entries()) {
    const file = predictionFile(runId, image.id);
    try {
      const { prob, uncertainty, runtime } = await predictStoredImage(dataDir, run, image, file);
      report.runtime = runtime;
      insertPrediction(db, runId, image.id, file, uncertainty);
      const mask = thresholdMask(prob, PRELABEL_THRESHOLD);
      const png = await encodeMask({ data: mask, width: image.width, height: image.height });
      const stored = await storeContent(dataDir, 'masks', png, 'png');
      withStoreErrors(db, () =>
        insertMask(
          db,
          {
            imageId: image.id,
            file: stored,
            foreground: foregroundFraction(mask),
            source: 'prediction',
          },
          // Refused if the user saved a mask meanwhile: theirs wins.
          image.mask?.revision ?? 0,
        ),
      );
      report.images++;
    } catch (error) {
      // Only this image's own problems are skipped; a failing backend ends the job.
      if (!(error instanceof ApiError) || !['conflict', 'invalid', 'io'].includes(error.code)) {
        throw error;
      }
      report.skipped.push({ imageId: image.id, stem: image.stem, reason: error.message });
    }
    ctx.events.emit('prelabel.progress', { datasetId, runId, done: i + 1, total: targets.length });
  }
  report.seconds = (performance.now() - started) / 1000;
  return report;
}
