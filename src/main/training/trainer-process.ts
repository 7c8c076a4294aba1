// The one way a trainer process is started: the engine's run manager and the CLI's
// experiment runner both fork training/worker.ts (with tsx loaded) through here, stop it
// the same way (ask, then kill after a grace period) and learn the same way how it ended.
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { WorkerMessage, WorkerRequest } from './worker';

const WORKER_ENTRY = fileURLToPath(new URL('./worker.ts', import.meta.url));
// An absolute URL, so the worker finds tsx whatever the working directory is.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface TrainerOptions {
  runId: number;
  dataDir: string;
  /** Every message the worker sends. */
  onMessage(message: WorkerMessage): void;
  /** The worker's own output: the parent's stdout and stderr, or stderr only (a CLI whose stdout carries JSON lines). */
  output?: 'inherit' | 'stderr';
  /** Variables added to the parent's environment. */
  env?: Record<string, string>;
  /** A substitute worker entry, for tests; by default training/worker.ts. */
  entry?: string;
}

/** How a trainer process ended. */
export interface TrainerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The first 'error' the process emitted (with no pid: it never started). */
  error: string | null;
}

export interface TrainerProcess {
  readonly child: ChildProcess;
  /** Asks the worker to stop after its batch, and kills it if it is not gone within graceMs. Once. */
  stop(graceMs: number): void;
  /** Resolves when the process is gone, or could not start. */
  readonly exited: Promise<TrainerExit>;
}

/** Forks a trainer worker and tells it to train `runId`. */
export function launchTrainer(options: TrainerOptions): TrainerProcess {
  const child = fork(options.entry ?? WORKER_ENTRY, [], {
    execArgv: ['--import', TSX],
    env: options.env ? { ...process.env, ...options.env } : undefined,
    stdio:
      options.output === 'stderr'
        ? ['ignore', 2, 2, 'ipc']
        : ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let killTimer: NodeJS.Timeout | undefined;
  let error: string | null = null;
  child.on('message', options.onMessage);
  const exited = new Promise<TrainerExit>((resolve) => {
    child.on('error', (e) => {
      error ??= e.message;
      // Spawn failures never reach 'exit'.
      if (child.pid === undefined) resolve({ code: null, signal: null, error });
    });
    child.on('exit', (code, signal) => resolve({ code, signal, error }));
  }).then((exit) => {
    clearTimeout(killTimer);
    child.removeAllListeners('message');
    return exit;
  });
  const send = (request: WorkerRequest) => {
    if (child.connected) child.send(request);
  };
  send({ type: 'start', runId: options.runId, dataDir: options.dataDir });
  return {
    child,
    exited,
    stop(graceMs) {
      if (killTimer) return;
      send({ type: 'stop' });
      killTimer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    },
  };
}

/** How the process ended, as a sentence: it could not start, was killed, or exited with a code. */
export function trainerEnd(exit: TrainerExit): string {
  if (exit.code === null && exit.signal === null)
    return `The trainer process could not start: ${exit.error ?? 'unknown error'}.`;
  return `The trainer process ${exit.signal ? `was killed (${exit.signal})` : `exited with code ${exit.code}`}.`;
}
