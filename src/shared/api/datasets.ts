import { z } from 'zod';
import type { Dataset, ImageRecord, ImportReport, MaskRevision } from '../domain';
import { EDIT_SOURCES, SPLITS } from '../ids';
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
  /**
   * Moves images to a split and/or excludes them (kept, but never trained, validated or
   * tested on). Images of one dataset; answers them as they are now.
   */
  'images.assign': call<ImageRecord[]>()(
    z.object({
      imageIds: z.array(id).min(1).max(100_000),
      split: z.enum(SPLITS).optional(),
      excluded: z.boolean().optional(),
    }),
  ),
  /** Deletes images with their masks and predictions; their files go too. */
  'images.delete': call<{ deleted: number }>()(
    z.object({ imageIds: z.array(id).min(1).max(100_000) }),
  ),
  /** Stores a new mask revision; baseRevision guards against overwriting a newer one. */
  'masks.save': call<MaskRevision>()(
    z.object({
      imageId: id,
      png: z.instanceof(Uint8Array),
      baseRevision: z.number().int().nonnegative().nullable(),
      source: z.enum(EDIT_SOURCES).default('annotation'),
    }),
  ),
  /**
   * Accepts pre-labels as they are: each image's current prediction-made mask becomes a
   * revision the user vouched for, which trains. Images whose mask is not a pre-label are
   * left alone and not answered.
   */
  'masks.accept': call<MaskRevision[]>()(z.object({ imageIds: z.array(id).min(1).max(100_000) })),
  'masks.history': call<MaskRevision[]>()(z.object({ imageId: id })),
  /** Writes every current mask as STEM.png (0/255) into folder. */
  'masks.export': call<{ folder: string; count: number }>()(
    z.object({ datasetId: id, folder: z.string().min(1) }),
  ),
};
