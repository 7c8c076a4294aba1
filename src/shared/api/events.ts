// Everything the main side pushes without being asked.
import type { EpochMetrics, Run, TrainProgress } from '../domain';

export interface ApiEvents {
  'import.progress': { datasetId: number; done: number; total: number; file: string };
  'run.progress': TrainProgress;
  'run.epoch': { runId: number; metrics: EpochMetrics };
  /** A run's row changed: status, name, metrics. */
  'run.updated': Run;
  'run.deleted': { id: number };
  'prelabel.progress': { datasetId: number; runId: number; done: number; total: number };
  'predict.progress': { runId: number; done: number; total: number; file: string };
  /** The engine's queue changed: the queued runs in the order they will train. */
  'queue.updated': { ids: number[] };
}

export type EventName = keyof ApiEvents;
export const EVENT_NAMES: readonly EventName[] = [
  'import.progress',
  'run.progress',
  'run.epoch',
  'run.updated',
  'run.deleted',
  'prelabel.progress',
  'predict.progress',
  'queue.updated',
];
