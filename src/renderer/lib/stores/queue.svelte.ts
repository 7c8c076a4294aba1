// The engine's training queue as the engine runs it: the queued runs in the order they
// will train ('runs.queue', kept current by 'queue.updated'), and moving one up or down.
import { api } from '../api';

class QueueStore {
  /** Queued run ids, next first. */
  order = $state<number[]>([]);
  private started = false;
  /** Bumped by every event, so an older answer to the first fetch does not overwrite it. */
  private version = 0;

  ensure(): void {
    if (this.started) return;
    this.started = true;
    api.on('queue.updated', ({ ids }) => {
      this.version++;
      this.order = ids;
    });
    const asked = this.version;
    api.call('runs.queue', {}).then(
      (ids) => {
        if (this.version === asked) this.order = ids;
      },
      () => undefined,
    );
  }

  /** Where a queued run stands, 0 = next; Infinity for one the engine does not hold. */
  position(id: number): number {
    const at = this.order.indexOf(id);
    return at < 0 ? Infinity : at;
  }

  /** Moves a queued run one place earlier (-1) or later (+1). */
  async move(id: number, by: -1 | 1): Promise<void> {
    const next = [...this.order];
    const at = next.indexOf(id);
    const to = at + by;
    if (at < 0 || to < 0 || to >= next.length) return;
    [next[at], next[to]] = [next[to]!, next[at]!];
    this.order = await api.call('runs.reorder', { ids: next });
  }
}

export const queue = new QueueStore();
