// Runs an experiment's cells from the CLI: each cell is a stored run trained by its own
// trainer process (training/worker.ts, the one the engine forks), up to `parallel` at
// once. Restartable at any point:
// - a cell whose run finished is skipped;
// - a cell whose run was interrupted, cancelled or failed resumes from its checkpoint
//   (the trainer's own resume path), keeping its run id and curve;
// - a cell whose trainer fails or dies during this invocation is tried once more.
// A run is created only when its cell starts, so an engine opened meanwhile never sees
// queued experiment runs to pick up itself.
import { availableParallelism } from 'node:os';
import type { ExperimentCell } from '#shared/api/experiments';
import type { Run } from '#shared/domain';
import { STARTABLE, type RunStatus } from '#shared/ids';
import type { DataContext } from '../context';
import { getRun, interruptRun, markDeadRunsInterrupted } from '../store/runs';
import { launchTrainer, trainerEnd, type TrainerProcess } from '../training/trainer-process';
import type { WorkerMessage } from '../training/worker';
import type { ExperimentRecord } from '../store/experiments';
import { createCellRun, experimentCells } from './cells';

/**
 * Trainers at once unless asked. On 2 cores, two single-threaded wasm trainers finished
 * the same cells 1.2-2x sooner than one trainer with two XNNPACK threads (small convs
 * scale poorly across threads); docs/results.md has the measurement.
 */
export const DEFAULT_PARALLEL = Math.min(2, availableParallelism());
/** Attempts per cell and invocation: the first, and one retry. */
const ATTEMPTS = 2;

export type RunnerEvent =
  | {
      event: 'plan';
      experimentId: number;
      cells: number;
      finished: number;
      toRun: number;
      parallel: number;
      threadsPerTrainer: number;
    }
  | { event: 'start'; key: string; runId: number; attempt: number; fromEpoch: number }
  | {
      event: 'epoch';
      key: string;
      runId: number;
      epoch: number;
      epochs: number;
      trainLoss: number;
      valIou: number;
      seconds: number;
    }
  | {
      event: 'end';
      key: string;
      runId: number;
      status: RunStatus;
      testIou: number | null;
      seconds: number | null;
      error: string | null;
      /** It failed and goes back in the queue for its second attempt. */
      retry: boolean;
    }
  | {
      event: 'done';
      finished: number;
      unfinished: string[];
      seconds: number;
    };

export interface RunnerOptions {
  parallel?: number;
  /** Aborting stops every trainer after its batch; their runs end cancelled (resumable). */
  signal?: AbortSignal;
  onEvent?: (event: RunnerEvent) => void;
  /** How long a stopping trainer may take before it is killed. */
  graceMs?: number;
  /** A substitute trainer entry, for tests. */
  workerEntry?: string;
}

export interface RunnerResult {
  cells: ExperimentCell[];
  /** Keys of the cells without a finished run. */
  unfinished: string[];
}

export async function runExperiment(
  ctx: DataContext,
  record: ExperimentRecord,
  options: RunnerOptions = {},
): Promise<RunnerResult> {
  const started = performance.now();
  const parallel = options.parallel ?? DEFAULT_PARALLEL;
  const emit = options.onEvent ?? (() => undefined);
  const threads = trainerThreads(parallel);
  markDeadRunsInterrupted(ctx.db);

  const cells = experimentCells(ctx.db, record);
  const queue = cells.filter((c) => !c.run || STARTABLE.includes(c.run.status));
  emit({
    event: 'plan',
    experimentId: record.id,
    cells: cells.length,
    finished: cells.filter((c) => c.run?.status === 'finished').length,
    toRun: queue.length,
    parallel,
    threadsPerTrainer: threads,
  });

  const attempts = new Map<string, number>();
  const active = new Set<TrainerProcess>();
  const stopAll = () => {
    for (const trainer of active) trainer.stop(options.graceMs ?? 15_000);
  };
  options.signal?.addEventListener('abort', stopAll, { once: true });

  /** A cell's outcome as its run now stands; a finished run reports no error. */
  const ended = (key: string, run: Run, error: string | null, retry: boolean) =>
    emit({
      event: 'end',
      key,
      runId: run.id,
      status: run.status,
      testIou: run.test?.iou ?? null,
      seconds: run.durationSeconds,
      error: run.status === 'finished' ? null : error,
      retry,
    });

  const lane = async () => {
    for (let cell = queue.shift(); cell && !options.signal?.aborted; cell = queue.shift()) {
      const attempt = (attempts.get(cell.key) ?? 0) + 1;
      attempts.set(cell.key, attempt);
      const run = cell.run ?? createCellRun(ctx.db, record, cell);
      cell.run = run;
      if (!STARTABLE.includes(run.status)) {
        // The app's engine started this cell meanwhile: it is that process's to train.
        ended(
          cell.key,
          run,
          `Run ${run.id} is ${run.status} in another Jaccard process; left to it.`,
          false,
        );
        continue;
      }
      emit({ event: 'start', key: cell.key, runId: run.id, attempt, fromEpoch: run.epochsDone });
      let reported: string | null = null;
      const trainer = launchTrainer({
        runId: run.id,
        dataDir: ctx.dataDir,
        entry: options.workerEntry,
        env: { JACCARD_WASM_THREADS: String(threads) },
        // The trainer's own output goes to stderr: stdout carries our JSON lines.
        output: 'stderr',
        onMessage: (message: WorkerMessage) => {
          if (message.type === 'error') reported ??= message.message;
          else if (message.type === 'epoch')
            emit({
              event: 'epoch',
              key: cell.key,
              runId: run.id,
              epoch: message.metrics.epoch,
              epochs: run.config.epochs,
              trainLoss: message.metrics.trainLoss,
              valIou: message.metrics.valIou,
              seconds: message.metrics.seconds,
            });
        },
      });
      active.add(trainer);
      const exit = await trainer.exited;
      active.delete(trainer);
      const message = reported ?? (exit.code === 0 ? null : trainerEnd(exit));
      const after = settle(ctx, run.id, trainer.child.pid);
      cell.run = after;
      const retry =
        (after.status === 'failed' || after.status === 'interrupted') &&
        attempt < ATTEMPTS &&
        !options.signal?.aborted;
      ended(cell.key, after, after.error ?? message, retry);
      if (retry) queue.push(cell);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, parallel) }, lane));
  } finally {
    options.signal?.removeEventListener('abort', stopAll);
  }

  const final = experimentCells(ctx.db, record);
  const unfinished = final.filter((c) => c.run?.status !== 'finished').map((c) => c.key);
  emit({
    event: 'done',
    finished: final.length - unfinished.length,
    unfinished,
    seconds: (performance.now() - started) / 1000,
  });
  return { cells: final, unfinished };
}

/** Cores shared out between the trainers running at once; JACCARD_WASM_THREADS wins. */
function trainerThreads(parallel: number): number {
  const fromEnv = Number(process.env.JACCARD_WASM_THREADS);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  return Math.max(1, Math.floor(availableParallelism() / Math.max(1, parallel)));
}

/** A run its trainer left 'running' was cut short: interrupted, resumable. */
function settle(ctx: DataContext, runId: number, pid: number | undefined): Run {
  if (pid !== undefined) interruptRun(ctx.db, runId, { pid });
  return getRun(ctx.db, runId);
}
