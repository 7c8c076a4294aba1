// Rescoring stored predictions from cached value histograms: the same numbers as scoring
// the decoded pixels at every threshold, one decode per file for a whole slider drag, and
// a fresh decode whenever a prediction or mask file changes.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { computeComparison } from '../../src/main/compare/compute';
import { decodeImage } from '../../src/main/images/decode';
import { getStoredImage } from '../../src/main/store/images';
import { insertMask } from '../../src/main/store/masks';
import {
  createRun,
  deleteRun,
  listRunImages,
  replaceRunImages,
  updateRun,
} from '../../src/main/store/runs';
import { loadTruth } from '../../src/main/training/data';
import { scoreStoredPredictions, storePrediction } from '../../src/main/training/scoring';
import {
  confusion,
  metricsFromConfusion,
  sumConfusions,
  DEFAULT_THRESHOLDS,
} from '../../src/shared/metrics';
import { faceRuns, type FaceRuns } from './compare-fixture';

vi.mock('../../src/main/images/decode', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/main/images/decode')>();
  return { ...actual, decodeImage: vi.fn(actual.decodeImage) };
});
const decodes = vi.mocked(decodeImage);

const IMAGES = 20;
/** Both ends, the stored one, between and exactly on stored byte values (128/255). */
const THRESHOLDS = [0, 0.05, 0.3, 0.31, 0.5, 128 / 255, 0.5019, 0.7, 0.999, 1];

let fx: FaceRuns;

beforeAll(async () => {
  fx = await faceRuns({ runs: 2, test: IMAGES });
}, 60_000);

afterAll(() => fx?.dispose());

/** What rescoring did before the cache: decode both PNGs, count pixel by pixel. */
async function pixelwise(runId: number, threshold: number) {
  return (await pixelwiseScorer(runId))(threshold);
}

async function pixelwiseScorer(runId: number) {
  const truths: Uint8Array[] = [];
  const probs: Uint8Array[] = [];
  const images: { imageId: number; stem: string }[] = [];
  for (const row of listRunImages(fx.ctx.db, runId)) {
    const image = getStoredImage(fx.ctx.db, row.imageId);
    const ref = { ...image, imageId: image.id, maskFile: image.maskFile! };
    const decoded = await decodeImage(await readFile(join(fx.dataDir, row.prediction)));
    truths.push(await loadTruth(fx.dataDir, ref));
    probs.push(decoded.data.filter((_, i) => i % decoded.channels === 0));
    images.push({ imageId: image.id, stem: image.stem });
  }
  const sweep = DEFAULT_THRESHOLDS.map((threshold) => {
    const pooled = metricsFromConfusion(
      sumConfusions(truths.map((t, i) => confusion(t, probs[i]!, threshold))),
    );
    return { threshold, iou: pooled.iou, dice: pooled.dice };
  });
  return (threshold: number) => {
    const counts = truths.map((t, i) => confusion(t, probs[i]!, threshold));
    return {
      threshold,
      images: images.map((im, i) => ({ ...im, ...metricsFromConfusion(counts[i]!) })),
      pooled: metricsFromConfusion(sumConfusions(counts)),
      sweep,
    };
  };
}

describe('rescoring from cached histograms', () => {
  it('matches pixel-wise scoring at every threshold, images, pooled and sweep', async () => {
    for (const run of fx.runs) {
      const expected = await pixelwiseScorer(run.id);
      for (const threshold of THRESHOLDS) {
        const actual = await scoreStoredPredictions(fx.ctx.db, fx.dataDir, run.id, threshold);
        expect(actual).toEqual(expected(threshold));
      }
    }
  });

  it('gives the comparison the same numbers as pixel-wise scoring', async () => {
    const ids = fx.runs.map((r) => r.id);
    const scorers = await Promise.all(ids.map(pixelwiseScorer));
    for (const threshold of THRESHOLDS) {
      const result = await computeComparison(fx.ctx, ids, threshold);
      for (const [i, compared] of result.runs.entries()) {
        const expected = scorers[i]!(threshold);
        expect(compared.metrics).toEqual(expected.pooled);
        const iou = new Map(expected.images.map((m) => [m.imageId, m.iou]));
        for (const image of result.images) expect(image.iou[i]).toBe(iou.get(image.imageId));
      }
    }
  });

  it('decodes each prediction and mask once for any number of thresholds', async () => {
    const run = createFinishedCopy(fx.runs[0]!.id);
    await writePredictions(run, (p) => p);
    decodes.mockClear();
    for (const threshold of THRESHOLDS) {
      await scoreStoredPredictions(fx.ctx.db, fx.dataDir, run, threshold);
    }
    expect(decodes).toHaveBeenCalledTimes(2 * IMAGES);
  });

  it('rescores a prediction rewritten by a new evaluation', async () => {
    const run = fx.runs[1]!.id;
    await scoreStoredPredictions(fx.ctx.db, fx.dataDir, run, 0.4);
    const [row] = listRunImages(fx.ctx.db, run);
    const inverted = fx.probs.get(`${run}/${row!.imageId}`)!.map((v) => 255 - v);
    await store(run, row!.imageId, inverted);
    decodes.mockClear();
    const after = await scoreStoredPredictions(fx.ctx.db, fx.dataDir, run, 0.4);
    expect(decodes).toHaveBeenCalledTimes(2);
    expect(after).toEqual(await pixelwise(run, 0.4));
    const truth = fx.truths.get(row!.imageId)!;
    expect(after.images[0]!.iou).toBe(metricsFromConfusion(confusion(truth, inverted, 0.4)).iou);
    await store(run, row!.imageId, fx.probs.get(`${run}/${row!.imageId}`)!);
  });

  it('rescores against a new mask revision', async () => {
    const run = fx.runs[0]!.id;
    await scoreStoredPredictions(fx.ctx.db, fx.dataDir, run, 0.4);
    const [row] = listRunImages(fx.ctx.db, run);
    const image = getStoredImage(fx.ctx.db, row!.imageId);
    const full = new Uint8Array(image.width * image.height).fill(255);
    await storePrediction(fx.dataDir, 'files/masks/full.png', { ...image, prob: full });
    insertMask(fx.ctx.db, {
      imageId: image.id,
      file: 'files/masks/full.png',
      foreground: 1,
      source: 'annotation',
    });
    const after = await scoreStoredPredictions(fx.ctx.db, fx.dataDir, run, 0.4);
    expect(after).toEqual(await pixelwise(run, 0.4));
    const prob = fx.probs.get(`${run}/${image.id}`)!;
    const image0 = after.images.find((m) => m.imageId === image.id)!;
    expect(image0.iou).toBe(metricsFromConfusion(confusion(full, prob, 0.4)).iou);
  });

  it('scores a new run that reuses a deleted run’s id and file names afresh', async () => {
    const first = createFinishedCopy(fx.runs[0]!.id);
    await writePredictions(first, (p) => p);
    const before = await scoreStoredPredictions(fx.ctx.db, fx.dataDir, first, 0.4);
    deleteRun(fx.ctx.db, first);
    const second = createFinishedCopy(fx.runs[0]!.id);
    expect(second).toBe(first);
    await writePredictions(second, (p) => p.map((v) => 255 - v));
    const after = await scoreStoredPredictions(fx.ctx.db, fx.dataDir, second, 0.4);
    expect(after).toEqual(await pixelwise(second, 0.4));
    expect(after.pooled).not.toEqual(before.pooled);
  });

  it('reports a prediction file that went missing after it was scored', async () => {
    const run = createFinishedCopy(fx.runs[0]!.id);
    const files = await writePredictions(run, (p) => p);
    await scoreStoredPredictions(fx.ctx.db, fx.dataDir, run, 0.4);
    await rm(join(fx.dataDir, files[0]!));
    await expect(scoreStoredPredictions(fx.ctx.db, fx.dataDir, run, 0.4)).rejects.toMatchObject({
      code: 'not-found',
      message: `Prediction file ${files[0]} of run ${run} is missing.`,
    });
  });
});

/** A finished run with the source run's config and rows, its predictions still unwritten. */
function createFinishedCopy(sourceId: number): number {
  const source = fx.runs.find((r) => r.id === sourceId)!;
  const run = createRun(fx.ctx.db, { config: source.config, name: 'copy' });
  const rows = listRunImages(fx.ctx.db, sourceId).map((row) => ({
    ...row,
    prediction: `files/runs/${run.id}/predictions/${row.imageId}.png`,
  }));
  replaceRunImages(fx.ctx.db, run.id, rows);
  updateRun(fx.ctx.db, run.id, { status: 'finished', test: source.test });
  return run.id;
}

/** Writes the source run's predictions, transformed, under the run's own file names. */
async function writePredictions(
  runId: number,
  transform: (prob: Uint8Array) => Uint8Array,
): Promise<string[]> {
  const source = fx.runs[0]!.id;
  const rows = listRunImages(fx.ctx.db, runId);
  for (const row of rows) {
    await store(runId, row.imageId, transform(fx.probs.get(`${source}/${row.imageId}`)!));
  }
  return rows.map((r) => r.prediction);
}

async function store(runId: number, imageId: number, prob: Uint8Array): Promise<void> {
  const image = getStoredImage(fx.ctx.db, imageId);
  const file = listRunImages(fx.ctx.db, runId).find((r) => r.imageId === imageId)!.prediction;
  await storePrediction(fx.dataDir, file, { ...image, prob });
}
