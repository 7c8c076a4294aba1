// Stored test predictions scored against current masks, as value histograms kept between
// calls: the Compare view's threshold slider rescores the same runs again and again, and
// decoding the PNGs is nearly all of that cost, while a histogram scores any threshold.
//
// Entries are keyed by both files' paths and identities (inode, size, mtime), not by run:
// re-evaluating a run rewrites its predictions under the same names (atomically, so as new
// files), and a deleted run's id can come back with a new run. A stale entry is never hit
// again and ages out.
import { readFile, stat } from 'node:fs/promises';
import { ApiError } from '#shared/errors';
import { valueHistogram, type ValueHistogram } from '#shared/metrics';
import { absolutePath } from '../files';
import { decodeImage } from '../images/decode';
import type { RawImage } from '../images/raw';
import { loadTruth, type SampleRef } from './data';

/** About 4 KB each, so at most ~33 MB: 16 runs of 500 test images. */
const LIMIT = 8_000;

/** Least recently used first; pending decodes are shared, failed ones dropped. */
const cache = new Map<string, Promise<ValueHistogram>>();

export interface PredictionRef {
  runId: number;
  /** Relative to the data folder. */
  file: string;
  ref: SampleRef;
}

/** One histogram per prediction, in order; decodes only what the cache lacks, one at a time. */
export async function predictionHistograms(
  dataDir: string,
  predictions: readonly PredictionRef[],
): Promise<ValueHistogram[]> {
  // Identities in parallel: with every entry cached, these stats are the whole cost.
  const keys = await Promise.all(
    predictions.map(async ({ file, ref }) => {
      const ids = await Promise.all([identity(dataDir, file), identity(dataDir, ref.maskFile)]);
      return ids.includes(null) ? null : ids.join('|');
    }),
  );
  const out: ValueHistogram[] = [];
  for (const [i, prediction] of predictions.entries()) {
    const key = keys[i];
    // A missing file is not cached: scoring it reports what is missing.
    out.push(
      await (key ? cached(key, () => score(dataDir, prediction)) : score(dataDir, prediction)),
    );
  }
  return out;
}

async function identity(dataDir: string, file: string): Promise<string | null> {
  const abs = absolutePath(dataDir, file);
  const s = await stat(abs, { bigint: true }).catch(() => null);
  return s && `${abs}:${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}`;
}

function cached(key: string, make: () => Promise<ValueHistogram>): Promise<ValueHistogram> {
  let entry = cache.get(key);
  if (entry) cache.delete(key);
  else {
    entry = make();
    entry.catch(() => {
      if (cache.get(key) === entry) cache.delete(key);
    });
  }
  cache.set(key, entry);
  if (cache.size > LIMIT) cache.delete(cache.keys().next().value!);
  return entry;
}

async function score(
  dataDir: string,
  { runId, file, ref }: PredictionRef,
): Promise<ValueHistogram> {
  const bytes = await readFile(absolutePath(dataDir, file)).catch(() => {
    throw new ApiError('not-found', `Prediction file ${file} of run ${runId} is missing.`);
  });
  return valueHistogram(await loadTruth(dataDir, ref), firstChannel(await decodeImage(bytes)));
}

/** Our predictions are grey PNGs; one saved as RGB by another tool scores by its red. */
function firstChannel({ data, channels }: RawImage): Uint8Array {
  if (channels === 1) return data;
  // A plain loop: Array.prototype.filter with an index test is slower than the decode.
  const out = new Uint8Array(data.length / channels);
  for (let p = 0; p < out.length; p++) out[p] = data[p * channels]!;
  return out;
}
