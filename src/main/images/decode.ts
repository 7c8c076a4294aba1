// Every image and mask enters through here: PNG, JPEG, TIFF and WebP via sharp, BMP via
// bmp.ts. The format comes from the bytes, not the file name, so a JPEG saved as .png
// still imports and a text file named .png is reported as what it is.
import sharp, { type Sharp } from 'sharp';
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
  /**
   * Set when the file's samples were wider than 8 bits (16-bit, 32-bit, float): what they
   * were and how they became 8-bit. Masks keep zero as zero and any other value as 255.
   */
  scaled?: { depth: SampleDepth; min: number; max: number; from: [number, number] };
}

/** How decoded samples become bytes: images by their value range, masks by zero or not. */
export type DecodePurpose = 'image' | 'mask';

/** The sample formats libvips reads besides uchar, with their JavaScript arrays. */
const WIDE_SAMPLES = {
  char: Int8Array,
  ushort: Uint16Array,
  short: Int16Array,
  uint: Uint32Array,
  int: Int32Array,
  float: Float32Array,
  double: Float64Array,
} as const;
type SampleDepth = keyof typeof WIDE_SAMPLES;

const DEPTH_NAMES: Record<SampleDepth, string> = {
  char: 'signed 8-bit',
  ushort: '16-bit',
  short: 'signed 16-bit',
  uint: '32-bit',
  int: 'signed 32-bit',
  float: '32-bit float',
  double: '64-bit float',
};

/** How a wide-sample file was turned into 8 bits, in words for the import report. */
export function describeScaling(scaled: NonNullable<DecodedImage['scaled']>): string {
  const { depth, min, max, from } = scaled;
  const range = `${DEPTH_NAMES[depth]} values ${round(min)}..${round(max)}`;
  return from[0] === from[1]
    ? `${range} are all the same`
    : `${range} were scaled from ${round(from[0])}..${round(from[1])} to 0..255`;
}

const round = (v: number) => Number(v.toPrecision(6));

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

const SAMPLE_BYTES: Record<string, number> = {
  uchar: 1,
  char: 1,
  ushort: 2,
  short: 2,
  uint: 4,
  int: 4,
  float: 4,
  double: 8,
};

/**
 * Memory that decoding these bytes takes, from the header alone: the decoded samples, plus
 * the 8-bit copy wide samples are brought down to. Unknown or unreadable headers count as
 * nothing; the decode then fails.
 */
export async function decodedSize(bytes: Uint8Array): Promise<number> {
  const header = await imageHeader(bytes).catch(() => null);
  if (!header) return 0;
  const { width, height, channels, depth } = header;
  const sampleBytes = SAMPLE_BYTES[depth] ?? 8;
  const samples = width * height * channels;
  return samples * sampleBytes + (sampleBytes > 1 ? samples : 0);
}

/** Width and height as decoded (EXIF rotation applied), from the header alone. */
export async function imageSize(bytes: Uint8Array): Promise<{ width: number; height: number }> {
  const { width, height, rotated } = await imageHeader(bytes);
  return rotated ? { width: height, height: width } : { width, height };
}

async function imageHeader(bytes: Uint8Array): Promise<{
  width: number;
  height: number;
  channels: number;
  depth: string;
  rotated: boolean;
}> {
  const format = sniffFormat(bytes);
  if (!format) throw new DecodeError('not a PNG, JPEG, BMP, TIFF or WebP image');
  if (format === 'bmp') {
    if (bytes.length < 26) throw new DecodeError('corrupt or truncated BMP (no header)');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const width = Math.abs(view.getInt32(18, true));
    const height = Math.abs(view.getInt32(22, true));
    return { width, height, channels: 4, depth: 'uchar', rotated: false };
  }
  try {
    const meta = await sharp(bytes).metadata();
    // Orientations 5-8 turn the image a quarter: width and height swap.
    const rotated = (meta.orientation ?? 1) >= 5;
    return {
      width: meta.width ?? 0,
      height: meta.height ?? 0,
      channels: meta.channels ?? 4,
      depth: meta.depth ?? 'uchar',
      rotated,
    };
  } catch (error) {
    const detail = error instanceof Error ? error.message.trim() : String(error);
    throw new DecodeError(`corrupt or truncated ${FORMAT_NAMES[format]} (${detail})`);
  }
}

/**
 * Decodes to 8-bit pixels, upright (EXIF orientation applied); the first page only.
 * Wider samples are brought to 8 bits by the file's real values (see toBytes), not by
 * their type's range: a 12-bit scan in a 16-bit PNG would otherwise come out near black
 * and a 0..1 float TIFF all black.
 */
export async function decodeImage(
  bytes: Uint8Array,
  purpose: DecodePurpose = 'image',
): Promise<DecodedImage> {
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
    const { orientation, channels, depth } = await image.metadata();
    if (depth && depth in WIDE_SAMPLES) {
      return await decodeWide(image, depth as SampleDepth, channels ?? 3, purpose, {
        format,
        rotated: (orientation ?? 1) > 1,
      });
    }
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

async function decodeWide(
  image: Sharp,
  depth: SampleDepth,
  channels: number,
  purpose: DecodePurpose,
  about: { format: ImageFormat; rotated: boolean },
): Promise<DecodedImage> {
  // 16-bit grey must be asked for as grey16: b-w would first cut it to 8 bits.
  const grey = channels <= 2;
  image.toColourspace(
    grey ? (depth === 'ushort' ? 'grey16' : 'b-w') : depth === 'ushort' ? 'rgb16' : 'srgb',
  );
  const { data, info } = await image.raw({ depth }).toBuffer({ resolveWithObject: true });
  const Samples = WIDE_SAMPLES[depth];
  const samples = new Samples(
    data.buffer,
    data.byteOffset,
    data.byteLength / Samples.BYTES_PER_ELEMENT,
  );
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (samples.length === 0) min = max = 0;
  const from = toBytesRange(depth, min, max);
  const out = new Uint8Array(samples.length);
  if (purpose === 'mask') {
    for (let i = 0; i < samples.length; i++) out[i] = samples[i] === 0 ? 0 : 255;
  } else if (from[1] > from[0]) {
    // Whole-bit ranges of 8 bits and more drop their low bits, as libvips does (its own
    // 8-to-16-bit conversion multiplies by 256, others' by 257; both come back exact).
    const wholeBits = from[0] === 0 && from[1] >= 255 && Number.isInteger(Math.log2(from[1] + 1));
    const scale = wholeBits ? 256 / (from[1] + 1) : 255 / (from[1] - from[0]);
    const toByte = wholeBits ? Math.floor : Math.round;
    for (let i = 0; i < samples.length; i++) {
      out[i] = Math.min(255, toByte((samples[i]! - from[0]) * scale));
    }
  }
  return {
    data: out,
    width: info.width,
    height: info.height,
    channels: info.channels,
    ...about,
    scaled: { depth, min, max, from },
  };
}

/**
 * The value range mapped to 0..255. Unsigned integers: the smallest whole number of bits
 * that holds the highest value (0..4095 for a 12-bit scan in a 16-bit file, 0..65535 for
 * a full-range one, 0..1 for a 0/1 label image). Floats within 0..1: that range, the usual
 * convention. Anything else (negative values, floats past 1): lowest to highest.
 */
function toBytesRange(depth: SampleDepth, min: number, max: number): [number, number] {
  const isFloat = depth === 'float' || depth === 'double';
  if (isFloat && min >= 0 && max <= 1) return [0, 1];
  if (!isFloat && min >= 0) return [0, max <= 0 ? 0 : 2 ** Math.ceil(Math.log2(max + 1)) - 1];
  const low = Math.min(0, min);
  return [low, Math.max(low, max)];
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
 * TIFF, BMP, EXIF-rotated and wider-than-8-bit files as a lossless PNG of the decoded
 * pixels, so what is displayed always has the stored width, height and values.
 */
export async function displayCopy(
  bytes: Uint8Array,
  image: DecodedImage,
): Promise<{ bytes: Uint8Array; ext: string }> {
  const ext = BROWSER_FORMATS[image.format];
  if (ext && !image.rotated && !image.scaled) return { bytes, ext };
  return { bytes: await encodePng(image), ext: 'png' };
}
