import { EventEmitter } from 'node:events';
import type { ApiEvents, EventName } from '#shared/api';

/** The main side's one channel for pushed events; transports subscribe with onAny. */
export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Every open window and bridge client listens; the default cap of 10 is too low.
    this.emitter.setMaxListeners(0);
  }

  emit<E extends EventName>(event: E, payload: ApiEvents[E]): void {
    this.emitter.emit('event', event, payload);
  }

  onAny(listener: <E extends EventName>(event: E, payload: ApiEvents[E]) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
