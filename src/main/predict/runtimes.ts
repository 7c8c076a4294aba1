// Which runtime predicts for a run. Every predicting path (the app's pre-labels, `jaccard
// predict`, evaluation) opens its runtime here, so adding a runtime is one entry below.
import type * as tf from '@tensorflow/tfjs';
import type { Run } from '#shared/domain';
import { ApiError } from '#shared/errors';
import { initBackend } from '../training/backend';
import { hasSavedModel, loadWeightsInto } from '../training/checkpoint';
import { buildModel } from '../training/models';
import { runFolders } from '../training/run-files';
import { onnxRuntime, onnxRuntimeLoads } from './onnx-runtime';
import type { Runtime } from './runtime';
import { tfjsRuntime } from './tfjs-runtime';
import { CHANNELS } from './view';

/** 'auto' is ONNX Runtime where onnxruntime-node loads (several times faster on a CPU), else tfjs. */
export const RUNTIME_IDS = ['auto', 'tfjs', 'onnx'] as const;
export type RuntimeChoice = (typeof RUNTIME_IDS)[number];

/** The folder holding the run's best weights (its last checkpoint while it has no best yet). */
export function savedModelFolder(dataDir: string, run: Run): string {
  const folders = runFolders(dataDir, run.id);
  const weights = hasSavedModel(folders.model) ? folders.model : folders.checkpoint;
  if (!hasSavedModel(weights)) {
    throw new ApiError('invalid', `Run ${run.id} has no saved model yet; train it first.`);
  }
  return weights;
}

/**
 * A network built from the run's config with its best weights. Needs an initialised
 * backend; the caller disposes the model.
 */
export async function loadRunModel(dataDir: string, run: Run): Promise<tf.LayersModel> {
  const weights = savedModelFolder(dataDir, run);
  const model = buildModel({ ...run.config, channels: CHANNELS, seed: run.config.seed });
  try {
    await loadWeightsInto(model, weights);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

/** Opens a runtime for the run's saved model; the caller disposes it. */
export async function openRuntime(
  dataDir: string,
  run: Run,
  choice: RuntimeChoice = 'auto',
): Promise<Runtime> {
  switch (choice) {
    case 'auto':
      return openRuntime(dataDir, run, (await onnxRuntimeLoads()) ? 'onnx' : 'tfjs');
    case 'onnx': {
      // Loaded on demand: exporting needs protobufjs and, the first time, tfjs.
      const { cachedRunOnnx } = await import('../onnx/run-model');
      return onnxRuntime(await cachedRunOnnx(dataDir, run), run.config.size);
    }
    case 'tfjs':
      // The fastest backend here, for every run: a run's forced backend was for training.
      await initBackend();
      return tfjsRuntime(await loadRunModel(dataDir, run), run.config.size);
  }
}
