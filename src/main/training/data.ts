// Training data: a dataset's masked images decoded once, resized to the model's square
// input, and held in memory as typed arrays (these datasets are tens of images), so no
// batch ever waits on a decoder. Splits, shuffles and augmentation draw from seeded
// streams, so the same seed gives the same run.
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { ApiError } from '../../shared/errors';
import type { Split } from '../../shared/ids';
import { absolutePath } from '../files';
import { decodeImage } from '../images/decode';
import { decodeMask } from '../images/mask';
import type { RawImage } from '../images/raw';
import type { Db } from '../store/database';
import { listStoredImages } from '../store/images';
import { deriveRng, shuffled, type Rng } from './random';

export const CHANNELS = 3;

export interface SampleRef {
  imageId: number;
  stem: string;
  /** The split stored with the image. */
  split: Split;
  /** Original resolution; predictions are stored at it. */
  width: number;
  height: number;
  file: string;
  maskFile: string;
}

export interface Sample extends SampleRef {
  /** size x size x 3, RGB in [0, 1]. */
  pixels: Float32Array;
  /** size x size, 0 or 1. */
  mask: Float32Array;
}

export interface Splits<T> {
  train: T[];
  validation: T[];
  test: T[];
}

export type SplitName = keyof Splits<unknown>;

/** Images of the dataset that have a mask; images still waiting for one cannot train. */
export function maskedImages(db: Db, datasetId: number): SampleRef[] {
  return listStoredImages(db, datasetId).flatMap((image) =>
    image.maskFile
      ? [
          {
            imageId: image.id,
            stem: image.stem,
            split: image.split,
            width: image.width,
            height: image.height,
            file: image.file,
            maskFile: image.maskFile,
          },
        ]
      : [],
  );
}

/** Fraction of 'unassigned' images that go to train / validation (the rest is test). */
const UNASSIGNED_TRAIN = 0.7;
const UNASSIGNED_VALIDATION = 0.1;

/**
 * Stored 'train' images minus a seeded validationFraction are train, the rest of them
 * validation; stored 'test' images are test; 'unassigned' images are split 70/10/20 by
 * the seed. Depends only on the set of images and the seed, not on their order.
 */
export function splitImages<T extends { imageId: number; split: Split }>(
  items: readonly T[],
  seed: number,
  validationFraction: number,
): Splits<T> {
  const byId = (split: Split) =>
    items.filter((i) => i.split === split).sort((a, b) => a.imageId - b.imageId);

  const train = shuffled(byId('train'), deriveRng(seed, 'validation'));
  const held = validationCount(train.length, validationFraction);
  const out: Splits<T> = {
    train: train.slice(held),
    validation: train.slice(0, held),
    test: byId('test'),
  };

  const loose = shuffled(byId('unassigned'), deriveRng(seed, 'unassigned'));
  const toTrain = Math.round(loose.length * UNASSIGNED_TRAIN);
  const toValidation = Math.round(loose.length * UNASSIGNED_VALIDATION);
  out.train.push(...loose.slice(0, toTrain));
  out.validation.push(...loose.slice(toTrain, toTrain + toValidation));
  out.test.push(...loose.slice(toTrain + toValidation));
  for (const list of [out.train, out.validation, out.test])
    list.sort((a, b) => a.imageId - b.imageId);
  return out;
}

/** At least one validation image when a fraction is asked for, never the whole split. */
function validationCount(n: number, fraction: number): number {
  if (fraction <= 0 || n < 2) return 0;
  return Math.min(n - 1, Math.max(1, Math.round(n * fraction)));
}

/** Decodes and resizes every image and mask once. */
export async function loadSamples(
  dataDir: string,
  refs: readonly SampleRef[],
  size: number,
): Promise<Sample[]> {
  const out: Sample[] = [];
  // Sharp decodes on its own thread pool; a few in flight keep it busy without
  // holding every decoded full-size image at once.
  const inFlight = 4;
  for (let i = 0; i < refs.length; i += inFlight) {
    const chunk = refs.slice(i, i + inFlight);
    out.push(...(await Promise.all(chunk.map((ref) => loadSample(dataDir, ref, size)))));
  }
  return out;
}

async function loadSample(dataDir: string, ref: SampleRef, size: number): Promise<Sample> {
  const [pixels, maskBytes] = await Promise.all([
    loadPixels(dataDir, ref, size),
    readStored(dataDir, ref.maskFile, ref.stem, 'mask'),
  ]);
  const mask = await decodeMask(maskBytes).catch((error: unknown) => {
    throw new ApiError('invalid', `Mask of "${ref.stem}" cannot be decoded: ${String(error)}`);
  });
  const grey = await resize({ ...mask, channels: 1 }, size);
  // Linear resize then threshold: smoother edges than nearest, and still binary targets.
  const binary = new Float32Array(grey.length);
  for (let i = 0; i < grey.length; i++) binary[i] = grey[i]! >= 128 ? 1 : 0;
  return { ...ref, pixels, mask: binary };
}

/**
 * A stored image as the model sees it: size x size x 3, RGB in [0, 1]. Training and
 * every prediction go through here, so they see the same pixels.
 */
export async function loadPixels(
  dataDir: string,
  ref: Pick<SampleRef, 'file' | 'stem'>,
  size: number,
): Promise<Float32Array> {
  const bytes = await readStored(dataDir, ref.file, ref.stem, 'image');
  const image = await decodeImage(bytes).catch((error: unknown) => {
    throw new ApiError('invalid', `Image "${ref.stem}" cannot be decoded: ${String(error)}`);
  });
  const rgb = await resize(toRgb(image), size);
  const pixels = new Float32Array(rgb.length);
  for (let i = 0; i < rgb.length; i++) pixels[i] = rgb[i]! / 255;
  return pixels;
}

/** The current mask of a stored image at its own resolution, 0 or 255 per pixel. */
export async function loadTruth(dataDir: string, ref: SampleRef): Promise<Uint8Array> {
  const mask = await decodeMask(await readStored(dataDir, ref.maskFile, ref.stem, 'mask'));
  if (mask.width !== ref.width || mask.height !== ref.height) {
    throw new ApiError(
      'invalid',
      `Mask of "${ref.stem}" is ${mask.width}x${mask.height} but the image is ${ref.width}x${ref.height}.`,
    );
  }
  return mask.data;
}

async function readStored(
  dataDir: string,
  file: string,
  stem: string,
  what: string,
): Promise<Uint8Array> {
  return readFile(absolutePath(dataDir, file)).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ApiError('io', `The stored ${what} of "${stem}" (${file}) cannot be read: ${code}.`);
  });
}

function toRgb(image: RawImage): RawImage {
  if (image.channels === 3) return image;
  const { data, width, height, channels } = image;
  const out = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) {
      // Grey (+alpha) repeats its one value; RGBA drops alpha.
      out[p * 3 + c] = data[p * channels + (channels < 3 ? 0 : c)]!;
    }
  }
  return { data: out, width, height, channels: 3 };
}

async function resize(image: RawImage, size: number): Promise<Uint8Array> {
  const { data, width, height, channels } = image;
  const { data: out, info } = await sharp(data, { raw: { width, height, channels } })
    .resize(size, size, { fit: 'fill', kernel: 'linear' })
    // Without this sharp widens grey to sRGB.
    .toColourspace(channels === 1 ? 'b-w' : 'srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== channels) {
    throw new Error(`Resize produced ${info.channels} channels from ${channels}.`);
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

export interface Augmentation {
  flip: boolean;
  /** Radians, counter-clockwise. */
  angle: number;
  /** Multiplies every pixel value. */
  brightness: number;
}

export const MAX_ROTATION = (10 * Math.PI) / 180;
export const MAX_BRIGHTNESS = 0.15;

/** Horizontal flips only: faces and most photos have an up, so vertical flips mislead. */
export function drawAugmentation(rng: Rng): Augmentation {
  return {
    flip: rng() < 0.5,
    angle: (rng() * 2 - 1) * MAX_ROTATION,
    brightness: 1 + (rng() * 2 - 1) * MAX_BRIGHTNESS,
  };
}

/**
 * Applies one geometric transform to image and mask alike (inverse mapping, bilinear,
 * border pixels repeated), so they stay aligned; the mask is re-thresholded at 0.5.
 */
export function augment(
  pixels: Float32Array,
  mask: Float32Array,
  size: number,
  aug: Augmentation,
): { pixels: Float32Array; mask: Float32Array } {
  const outPixels = new Float32Array(pixels.length);
  const outMask = new Float32Array(mask.length);
  const c = (size - 1) / 2;
  const cos = Math.cos(aug.angle);
  const sin = Math.sin(aug.angle);
  const clamp = (v: number) => (v < 0 ? 0 : v > size - 1 ? size - 1 : v);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const fx = aug.flip ? size - 1 - x : x;
      const dx = fx - c;
      const dy = y - c;
      const sx = clamp(cos * dx - sin * dy + c);
      const sy = clamp(sin * dx + cos * dy + c);
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const x1 = Math.min(x0 + 1, size - 1);
      const y1 = Math.min(y0 + 1, size - 1);
      const wx = sx - x0;
      const wy = sy - y0;
      const w00 = (1 - wx) * (1 - wy);
      const w01 = wx * (1 - wy);
      const w10 = (1 - wx) * wy;
      const w11 = wx * wy;
      const i00 = y0 * size + x0;
      const i01 = y0 * size + x1;
      const i10 = y1 * size + x0;
      const i11 = y1 * size + x1;
      const o = y * size + x;
      const m = mask[i00]! * w00 + mask[i01]! * w01 + mask[i10]! * w10 + mask[i11]! * w11;
      outMask[o] = m >= 0.5 ? 1 : 0;
      for (let ch = 0; ch < CHANNELS; ch++) {
        const v =
          pixels[i00 * CHANNELS + ch]! * w00 +
          pixels[i01 * CHANNELS + ch]! * w01 +
          pixels[i10 * CHANNELS + ch]! * w10 +
          pixels[i11 * CHANNELS + ch]! * w11;
        outPixels[o * CHANNELS + ch] = Math.min(1, v * aug.brightness);
      }
    }
  }
  return { pixels: outPixels, mask: outMask };
}

export interface Batch {
  samples: Sample[];
  /** [n, size, size, 3] */
  x: Float32Array;
  /** [n, size, size, 1] */
  y: Float32Array;
}

/** Packs samples into one batch, augmenting each with its own draw when rng is given. */
export function assembleBatch(samples: readonly Sample[], size: number, rng: Rng | null): Batch {
  const area = size * size;
  const x = new Float32Array(samples.length * area * CHANNELS);
  const y = new Float32Array(samples.length * area);
  samples.forEach((s, i) => {
    const { pixels, mask } = rng ? augment(s.pixels, s.mask, size, drawAugmentation(rng)) : s;
    x.set(pixels, i * area * CHANNELS);
    y.set(mask, i * area);
  });
  return { samples: [...samples], x, y };
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
