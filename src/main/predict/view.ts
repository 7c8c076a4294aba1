// What the network sees of an image: the same pixels for training and for every
// prediction, whichever runtime runs it.
import sharp from 'sharp';
import type { InputMode } from '#shared/input';
import type { RawImage } from '../images/raw';
import { letterbox, type Placement } from './geometry';

/** The networks see RGB: every image is made 3-channel before training or prediction. */
export const CHANNELS = 3;

/** Grey (+alpha) repeats its one value; RGBA drops alpha. */
export function toRgb(image: RawImage): RawImage {
  if (image.channels === CHANNELS) return image;
  const { data, width, height, channels } = image;
  const out = new Uint8Array(width * height * CHANNELS);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < CHANNELS; c++)
      out[p * CHANNELS + c] = data[p * channels + (channels < CHANNELS ? 0 : c)]!;
  }
  return { data: out, width, height, channels: CHANNELS };
}

/** Linear resize by sharp, off the event loop; channels are kept. */
export async function resizeRaw(image: RawImage, width: number, height: number): Promise<RawImage> {
  const { data, channels } = image;
  if (image.width === width && image.height === height) return image;
  const { data: out, info } = await sharp(data, {
    raw: { width: image.width, height: image.height, channels },
    limitInputPixels: false,
  })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    // Without this sharp widens grey to sRGB.
    .toColourspace(channels === 1 ? 'b-w' : 'srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== channels) {
    throw new Error(`Resize produced ${info.channels} channels from ${channels}.`);
  }
  return {
    data: new Uint8Array(out.buffer, out.byteOffset, out.byteLength),
    width,
    height,
    channels,
  };
}

/** Where the image's content sits in the square: all of it when stretched. */
export function placementOf(
  mode: 'stretch' | 'resize',
  width: number,
  height: number,
  size: number,
): Placement {
  return mode === 'stretch'
    ? { left: 0, top: 0, width: size, height: size }
    : letterbox(width, height, size);
}

/**
 * The image (or mask) as a whole-image model sees it: size x size, stretched or
 * letterboxed with zeros (black, background) around it.
 */
export async function toSquare(
  image: RawImage,
  mode: 'stretch' | 'resize',
  size: number,
): Promise<{ square: RawImage; placement: Placement }> {
  const placement = placementOf(mode, image.width, image.height, size);
  const fitted = await resizeRaw(image, placement.width, placement.height);
  if (placement.width === size && placement.height === size) return { square: fitted, placement };
  const { channels } = image;
  const data = new Uint8Array(size * size * channels);
  const row = placement.width * channels;
  for (let y = 0; y < placement.height; y++) {
    data.set(
      fitted.data.subarray(y * row, (y + 1) * row),
      ((placement.top + y) * size + placement.left) * channels,
    );
  }
  return { square: { data, width: size, height: size, channels }, placement };
}

/** The image scaled for a patch run: `scale` of its own pixels on each side. */
export function scaledSize(
  width: number,
  height: number,
  input: Extract<InputMode, { mode: 'patches' }>,
): { width: number; height: number } {
  return {
    width: Math.max(1, Math.round(width * input.scale)),
    height: Math.max(1, Math.round(height * input.scale)),
  };
}

/** 8-bit values to the network's [0, 1] floats. */
export function toUnit(bytes: Uint8Array, out = new Float32Array(bytes.length)): Float32Array {
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]! / 255;
  return out;
}
