// `jaccard runs [--dataset <name or id>]`: every run with its status, backend (and the GPU
// of a webgpu run) and scores.
import { adapterName } from '#shared/adapter';
import { duration, MISSING, score } from '#shared/format';
import type { Run } from '#shared/domain';
import { listRuns, markDeadRunsInterrupted } from '../../store/runs';
import { resolveDatasetId } from '../../store/datasets';
import { withContext, type Command } from '../command';
import { printList } from '../helpers';

export const runsCommand: Command = {
  usage: 'runs [--dataset <name or id>]',
  summary: 'List training runs: status, backend, epochs, validation and test IoU.',
  options: {
    dataset: { type: 'string', description: 'only the runs of this dataset' },
  },
  async run({ dataDir, json, values }) {
    const runs = await withContext(dataDir, (ctx) => {
      // A `jaccard train` killed meanwhile left its row 'running'; say what it is now.
      markDeadRunsInterrupted(ctx.db);
      const dataset = values.dataset as string | undefined;
      return listRuns(ctx.db, {
        datasetId: dataset ? resolveDatasetId(ctx.db, dataset) : undefined,
      });
    });
    printList(runs, json, runRows, 'No runs yet. Start one with: jaccard train --dataset <name>');
  },
};

function runRows(runs: readonly Run[]): string[][] {
  return [
    ['ID', 'NAME', 'DATASET', 'STATUS', 'EPOCHS', 'VAL IOU', 'TEST IOU', 'BACKEND', 'TIME'],
    ...runs.map((r) => [
      String(r.id),
      r.name,
      r.datasetName,
      r.status,
      `${r.epochsDone}/${r.config.epochs}`,
      score(r.bestValIou),
      score(r.test?.iou),
      r.adapter ? `${r.backend} on ${adapterName(r.adapter)}` : (r.backend ?? MISSING),
      duration(r.durationSeconds),
    ]),
  ];
}
