// The dataset list every view shares (the Datasets view, pickers in Train and Annotate).
// Writes go through here so the list stays current without refetching.
import type { Dataset } from '../../../shared/domain';
import { api } from '../api';
import { describeError } from './toasts.svelte';

class DatasetsStore {
  items = $state<Dataset[]>([]);
  /** 'idle' until the first load; a failed refresh keeps the last list it had. */
  status = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');
  error = $state<string | null>(null);

  async refresh(): Promise<void> {
    this.status = 'loading';
    try {
      this.items = await api.call('datasets.list', {});
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

  get(id: number): Dataset | undefined {
    return this.items.find((d) => d.id === id);
  }

  /** Puts a changed or new dataset (from import, rename, create) into the list. */
  put(dataset: Dataset): void {
    const at = this.items.findIndex((d) => d.id === dataset.id);
    if (at < 0) this.items.push(dataset);
    else this.items[at] = dataset;
  }

  async create(name: string): Promise<Dataset> {
    const dataset = await api.call('datasets.create', { name });
    this.put(dataset);
    return dataset;
  }

  async rename(id: number, name: string): Promise<Dataset> {
    const dataset = await api.call('datasets.rename', { id, name });
    this.put(dataset);
    return dataset;
  }

  async remove(id: number): Promise<void> {
    await api.call('datasets.delete', { id });
    this.items = this.items.filter((d) => d.id !== id);
  }
}

export const datasets = new DatasetsStore();
