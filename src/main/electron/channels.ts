// Names shared by Electron main and the preload.
export const CALL_CHANNEL = 'api:call';
export const EVENT_CHANNEL = 'api:event';
/** Renderer argument carrying the bridge origin (no secret: the token stays in main). */
export const BRIDGE_ARG = '--jaccard-bridge=';
