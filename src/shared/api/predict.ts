import { z } from 'zod';
import type { LabelQueue, PredictFolderReport, PrelabelReport } from '../domain';
import { call } from './contract';

const id = z.number().int().positive();

export const predictCalls = {
  /**
   * Pre-labels the dataset's images that need a mask (none yet, or an untouched pre-label)
   * with any finished run, whatever dataset it trained on. Each becomes a mask revision
   * marked 'prediction' that trains only once accepted or corrected. Progress comes as
   * 'prelabel.progress' events.
   */
  'datasets.prelabel': call<PrelabelReport>()(
    z.object({ datasetId: id, runId: id, imageIds: z.array(id).min(1).optional() }),
  ),
  /**
   * A finished run's masks for a folder of images, or for a dataset's images, written into
   * `out` (which must be empty unless `overwrite`): one 0/255 PNG per image, same stem,
   * and with `probabilities` the 8-bit maps in out/probabilities. Progress comes as
   * 'predict.progress' events.
   */
  'runs.predictFolder': call<PredictFolderReport>()(
    z
      .object({
        runId: id,
        folder: z.string().min(1).optional(),
        datasetId: id.optional(),
        out: z.string().min(1),
        threshold: z.number().min(0).max(1).default(0.5),
        probabilities: z.boolean().default(false),
        overwrite: z.boolean().default(false),
      })
      .refine((v) => (v.folder === undefined) !== (v.datasetId === undefined), {
        message: 'give a folder or a dataset, not both',
      }),
  ),
  /** The images that need a person next, the least certain pre-label first. */
  'images.labelNext': call<LabelQueue>()(z.object({ datasetId: id })),
};
