// `jaccard datasets [list]` and `jaccard datasets delete <id or name>`.
import type { Dataset } from '#shared/domain';
import { percent } from '#shared/format';
import { datasetHandlers } from '../../api/datasets';
import { getDataset, listDatasets, resolveDatasetId } from '../../store/datasets';
import { printJson, UsageError, withContext, type Command } from '../command';
import { printList } from '../helpers';

export const datasetsCommand: Command = {
  usage: 'datasets [list] | datasets delete <id or name>',
  summary: 'List the datasets with their counts, or delete one with its files.',
  async run({ dataDir, json, positionals }) {
    const [action = 'list', target, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`unexpected "${extra.join(' ')}".`);
    if (action === 'list') {
      if (target !== undefined) throw new UsageError(`unexpected "${target}".`);
      const datasets = await withContext(dataDir, (ctx) => listDatasets(ctx.db));
      printList(
        datasets,
        json,
        datasetRows,
        'No datasets yet. Add one with: jaccard import <folder>',
      );
    } else if (action === 'delete') {
      if (target === undefined) throw new UsageError('say which dataset to delete (id or name).');
      const deleted = await withContext(dataDir, async (ctx) => {
        const dataset = getDataset(ctx.db, resolveDatasetId(ctx.db, target));
        await datasetHandlers['datasets.delete']({ id: dataset.id }, ctx);
        return dataset;
      });
      if (json) printJson({ deleted });
      else {
        process.stdout.write(
          `Deleted dataset "${deleted.name}" (${deleted.id}) and its ${deleted.imageCount} images.\n`,
        );
      }
    } else {
      throw new UsageError(`unknown action "${action}"; use list or delete.`);
    }
  },
};

function datasetRows(datasets: readonly Dataset[]): string[][] {
  return [
    ['ID', 'NAME', 'IMAGES', 'MASKED', 'PRE-LABELS', 'FOREGROUND', 'TRAIN', 'TEST', 'UNASSIGNED'],
    ...datasets.map((d) => [
      String(d.id),
      d.name,
      String(d.imageCount),
      String(d.maskedCount),
      String(d.prelabelledCount),
      percent(d.foreground),
      String(d.splits.train),
      String(d.splits.test),
      String(d.splits.unassigned),
    ]),
  ];
}
