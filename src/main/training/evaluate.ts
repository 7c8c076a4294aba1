// Test-split evaluation, through the predictor at each image's own size (tfjs or ONNX
// Runtime behind the runtime seam). Predictions are scored the way they are stored, as
// round(p*255) at each image's own resolution against its current mask, so metrics
// recomputed later from the PNGs (scoring.ts: any threshold, runs.imageMetrics,
// `jaccard evaluate`) match the ones the trainer recorded at 0.5 exactly.
import type { Run } from '#shared/domain';
import type { Db } from '../store/database';
import { listRunImages, replaceRunImages, type RunImageRow } from '../store/runs';
import { initBackend } from './backend';
import { backendFailure } from './backend-errors';
import { loadImage, runSplits, type SampleRef, type SplitName } from './data';
import { predictOptionsOf, predictProbabilities, type PredictOptions } from '../predict/predict';
import type { Runtime } from '../predict/runtime';
import { loadRunModel } from '../predict/runtimes';
import { tfjsRuntime } from '../predict/tfjs-runtime';
import { predictionFile } from './run-files';
import {
  scoreImage,
  scoreStoredPredictions,
  storePrediction,
  summarize,
  type Evaluation,
  type Scored,
} from './scoring';

/**
 * Each image's probability map at its own resolution, as bytes round(p * 255), in order.
 * The next image decodes while the runtime works on this one.
 */
export async function* predictImages<T extends Pick<SampleRef, 'file' | 'stem'>>(
  runtime: Runtime,
  dataDir: string,
  refs: readonly T[],
  options: PredictOptions,
): AsyncGenerator<{ ref: T; prob: Uint8Array }> {
  let next = refs.length ? loadImage(dataDir, refs[0]!) : null;
  for (const [i, ref] of refs.entries()) {
    const image = await next!;
    next = i + 1 < refs.length ? loadImage(dataDir, refs[i + 1]!) : null;
    // An unread rejection would crash the process if this one throws first.
    next?.catch(() => undefined);
    yield { ref, prob: await predictProbabilities(runtime, image, options) };
  }
}

/**
 * Predicts the test images, stores each probability map as a PNG and the per-image
 * metrics as run_images rows (replacing earlier ones), and returns the evaluation.
 */
export async function evaluateAndStore(options: {
  db: Db;
  dataDir: string;
  runId: number;
  runtime: Runtime;
  refs: readonly SampleRef[];
  predict: PredictOptions;
  onImage?: (done: number, total: number) => void;
}): Promise<Evaluation> {
  const { db, dataDir, runId, runtime, refs } = options;
  const scored: Scored[] = [];
  for await (const { ref, prob } of predictImages(runtime, dataDir, refs, options.predict)) {
    await storePrediction(dataDir, predictionFile(runId, ref.imageId), { ...ref, prob });
    scored.push(await scoreImage(dataDir, ref, prob));
    options.onImage?.(scored.length, refs.length);
  }
  const evaluation = summarize(scored, 0.5);
  const rows: RunImageRow[] = evaluation.images.map((m) => ({
    ...m,
    prediction: predictionFile(runId, m.imageId),
  }));
  replaceRunImages(db, runId, rows);
  return evaluation;
}

/**
 * Scores a run's best model on one split. The test split comes from the stored
 * predictions when the run has them; other splits (or a run without them) are predicted
 * afresh with the saved weights, which needs tfjs and an initialised backend.
 */
export async function evaluateRun(
  db: Db,
  dataDir: string,
  run: Run,
  split: SplitName,
  threshold: number,
): Promise<Evaluation> {
  if (split === 'test' && listRunImages(db, run.id).length > 0) {
    return scoreStoredPredictions(db, dataDir, run.id, threshold);
  }
  const { config } = run;
  const refs = runSplits(db, config)[split];
  await initBackend(config.backend);
  const runtime = tfjsRuntime(await loadRunModel(dataDir, run), config.size);
  try {
    const scored: Scored[] = [];
    for await (const { ref, prob } of predictImages(
      runtime,
      dataDir,
      refs,
      predictOptionsOf(config),
    )) {
      scored.push(await scoreImage(dataDir, ref, prob));
    }
    return summarize(scored, threshold);
  } catch (error) {
    throw backendFailure(error, { task: 'prediction', runId: run.id, size: config.size });
  } finally {
    runtime.dispose();
  }
}
