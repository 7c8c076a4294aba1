// Magic wand, as in GIMP and CVAT: the region of colours like the clicked one, connected
// to it, added to the mask (or taken out of it). It reads the photo, where flood fill
// reads the mask.
import { spanFill } from './flood';
import type { Mask } from './mask';
import { BoundsBuilder, type Rect } from './rect';

/**
 * Sets to `value` every mask pixel 4-connected to (x, y) whose RGB differs from the
 * clicked pixel's by at most `tolerance` (0-255) in each channel. `rgba` is the photo at
 * the mask's size, four bytes a pixel (ImageData).
 */
export function magicWand(
  mask: Mask,
  rgba: Uint8ClampedArray,
  x: number,
  y: number,
  tolerance: number,
  value: 0 | 1,
): Rect {
  x = Math.floor(x);
  y = Math.floor(y);
  if (!mask.contains(x, y)) return new BoundsBuilder().rect();
  const { width, height } = mask;
  const seed = (y * width + x) * 4;
  const [r, g, b] = [rgba[seed]!, rgba[seed + 1]!, rgba[seed + 2]!];
  // 1 where the colour is close enough; the span fill then keeps the part connected to
  // the click (marked 2), so a similar colour elsewhere in the photo is left alone.
  const similar = new Uint8Array(width * height);
  for (let p = 0, q = 0; p < similar.length; p++, q += 4) {
    similar[p] =
      Math.abs(rgba[q]! - r) <= tolerance &&
      Math.abs(rgba[q + 1]! - g) <= tolerance &&
      Math.abs(rgba[q + 2]! - b) <= tolerance
        ? 1
        : 0;
  }
  const bounds = spanFill(similar, width, height, x, y, 1, 2);
  for (let p = 0; p < similar.length; p++) if (similar[p] === 2) mask.data[p] = value;
  return bounds;
}
