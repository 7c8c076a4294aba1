// What the bench parent and its contenders (one child process per backend: the tfjs
// ones through Node IPC, PyTorch through JSON lines on stdio) say to each other.

/** The reference network and workload (issue 4); every contender builds the same. */
export interface Workload {
  size: number;
  batch: number;
  baseFilters: number;
  depth: number;
  warmup: number;
  inferSize: number;
}

export const REFERENCE: Workload = {
  size: 128,
  batch: 8,
  baseFilters: 16,
  depth: 4,
  warmup: 2,
  inferSize: 512,
};

export type Command = { cmd: 'train' } | { cmd: 'infer' } | { cmd: 'exit' };

/** First message of a contender: set up and warmed up, or why it cannot run. */
export type Hello =
  { ready: true; params: number; threads: number | null; version: string } | { skipped: string };

export interface Timing {
  ms: number;
}
