import type { datasetCalls } from '#shared/api/datasets';
import { removeFiles, thumbPath } from '../files';
import { exportMasks } from '../images/export';
import { importFolder } from '../images/importer';
import { saveMask } from '../images/save-mask';
import { runDir } from '../training/run-files';
import {
  createDataset,
  deleteDataset,
  getDataset,
  listDatasets,
  renameDataset,
} from '../store/datasets';
import {
  assignImages,
  deleteImages,
  getImage,
  getStoredImage,
  listImages,
  toImageRecord,
} from '../store/images';
import { acceptPrelabels, maskHistory } from '../store/masks';
import type { Handlers } from './index';

export const datasetHandlers: Handlers<keyof typeof datasetCalls> = {
  'datasets.list': (_input, ctx) => listDatasets(ctx.db),
  'datasets.create': ({ name }, ctx) => createDataset(ctx.db, name),
  'datasets.rename': ({ id, name }, ctx) => renameDataset(ctx.db, id, name),
  'datasets.delete': async ({ id }, ctx) => {
    const { files, runIds } = deleteDataset(ctx.db, id);
    const thumbs = files.filter((f) => f.startsWith('files/images/')).map(thumbPath);
    // The rows are gone; a file that cannot be removed is only wasted space.
    await removeFiles(ctx.dataDir, [...files, ...thumbs, ...runIds.map(runDir)]).catch(
      (error: unknown) =>
        console.warn(`datasets.delete: ${error instanceof Error ? error.message : String(error)}`),
    );
  },
  'datasets.import': (input, ctx) => importFolder(ctx, input),
  'images.list': ({ datasetId, filter }, ctx) => {
    getDataset(ctx.db, datasetId);
    return listImages(ctx.db, datasetId, filter);
  },
  'images.get': ({ id }, ctx) => getImage(ctx.db, id),
  'images.assign': ({ imageIds, split, excluded }, ctx) =>
    assignImages(ctx.db, imageIds, { split, excluded }).map(toImageRecord),
  'images.delete': async ({ imageIds }, ctx) => {
    const { deleted, files } = deleteImages(ctx.db, imageIds);
    const thumbs = files.filter((f) => f.startsWith('files/images/')).map(thumbPath);
    // The rows are gone; a file that cannot be removed is only wasted space.
    await removeFiles(ctx.dataDir, [...files, ...thumbs]).catch((error: unknown) =>
      console.warn(`images.delete: ${error instanceof Error ? error.message : String(error)}`),
    );
    return { deleted };
  },
  'masks.save': (input, ctx) => saveMask(ctx, input),
  'masks.accept': ({ imageIds }, ctx) => acceptPrelabels(ctx.db, imageIds),
  'masks.history': ({ imageId }, ctx) => {
    getStoredImage(ctx.db, imageId);
    return maskHistory(ctx.db, imageId);
  },
  'masks.export': ({ datasetId, folder }, ctx) => exportMasks(ctx, datasetId, folder),
};
