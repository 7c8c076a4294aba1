import { encode as encodeBmpV5 } from 'fast-bmp';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DecodeError, decodeImage, displayCopy, sniffFormat } from '../../src/main/images/decode';
import { FACE } from '../paths';

const face = readFileSync(join(FACE, 'train/images/1.png'));

/** 4x3 RGB test card: every pixel distinct, so flips and channel swaps show. */
const W = 4;
const H = 3;
const rgb = Uint8Array.from({ length: W * H * 3 }, (_, i) => (i * 23 + 7) % 256);
const raw = (data: Uint8Array, channels: 1 | 2 | 3 | 4) =>
  sharp(data, { raw: { width: W, height: H, channels } });

/** A classic BITMAPINFOHEADER BMP, the way Paint, PIL and most tools write one. */
function classicBmp(options: {
  bpp: 8 | 24 | 32;
  pixels: Uint8Array;
  palette?: [number, number, number][];
  topDown?: boolean;
}): Buffer {
  const { bpp, pixels, palette = [], topDown = false } = options;
  const channels = bpp / 8;
  const rowBytes = Math.ceil((W * bpp) / 32) * 4;
  const offset = 54 + palette.length * 4;
  const out = Buffer.alloc(offset + rowBytes * H);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(offset, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(W, 18);
  out.writeInt32LE(topDown ? -H : H, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(bpp, 28);
  out.writeUInt32LE(palette.length, 46);
  palette.forEach(([r, g, b], i) => out.set([b, g, r, 0], 54 + i * 4));
  for (let y = 0; y < H; y++) {
    const fileRow = topDown ? y : H - 1 - y;
    for (let x = 0; x < W; x++) {
      const src = (y * W + x) * channels;
      const dst = offset + fileRow * rowBytes + x * channels;
      if (channels === 1) out[dst] = pixels[src]!;
      else {
        out[dst] = pixels[src + 2]!;
        out[dst + 1] = pixels[src + 1]!;
        out[dst + 2] = pixels[src]!;
        if (channels === 4) out[dst + 3] = pixels[src + 3]!;
      }
    }
  }
  return out;
}

// A boolean, not toEqual: vitest's diff of two 100k-element arrays takes minutes.
const samePixels = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

describe('sniffFormat', () => {
  it('tells formats by their bytes, not their names', async () => {
    expect(sniffFormat(face)).toBe('png');
    expect(sniffFormat(await raw(rgb, 3).jpeg().toBuffer())).toBe('jpeg');
    expect(sniffFormat(await raw(rgb, 3).webp().toBuffer())).toBe('webp');
    expect(sniffFormat(await raw(rgb, 3).tiff().toBuffer())).toBe('tiff');
    expect(sniffFormat(classicBmp({ bpp: 24, pixels: rgb }))).toBe('bmp');
    expect(sniffFormat(Buffer.from('hello'))).toBeNull();
  });
});

describe('decodeImage', () => {
  it('decodes a real dataset PNG', async () => {
    const image = await decodeImage(face);
    expect([image.width, image.height, image.channels, image.format]).toEqual([182, 256, 3, 'png']);
    expect(image.data.length).toBe(182 * 256 * 3);
  });

  it.each([
    ['PNG', () => raw(rgb, 3).png().toBuffer()],
    ['lossless WebP', () => raw(rgb, 3).webp({ lossless: true }).toBuffer()],
    ['TIFF', () => raw(rgb, 3).tiff({ compression: 'lzw' }).toBuffer()],
    [
      'fast-bmp (V5 header) BMP',
      async () =>
        Buffer.from(
          encodeBmpV5({
            width: W,
            height: H,
            data: rgb,
            bitsPerPixel: 24,
            components: 3,
            channels: 3,
          }),
        ),
    ],
    ['24-bit BMP', async () => classicBmp({ bpp: 24, pixels: rgb })],
    ['top-down BMP', async () => classicBmp({ bpp: 24, pixels: rgb, topDown: true })],
  ])('decodes a %s to the exact pixels', async (_name, make) => {
    const image = await decodeImage(await make());
    expect([image.width, image.height, image.channels]).toEqual([W, H, 3]);
    expect(Array.from(image.data)).toEqual(Array.from(rgb));
  });

  it('keeps a grey PNG one channel, 8- and 16-bit', async () => {
    const pixels = Uint8Array.from({ length: W * H }, (_, i) => (i * 37) % 256);
    const grey = raw(pixels, 1).toColourspace('b-w');
    const wide = raw(pixels, 1).toColourspace('grey16');
    for (const png of [await grey.png().toBuffer(), await wide.png().toBuffer()]) {
      const image = await decodeImage(png);
      expect([image.width, image.height, image.channels]).toEqual([W, H, 1]);
      expect(Array.from(image.data)).toEqual(Array.from(pixels));
    }
  });

  it('decodes JPEG to the right size and close pixels', async () => {
    const image = await decodeImage(await sharp(face).jpeg({ quality: 95 }).toBuffer());
    expect([image.width, image.height, image.format]).toEqual([182, 256, 'jpeg']);
    const truth = await decodeImage(face);
    let error = 0;
    for (let i = 0; i < truth.data.length; i++) error += Math.abs(truth.data[i]! - image.data[i]!);
    expect(error / truth.data.length).toBeLessThan(4);
  });

  it('applies a BMP colour table', async () => {
    const palette: [number, number, number][] = [
      [0, 0, 0],
      [255, 0, 0],
      [0, 0, 255],
    ];
    const indices = Uint8Array.from({ length: W * H }, (_, i) => i % 3);
    const image = await decodeImage(classicBmp({ bpp: 8, pixels: indices, palette }));
    expect(image.channels).toBe(3);
    expect(Array.from(image.data.subarray(0, 9))).toEqual([0, 0, 0, 255, 0, 0, 0, 0, 255]);
  });

  it('keeps a grey-palette BMP grey', async () => {
    const palette = Array.from({ length: 256 }, (_, i) => [i, i, i] as [number, number, number]);
    const grey = Uint8Array.from({ length: W * H }, (_, i) => i * 20);
    const image = await decodeImage(classicBmp({ bpp: 8, pixels: grey, palette }));
    expect(image.channels).toBe(1);
    expect(Array.from(image.data)).toEqual(Array.from(grey));
  });

  it('reads a plain 32-bit BMP: an all-zero fourth byte is not transparency', async () => {
    const rgbx = new Uint8Array(W * H * 4);
    for (let p = 0; p < W * H; p++) rgbx.set(rgb.subarray(p * 3, p * 3 + 3), p * 4);
    const image = await decodeImage(classicBmp({ bpp: 32, pixels: rgbx }));
    expect(image.channels).toBe(3);
    expect(Array.from(image.data)).toEqual(Array.from(rgb));
    rgbx[3] = 128;
    const withAlpha = await decodeImage(classicBmp({ bpp: 32, pixels: rgbx }));
    expect(withAlpha.channels).toBe(4);
    expect(withAlpha.data[3]).toBe(128);
  });

  it('applies EXIF orientation and keeps the upright copy', async () => {
    const jpeg = await sharp(face).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const image = await decodeImage(jpeg);
    expect([image.width, image.height, image.rotated]).toEqual([256, 182, true]);
    const copy = await displayCopy(jpeg, image);
    expect(copy.ext).toBe('png');
    const meta = await sharp(copy.bytes).metadata();
    expect([meta.width, meta.height, meta.orientation ?? 1]).toEqual([256, 182, 1]);
  });

  it('reduces 16-bit images to 8 bits', async () => {
    const png16 = await sharp(face).toColourspace('rgb16').png().toBuffer();
    expect((await sharp(png16).metadata()).depth).toBe('ushort');
    const image = await decodeImage(png16);
    expect(samePixels(image.data, (await decodeImage(face)).data)).toBe(true);
  });

  it.each([
    ['a truncated PNG', () => face.subarray(0, face.length >> 1), /corrupt or truncated PNG/],
    [
      'a text file',
      () => Buffer.from('not an image\n'),
      /not a PNG, JPEG, BMP, TIFF or WebP image/,
    ],
    ['an empty file', () => Buffer.alloc(0), /empty file/],
    ['a truncated BMP', () => classicBmp({ bpp: 24, pixels: rgb }).subarray(0, 70), /truncated/],
    [
      'a 4-bit BMP',
      () => {
        const bmp = classicBmp({ bpp: 24, pixels: rgb });
        bmp.writeUInt16LE(4, 28);
        return bmp;
      },
      /4 bits per pixel/,
    ],
    [
      'an RLE BMP',
      () => {
        const bmp = classicBmp({ bpp: 8, pixels: new Uint8Array(W * H), palette: [[0, 0, 0]] });
        bmp.writeUInt32LE(1, 30);
        return bmp;
      },
      /compressed/,
    ],
  ])('rejects %s with a reason', async (_name, make, reason) => {
    const error = await decodeImage(make()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as Error).message).toMatch(reason);
  });
});

describe('displayCopy', () => {
  it('keeps browser formats byte for byte and converts the rest to lossless PNG', async () => {
    expect((await displayCopy(face, await decodeImage(face))).bytes).toBe(face);
    const tiff = await sharp(face).tiff({ compression: 'lzw' }).toBuffer();
    const copy = await displayCopy(tiff, await decodeImage(tiff));
    expect(copy.ext).toBe('png');
    expect(samePixels((await decodeImage(copy.bytes)).data, (await decodeImage(face)).data)).toBe(
      true,
    );
  });
});
