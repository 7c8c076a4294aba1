// Thumbnails for the dataset grid, made on first request and kept: the grid asks for
// dozens at once and decoding full images every time would stall it.
import { stat } from 'node:fs/promises';
import sharp from 'sharp';
import { ApiError } from '#shared/errors';
import { absolutePath, thumbPath, writeFileAtomic } from '../files';

/** Longest side in pixels: crisp in a grid cell of ~128 CSS pixels on a HiDPI screen. */
export const THUMB_SIZE = 256;

const pending = new Map<string, Promise<string>>();

/** Returns the thumbnail's path relative to the data folder, creating it if needed. */
export function ensureThumbnail(dataDir: string, imageFile: string): Promise<string> {
  const file = thumbPath(imageFile);
  const key = absolutePath(dataDir, file);
  let job = pending.get(key);
  if (!job) {
    job = create(dataDir, imageFile, file).finally(() => pending.delete(key));
    pending.set(key, job);
  }
  return job;
}

async function create(dataDir: string, imageFile: string, file: string): Promise<string> {
  const abs = absolutePath(dataDir, file);
  if (await stat(abs).catch(() => null)) return file;
  const source = absolutePath(dataDir, imageFile);
  if (!(await stat(source).catch(() => null))) {
    throw new ApiError('not-found', `The stored image ${source} is missing.`);
  }
  const bytes = await sharp(source)
    .resize(THUMB_SIZE, THUMB_SIZE, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 80 })
    .toBuffer();
  await writeFileAtomic(abs, bytes);
  return file;
}
