// The renderer side's event listeners by event name, for both transports that push
// events to it (Electron's preload over IPC, the bridge client over SSE): each event goes
// to its listeners, and a listener that throws neither stops the others nor the stream.
import type { ApiEvents, EventName } from './events';

type Listener = (payload: unknown) => void;

export interface EventListeners {
  /** Adds a listener; returns what removes it. */
  add<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
  emit(event: EventName, payload: unknown): void;
}

export function eventListeners(
  onError: (event: EventName, error: unknown) => void,
): EventListeners {
  const byEvent = new Map<EventName, Set<Listener>>();
  return {
    add(event, listener) {
      let set = byEvent.get(event);
      if (!set) byEvent.set(event, (set = new Set()));
      const untyped = listener as Listener;
      set.add(untyped);
      return () => void set.delete(untyped);
    },
    emit(event, payload) {
      for (const listener of byEvent.get(event) ?? []) {
        try {
          listener(payload);
        } catch (error) {
          onError(event, error);
        }
      }
    },
  };
}
