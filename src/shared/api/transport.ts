// What Electron main and the preload agree on to carry the API over IPC: the channel
// names, the renderer argument naming the bridge, and the shape of a reply. Part of the
// contract, so the preload needs nothing from src/main.
import type { WireError } from '../errors';

export const CALL_CHANNEL = 'api:call';
export const EVENT_CHANNEL = 'api:event';
/** Renderer argument carrying the bridge origin (no secret: the token stays in main). */
export const BRIDGE_ARG = '--jaccard-bridge=';

/** A call's outcome as a transport carries it: its result, or the error as plain data. */
export type Reply = { result: unknown } | { error: WireError };
