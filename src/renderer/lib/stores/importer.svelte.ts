// One folder import at a time, kept outside any view so its progress survives closing
// the dialog or navigating away; the report stays until the next import starts.
import type { ApiEvents, Input } from '#shared/api';
import type { ImportReport } from '#shared/domain';
import { api } from '../api';
import { datasets } from './datasets.svelte';
import { describeError, toasts } from './toasts.svelte';

export type ImportProgress = ApiEvents['import.progress'];

class ImporterStore {
  running = $state(false);
  folder = $state('');
  progress = $state<ImportProgress | null>(null);
  report = $state<ImportReport | null>(null);
  error = $state<string | null>(null);
  /** Open import dialogs; with none, the outcome is announced as a toast instead. */
  watchers = 0;

  async run(input: Input<'datasets.import'>): Promise<ImportReport | null> {
    if (this.running) return null;
    this.running = true;
    this.folder = input.folder;
    this.progress = null;
    this.report = null;
    this.error = null;
    // A new dataset's id is unknown until the call returns; this UI runs one import at
    // a time, so the first id seen is ours.
    let ours = input.datasetId;
    const off = api.on('import.progress', (p) => {
      ours ??= p.datasetId;
      if (p.datasetId === ours) this.progress = p;
    });
    try {
      const report = await api.call('datasets.import', input);
      this.report = report;
      datasets.put(report.dataset);
      if (this.watchers === 0) {
        const skipped = report.problems.length ? `, ${report.problems.length} files skipped` : '';
        toasts.success(`Imported ${report.images} images into “${report.dataset.name}”${skipped}.`);
      }
      return report;
    } catch (error) {
      this.error = describeError(error);
      if (this.watchers === 0) toasts.error(`Importing ${input.folder} failed`, error);
      return null;
    } finally {
      off();
      this.running = false;
    }
  }
}

export const importer = new ImporterStore();
