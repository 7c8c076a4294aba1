// The brush keeps its size relative to the image, not in pixels: 150 px set on a
// 4000x3000 photo is 3% of its diagonal, and stays 3% (about 9 px) on a 182x256 one.

/** The image's diagonal in pixels: what a brush size is relative to. */
export function diagonal(width: number, height: number): number {
  return Math.hypot(width, height);
}

/**
 * A brush of `size` px set on an image of diagonal `from`, on an image of diagonal `to`:
 * the same share of the image, rounded, within [min, max].
 */
export function rescaleBrush(
  size: number,
  from: number,
  to: number,
  min: number,
  max: number,
): number {
  if (!(from > 0) || !(to > 0)) return size;
  return Math.min(max, Math.max(min, Math.round((size * to) / from)));
}
