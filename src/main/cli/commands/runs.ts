// `jaccard runs [--dataset <name or id>]`: every run with its status, backend and scores.
import type { Run } from '../../../shared/domain';
import { ApiError } from '../../../shared/errors';
import type { AppContext } from '../../context';
import { findDatasetId, getDataset } from '../../store/datasets';
import { listRuns, markDeadRunsInterrupted } from '../../store/runs';
import { printJson, withContext, type Command } from '../command';
import { table } from '../table';

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
      return listRuns(ctx.db, { datasetId: dataset ? datasetIdOf(ctx, dataset) : undefined });
    });
    if (json) printJson(runs);
    else
      process.stdout.write(
        runs.length
          ? table(runRows(runs))
          : 'No runs yet. Start one with: jaccard train --dataset <name>\n',
      );
  },
};

/** A number is an id; anything else a name. */
export function datasetIdOf(ctx: AppContext, target: string): number {
  if (/^\d+$/.test(target)) return getDataset(ctx.db, Number(target)).id;
  const id = findDatasetId(ctx.db, target);
  if (id === null) throw new ApiError('not-found', `There is no dataset named "${target}".`);
  return id;
}

const score = (v: number | null | undefined) =>
  v === null || v === undefined ? '-' : v.toFixed(3);

export function duration(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 90) return `${seconds.toFixed(0)} s`;
  if (seconds < 5400) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

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
      r.backend ?? '-',
      duration(r.durationSeconds),
    ]),
  ];
}

// experiment.ts still imports the table from here.
export { table };
