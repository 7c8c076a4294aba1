// The renderer's one door to the engine: the preload's IPC bridge in Electron, the
// loopback HTTP client in a plain browser. Views and stores import `api` and nothing else.
import type { JaccardApi } from '#shared/api';
import { ApiError, isWireError } from '#shared/errors';
import { createBridgeClient, takeToken } from './bridge-client';

declare global {
  interface Window {
    /** Set by the Electron preload (src/preload); absent in a browser. */
    api?: JaccardApi;
  }
}

export const api: JaccardApi = window.api
  ? withApiErrors(window.api)
  : createBridgeClient(takeToken());

/**
 * contextBridge hands rejections over as plain objects; turn them back into ApiError so
 * callers see the same errors in both transports.
 */
function withApiErrors(ipc: JaccardApi): JaccardApi {
  return {
    call: (method, input) =>
      ipc.call(method, input).catch((error: unknown) => {
        throw isWireError(error) ? new ApiError(error.code, error.message) : error;
      }),
    on: (event, listener) => ipc.on(event, listener),
    mediaUrl: (path) => ipc.mediaUrl(path),
  };
}
