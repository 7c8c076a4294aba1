// Masks come as 0/255, 0/1, label or palette images, grey or RGB. The app keeps one
// form only: one 8-bit channel, 0 background, 255 foreground.
import { decodeImage, encodePng } from './decode';
import type { RawImage } from './raw';

export interface Mask {
  /** One byte per pixel, 0 or 255. */
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Foreground is any nonzero grey level or colour channel (palettes arrive expanded to
 * their colours, so a palette index counts when its colour is not black: label maps give
 * index 0 black, while PNG optimisers reorder palettes freely, so colours are the safer
 * reading of the two). Where the mask
 * has alpha, fully transparent pixels are background whatever their colour: canvases
 * export erased areas that way.
 */
export function normalizeMask(image: RawImage): Mask {
  const { data, width, height, channels } = image;
  const hasAlpha = channels === 2 || channels === 4;
  const colours = hasAlpha ? channels - 1 : channels;
  const out = new Uint8Array(width * height);
  for (let p = 0, i = 0; p < out.length; p++, i += channels) {
    if (hasAlpha && data[i + colours] === 0) continue;
    for (let c = 0; c < colours; c++) {
      if (data[i + c] !== 0) {
        out[p] = 255;
        break;
      }
    }
  }
  return { data: out, width, height };
}

/** Fraction of foreground pixels in a normalized mask. */
export function foregroundFraction(mask: Uint8Array): number {
  if (mask.length === 0) return 0;
  let count = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) count++;
  return count / mask.length;
}

/** Decodes a mask file of any supported format; throws DecodeError when unreadable. */
export async function decodeMask(bytes: Uint8Array): Promise<Mask> {
  return normalizeMask(await decodeImage(bytes));
}

/** The stored form: an 8-bit one-channel PNG of 0 and 255. */
export function encodeMask(mask: Mask): Promise<Buffer> {
  return encodePng({ ...mask, channels: 1 });
}
