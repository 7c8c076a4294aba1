// How runs read in the Train, Runs and Compare views.
import type { Run, TrainConfig, TrainProgress } from '#shared/domain';
import { duration } from '#shared/format';
import { BACKEND_LABELS, MODEL_LABELS, type BackendId, type RunStatus } from '#shared/ids';
import { inputOf, inputTag } from '#shared/input';

// The run views take it from here with the rest of how runs read.
export { MODEL_LABELS };

export const STATUS_LABELS: Record<RunStatus, string> = {
  queued: 'Queued',
  running: 'Training',
  interrupted: 'Interrupted',
  cancelled: 'Stopped',
  failed: 'Failed',
  finished: 'Finished',
};

export function backendLabel(backend: BackendId | null | undefined): string {
  return backend ? BACKEND_LABELS[backend] : 'Fastest available';
}

/** What the forms call a training setting when they say what is wrong with it. */
export const CONFIG_FIELD_LABELS: Partial<Record<keyof TrainConfig, string>> = {
  epochs: 'Epochs',
  size: 'Image size',
  batchSize: 'Batch size',
  learningRate: 'Learning rate',
  seed: 'Seed',
  validationFraction: 'Validation fraction',
  patience: 'Patience',
  baseFilters: 'Base filters',
  depth: 'Depth',
};

/**
 * "U-Net 64 px · 5 epochs · batch 4 · lr 0.001 · seed 1": what sets a run apart. A group
 * of runs names its several networks in `models`.
 */
export function configSummary(config: TrainConfig, models = MODEL_LABELS[config.model]): string {
  const tag = inputTag(inputOf(config));
  const patches = tag && ` ${tag}`;
  return [
    `${models} ${config.size} px${patches}`,
    ...(config.parentRunId === undefined ? [] : [`from run #${config.parentRunId}`]),
    `${config.epochs} epochs`,
    `batch ${config.batchSize}`,
    `lr ${config.learningRate}`,
    `seed ${config.seed}`,
    config.augment ? 'augmented' : 'no augmentation',
  ].join(' · ');
}

/** "Epoch 2 / 5 · batch 3 / 4 · 12.3 images/s · about 1 min 10 s left". */
export function progressText(p: TrainProgress): string {
  switch (p.phase) {
    case 'loading':
      return 'Loading the images and the backend…';
    case 'evaluating':
      return `Predicting the test images: ${p.batch} / ${p.batches}`;
    case 'done':
      return 'Done';
    case 'training': {
      const eta = p.etaSeconds === null ? '' : ` · about ${duration(p.etaSeconds)} left`;
      return `Epoch ${p.epoch} / ${p.epochs} · batch ${p.batch} / ${p.batches} · ${p.imagesPerSecond.toFixed(1)} images/s${eta}`;
    }
  }
}

/** Overall progress in epochs, for one bar across the whole run. */
export function progressFraction(p: TrainProgress): { value: number; max: number | null } {
  if (p.phase === 'training' && p.batches > 0)
    return { value: p.epoch - 1 + p.batch / p.batches, max: p.epochs };
  if (p.phase === 'evaluating' && p.batches > 0) return { value: p.batch, max: p.batches };
  return { value: 0, max: null };
}

/** The address of the Compare view for these runs. */
export function comparePath(ids: readonly number[]): string {
  return `/compare?runs=${ids.join(',')}`;
}

export function isRun(value: Run | undefined): value is Run {
  return value !== undefined;
}
