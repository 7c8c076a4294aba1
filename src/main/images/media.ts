// Where the transports (Electron protocol, loopback bridge) find the file behind a
// media URL. Pixels never travel through API calls.
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import type { MediaPath } from '#shared/api/media';
import { ApiError } from '#shared/errors';
import type { AppContext } from '../context';
import { absolutePath } from '../files';
import { getStoredImage } from '../store/images';
import { getMaskFile } from '../store/masks';
import { getPredictionFile } from '../store/runs';
import { ensureThumbnail } from './thumbs';

const CONTENT_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
};

export async function resolveMedia(
  ctx: AppContext,
  path: MediaPath,
): Promise<{ file: string; contentType: string }> {
  const relative = await storedFile(ctx, path);
  const file = absolutePath(ctx.dataDir, relative);
  if (!(await stat(file).catch(() => null))?.isFile()) {
    throw new ApiError('not-found', `The stored file ${file} is missing.`);
  }
  return {
    file,
    contentType: CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
  };
}

async function storedFile(ctx: AppContext, path: MediaPath): Promise<string> {
  switch (path.kind) {
    case 'image':
      return getStoredImage(ctx.db, path.imageId).file;
    case 'thumb':
      return ensureThumbnail(ctx.dataDir, getStoredImage(ctx.db, path.imageId).file);
    case 'mask':
      return getMaskFile(ctx.db, path.maskId);
    case 'prediction':
      return getPredictionFile(ctx.db, path.runId, path.imageId);
  }
}
