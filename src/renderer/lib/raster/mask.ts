// A binary mask at the image's resolution: one byte per pixel, 0 = background,
// 1 = foreground (the annotator's editing buffer; stored masks are 0/255, `MaskImage` in
// main/images/mask.ts). Tools write into `data` directly and return the rect they touched.
import { BoundsBuilder, type Rect } from './rect';

export class Mask {
  readonly data: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    data?: Uint8Array,
  ) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new Error(`A mask needs a positive integer size, got ${width}x${height}.`);
    }
    if (data && data.length !== width * height) {
      throw new Error(`Mask data has ${data.length} pixels, expected ${width}x${height}.`);
    }
    this.data = data ?? new Uint8Array(width * height);
  }

  /**
   * Reads one channel of RGBA pixels (canvas ImageData): a pixel is foreground when the
   * channel is at least `cut` (1 = any nonzero grey, 128 = a 0.5 probability map).
   */
  static fromRgba(width: number, height: number, rgba: Uint8ClampedArray, cut = 1): Mask {
    if (rgba.length !== width * height * 4) {
      throw new Error(`Pixel data does not match a ${width}x${height} image.`);
    }
    const mask = new Mask(width, height);
    const out = mask.data;
    for (let i = 0, j = 0; i < out.length; i++, j += 4) out[i] = rgba[j]! >= cut ? 1 : 0;
    return mask;
  }

  get(x: number, y: number): number {
    return this.data[y * this.width + x]!;
  }

  contains(x: number, y: number): boolean {
    return x >= 0 && y >= 0 && x < this.width && y < this.height;
  }

  get bounds(): Rect {
    return { x: 0, y: 0, w: this.width, h: this.height };
  }

  clone(): Mask {
    return new Mask(this.width, this.height, this.data.slice());
  }

  countForeground(): number {
    let n = 0;
    for (let i = 0; i < this.data.length; i++) n += this.data[i]!;
    return n;
  }

  /**
   * A hash of the pixels (FNV-1a), to tell whether a mask reloaded later is the one an
   * undo history was recorded on.
   */
  fingerprint(): string {
    let hash = 0x811c9dc5;
    const { data } = this;
    for (let i = 0; i < data.length; i++) hash = Math.imul(hash ^ data[i]!, 0x01000193);
    return `${this.width}x${this.height}:${(hash >>> 0).toString(16)}`;
  }

  /** Sets every pixel to 0; returns the rect that held foreground. */
  clear(): Rect {
    const { width, data } = this;
    const bounds = new BoundsBuilder();
    for (let i = data.indexOf(1); i >= 0;) {
      const y = Math.floor(i / width);
      const row = y * width;
      const last = data.subarray(row, row + width).lastIndexOf(1);
      bounds.addSpan(y, i - row, last);
      data.fill(0, i, row + last + 1);
      i = data.indexOf(1, row + width);
    }
    return bounds.rect();
  }

  /** Replaces all pixels (a prediction, an older revision); returns the rect that changed. */
  assign(source: Uint8Array): Rect {
    if (source.length !== this.data.length) {
      throw new Error(
        `A ${source.length}-pixel mask cannot replace a ${this.data.length}-pixel one.`,
      );
    }
    const { width, data } = this;
    const bounds = new BoundsBuilder();
    for (let y = 0; y < this.height; y++) {
      const row = y * width;
      let first = -1;
      let last = -1;
      for (let x = 0; x < width; x++) {
        const v = source[row + x]! ? 1 : 0;
        if (data[row + x] !== v) {
          data[row + x] = v;
          if (first < 0) first = x;
          last = x;
        }
      }
      if (first >= 0) bounds.addSpan(y, first, last);
    }
    return bounds.rect();
  }
}
