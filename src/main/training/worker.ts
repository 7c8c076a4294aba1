// The trainer's own process, forked by trainer-process.ts (for the engine's run manager
// and the CLI's experiment runner) with tsx loaded. It trains one run, reports over IPC, and exits. Its pid is in the run's
// row, so a kill leaves evidence: a 'running' row whose process is gone.
import { join } from 'node:path';
import type { EpochMetrics, Run, TrainProgress } from '#shared/domain';
import { DATABASE_FILE } from '../paths';
import { openDatabase, type Db } from '../store/database';
import { interruptRun } from '../store/runs';
import { trainRun } from './trainer';

export type WorkerRequest = { type: 'start'; runId: number; dataDir: string } | { type: 'stop' };

export type WorkerMessage =
  | { type: 'progress'; progress: TrainProgress }
  | { type: 'epoch'; runId: number; metrics: EpochMetrics }
  | { type: 'updated'; run: Run }
  | { type: 'done'; run: Run }
  | { type: 'error'; message: string };

const send = process.send?.bind(process);
if (!send) {
  console.error('The trainer worker talks to the engine over IPC; start it with fork().');
  process.exit(2);
}
// Always with a callback: a send the engine's closing channel cuts off (EPIPE) then
// reports to it instead of as an 'error' event that would crash the worker before
// 'disconnect' settles the run.
const post = (message: WorkerMessage, then?: () => void) => {
  if (process.connected) send(message, undefined, undefined, () => then?.());
  else then?.();
};

const controller = new AbortController();
let active: { db: Db; runId: number } | null = null;

// The engine went away (crash, quit): nobody is listening, so stop now and leave the run
// resumable rather than training for no one.
process.on('disconnect', () => {
  if (active) interruptRun(active.db, active.runId);
  process.exit(0);
});

process.on('message', (request: WorkerRequest) => {
  if (request.type === 'stop') controller.abort();
  else if (request.type === 'start' && !active) void start(request.runId, request.dataDir);
});

async function start(runId: number, dataDir: string): Promise<void> {
  const db = openDatabase(join(dataDir, DATABASE_FILE));
  active = { db, runId };
  let last: WorkerMessage;
  try {
    const run = await trainRun({
      db,
      dataDir,
      runId,
      signal: controller.signal,
      events: {
        progress: (progress) => post({ type: 'progress', progress }),
        epoch: (id, metrics) => post({ type: 'epoch', runId: id, metrics }),
        updated: (changed) => post({ type: 'updated', run: changed }),
      },
    });
    last = { type: 'done', run };
  } catch (error) {
    last = { type: 'error', message: error instanceof Error ? error.message : String(error) };
  } finally {
    active = null;
    db.close();
  }
  // Exit only once the last message is written: the engine reads the outcome from it.
  post(last, () => process.exit(0));
}
