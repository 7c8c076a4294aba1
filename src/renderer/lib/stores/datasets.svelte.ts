// The dataset list every view shares (the Datasets view, pickers in Train and Annotate).
// Writes go through here so the list stays current without refetching.
import type { Dataset } from '#shared/domain';
import { api } from '../api';
import { ListStore } from './list.svelte';

class DatasetsStore extends ListStore<Dataset> {
  protected fetch(): Promise<Dataset[]> {
    return api.call('datasets.list', {});
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
