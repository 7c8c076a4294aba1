// Masks come as 0/255, 0/1 or label images, palette, grey or RGB, 8 to 32 bits, or as
// alpha alone. The app keeps one form only: one 8-bit channel, 0 background, 255
// foreground.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { decodeImage, encodePng } from './decode';
import type { RawImage } from './raw';

/**
 * A mask as stored and exchanged: one byte per pixel, 0 or 255 (the annotator's editing
 * buffer, renderer/lib/raster/mask.ts `Mask`, holds 0/1).
 */
export interface MaskImage {
  /** One byte per pixel, 0 or 255. */
  data: Uint8Array;
  width: number;
  height: number;
}

export interface ReadMask {
  mask: MaskImage;
  /**
   * Foreground came from the alpha channel: every visible pixel has one colour, so the
   * colours say nothing and the shape is in the alpha (opaque black on transparent).
   */
  byAlpha: boolean;
  /** Share of foreground pixels, 0..1. */
  foreground: number;
}

/** Pixels per slice between event-loop turns: ~10 ms of work, so a huge mask never stalls the engine. */
const SLICE = 1 << 20;

/**
 * Foreground is any nonzero grey level or colour channel (palettes arrive expanded to
 * their colours, so a palette index counts when its colour is not black: label maps give
 * index 0 black, while PNG optimisers reorder palettes freely, so colours are the safer
 * reading of the two). Where the mask has alpha, fully transparent pixels are background
 * whatever their colour: canvases export erased areas that way. And where every visible
 * pixel has the same colour, the alpha alone is the mask (see ReadMask.byAlpha).
 */
export function normalizeMask(image: RawImage): MaskImage {
  const reader = maskReader(image);
  reader.read(0, image.width * image.height);
  return reader.result().mask;
}

/** normalizeMask in slices with event-loop turns between them, for the engine. */
export async function normalizeMaskInSlices(image: RawImage): Promise<ReadMask> {
  const reader = maskReader(image);
  const pixels = image.width * image.height;
  for (let start = 0; start < pixels; start += SLICE) {
    reader.read(start, Math.min(pixels, start + SLICE));
    await nextTurn();
  }
  return reader.result();
}

function maskReader(image: RawImage) {
  const { data, width, height, channels } = image;
  const hasAlpha = channels === 2 || channels === 4;
  const colours = hasAlpha ? channels - 1 : channels;
  const out = new Uint8Array(width * height);
  // Two readings at once, so alpha-only masks cost no second pass: by colour (out) and
  // by alpha, decided at the end by whether the visible colours ever differed.
  const alphaOut = hasAlpha ? new Uint8Array(width * height) : null;
  let firstVisible = -1;
  let oneColour = true;
  let alphaVaries = false;
  let count = 0;
  let alphaCount = 0;
  return {
    read(start: number, end: number): void {
      for (let p = start, i = start * channels; p < end; p++, i += channels) {
        if (alphaOut) {
          const alpha = data[i + colours]!;
          if (alpha !== data[colours]) alphaVaries = true;
          if (alpha === 0) continue;
          alphaOut[p] = 255;
          alphaCount++;
          if (firstVisible < 0) firstVisible = i;
          else if (oneColour) {
            for (let c = 0; c < colours; c++) {
              if (data[i + c] !== data[firstVisible + c]) oneColour = false;
            }
          }
        }
        for (let c = 0; c < colours; c++) {
          if (data[i + c] !== 0) {
            out[p] = 255;
            count++;
            break;
          }
        }
      }
    },
    result(): ReadMask {
      const pixels = width * height;
      const byAlpha = alphaOut !== null && alphaVaries && oneColour;
      const chosen = byAlpha ? alphaOut : out;
      const n = byAlpha ? alphaCount : count;
      return {
        mask: { data: chosen, width, height },
        byAlpha,
        foreground: pixels ? n / pixels : 0,
      };
    },
  };
}

/** Fraction of foreground pixels in a normalized mask. */
export function foregroundFraction(mask: Uint8Array): number {
  if (mask.length === 0) return 0;
  let count = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) count++;
  return count / mask.length;
}

/** Decodes a mask file of any supported format; throws DecodeError when unreadable. */
export async function decodeMask(bytes: Uint8Array): Promise<MaskImage> {
  return (await readMask(bytes)).mask;
}

/** decodeMask, with how the mask was read and its foreground share. */
export async function readMask(bytes: Uint8Array): Promise<ReadMask> {
  return normalizeMaskInSlices(await decodeImage(bytes, 'mask'));
}

/** The stored form: an 8-bit one-channel PNG of 0 and 255. */
export function encodeMask(mask: MaskImage): Promise<Buffer> {
  return encodePng({ data: mask.data, width: mask.width, height: mask.height, channels: 1 });
}
