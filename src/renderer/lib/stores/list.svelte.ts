// A list of engine rows that several views share: loaded once, refreshed on demand, and
// kept current by the writes and events that put rows into it.
import { describeError } from './toasts.svelte';

export abstract class ListStore<T extends { id: number }> {
  items = $state<T[]>([]);
  /** 'idle' until the first load; a failed refresh keeps the last list it had. */
  status = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');
  error = $state<string | null>(null);

  /** The whole list, from the engine. */
  protected abstract fetch(): Promise<T[]>;

  async refresh(): Promise<void> {
    this.status = 'loading';
    try {
      this.items = await this.fetch();
      this.status = 'ready';
      this.error = null;
    } catch (error) {
      this.error = describeError(error);
      this.status = 'error';
    }
  }

  /** Loads once; views call it on mount without refetching on every visit. */
  ensure(): void {
    if (this.status === 'idle') void this.refresh();
  }

  get(id: number): T | undefined {
    return this.items.find((item) => item.id === id);
  }

  /** Puts a changed or new row into the list. */
  put(item: T): void {
    const at = this.items.findIndex((i) => i.id === item.id);
    if (at < 0) this.items.push(item);
    else this.items[at] = item;
  }
}
