// The engine's side of training: a queue of runs, one trainer process at a time (the
// machine it targets has few cores, and two trainings would only halve each other), and
// the relay of the worker's reports onto the event bus.
import type { Run } from '#shared/domain';
import type { RunStatus } from '#shared/ids';
import { ApiError } from '#shared/errors';
import type { AppContext } from '../context';
import {
  findRun,
  getRun,
  INTERRUPTED_MESSAGE,
  interruptRun,
  listRuns,
  markDeadRunsInterrupted,
  runPid,
  transitionRun,
  updateRun,
} from '../store/runs';
import {
  launchTrainer,
  trainerEnd,
  type TrainerExit,
  type TrainerProcess,
} from './trainer-process';
import type { WorkerMessage } from './worker';

export interface RunManagerOptions {
  /** How long a stopping worker may take to settle before it is killed. */
  graceMs?: number;
  /** The worker entry (tests substitute one); by default training/worker.ts. */
  workerEntry?: string;
}

interface Active {
  runId: number;
  trainer: TrainerProcess;
  /** Set by stop(): the user asked, so a kill ends the run 'cancelled'. */
  stopping: boolean;
  /** The worker has spoken, so it claimed the run: a 'queued' row is no longer its own. */
  reported: boolean;
  /** Resolves once the process is gone and its run settled. */
  settled: Promise<void>;
}

export class RunManager {
  private readonly queue: number[] = [];
  private active: Active | null = null;
  private closed = false;
  private readonly graceMs: number;
  private readonly workerEntry: string | undefined;

  constructor(
    private readonly ctx: AppContext,
    options: RunManagerOptions = {},
  ) {
    this.graceMs = options.graceMs ?? 15_000;
    this.workerEntry = options.workerEntry;
    // Runs left 'running' by a process that is gone were killed; runs left queued by the
    // last session are still wanted.
    for (const run of markDeadRunsInterrupted(ctx.db)) ctx.events.emit('run.updated', run);
    for (const run of listRuns(ctx.db, { status: 'queued' })) this.queue.push(run.id);
    this.pump();
  }

  /** The run being trained right now, if any. */
  get activeRunId(): number | null {
    return this.active?.runId ?? null;
  }

  /** Announces a run just made 'queued' (new, or to resume) and queues it; answers its row. */
  submit(runId: number): Run {
    this.announce(runId);
    this.enqueue(runId);
    return getRun(this.ctx.db, runId);
  }

  /** Queues a run already in 'queued' state; it starts when the trainer is free. */
  enqueue(runId: number): void {
    if (this.closed) throw new ApiError('busy', 'The engine is shutting down.');
    if (!this.queue.includes(runId) && this.active?.runId !== runId) {
      this.queue.push(runId);
      this.announceQueue();
    }
    this.pump();
  }

  /** The queued runs in the order they will train (the training one is not among them). */
  get order(): number[] {
    return [...this.queue];
  }

  /**
   * Puts the given queued runs first, in the given order; the others follow in theirs.
   * Ids that are not queued (any more) are passed over. Answers the new order.
   */
  reorder(ids: readonly number[]): number[] {
    const first = [...new Set(ids)].filter((id) => this.queue.includes(id));
    const rest = this.queue.filter((id) => !first.includes(id));
    this.queue.splice(0, this.queue.length, ...first, ...rest);
    this.announceQueue();
    return this.order;
  }

  /**
   * Stops a run: a queued one is cancelled at once; a training one is asked to stop
   * after its current batch and killed if it has not settled within the grace period.
   * Either way it ends 'cancelled' and can be resumed from its last checkpoint.
   */
  stop(runId: number): Run {
    const run = getRun(this.ctx.db, runId);
    if (this.active?.runId === runId) {
      const active = this.active;
      active.stopping = true;
      active.trainer.stop(this.graceMs);
      return run;
    }
    this.removeFromQueue(runId);
    if (run.status === 'queued') {
      transitionRun(this.ctx.db, runId, ['queued'], { status: 'cancelled' });
      return this.announce(runId);
    }
    if (run.status === 'running') {
      const pid = runPid(this.ctx.db, runId);
      throw new ApiError(
        'conflict',
        `Run ${runId} is training in another process (pid ${pid}), e.g. \`jaccard train\`; stop it there.`,
      );
    }
    return run;
  }

  /** Stops the run if it trains and waits for its process to end. */
  async halt(runId: number): Promise<void> {
    this.removeFromQueue(runId);
    if (this.active?.runId !== runId) return;
    const { settled } = this.active;
    this.stop(runId);
    await settled;
  }

  /** Engine shutdown: the training run is stopped (resumable), queued runs stay queued. */
  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    this.announceQueue();
    if (this.active) await this.halt(this.active.runId);
  }

  private removeFromQueue(runId: number): void {
    const at = this.queue.indexOf(runId);
    if (at >= 0) {
      this.queue.splice(at, 1);
      this.announceQueue();
    }
  }

  private announceQueue(): void {
    this.ctx.events.emit('queue.updated', { ids: this.order });
  }

  private announce(runId: number): Run {
    const run = getRun(this.ctx.db, runId);
    this.ctx.events.emit('run.updated', run);
    return run;
  }

  private pump(): void {
    while (!this.active && !this.closed && this.queue.length > 0) {
      const runId = this.queue.shift()!;
      this.announceQueue();
      if (findRun(this.ctx.db, runId)?.status === 'queued') this.spawn(runId);
    }
  }

  private spawn(runId: number): void {
    const trainer = launchTrainer({
      runId,
      dataDir: this.ctx.dataDir,
      entry: this.workerEntry,
      onMessage: (message: WorkerMessage) => {
        active.reported = true;
        this.relay(message);
      },
    });
    const active: Active = {
      runId,
      trainer,
      stopping: false,
      reported: false,
      settled: trainer.exited.then((exit) => this.finish(active, exit)),
    };
    this.active = active;
    // The row names the worker before it has loaded anything, so a worker killed while
    // it starts up is still recognised as gone.
    updateRun(this.ctx.db, runId, { pid: trainer.child.pid ?? null });
  }

  private relay(message: WorkerMessage): void {
    const { events } = this.ctx;
    switch (message.type) {
      case 'progress':
        events.emit('run.progress', message.progress);
        break;
      case 'epoch':
        events.emit('run.epoch', { runId: message.runId, metrics: message.metrics });
        break;
      case 'updated':
      case 'done':
        events.emit('run.updated', message.run);
        break;
      case 'error':
        // The run could not start (e.g. it was claimed elsewhere); its row says why not.
        console.error(`[trainer] ${message.message}`);
        break;
    }
  }

  /** The worker is gone: a run it left 'running' did not settle, so it was cut short. */
  private finish(active: Active, exit: TrainerExit): void {
    if (this.active !== active) return;
    this.active = null;
    const reason =
      exit.code === null && exit.signal === null
        ? trainerEnd(exit)
        : `${trainerEnd(exit)} ${INTERRUPTED_MESSAGE}`;
    // A worker that died before its first message never claimed the run, which is then
    // still 'queued'; once it has, a 'queued' row was queued again by someone else.
    const from: RunStatus[] = active.reported ? ['running'] : ['running', 'queued'];
    const settled = active.stopping
      ? transitionRun(this.ctx.db, active.runId, from, { status: 'cancelled', pid: null })
      : interruptRun(this.ctx.db, active.runId, { from, error: reason });
    if (settled) this.announce(active.runId);
    this.pump();
  }
}

const managers = new WeakMap<AppContext, RunManager>();

/** The one run manager of an engine context, created (and recovering) on first use. */
export function runManager(ctx: AppContext, options?: RunManagerOptions): RunManager {
  let manager = managers.get(ctx);
  if (!manager) {
    manager = new RunManager(ctx, options);
    managers.set(ctx, manager);
  }
  return manager;
}
