// Scoring predictions without tfjs: a probability map against its image's mask, kept as
// a value histogram so any threshold scores it, and the run's stored test predictions
// (8-bit grey PNGs, round(p*255) at each image's own resolution) rescored at any
// threshold. The API, Compare and `jaccard evaluate` load this without loading tfjs;
// evaluate.ts predicts and then scores through it.
import type { ImageMetrics, SegmentationMetrics } from '#shared/domain';
import {
  DEFAULT_THRESHOLDS,
  histogramConfusion,
  metricsFromConfusion,
  sumConfusions,
  sumHistograms,
  valueHistogram,
  type SweepPoint,
  type ValueHistogram,
} from '#shared/metrics';
import { absolutePath, writeFileAtomic } from '../files';
import { encodePng } from '../images/decode';
import type { Db } from '../store/database';
import { getStoredImage } from '../store/images';
import { listRunImages } from '../store/runs';
import { loadTruth, type SampleRef } from './data';
import { predictionHistograms } from './prediction-histograms';

export interface Evaluation {
  threshold: number;
  images: ImageMetrics[];
  /** Pooled over the images (counts added); null when there are none. */
  pooled: SegmentationMetrics | null;
  /** Pooled IoU and Dice over a range of thresholds. */
  sweep: SweepPoint[];
}

/** An image's prediction against its mask, kept as a histogram: any threshold scores it. */
export interface Scored {
  ref: SampleRef;
  histogram: ValueHistogram;
}

/** An image's probability map (bytes round(p * 255)) against its current mask. */
export async function scoreImage(
  dataDir: string,
  ref: SampleRef,
  prob: Uint8Array,
): Promise<Scored> {
  return { ref, histogram: valueHistogram(await loadTruth(dataDir, ref), prob) };
}

/** Per-image and pooled metrics at `threshold`, and the pooled sweep over thresholds. */
export function summarize(scored: readonly Scored[], threshold: number): Evaluation {
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
