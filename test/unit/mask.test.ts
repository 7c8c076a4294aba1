import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  decodeMask,
  encodeMask,
  foregroundFraction,
  normalizeMask,
} from '../../src/main/images/mask';
import type { RawImage } from '../../src/main/images/raw';
import { FACE } from '../paths';

const image = (channels: RawImage['channels'], values: number[]): RawImage => ({
  data: Uint8Array.from(values),
  width: values.length / channels,
  height: 1,
  channels,
});
const pixels = (values: number[], channels: RawImage['channels']) =>
  Array.from(normalizeMask(image(channels, values)).data);

describe('normalizeMask', () => {
  it('reads 0/255, 0/1 and label values as background and foreground', () => {
    expect(pixels([0, 255, 0, 255], 1)).toEqual([0, 255, 0, 255]);
    expect(pixels([0, 1, 1, 0], 1)).toEqual([0, 255, 255, 0]);
    expect(pixels([0, 3, 7, 128], 1)).toEqual([0, 255, 255, 255]);
  });

  it('counts any nonzero colour channel as foreground', () => {
    expect(pixels([0, 0, 0, 200, 0, 0, 0, 0, 1, 0, 9, 0], 3)).toEqual([0, 255, 255, 255]);
  });

  it('treats fully transparent pixels as background whatever their colour', () => {
    // RGBA: white transparent, white opaque, black opaque, red half-transparent.
    expect(pixels([255, 255, 255, 0, 255, 255, 255, 255, 0, 0, 0, 255, 255, 0, 0, 128], 4)).toEqual(
      [0, 255, 0, 255],
    );
    // Grey + alpha.
    expect(pixels([255, 0, 255, 255, 0, 255], 2)).toEqual([0, 255, 0]);
  });
});

describe('foregroundFraction', () => {
  it('is the share of nonzero pixels', () => {
    expect(foregroundFraction(Uint8Array.from([0, 255, 255, 0]))).toBe(0.5);
    expect(foregroundFraction(new Uint8Array(10))).toBe(0);
    expect(foregroundFraction(new Uint8Array(0))).toBe(0);
  });
});

describe('decodeMask and encodeMask', () => {
  it('reads a palette PNG by its colours: black is background', async () => {
    const rgb = Buffer.from([0, 0, 0, 255, 0, 0, 0, 0, 0, 0, 128, 0]);
    const png = await sharp(rgb, { raw: { width: 2, height: 2, channels: 3 } })
      .png({ palette: true })
      .toBuffer();
    expect((await sharp(png).metadata()).isPalette).toBe(true);
    expect(Array.from((await decodeMask(png)).data)).toEqual([0, 255, 0, 255]);
  });

  it('stores masks as one-channel 8-bit PNGs that read back unchanged', async () => {
    const mask = { data: Uint8Array.from([0, 255, 255, 0, 255, 0]), width: 3, height: 2 };
    const png = await encodeMask(mask);
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.channels, meta.depth]).toEqual(['png', 1, 'uchar']);
    expect(await decodeMask(png)).toEqual(mask);
  });

  it('normalizes a real dataset mask to 0/255 with its foreground share', async () => {
    const file = readFileSync(join(FACE, 'train/masks/1.png'));
    const mask = await decodeMask(file);
    expect([mask.width, mask.height]).toEqual([182, 256]);
    const { data } = await sharp(file)
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true });
    let white = 0;
    for (const v of data) if (v !== 0) white++;
    expect(mask.data.every((v) => v === 0 || v === 255)).toBe(true);
    expect(foregroundFraction(mask.data)).toBeCloseTo(white / data.length, 10);
    expect(foregroundFraction(mask.data)).toBeGreaterThan(0.2);
    expect(foregroundFraction(mask.data)).toBeLessThan(0.9);
  });
});
