// A mask edited in the app (or predicted by a run) becomes the image's next revision.
// The engine serves every window from one thread: the size is checked from the header
// before anything is decoded, and decoding yields between slices (normalizeMaskInSlices).
import type { MaskRevision } from '#shared/domain';
import { ApiError } from '#shared/errors';
import type { EditSource } from '#shared/ids';
import type { AppContext } from '../context';
import { storeContent, withStoreErrors } from '../files';
import { getStoredImage } from '../store/images';
import { insertMask } from '../store/masks';
import { DecodeError, imageSize } from './decode';
import { encodeMask, readMask } from './mask';

export interface SaveMaskInput {
  imageId: number;
  /** Any supported image format; normalized to 0/255 like an imported mask. */
  png: Uint8Array;
  /** The revision the edit started from (0: none); null saves unconditionally. */
  baseRevision: number | null;
  source: EditSource;
}

export async function saveMask(ctx: AppContext, input: SaveMaskInput): Promise<MaskRevision> {
  const image = getStoredImage(ctx.db, input.imageId);
  const unreadable = (error: unknown) =>
    error instanceof DecodeError
      ? new ApiError('invalid', `The mask is not a readable image: ${error.message}.`)
      : error;
  const checkSize = ({ width, height }: { width: number; height: number }) => {
    if (width !== image.width || height !== image.height) {
      throw new ApiError(
        'invalid',
        `The mask is ${width}x${height} but image ${image.id} ("${image.stem}") is ` +
          `${image.width}x${image.height}.`,
      );
    }
  };
  checkSize(
    await imageSize(input.png).catch((error: unknown) => {
      throw unreadable(error);
    }),
  );
  const { mask, foreground } = await readMask(input.png).catch((error: unknown) => {
    throw unreadable(error);
  });
  checkSize(mask);
  const file = await storeContent(ctx.dataDir, 'masks', await encodeMask(mask), 'png');
  return withStoreErrors(ctx.db, () =>
    insertMask(
      ctx.db,
      { imageId: image.id, file, foreground, source: input.source },
      input.baseRevision,
    ),
  );
}
