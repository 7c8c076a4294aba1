// Test-split evaluation, through the predictor at each image's own size. Predictions are scored the way they are stored, as round(p*255)
// at each image's own resolution against its current mask, so metrics recomputed later
// from the PNGs (any threshold, runs.imageMetrics, `jaccard evaluate`) match the ones the
// trainer recorded at 0.5 exactly.
import type { ImageMetrics, Run, SegmentationMetrics } from '../../shared/domain';
import { absolutePath, writeFileAtomic } from '../files';
import { encodePng } from '../images/decode';
import type { Db } from '../store/database';
import { getStoredImage } from '../store/images';
import { listRunImages, replaceRunImages, type RunImageRow } from '../store/runs';
import { initBackend } from './backend';
import { backendFailure } from './backend-errors';
import {
  loadImage,
  loadTruth,
  maskedImages,
  splitImages,
  type SampleRef,
  type SplitName,
} from './data';
import { predictOptionsOf, predictProbabilities, type PredictOptions } from '../predict/predict';
import type { Runtime } from '../predict/runtime';
import { loadRunModel } from '../predict/runtimes';
import { tfjsRuntime } from '../predict/tfjs-runtime';
import {
  DEFAULT_THRESHOLDS,
  histogramConfusion,
  metricsFromConfusion,
  sumConfusions,
  sumHistograms,
  valueHistogram,
  type SweepPoint,
  type ValueHistogram,
} from '../../shared/metrics';
import { predictionHistograms } from './prediction-histograms';
import { predictionFile } from './run-files';

export interface Evaluation {
  threshold: number;
  images: ImageMetrics[];
  /** Pooled over the images (counts added); null when there are none. */
  pooled: SegmentationMetrics | null;
  /** Pooled IoU and Dice over a range of thresholds. */
  sweep: SweepPoint[];
}

/** An image's prediction against its mask, kept as a histogram: any threshold scores it. */
interface Scored {
  ref: SampleRef;
  histogram: ValueHistogram;
}

function summarize(scored: readonly Scored[], threshold: number): Evaluation {
  const counts = scored.map((s) => histogramConfusion(s.histogram, threshold));
  const pooledHistogram = sumHistograms(scored.map((s) => s.histogram));
  return {
    threshold,
    images: scored.map((s, i) => ({
      imageId: s.ref.imageId,
      stem: s.ref.stem,
      ...metricsFromConfusion(counts[i]!),
    })),
    pooled: scored.length ? metricsFromConfusion(sumConfusions(counts)) : null,
    sweep: scored.length
      ? DEFAULT_THRESHOLDS.map((t) => {
          const { iou, dice } = metricsFromConfusion(histogramConfusion(pooledHistogram, t));
          return { threshold: t, iou, dice };
        })
      : [],
  };
}

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

/** Writes a probability map as the 8-bit grey PNG that media URLs and rescoring read. */
export async function storePrediction(
  dataDir: string,
  file: string,
  image: { prob: Uint8Array; width: number; height: number },
): Promise<void> {
  const { prob, width, height } = image;
  const png = await encodePng({ data: prob, width, height, channels: 1 });
  await writeFileAtomic(absolutePath(dataDir, file), png);
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
    scored.push({ ref, histogram: valueHistogram(await loadTruth(dataDir, ref), prob) });
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
 * Re-scores the stored test predictions of a run at any threshold, without tfjs. Each
 * file is decoded once while it and its mask stay the same, so further thresholds cost
 * next to nothing.
 */
export async function scoreStoredPredictions(
  db: Db,
  dataDir: string,
  runId: number,
  threshold: number,
): Promise<Evaluation> {
  const predictions = listRunImages(db, runId).flatMap((row) => {
    const image = getStoredImage(db, row.imageId);
    if (!image.maskFile) return [];
    const ref: SampleRef = { ...image, imageId: image.id, maskFile: image.maskFile };
    return [{ runId, file: row.prediction, ref }];
  });
  const histograms = await predictionHistograms(dataDir, predictions);
  return summarize(
    predictions.map(({ ref }, i) => ({ ref, histogram: histograms[i]! })),
    threshold,
  );
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
  const refs = splitImages(
    maskedImages(db, config.datasetId),
    config.seed,
    config.validationFraction,
  )[split];
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
      scored.push({ ref, histogram: valueHistogram(await loadTruth(dataDir, ref), prob) });
    }
    return summarize(scored, threshold);
  } catch (error) {
    throw backendFailure(error, { task: 'prediction', runId: run.id, size: config.size });
  } finally {
    runtime.dispose();
  }
}
