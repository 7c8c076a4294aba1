import { z } from 'zod';
import type { EpochMetrics, ImageMetrics, Run } from '../domain';
import { BACKEND_IDS, LOSS_IDS, MODEL_IDS } from '../ids';
import { inputModeSchema } from '../input';
import { call } from './contract';
import type { MediaPath } from './media';

const id = z.number().int().positive();

/** Seeds one paired launch queues at most (two runs each): a grid beyond is `jaccard experiment`'s. */
export const PAIRED_SEEDS_MAX = 20;

/** The published values the losses use for parameters a run leaves unset (docs/losses.md). */
export const LOSS_DEFAULTS = {
  tverskyAlpha: 0.3,
  tverskyBeta: 0.7,
  focalGamma: 2,
  focalAlpha: 0.25,
} as const;

/** Loss parameters, each optional: unset ones take LOSS_DEFAULTS. */
export const lossOptionsSchema = z.object({
  /** IoU, Jaccard, Dice, Tversky and Lovász per image, averaged, instead of over the whole batch. */
  perImage: z.boolean().optional(),
  /** Tversky: weight of false positives. */
  tverskyAlpha: z.number().min(0).max(1).optional(),
  /** Tversky: weight of false negatives. */
  tverskyBeta: z.number().min(0).max(1).optional(),
  /** Focal: the focusing exponent. */
  focalGamma: z.number().min(0).max(10).optional(),
  /** Focal: weight of the foreground class (background gets 1 - alpha). */
  focalAlpha: z.number().min(0).max(1).optional(),
});

/** Defaults are the "Standard" preset; the CLI and the Train view start from them. */
export const trainConfigSchema = z.object({
  datasetId: id,
  loss: z.enum(LOSS_IDS).default('iou'),
  model: z.enum(MODEL_IDS).default('unet'),
  /** Square input side in pixels: the whole image resized to it, or the patch size. */
  size: z.number().int().min(16).max(1024).multipleOf(16).default(128),
  epochs: z.number().int().min(1).max(10_000).default(30),
  batchSize: z.number().int().min(1).max(256).default(8),
  learningRate: z.number().positive().max(1).default(1e-3),
  seed: z.number().int().nonnegative().default(1),
  /** Fraction of the train split held out for validation and early stopping. */
  validationFraction: z.number().min(0).max(0.5).default(0.2),
  /**
   * Trains on only this many of the dataset's labelled train images (train and validation
   * together, a seeded subset; test untouched), as a user who has labelled that many
   * would: the IoU loss's lead over BCE on a sparse target depends on it. Left out, every
   * labelled train image takes part.
   */
  labelled: z
    .number()
    .int()
    .min(2, 'Label at least 2 images: one to train on and one to validate with.')
    .optional(),
  augment: z.boolean().default(true),
  /** Epochs without a better validation IoU before stopping; 0 turns it off. */
  patience: z.number().int().nonnegative().default(10),
  baseFilters: z.number().int().min(2).max(128).default(16),
  depth: z.number().int().min(1).max(6).default(4),
  batchNorm: z.boolean().default(true),
  /** Forces a backend; by default the fastest that loads. */
  backend: z.enum(BACKEND_IDS).optional(),
  /** What the network sees: the whole image resized, or patches (see shared/input.ts). */
  input: inputModeSchema.default({ mode: 'resize' }),
  /** Fine-tunes from this finished run's best weights instead of starting from scratch. */
  parentRunId: id.optional(),
  /** The loss's parameters; left out, every loss is as published. */
  lossOptions: lossOptionsSchema.optional(),
});

export interface RunDetail extends Run {
  epochs: EpochMetrics[];
}

export const runCalls = {
  'runs.list': call<Run[]>()(z.object({ datasetId: id.optional() })),
  'runs.get': call<RunDetail>()(z.object({ id })),
  /** Queues a run; it starts when the trainer is free. */
  'runs.start': call<Run>()(
    z.object({ config: trainConfigSchema, name: z.string().trim().max(120).optional() }),
  ),
  /** Paired runs that differ only in the loss: same split, model, schedule, per seed. */
  /** Queues a run per loss and seed, paired for comparison (Train's "Compare the losses"). */
  'runs.startPaired': call<Run[]>()(
    z.object({
      config: trainConfigSchema.omit({ loss: true, seed: true }),
      losses: z.array(z.enum(LOSS_IDS)).min(2),
      seeds: z.array(z.number().int().nonnegative()).min(1).max(PAIRED_SEEDS_MAX),
    }),
  ),
  'runs.stop': call<Run>()(z.object({ id })),
  'runs.resume': call<Run>()(z.object({ id })),
  'runs.rerun': call<Run>()(z.object({ id })),
  'runs.rename': call<Run>()(z.object({ id, name: z.string().trim().min(1).max(120) })),
  'runs.delete': call<void>()(z.object({ id })),
  /**
   * The run's best model and a run.json saying how to feed it, into `folder`: tfjs's
   * model.json + weights.bin, or model.onnx. Files already there are kept unless `overwrite`.
   */
  'runs.exportWeights': call<{ folder: string; files: string[] }>()(
    z.object({
      id,
      folder: z.string().min(1),
      format: z.enum(['tfjs', 'onnx']).default('tfjs'),
      overwrite: z.boolean().default(false),
    }),
  ),
  /**
   * A finished run's probability map for any image of its dataset, made and stored on
   * first ask (test images have theirs already). Answers the media path to load it from.
   */
  'runs.predict': call<Extract<MediaPath, { kind: 'prediction' }>>()(
    z.object({ runId: id, imageId: id }),
  ),
  /** Per-image test metrics, recomputed from stored probabilities at any threshold. */
  'runs.imageMetrics': call<ImageMetrics[]>()(
    z.object({ id, threshold: z.number().min(0).max(1).default(0.5) }),
  ),
};
