// Predictions on demand, in the engine: a finished run's best model on any image of its
// dataset (train, unassigned, imported after the run), stored like the test predictions
// so media URLs, the annotator and the compare view read them alike. The api module
// imports this lazily, so tfjs loads on the first prediction, not when the engine starts.
//
// tfjs kernels run synchronously on the engine's thread. The image is resized to the
// model's input by sharp (off-thread) first, so the thread is held only for one
// forward pass at the model's size and the upsampling of one map, never for decoding.
import type * as tf from '@tensorflow/tfjs';
import type { Run } from '../../shared/domain';
import type { StoredImage } from '../store/images';
import { initBackend } from './backend';
import { assertBackendUsable, backendFailure } from './backend-errors';
import { loadPixels } from './data';
import { loadRunModel, predict, storePrediction } from './evaluate';

/** Loaded models kept for the next image: annotating walks one run over many images. */
const CACHED_MODELS = 2;

/** Least recently used first; keyed by id and creation time, as a deleted run's id can return. */
const models = new Map<string, Promise<tf.LayersModel>>();

let backend: Promise<unknown> | undefined;
/** One prediction at a time, so several requests never hold full-size maps at once. */
let queue: Promise<unknown> = Promise.resolve();

/**
 * Predicts `image` with the run's best weights and writes the probability map to `file`
 * (relative to the data folder). The caller checks that the run is finished and the
 * image is in its dataset, and records the file.
 */
export function predictImage(
  dataDir: string,
  run: Run,
  image: StoredImage,
  file: string,
): Promise<void> {
  const job = queue.then(() => predictNow(dataDir, run, image, file));
  queue = job.catch(() => undefined);
  return job;
}

async function predictNow(
  dataDir: string,
  run: Run,
  image: StoredImage,
  file: string,
): Promise<void> {
  // The engine lives on after a failed prediction; a crashed wasm module must not run again.
  assertBackendUsable();
  // The fastest backend here, for every run: a run's forced backend was for training.
  backend ??= initBackend().catch((error: unknown) => {
    backend = undefined;
    throw error;
  });
  await backend;
  const { size } = run.config;
  try {
    const [model, pixels] = await Promise.all([
      cachedModel(dataDir, run),
      loadPixels(dataDir, image, size),
    ]);
    const input = { pixels, width: image.width, height: image.height };
    for await (const { prob } of predict(model, [input], size, 1)) {
      await storePrediction(dataDir, file, { ...input, prob });
    }
  } catch (error) {
    throw backendFailure(error, { task: 'prediction', runId: run.id, size });
  }
}

function cachedModel(dataDir: string, run: Run): Promise<tf.LayersModel> {
  const key = `${run.id}@${run.createdAt}`;
  const cached = models.get(key);
  if (cached) {
    models.delete(key);
    models.set(key, cached);
    return cached;
  }
  const loading = loadRunModel(dataDir, run);
  models.set(key, loading);
  loading.catch(() => models.delete(key));
  while (models.size > CACHED_MODELS) {
    const [oldest, evicted] = models.entries().next().value!;
    models.delete(oldest);
    void evicted.then(
      (model) => model.dispose(),
      () => undefined,
    );
  }
  return loading;
}
