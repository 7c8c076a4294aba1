// Predictions in the engine: a finished run's model on any stored image, of its own
// dataset or another (pre-labels, "Predict" in the annotator). The api modules import
// this lazily, so tfjs loads on the first prediction, not when the engine starts.
//
// One prediction runs at a time, so several requests never hold full-size maps at once;
// loaded runtimes are kept for the next image, since annotating walks one run over many.
import type { Run } from '#shared/domain';
import type { StoredImage } from '../store/images';
import { assertBackendUsable, backendFailure } from '../training/backend-errors';
import { loadImage } from '../training/data';
import { storePrediction } from '../training/scoring';
import { deviceFailure } from '../training/webgpu/device';
import { predictOptionsOf, predictProbabilities } from './predict';
import type { Runtime } from './runtime';
import { openRuntime } from './runtimes';
import { meanEntropy } from './uncertainty';

const CACHED_RUNTIMES = 2;

/** Least recently used first; keyed by id and creation time, as a deleted run's id can return. */
const runtimes = new Map<string, Promise<Runtime>>();

let queue: Promise<unknown> = Promise.resolve();

export interface Prediction {
  /** round(p * 255) per pixel at the image's own size. */
  prob: Uint8Array;
  uncertainty: number;
  runtime: string;
}

/**
 * Predicts `image` with the run's best weights and writes the probability map to `file`
 * (relative to the data folder). The caller checks that the run is finished and records
 * the file.
 */
export function predictStoredImage(
  dataDir: string,
  run: Run,
  image: StoredImage,
  file: string,
): Promise<Prediction> {
  const job = queue.then(() => predictNow(dataDir, run, image, file));
  queue = job.catch(() => undefined);
  return job;
}

async function predictNow(
  dataDir: string,
  run: Run,
  image: StoredImage,
  file: string,
): Promise<Prediction> {
  // The engine lives on after a failed prediction; a crashed wasm module must not run again.
  assertBackendUsable();
  try {
    const [runtime, pixels] = await Promise.all([
      cachedRuntime(dataDir, run),
      loadImage(dataDir, image),
    ]);
    const prob = await predictProbabilities(runtime, pixels, predictOptionsOf(run.config));
    await storePrediction(dataDir, file, { prob, width: image.width, height: image.height });
    return { prob, uncertainty: meanEntropy(prob), runtime: runtime.id };
  } catch (error) {
    // A failed GPU device takes the loaded models with it; the next prediction starts
    // the backend again, on a new device.
    const failure = deviceFailure();
    if (failure) dropRuntimes();
    const work = { task: 'prediction', runId: run.id, size: run.config.size } as const;
    throw backendFailure(failure ?? error, work);
  }
}

function dropRuntimes(): void {
  for (const loading of runtimes.values()) disposeWhenLoaded(loading);
  runtimes.clear();
}

function disposeWhenLoaded(loading: Promise<Runtime>): void {
  void loading.then(
    (runtime) => runtime.dispose(),
    () => undefined,
  );
}

function cachedRuntime(dataDir: string, run: Run): Promise<Runtime> {
  const key = `${run.id}@${run.createdAt}`;
  const cached = runtimes.get(key);
  if (cached) {
    runtimes.delete(key);
    runtimes.set(key, cached);
    return cached;
  }
  const loading = openRuntime(dataDir, run);
  runtimes.set(key, loading);
  loading.catch(() => runtimes.delete(key));
  while (runtimes.size > CACHED_RUNTIMES) {
    const [oldest, evicted] = runtimes.entries().next().value!;
    runtimes.delete(oldest);
    disposeWhenLoaded(evicted);
  }
  return loading;
}
