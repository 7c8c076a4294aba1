import { z } from 'zod';
import type { Dataset, ImageRecord, ImportReport, MaskRevision } from '../domain';
import { call } from './contract';

const id = z.number().int().positive();
const name = z.string().trim().min(1).max(120);

export const datasetCalls = {
  'datasets.list': call<Dataset[]>()(z.object({})),
  'datasets.create': call<Dataset>()(z.object({ name })),
  'datasets.rename': call<Dataset>()(z.object({ id, name })),
  'datasets.delete': call<void>()(z.object({ id })),
  /** Copies a folder in (images/ + masks/, train/ and test/ splits, or flat images). */
  'datasets.import': call<ImportReport>()(
    z.object({ folder: z.string().min(1), datasetId: id.optional(), name: name.optional() }),
  ),
  'images.list': call<ImageRecord[]>()(
    z.object({ datasetId: id, filter: z.enum(['all', 'needs-mask']).default('all') }),
  ),
  'images.get': call<ImageRecord>()(z.object({ id })),
  /** Stores a new mask revision; baseRevision guards against overwriting a newer one. */
  'masks.save': call<MaskRevision>()(
    z.object({
      imageId: id,
      png: z.instanceof(Uint8Array),
      baseRevision: z.number().int().nonnegative().nullable(),
      source: z.enum(['annotation', 'prediction']).default('annotation'),
    }),
  ),
  'masks.history': call<MaskRevision[]>()(z.object({ imageId: id })),
  /** Writes every current mask as STEM.png (0/255) into folder. */
  'masks.export': call<{ folder: string; count: number }>()(
    z.object({ datasetId: id, folder: z.string().min(1) }),
  ),
};
