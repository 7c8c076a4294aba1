// A finished run's probability map for any stored image, made on first ask and kept
// (runs.predict, the annotator's "Predict"). Checks and the stored-file lookup need no
// tfjs; the predictor (service.ts) is loaded only when a map has to be made.
import { existsSync } from 'node:fs';
import { ApiError } from '#shared/errors';
import type { DataContext } from '../context';
import { absolutePath } from '../files';
import { getStoredImage } from '../store/images';
import { findPredictionFile, getRun, insertPrediction } from '../store/runs';
import { predictionFile } from '../training/run-files';

/** Makes sure the run's map of the image is stored; answers its file, relative to the data folder. */
export async function ensurePrediction(
  ctx: DataContext,
  runId: number,
  imageId: number,
): Promise<string> {
  const run = getRun(ctx.db, runId);
  // Any dataset's image: a model trained on one folder pre-labels the next.
  const image = getStoredImage(ctx.db, imageId);
  if (run.status !== 'finished') {
    throw new ApiError('invalid', `Run ${runId} is ${run.status}; only finished runs predict.`);
  }
  // The weights of a finished run never change, so a stored map stays right.
  const stored = findPredictionFile(ctx.db, runId, imageId);
  if (stored && existsSync(absolutePath(ctx.dataDir, stored))) return stored;
  const { predictStoredImage } = await import('./service');
  const file = stored ?? predictionFile(runId, imageId);
  const { uncertainty } = await predictStoredImage(ctx.dataDir, run, image, file);
  insertPrediction(ctx.db, runId, imageId, file, uncertainty);
  return file;
}
