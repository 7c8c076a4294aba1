// Masks in and out of PNG through the browser's own codecs: the store takes a grey PNG
// (0/255) per revision, and masks, revisions and prediction maps come back as media URLs.
import { ApiError, isWireError } from '#shared/errors';
import { decodeWire } from '#shared/wire';
import { Mask } from '../raster/mask';

/** Encodes a mask as a 0/255 grey image in PNG. */
export async function encodeMaskPng(mask: Mask): Promise<Uint8Array<ArrayBuffer>> {
  const canvas = new OffscreenCanvas(mask.width, mask.height);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('This browser cannot create a 2D canvas.');
  const image = context.createImageData(mask.width, mask.height);
  const pixels = new Uint32Array(image.data.buffer);
  const { data } = mask;
  for (let i = 0; i < data.length; i++) pixels[i] = data[i] ? 0xffffffff : 0xff000000;
  context.putImageData(image, 0, 0);
  const blob = await canvas.convertToBlob({ type: 'image/png' });
  return new Uint8Array(await blob.arrayBuffer());
}

/** Fetches and decodes an image without colour management (mask values stay exact). */
export async function loadBitmap(url: string): Promise<ImageBitmap> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch {
    throw new Error('Cannot reach the Jaccard engine to load the image.');
  }
  if (!response.ok) throw await mediaError(response);
  try {
    return await createImageBitmap(await response.blob(), {
      colorSpaceConversion: 'none',
      premultiplyAlpha: 'none',
    });
  } catch {
    throw new Error('The image file is damaged or in a format this browser cannot decode.');
  }
}

/** Why the engine refused a media request: its own error where it sent one, as the API does. */
async function mediaError(response: Response): Promise<Error> {
  const text = await response.text();
  try {
    const reply = decodeWire(text) as { error?: unknown } | null;
    if (isWireError(reply?.error)) return new ApiError(reply.error.code, reply.error.message);
  } catch {
    // Not the engine's JSON (a proxy, a crash mid-reply): the status says what there is.
  }
  return new Error(
    `The image could not be loaded (${response.status} ${text.trim() || response.statusText}).`,
  );
}

/**
 * A stored mask revision (a 0/255 PNG at `url`, the engine's media URL of the mask) of an
 * image of this size. The URL comes from the caller so this module stays free of the
 * engine client, and loadable wherever a test has no window.
 */
export async function loadStoredMask(url: string, width: number, height: number): Promise<Mask> {
  const bitmap = await loadBitmap(url);
  try {
    return bitmapToMask(bitmap, width, height, 1, true);
  } finally {
    bitmap.close();
  }
}

/**
 * Reads a grey bitmap into a mask of the given size: foreground where the grey value is
 * at least `cut`. A bitmap of another size (a prediction made at the model's input size)
 * is resampled smoothly first; `exact` refuses that instead (a stored mask must fit).
 */
export function bitmapToMask(
  bitmap: ImageBitmap,
  width: number,
  height: number,
  cut: number,
  exact: boolean,
): Mask {
  if (exact && (bitmap.width !== width || bitmap.height !== height)) {
    throw new Error(
      `The mask is ${bitmap.width}x${bitmap.height} but its image is ${width}x${height}.`,
    );
  }
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new Error('This browser cannot create a 2D canvas.');
  context.imageSmoothingQuality = 'high';
  context.drawImage(bitmap, 0, 0, width, height);
  return Mask.fromRgba(width, height, context.getImageData(0, 0, width, height).data, cut);
}
