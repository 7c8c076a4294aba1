// Training data: a dataset's masked images decoded once and held in memory as typed
// arrays (these datasets are tens of images), so no batch ever waits on a decoder: as the
// model's square for whole-image runs, as scaled sources cropped anew each epoch for
// patch runs. Splits, shuffles and augmentation draw from seeded
// streams, so the same seed gives the same run.
import { readFile } from 'node:fs/promises';
import { ApiError } from '#shared/errors';
import { hasTrainingMask, type TrainConfig } from '#shared/domain';
import type { Split } from '#shared/ids';
import { absolutePath } from '../files';
import { decodeImage } from '../images/decode';
import { decodeMask } from '../images/mask';
import type { RawImage } from '../images/raw';
import type { InputMode } from '#shared/input';
import { UNASSIGNED_TRAIN, UNASSIGNED_VALIDATION } from '#shared/splits';
import { windowStarts } from '../predict/geometry';
import { CHANNELS, resizeRaw, scaledSize, toRgb, toSquare, toUnit } from '../predict/view';
import type { Db } from '../store/database';
import { listStoredImages } from '../store/images';
import { deriveRng, shuffled, type Rng } from './random';

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

/**
 * Images of the dataset whose mask a person made or vouched for, not excluded. Images
 * still waiting for one cannot train, and neither can a model's pre-label nobody has
 * accepted or corrected: a model trained on its own guesses learns its own mistakes.
 */
export function maskedImages(db: Db, datasetId: number): SampleRef[] {
  return listStoredImages(db, datasetId).flatMap((image) =>
    image.maskFile && hasTrainingMask(image)
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

/**
 * Stored 'train' images minus a seeded validationFraction are train, the rest of them
 * validation; stored 'test' images are test; 'unassigned' images are split 70/10/20 by
 * the seed. With `labelled`, only that many of the images that would train or validate
 * take part (labelledSubset), held out by validationFraction as stored train images are.
 * Depends only on the set of images and the seed, not on their order.
 */
export function splitImages<T extends { imageId: number; split: Split }>(
  items: readonly T[],
  seed: number,
  validationFraction: number,
  labelled?: number,
): Splits<T> {
  const byId = (split: Split) =>
    items.filter((i) => i.split === split).sort((a, b) => a.imageId - b.imageId);
  const holdOut = (list: readonly T[]) => {
    const order = shuffled(list, deriveRng(seed, 'validation'));
    const held = validationCount(order.length, validationFraction);
    return { train: order.slice(held), validation: order.slice(0, held) };
  };

  const loose = shuffled(byId('unassigned'), deriveRng(seed, 'unassigned'));
  const share = looseShare(loose.length);
  const looseTrain = loose.slice(0, share.train);
  const looseValidation = loose.slice(share.train, share.train + share.validation);
  const test = [...byId('test'), ...loose.slice(share.train + share.validation)];

  let out: Splits<T>;
  if (labelled === undefined) {
    const stored = holdOut(byId('train'));
    out = {
      train: [...stored.train, ...looseTrain],
      validation: [...stored.validation, ...looseValidation],
      test,
    };
  } else {
    const pool = [...byId('train'), ...looseTrain, ...looseValidation];
    out = { ...holdOut(labelledSubset(pool, seed, labelled)), test };
  }
  for (const list of [out.train, out.validation, out.test])
    list.sort((a, b) => a.imageId - b.imageId);
  return out;
}

/** Unassigned images that train and that validate; the rest test. */
function looseShare(n: number): { train: number; validation: number } {
  return {
    train: Math.round(n * UNASSIGNED_TRAIN),
    validation: Math.round(n * UNASSIGNED_VALIDATION),
  };
}

/**
 * The images that train or validate, whatever the seed: the most a run's `labelled` may
 * ask for.
 */
export function labelledCount(items: readonly { split: Split }[]): number {
  const loose = looseShare(items.filter((i) => i.split === 'unassigned').length);
  return items.filter((i) => i.split === 'train').length + loose.train + loose.validation;
}

/**
 * The first `n` of one seeded order of the pool, in id order. The order does not depend
 * on n, so for one seed the subsets are nested (5 images within 10 within 20), as a user
 * labelling more keeps the ones labelled before; with n the whole pool, the split is the
 * one a run without `labelled` gets.
 */
function labelledSubset<T extends { imageId: number }>(
  pool: readonly T[],
  seed: number,
  n: number,
): T[] {
  if (n > pool.length) {
    throw new ApiError(
      'invalid',
      `The run asks for ${n} labelled images, but the dataset has ${pool.length} labelled ` +
        'train images (train and validation together).',
    );
  }
  const byId = [...pool].sort((a, b) => a.imageId - b.imageId);
  return shuffled(byId, deriveRng(seed, 'labelled'))
    .slice(0, n)
    .sort((a, b) => a.imageId - b.imageId);
}

/** A run's split of its dataset's masked images, by its config. */
export function runSplits(
  db: Db,
  config: Pick<TrainConfig, 'datasetId' | 'seed' | 'validationFraction' | 'labelled'>,
): Splits<SampleRef> {
  return splitImages(
    maskedImages(db, config.datasetId),
    config.seed,
    config.validationFraction,
    config.labelled,
  );
}

/** At least one validation image when a fraction is asked for, never the whole split. */
function validationCount(n: number, fraction: number): number {
  if (fraction <= 0 || n < 2) return 0;
  return Math.min(n - 1, Math.max(1, Math.round(n * fraction)));
}

/** Decodes every image and mask once, as a whole-image run's model sees them. */
export async function loadSamples(
  dataDir: string,
  refs: readonly SampleRef[],
  size: number,
  mode: 'stretch' | 'resize',
): Promise<Sample[]> {
  return inFlight(refs, (ref) => loadSample(dataDir, ref, size, mode));
}

/**
 * Sharp decodes on its own thread pool; a few in flight keep it busy without holding
 * every decoded full-size image at once.
 */
async function inFlight<T, R>(items: readonly T[], load: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  const width = 4;
  for (let i = 0; i < items.length; i += width) {
    out.push(...(await Promise.all(items.slice(i, i + width).map(load))));
  }
  return out;
}

async function loadSample(
  dataDir: string,
  ref: SampleRef,
  size: number,
  mode: 'stretch' | 'resize',
): Promise<Sample> {
  const [image, mask] = await Promise.all([loadImage(dataDir, ref), loadTruth(dataDir, ref)]);
  const [{ square: rgb }, { square: grey }] = await Promise.all([
    toSquare(image, mode, size),
    toSquare({ data: mask, width: ref.width, height: ref.height, channels: 1 }, mode, size),
  ]);
  // Linear resize then threshold: smoother edges than nearest, and still binary targets.
  const binary = new Float32Array(grey.data.length);
  for (let i = 0; i < binary.length; i++) binary[i] = grey.data[i]! >= 128 ? 1 : 0;
  return { ...ref, pixels: toUnit(rgb.data), mask: binary };
}

/** A stored image decoded at its own resolution, as RGB: what every prediction starts from. */
export async function loadImage(
  dataDir: string,
  ref: Pick<SampleRef, 'file' | 'stem'>,
): Promise<RawImage> {
  const bytes = await readStored(dataDir, ref.file, ref.stem, 'image');
  const image = await decodeImage(bytes).catch((error: unknown) => {
    throw new ApiError('invalid', `Image "${ref.stem}" cannot be decoded: ${String(error)}`);
  });
  return toRgb(image);
}

/** The current mask of a stored image at its own resolution, 0 or 255 per pixel. */
export async function loadTruth(dataDir: string, ref: SampleRef): Promise<Uint8Array> {
  const mask = await decodeMask(await readStored(dataDir, ref.maskFile, ref.stem, 'mask')).catch(
    (error: unknown) => {
      if (error instanceof ApiError) throw error;
      throw new ApiError('invalid', `Mask of "${ref.stem}" cannot be decoded: ${String(error)}`);
    },
  );
  if (mask.width !== ref.width || mask.height !== ref.height) {
    throw new ApiError(
      'invalid',
      `Mask of "${ref.stem}" is ${mask.width}x${mask.height} but the image is ${ref.width}x${ref.height}.`,
    );
  }
  return mask.data;
}

/** A training image of a patch run: scaled once, cropped anew every epoch. */
export interface PatchSource {
  ref: SampleRef;
  /** RGB at the run's scale. */
  image: RawImage;
  /** 0 or 1 per pixel, at the run's scale. */
  mask: Uint8Array;
  /** Indices of the foreground pixels, for crops centred on the target. */
  foreground: Uint32Array;
}

export async function loadPatchSources(
  dataDir: string,
  refs: readonly SampleRef[],
  input: Extract<InputMode, { mode: 'patches' }>,
): Promise<PatchSource[]> {
  return inFlight(refs, async (ref) => {
    const [image, truth] = await Promise.all([loadImage(dataDir, ref), loadTruth(dataDir, ref)]);
    const { width, height } = scaledSize(ref.width, ref.height, input);
    const [scaled, grey] = await Promise.all([
      resizeRaw(image, width, height),
      resizeRaw({ data: truth, width: ref.width, height: ref.height, channels: 1 }, width, height),
    ]);
    const mask = new Uint8Array(grey.data.length);
    let count = 0;
    for (let i = 0; i < mask.length; i++) count += mask[i] = grey.data[i]! >= 128 ? 1 : 0;
    const foreground = new Uint32Array(count);
    for (let i = 0, k = 0; i < mask.length; i++) if (mask[i]) foreground[k++] = i;
    return { ref, image: scaled, mask, foreground };
  });
}

/** Crops per image and epoch: about enough to cover the scaled image once. */
export function patchesPerImage(source: Pick<PatchSource, 'image'>, size: number): number {
  return Math.max(1, Math.ceil((source.image.width * source.image.height) / (size * size)));
}

/**
 * One epoch's random crops of every source, as samples of the model's size,
 * `foregroundCrops` of them centred on a target pixel (shared/input.ts says why).
 */
export function drawPatches(
  sources: readonly PatchSource[],
  size: number,
  rng: Rng,
  foregroundCrops: number,
): Sample[] {
  const out: Sample[] = [];
  for (const source of sources) {
    const { width, height } = source.image;
    for (let k = patchesPerImage(source, size); k > 0; k--) {
      let x0: number;
      let y0: number;
      if (source.foreground.length > 0 && rng() < foregroundCrops) {
        const at = source.foreground[Math.floor(rng() * source.foreground.length)]!;
        x0 = (at % width) - Math.floor(size / 2) + Math.floor((rng() - 0.5) * (size / 2));
        y0 = Math.floor(at / width) - Math.floor(size / 2) + Math.floor((rng() - 0.5) * (size / 2));
      } else {
        x0 = Math.floor(rng() * (width - size + 1));
        y0 = Math.floor(rng() * (height - size + 1));
      }
      x0 = Math.max(0, Math.min(x0, width - size));
      y0 = Math.max(0, Math.min(y0, height - size));
      out.push(crop(source, x0, y0, size));
    }
  }
  return out;
}

/**
 * Fixed crops that tile every source (the last row and column flush with its edges):
 * validation sees the same pixels every epoch.
 */
export function tilePatches(sources: readonly PatchSource[], size: number): Sample[] {
  return sources.flatMap((source) => {
    const { width, height } = source.image;
    const xs = windowStarts(width, size, size);
    const ys = windowStarts(height, size, size);
    return ys.flatMap((y0) => xs.map((x0) => crop(source, x0, y0, size)));
  });
}

/** A size x size crop at (x0, y0); a source smaller than that is padded with black background. */
function crop(source: PatchSource, x0: number, y0: number, size: number): Sample {
  const { image, mask, ref } = source;
  const pixels = new Float32Array(size * size * CHANNELS);
  const target = new Float32Array(size * size);
  const rows = Math.min(size, image.height - y0);
  const cols = Math.min(size, image.width - x0);
  for (let r = 0; r < rows; r++) {
    const from = (y0 + r) * image.width + x0;
    toUnit(
      image.data.subarray(from * CHANNELS, (from + cols) * CHANNELS),
      pixels.subarray(r * size * CHANNELS),
    );
    for (let c = 0; c < cols; c++) target[r * size + c] = mask[from + c]!;
  }
  return { ...ref, pixels, mask: target };
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
