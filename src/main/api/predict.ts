import type { predictCalls } from '#shared/api/predict';
import { getDataset } from '../store/datasets';
import { getRun } from '../store/runs';
import { imagesToLabel } from '../store/images';
import { UNCERTAINTY_MEASURE } from '../predict/uncertainty';
import type { Handlers } from './index';

export const predictHandlers: Handlers<keyof typeof predictCalls> = {
  // Loaded on demand: predicting pulls in tfjs, which the engine does not load at start.
  'datasets.prelabel': async (input, ctx) =>
    (await import('../predict/prelabel')).prelabelDataset(ctx, input),

  'runs.predictFolder': async (input, ctx) => {
    const { datasetSources, folderSources, predictToFolder } = await import('../predict/folder');
    const run = getRun(ctx.db, input.runId);
    const { sources, problems } =
      input.datasetId !== undefined
        ? datasetSources(ctx.db, ctx.dataDir, getDataset(ctx.db, input.datasetId).id)
        : await folderSources(input.folder!);
    return predictToFolder({
      ...input,
      run,
      dataDir: ctx.dataDir,
      sources,
      problems,
      onProgress: (done, total, file) =>
        ctx.events.emit('predict.progress', { runId: run.id, done, total, file }),
    });
  },

  'images.labelNext': ({ datasetId }, ctx) => {
    getDataset(ctx.db, datasetId);
    const images = imagesToLabel(ctx.db, datasetId)
      .map(({ image, uncertainty, runId }) => ({
        imageId: image.id,
        stem: image.stem,
        uncertainty,
        runId,
      }))
      // Least certain first; images without a pre-label keep their order, last.
      .sort((a, b) => (b.uncertainty ?? -1) - (a.uncertainty ?? -1));
    return { measure: UNCERTAINTY_MEASURE, images };
  },
};
