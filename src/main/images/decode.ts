// Every image and mask enters through here: PNG, JPEG, TIFF and WebP via sharp, BMP via
// bmp.ts. The format comes from the bytes, not the file name, so a JPEG saved as .png
// still imports and a text file named .png is reported as what it is.
import sharp from 'sharp';
import { decodeBmp } from './bmp';
import type { RawImage } from './raw';

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'tiff' | 'bmp';

/** Extensions the importer picks up, lower case. */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  '.png',
  '.jpg',
  '.jpeg',
  '.bmp',
  '.tif',
  '.tiff',
  '.webp',
]);

const FORMAT_NAMES: Record<ImageFormat, string> = {
  png: 'PNG',
  jpeg: 'JPEG',
  webp: 'WebP',
  tiff: 'TIFF',
  bmp: 'BMP',
};

/** Formats browsers display as they are, with the extension they are stored under. */
const BROWSER_FORMATS: Partial<Record<ImageFormat, string>> = {
  png: 'png',
  jpeg: 'jpg',
  webp: 'webp',
};

/** Why a file is not a usable image, in words for the import report. */
export class DecodeError extends Error {
  override name = 'DecodeError';
}

export interface DecodedImage extends RawImage {
  format: ImageFormat;
  /** The file's EXIF orientation was applied, so its stored pixels differ from the file. */
  rotated: boolean;
}

export function sniffFormat(bytes: Uint8Array): ImageFormat | null {
  const at = (offset: number, ...values: number[]) =>
    values.every((v, i) => bytes[offset + i] === v);
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (at(0, 0xff, 0xd8, 0xff)) return 'jpeg';
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return 'webp';
  if (at(0, 0x49, 0x49, 0x2a, 0x00) || at(0, 0x4d, 0x4d, 0x00, 0x2a)) return 'tiff';
  if (at(0, 0x42, 0x4d)) return 'bmp';
  return null;
}

/** Decodes to 8-bit pixels, upright (EXIF orientation applied); the first page only. */
export async function decodeImage(bytes: Uint8Array): Promise<DecodedImage> {
  const format = sniffFormat(bytes);
  if (!format) {
    throw new DecodeError(
      bytes.length === 0 ? 'empty file' : 'not a PNG, JPEG, BMP, TIFF or WebP image',
    );
  }
  const name = FORMAT_NAMES[format];
  try {
    if (format === 'bmp') return { ...decodeBmp(bytes), format, rotated: false };
    // 'error' rather than sharp's default 'warning': files with harmless warnings (extra
    // bytes after a JPEG) display fine elsewhere, while truncation still fails.
    const image = sharp(bytes, { failOn: 'error', pages: 1, autoOrient: true });
    const { orientation, channels } = await image.metadata();
    // libvips hands grey images back as RGB unless asked; masks and predictions are grey,
    // and three copies of each pixel cost decode time and memory for nothing. (Grey with
    // alpha stays RGBA: b-w would drop the alpha that erased mask pixels carry.)
    if (channels === 1) image.toColourspace('b-w');
    const { data, info } = await image
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
      channels: info.channels,
      format,
      rotated: (orientation ?? 1) > 1,
    };
  } catch (error) {
    const detail = error instanceof Error ? error.message.trim() : String(error);
    throw new DecodeError(`corrupt or truncated ${name} (${detail})`);
  }
}

/** Lossless 8-bit PNG of raw pixels; grey stays one channel. */
export async function encodePng(image: RawImage): Promise<Buffer> {
  const { data, width, height, channels } = image;
  return sharp(data, { raw: { width, height, channels } })
    .toColourspace(channels <= 2 ? 'b-w' : 'srgb')
    .png({ compressionLevel: 9, adaptiveFiltering: true })
    .toBuffer();
}

/**
 * The copy the app keeps and the browser shows: PNG, JPEG and WebP byte for byte;
 * TIFF, BMP and EXIF-rotated files as a lossless PNG of the decoded pixels, so what is
 * displayed always has the stored width and height.
 */
export async function displayCopy(
  bytes: Uint8Array,
  image: DecodedImage,
): Promise<{ bytes: Uint8Array; ext: string }> {
  const ext = BROWSER_FORMATS[image.format];
  if (ext && !image.rotated) return { bytes, ext };
  return { bytes: await encodePng(image), ext: 'png' };
}
