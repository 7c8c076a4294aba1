import { z } from 'zod';
import type { LabelQueue, PrelabelReport } from '../domain';
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
  /** The images that need a person next, the least certain pre-label first. */
  'images.labelNext': call<LabelQueue>()(z.object({ datasetId: id })),
};
