// Experiments from the app: the engine plans the grid and queues every unfinished cell
// on its run manager, which trains them one after another like any other run.
import type { experimentCalls } from '#shared/api/experiments';
import { planExperiment } from '../experiment/plan';
import { createCellRun, describeExperiment, experimentCells } from '../experiment/cells';
import { getExperimentRecord, listExperimentRecords } from '../store/experiments';
import type * as Report from '../experiment/report';
import type * as Summary from '../experiment/summary';
import { RESUMABLE } from '#shared/ids';
import { getRun, markDeadRunsInterrupted, transitionRun } from '../store/runs';
import { runManager } from '../training/run-manager';
import type { Handlers } from './index';

// Summaries run the paired tests (@stdlib) and reports draw charts (vega) too: loaded on
// first use, not at engine start.
const experimentDetail: typeof Summary.experimentDetail = async (...args) =>
  (await import('../experiment/summary')).experimentDetail(...args);
const experimentReport: typeof Report.experimentReport = async (...args) =>
  (await import('../experiment/report')).experimentReport(...args);

export const experimentHandlers: Handlers<keyof typeof experimentCalls> = {
  'experiments.start': async (input, ctx) => {
    const manager = runManager(ctx);
    markDeadRunsInterrupted(ctx.db);
    const { record, cells } = await planExperiment(ctx, input);
    for (const cell of cells) {
      const run = cell.run ?? createCellRun(ctx.db, record, cell);
      // Cut-short cells resume from their checkpoints, as runs.resume does.
      if (RESUMABLE.includes(run.status)) {
        transitionRun(ctx.db, run.id, RESUMABLE, { status: 'queued', error: null });
      }
      if (getRun(ctx.db, run.id).status === 'queued') manager.submit(run.id);
    }
    return experimentDetail(ctx, record.id);
  },

  'experiments.list': (_input, ctx) =>
    listExperimentRecords(ctx.db).map((record) => describeExperiment(ctx.db, record)),

  'experiments.get': ({ id }, ctx) => experimentDetail(ctx, id),

  'experiments.report': ({ id }, ctx) => {
    const record = getExperimentRecord(ctx.db, id);
    return experimentReport(ctx, record, experimentCells(ctx.db, record));
  },
};
