// Exposes JaccardApi to the sandboxed renderer and nothing else: calls and events go
// over Electron IPC to main, which relays them to the engine; media URLs point at the
// engine's loopback bridge (main adds the access token to those requests itself).
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { EventName, JaccardApi } from '../shared/api';
import { mediaPathToString } from '../shared/api/media';
import type { Reply } from '../main/engine/invoke';
import { BRIDGE_ARG, CALL_CHANNEL, EVENT_CHANNEL } from '../main/electron/channels';

const bridgeOrigin = process.argv
  .find((arg) => arg.startsWith(BRIDGE_ARG))
  ?.slice(BRIDGE_ARG.length);

const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
ipcRenderer.on(EVENT_CHANNEL, (_e: IpcRendererEvent, event: EventName, payload: unknown) => {
  for (const listener of listeners.get(event) ?? []) {
    try {
      listener(payload);
    } catch (error) {
      console.error(`[jaccard] a listener for ${event} failed:`, error);
    }
  }
});

const api: JaccardApi = {
  async call(method, input) {
    const reply = (await ipcRenderer.invoke(CALL_CHANNEL, method, input)) as Reply;
    // A plain object survives contextBridge intact; src/renderer/lib/api.ts rebuilds the
    // ApiError from it.
    if ('error' in reply) throw reply.error;
    return reply.result as never;
  },
  on(event, listener) {
    let set = listeners.get(event);
    if (!set) listeners.set(event, (set = new Set()));
    const untyped = listener as (payload: unknown) => void;
    set.add(untyped);
    return () => void set.delete(untyped);
  },
  mediaUrl(path) {
    return `${bridgeOrigin}/media/${mediaPathToString(path)}`;
  },
};

contextBridge.exposeInMainWorld('api', api);
