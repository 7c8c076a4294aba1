// One folder import at a time, kept outside any view so its progress survives closing
// the dialog or navigating away; the report stays until the next import starts.
import type { ApiEvents, Input } from '#shared/api';
import type { ImportReport } from '#shared/domain';
import { api } from '../api';
import { datasets } from './datasets.svelte';
import { Job } from '../job.svelte';
import { toasts } from './toasts.svelte';

export type ImportProgress = ApiEvents['import.progress'];

class ImporterStore extends Job<ImportReport, ImportProgress> {
  folder = $state('');
  /** Open import dialogs; with none, the outcome is announced as a toast instead. */
  watchers = 0;

  async start(input: Input<'datasets.import'>): Promise<ImportReport | null> {
    if (this.running) return null;
    this.folder = input.folder;
    // A new dataset's id is unknown until the call returns; this UI runs one import at
    // a time, so the first id seen is ours.
    let ours = input.datasetId;
    const off = api.on('import.progress', (p) => {
      ours ??= p.datasetId;
      if (p.datasetId === ours) this.progress = p;
    });
    try {
      return await this.run(
        async () => {
          const report = await api.call('datasets.import', input);
          datasets.put(report.dataset);
          if (this.watchers === 0) {
            const skipped = report.problems.length
              ? `, ${report.problems.length} files skipped`
              : '';
            toasts.success(
              `Imported ${report.images} images into “${report.dataset.name}”${skipped}.`,
            );
          }
          return report;
        },
        (error) => {
          if (this.watchers === 0) toasts.error(`Importing ${input.folder} failed`, error);
          return false;
        },
      );
    } finally {
      off();
    }
  }
}

export const importer = new ImporterStore();
