// Test-split evaluation. Predictions are scored the way they are stored, as round(p*255)
// at each image's own resolution against its current mask, so metrics recomputed later
// from the PNGs (any threshold, runs.imageMetrics, `jaccard evaluate`) match the ones the
// trainer recorded at 0.5 exactly.
import * as tf from '@tensorflow/tfjs';
import type { ImageMetrics, Run, SegmentationMetrics } from '../../shared/domain';
import { ApiError } from '../../shared/errors';
import { absolutePath, writeFileAtomic } from '../files';
import { encodePng } from '../images/decode';
import type { Db } from '../store/database';
import { getStoredImage } from '../store/images';
import { listRunImages, replaceRunImages, type RunImageRow } from '../store/runs';
import { initBackend } from './backend';
import { backendFailure } from './backend-errors';
import { breathe } from './breathe';
import { hasSavedModel, loadWeightsInto } from './checkpoint';
import {
  CHANNELS,
  chunks,
  loadSamples,
  loadTruth,
  maskedImages,
  splitImages,
  type Sample,
  type SampleRef,
  type SplitName,
} from './data';
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
import { buildModel } from './models';
import { predictionHistograms } from './prediction-histograms';
import { predictionFile, runFolders } from './run-files';
import { wasmCrash } from './wasm-heap';

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

/** What predicting an image needs: its pixels at the model's size and its own resolution. */
export type PredictInput = Pick<Sample, 'pixels' | 'width' | 'height'>;

/** Probability maps as round(p * 255), upsampled to each image's own width and height. */
export async function* predict<T extends PredictInput>(
  model: tf.LayersModel,
  samples: readonly T[],
  size: number,
  batchSize: number,
): AsyncGenerator<{ sample: T; prob: Uint8Array }> {
  const area = size * size * CHANNELS;
  for (const group of chunks(samples, batchSize)) {
    const x = new Float32Array(group.length * area);
    group.forEach((sample, i) => x.set(sample.pixels, i * area));
    const probs = tf.tidy(() => {
      const input = tf.tensor4d(x, [group.length, size, size, CHANNELS]);
      return tf.sigmoid(model.predict(input) as tf.Tensor4D) as tf.Tensor4D;
    });
    for (const [i, sample] of group.entries()) {
      // After the forward pass and between upsamplings, not once after all of them.
      await breathe();
      const bytes = tf.tidy(() => {
        const one = probs.slice([i, 0, 0, 0], [1, size, size, 1]);
        // Half-pixel centres: the same pixel grid convention the resize to `size` used.
        const up = tf.image.resizeBilinear(one, [sample.height, sample.width], false, true);
        return tf.clipByValue(tf.round(tf.mul(up, 255)), 0, 255).toInt();
      });
      const prob = Uint8Array.from(await bytes.data());
      bytes.dispose();
      yield { sample, prob };
    }
    probs.dispose();
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
  model: tf.LayersModel;
  samples: readonly Sample[];
  size: number;
  batchSize: number;
  onImage?: (done: number, total: number) => void;
}): Promise<Evaluation> {
  const { db, dataDir, runId, model, samples, size, batchSize } = options;
  const scored: Scored[] = [];
  for await (const { sample, prob } of predict(model, samples, size, batchSize)) {
    await storePrediction(dataDir, predictionFile(runId, sample.imageId), { ...sample, prob });
    scored.push({ ref: sample, histogram: valueHistogram(await loadTruth(dataDir, sample), prob) });
    options.onImage?.(scored.length, samples.length);
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
  const model = await loadRunModel(dataDir, run);
  try {
    const samples = await loadSamples(dataDir, refs, config.size);
    const scored: Scored[] = [];
    for await (const { sample, prob } of predict(model, samples, config.size, config.batchSize)) {
      scored.push({
        ref: sample,
        histogram: valueHistogram(await loadTruth(dataDir, sample), prob),
      });
    }
    return summarize(scored, threshold);
  } catch (error) {
    throw backendFailure(error, { task: 'prediction', runId: run.id, size: config.size });
  } finally {
    // Freeing on a crashed wasm module can corrupt or hang it.
    if (!wasmCrash()) model.dispose();
  }
}

/**
 * A network built from the run's config with its best weights (its last checkpoint while
 * it has no best yet). Needs an initialised backend; the caller disposes the model.
 */
export async function loadRunModel(dataDir: string, run: Run): Promise<tf.LayersModel> {
  const folders = runFolders(dataDir, run.id);
  const weights = hasSavedModel(folders.model) ? folders.model : folders.checkpoint;
  if (!hasSavedModel(weights)) {
    throw new ApiError('invalid', `Run ${run.id} has no saved model yet; train it first.`);
  }
  const model = buildModel({ ...run.config, channels: CHANNELS, seed: run.config.seed });
  try {
    await loadWeightsInto(model, weights);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}
