import { randomUUID } from 'node:crypto';
import type { runCalls } from '#shared/api/runs';
import type { Run } from '#shared/domain';
import { ApiError } from '#shared/errors';
import { RESUMABLE } from '#shared/ids';
import type { AppContext } from '../context';
import { ensurePrediction } from '../predict/on-demand';
import {
  createRun,
  deleteRun,
  getRun,
  listEpochs,
  listRuns,
  markDeadRunsInterrupted,
  type NewRun,
  transitionRun,
  updateRun,
} from '../store/runs';
import { removeRunFiles } from '../training/run-files';
import { scoreStoredPredictions } from '../training/scoring';
import { runManager } from '../training/run-manager';
import type { Handlers } from './index';

/** Settles runs whose process died (a killed `jaccard train`, say) before answering. */
function settleDeadRuns(ctx: AppContext): void {
  runManager(ctx);
  for (const run of markDeadRunsInterrupted(ctx.db)) ctx.events.emit('run.updated', run);
}

function queue(ctx: AppContext, run: NewRun): Run {
  return runManager(ctx).submit(createRun(ctx.db, run).id);
}

export const runHandlers: Handlers<keyof typeof runCalls> = {
  'runs.list': ({ datasetId }, ctx) => {
    settleDeadRuns(ctx);
    return listRuns(ctx.db, { datasetId });
  },

  'runs.get': ({ id }, ctx) => {
    settleDeadRuns(ctx);
    return { ...getRun(ctx.db, id), epochs: listEpochs(ctx.db, id) };
  },

  'runs.start': ({ config, name }, ctx) => queue(ctx, { config, name }),

  'runs.startPaired': ({ config, losses, seeds }, ctx) => {
    const groupId = randomUUID();
    // Seed-major order: each seed's pair finishes together, so a comparison has usable
    // pairs long before the whole group is done.
    return seeds.flatMap((seed) =>
      losses.map((loss) => queue(ctx, { config: { ...config, loss, seed }, groupId })),
    );
  },

  'runs.stop': ({ id }, ctx) => runManager(ctx).stop(id),

  'runs.resume': async ({ id }, ctx) => {
    settleDeadRuns(ctx);
    // A just-stopped run's worker may not have exited yet; its exit would cancel it again.
    await runManager(ctx).halt(id);
    const run = getRun(ctx.db, id);
    if (!transitionRun(ctx.db, id, RESUMABLE, { status: 'queued', error: null })) {
      throw new ApiError(
        'conflict',
        `Run ${id} is ${run.status}; only interrupted, cancelled or failed runs resume.`,
      );
    }
    return runManager(ctx).submit(id);
  },

  'runs.rerun': ({ id }, ctx) => {
    const run = getRun(ctx.db, id);
    return queue(ctx, { config: run.config, name: `${run.name} (again)`, groupId: run.groupId });
  },

  'runs.rename': ({ id, name }, ctx) => {
    const run = updateRun(ctx.db, id, { name });
    ctx.events.emit('run.updated', run);
    return run;
  },

  'runs.delete': async ({ id }, ctx) => {
    settleDeadRuns(ctx);
    const run = getRun(ctx.db, id);
    await runManager(ctx).halt(id);
    if (getRun(ctx.db, id).status === 'running') {
      throw new ApiError(
        'conflict',
        `Run ${id} is training in another process; stop it before deleting.`,
      );
    }
    deleteRun(ctx.db, run.id);
    await removeRunFiles(ctx.dataDir, id);
    ctx.events.emit('run.deleted', { id });
  },

  'runs.exportWeights': async ({ id, folder, format, overwrite }, ctx) => {
    const run = getRun(ctx.db, id);
    // Loaded on demand: exporting pulls in tfjs (ONNX conversion, saved models).
    const { exportRun } = await import('../onnx/run-export');
    return exportRun(ctx.dataDir, run, { folder, format, overwrite });
  },

  'runs.predict': async ({ runId, imageId }, ctx) => {
    await ensurePrediction(ctx, runId, imageId);
    return { kind: 'prediction', runId, imageId } as const;
  },

  'runs.imageMetrics': async ({ id, threshold }, ctx) => {
    getRun(ctx.db, id);
    return (await scoreStoredPredictions(ctx.db, ctx.dataDir, id, threshold)).images;
  },
};
