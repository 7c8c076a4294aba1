// Electron's handle on the engine: spawns `node bin/jaccard.js engine --ipc` (plain Node,
// see docs/architecture.md for why not Electron's own runtime) and relays calls to it.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { EventName } from '#shared/api';
import type { EngineMessage, EngineRequest } from '../engine/ipc';
import type { Reply } from '#shared/api/transport';

export interface EngineProcess {
  /** The engine's loopback bridge, which serves the window's pages and media. */
  origin: string;
  token: string;
  call(method: string, input: unknown): Promise<Reply>;
  onEvent(listener: (event: EventName, payload: unknown) => void): void;
  /** Called if the engine dies while the app runs. */
  onExit(listener: (reason: string) => void): void;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 5_000;
const LOG_TAIL = 4000;

/** `mediaOrigin`: the dev server's origin when the window's pages come from one. */
export function spawnEngine(
  appPath: string,
  dataDir: string,
  mediaOrigin?: string,
): Promise<EngineProcess> {
  const node = process.env.JACCARD_NODE || 'node';
  const args = [join(appPath, 'bin', 'jaccard.js'), 'engine', '--ipc'];
  if (mediaOrigin) args.push('--media-origin', mediaOrigin);
  const child = spawn(node, args, {
    cwd: appPath,
    env: { ...process.env, JACCARD_HOME: dataDir, ELECTRON_RUN_AS_NODE: undefined },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    serialization: 'advanced',
  });
  // The engine's log goes to this terminal; its tail explains a failed start.
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    log = (log + chunk.toString()).slice(-LOG_TAIL);
  });

  const pending = new Map<number, (reply: Reply) => void>();
  const eventListeners: Array<(event: EventName, payload: unknown) => void> = [];
  const exitListeners: Array<(reason: string) => void> = [];
  let nextId = 1;
  let stopping = false;
  let exited = false;
  let stopped: Promise<void> | undefined;

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`The engine did not start within ${START_TIMEOUT_MS / 1000} s.\n${log}`));
    }, START_TIMEOUT_MS);

    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new Error(
          error.code === 'ENOENT'
            ? `Jaccard runs its engine with Node.js, and "${node}" was not found. Install Node.js 20.19 or newer, or set JACCARD_NODE to its path.`
            : `Could not start the engine with "${node}": ${error.message}`,
        ),
      );
    });

    child.on('exit', (code, signal) => {
      exited = true;
      clearTimeout(timer);
      const reason = `The engine stopped (${signal ?? `exit code ${code}`}).\n${log}`.trim();
      reject(new Error(reason));
      for (const answer of pending.values()) {
        answer({ error: { code: 'internal', message: 'The engine stopped.' } });
      }
      pending.clear();
      if (!stopping) for (const listener of exitListeners) listener(reason);
    });

    child.on('message', (message: EngineMessage) => {
      if ('ready' in message) {
        clearTimeout(timer);
        resolve({
          origin: message.ready.origin,
          token: message.ready.token,
          call(method, input) {
            if (!child.connected) {
              return Promise.resolve({
                error: { code: 'internal', message: 'The engine stopped.' },
              });
            }
            const id = nextId++;
            return new Promise<Reply>((answer) => {
              pending.set(id, answer);
              child.send({ id, method, input } satisfies EngineRequest);
            });
          },
          onEvent: (listener) => void eventListeners.push(listener),
          onExit: (listener) => void exitListeners.push(listener),
          stop() {
            stopping = true;
            return (stopped ??= exited
              ? Promise.resolve()
              : new Promise<void>((done) => {
                  child.once('exit', () => done());
                  // Disconnecting lets the engine close its store; a hung one is killed.
                  if (child.connected) child.disconnect();
                  else child.kill('SIGTERM');
                  setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS).unref();
                }));
          },
        });
      } else if ('failed' in message) {
        clearTimeout(timer);
        reject(new Error(message.failed));
      } else if ('event' in message) {
        for (const listener of eventListeners) listener(message.event, message.payload);
      } else {
        const { id, ...reply } = message;
        pending.get(id)?.(reply);
        pending.delete(id);
      }
    });
  });
}
