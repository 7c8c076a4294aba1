// Records as the store hands them to every side. Plain data only: they cross IPC and
// the loopback bridge unchanged.
import type { z } from 'zod';
import type { trainConfigSchema } from './api/runs';
import type { BackendId, MaskSource, RunStatus, Split } from './ids';

export interface Dataset {
  id: number;
  name: string;
  createdAt: string;
  imageCount: number;
  maskedCount: number;
  /** Of the masked, those whose mask is still a run's pre-label: no person has checked it. */
  prelabelledCount: number;
  /**
   * Mean foreground fraction over the masks a person made, imported or accepted (not
   * untouched pre-labels); null when there is none.
   */
  foreground: number | null;
  splits: Record<Split, number>;
  /**
   * Test images with the same bytes as a train or unassigned image (not excluded): they
   * are not independent of training, and Train and Compare say so.
   */
  testInTrain: number;
}

export interface ImageRecord {
  id: number;
  datasetId: number;
  stem: string;
  split: Split;
  width: number;
  height: number;
  /** Current mask revision, or null while the image needs a mask. */
  mask: MaskRevision | null;
  /** Kept in the dataset but never trained, validated or tested on. */
  excluded: boolean;
}

export interface MaskRevision {
  id: number;
  imageId: number;
  revision: number;
  foreground: number;
  source: MaskSource;
  createdAt: string;
}

/**
 * Whether a mask is a run's pre-label that no person has checked yet: it does not train or
 * test until someone accepts or corrects it.
 */
export function isPrelabel(mask: Pick<MaskRevision, 'source'> | null | undefined): boolean {
  return mask?.source === 'prediction';
}

/**
 * Whether an image trains and tests: it has a mask a person drew, imported or accepted
 * (an untouched pre-label does not count) and is not excluded.
 */
export function hasTrainingMask(image: Pick<ImageRecord, 'mask' | 'excluded'>): boolean {
  return image.mask !== null && !isPrelabel(image.mask) && !image.excluded;
}

/**
 * Whether an image waits for a person, what pre-labelling predicts and "Label next"
 * orders: not excluded, with no mask yet or a pre-label nobody has accepted or corrected.
 */
export function needsPerson(image: Pick<ImageRecord, 'mask' | 'excluded'>): boolean {
  return !image.excluded && !hasTrainingMask(image);
}

/** What pre-labelling a dataset did. */
export interface PrelabelReport {
  runId: number;
  datasetId: number;
  /** Images that got a pre-label. */
  images: number;
  seconds: number;
  /** The runtime that predicted, e.g. 'tfjs-wasm'. */
  runtime: string | null;
  /** Images left alone, with why (edited meanwhile, unreadable). */
  skipped: { imageId: number; stem: string; reason: string }[];
}

/** What predicting a folder (or a dataset's images) into a folder did. */
export interface PredictFolderReport {
  runId: number;
  /** The absolute folder written to. */
  out: string;
  images: number;
  seconds: number;
  imagesPerSecond: number;
  /** The runtime that predicted, e.g. 'onnxruntime-cpu'. */
  runtime: string;
  threshold: number;
  /** Files skipped, with why. */
  problems: ImportProblem[];
}

/** Images to label or check next, the least certain pre-label first. */
export interface LabelQueue {
  /** How uncertainty is measured, in words for the UI. */
  measure: string;
  images: {
    imageId: number;
    stem: string;
    /** Null for an image with neither a mask nor a pre-label yet; they come last. */
    uncertainty: number | null;
    /** The run whose pre-label it is. */
    runId: number | null;
  }[];
}

export interface ImportProblem {
  file: string;
  reason: string;
}

export interface ImportReport {
  dataset: Dataset;
  images: number;
  masks: number;
  splits: Record<Split, number>;
  problems: ImportProblem[];
}

/** A run's configuration, as its schema (api/runs.ts) makes it. */
export type TrainConfig = z.output<typeof trainConfigSchema>;

export interface EpochMetrics {
  epoch: number;
  trainLoss: number;
  valLoss: number;
  valIou: number;
  imagesPerSecond: number;
  seconds: number;
}

export interface SegmentationMetrics {
  iou: number;
  dice: number;
  accuracy: number;
  precision: number;
  recall: number;
}

/** The GPU a webgpu run trained on, as the WebGPU adapter names it. */
export interface GpuAdapter {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}

/** Images per part of a run's split. */
export interface SplitSizes {
  train: number;
  validation: number;
  test: number;
}

export interface Run {
  id: number;
  name: string;
  datasetId: number;
  datasetName: string;
  config: TrainConfig;
  status: RunStatus;
  backend: BackendId | null;
  /** The adapter a webgpu run trained on; null for other backends and runs not started. */
  adapter: GpuAdapter | null;
  /** Paired runs launched together (a compare or an experiment cell) share a group. */
  groupId: string | null;
  /**
   * Images the run trained, validated and tested on, as its trainer last split them (patch
   * runs crop the train and validation ones); null until it starts, and on runs stored
   * before it was recorded.
   */
  splitSizes: SplitSizes | null;
  epochsDone: number;
  bestValIou: number | null;
  /** Pooled over the test split at threshold 0.5, once the run is evaluated. */
  test: SegmentationMetrics | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationSeconds: number | null;
}

export interface ImageMetrics extends SegmentationMetrics {
  imageId: number;
  stem: string;
}

export interface TrainProgress {
  runId: number;
  phase: 'loading' | 'training' | 'evaluating' | 'done';
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  imagesPerSecond: number;
  etaSeconds: number | null;
}
