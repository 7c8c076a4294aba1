// What the bench parent and its contenders (one child process per backend: the tfjs and
// ONNX Runtime ones through Node IPC, PyTorch through JSON lines on stdio) say to each other.

import type { ModelId } from '../src/shared/ids';

/** The reference network and workload (issue 4); every contender builds the same. */
export interface Workload {
  /** The U-Net is the reference; PyTorch builds only that one. */
  model: ModelId;
  size: number;
  batch: number;
  baseFilters: number;
  depth: number;
  /** Batch norm after every hidden convolution (convolutions then have no bias), as the app trains by default. */
  batchNorm: boolean;
  warmup: number;
  /** One image of this side per 'infer' (0: no inference). */
  inferSize: number;
  /** 'infer-batch': this many patches of inferBatchSize at once, as sliding windows run. */
  inferBatch: number;
  inferBatchSize: number;
}

export const REFERENCE: Workload = {
  model: 'unet',
  size: 128,
  batch: 8,
  baseFilters: 16,
  depth: 4,
  batchNorm: false,
  warmup: 2,
  inferSize: 512,
  inferBatch: 8,
  inferBatchSize: 256,
};

export type Measure = 'train' | 'infer' | 'infer-batch';

export type Command = { cmd: Measure } | { cmd: 'exit' };

/** First message of a contender: set up and warmed up, or why it cannot run. */
export type Hello =
  | {
      ready: true;
      params: number;
      threads: number | null;
      version: string;
      /** False for inference-only contenders (ONNX Runtime). */
      trains?: boolean;
      /** How the contender was set up to run as fast as it can here, for the report. */
      setup?: string;
    }
  | { skipped: string };

export interface Timing {
  ms: number;
}
