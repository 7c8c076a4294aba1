// A mask edited in the app (or predicted by a run) becomes the image's next revision.
import type { MaskRevision } from '../../shared/domain';
import { ApiError } from '../../shared/errors';
import type { AppContext } from '../context';
import { storeContent, withStoreErrors } from '../files';
import { getStoredImage } from '../store/images';
import { insertMask } from '../store/masks';
import { DecodeError } from './decode';
import { decodeMask, encodeMask, foregroundFraction } from './mask';

export interface SaveMaskInput {
  imageId: number;
  /** Any supported image format; normalized to 0/255 like an imported mask. */
  png: Uint8Array;
  /** The revision the edit started from (0: none); null saves unconditionally. */
  baseRevision: number | null;
  source: 'annotation' | 'prediction';
}

export async function saveMask(ctx: AppContext, input: SaveMaskInput): Promise<MaskRevision> {
  const image = getStoredImage(ctx.db, input.imageId);
  let mask;
  try {
    mask = await decodeMask(input.png);
  } catch (error) {
    if (error instanceof DecodeError) {
      throw new ApiError('invalid', `The mask is not a readable image: ${error.message}.`);
    }
    throw error;
  }
  if (mask.width !== image.width || mask.height !== image.height) {
    throw new ApiError(
      'invalid',
      `The mask is ${mask.width}x${mask.height} but image ${image.id} ("${image.stem}") is ` +
        `${image.width}x${image.height}.`,
    );
  }
  const file = await storeContent(ctx.dataDir, 'masks', await encodeMask(mask), 'png');
  const foreground = foregroundFraction(mask.data);
  return withStoreErrors(ctx.db, () =>
    insertMask(
      ctx.db,
      { imageId: image.id, file, foreground, source: input.source },
      input.baseRevision,
    ),
  );
}
