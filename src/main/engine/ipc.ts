// The engine's side of the channel Electron forks it with. Electron main sends calls and
// receives replies and pushed events; serialization is 'advanced' (structured clone), so
// Uint8Array mask PNGs cross as they are.
import type { EventName } from '#shared/api';
import type { Engine } from './index';
import type { Reply } from '#shared/api/transport';
import { invoke } from './invoke';

export interface EngineRequest {
  id: number;
  method: string;
  input: unknown;
}

export type EngineMessage =
  /** Sent once the engine listens; the window's media come from this bridge. */
  | { ready: { origin: string; token: string; dataDir: string } }
  /** Sent instead of ready when the engine cannot start; the process then exits. */
  | { failed: string }
  | ({ id: number } & Reply)
  | { event: EventName; payload: unknown };

export function serveIpc(engine: Engine): void {
  const send = (message: EngineMessage): void => {
    if (process.connected) process.send!(message);
  };
  process.on('message', (message: EngineRequest) => {
    void invoke(engine.ctx, message.method, message.input).then((reply) =>
      send({ id: message.id, ...reply }),
    );
  });
  engine.ctx.events.onAny((event, payload) => send({ event, payload }));
  const { origin, token } = engine.bridge;
  send({ ready: { origin, token, dataDir: engine.ctx.dataDir } });
}

export function reportStartFailure(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  if (process.connected) process.send!({ failed: message } satisfies EngineMessage);
}
