// Exposes JaccardApi to the sandboxed renderer and nothing else: calls and events go
// over Electron IPC to main, which relays them to the engine; media URLs point at the
// engine's loopback bridge (main adds the access token to those requests itself).
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { EventName, JaccardApi } from '#shared/api';
import { eventListeners } from '#shared/api/listeners';
import { mediaPathToString } from '#shared/api/media';
import { BRIDGE_ARG, CALL_CHANNEL, EVENT_CHANNEL, type Reply } from '#shared/api/transport';

const bridgeOrigin = process.argv
  .find((arg) => arg.startsWith(BRIDGE_ARG))
  ?.slice(BRIDGE_ARG.length);

const listeners = eventListeners((event, error) =>
  console.error(`[jaccard] a listener for ${event} failed:`, error),
);
ipcRenderer.on(EVENT_CHANNEL, (_e: IpcRendererEvent, event: EventName, payload: unknown) =>
  listeners.emit(event, payload),
);

const api: JaccardApi = {
  async call(method, input) {
    const reply = (await ipcRenderer.invoke(CALL_CHANNEL, method, input)) as Reply;
    // A plain object survives contextBridge intact; src/renderer/lib/api.ts rebuilds the
    // ApiError from it.
    if ('error' in reply) throw reply.error;
    return reply.result as never;
  },
  on: (event, listener) => listeners.add(event, listener),
  mediaUrl(path) {
    return `${bridgeOrigin}/media/${mediaPathToString(path)}`;
  },
};

contextBridge.exposeInMainWorld('api', api);
