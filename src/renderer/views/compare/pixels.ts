// Thresholding in the browser: a run's stored probability PNG (p * 255, grey) against
// the ground-truth mask, drawn as a prediction or as an error map. Done here rather than
// on the engine so the threshold slider redraws the open image at once; the numbers come
// from the engine (compare.compute); both decide foreground with shared/metrics.
import { foregroundTable } from '#shared/metrics';
import { loadBitmap } from '../../lib/annotate/png';

/** One 8-bit channel of an image: a mask (0/255) or a probability map. */
export interface Plane {
  width: number;
  height: number;
  data: Uint8Array;
}

import { ERROR_COLOURS, errorColour } from '#shared/error-colours';

/** True positive, false positive, false negative: one palette with the HTML report. */
export { ERROR_COLOURS };
const ERROR_ALPHA = 170;

const cache = new Map<string, Promise<Plane>>();
const CACHE_LIMIT = 48;

/** Fetches and decodes a grey PNG once; a failed load is forgotten so it can be retried. */
export function loadPlane(url: string): Promise<Plane> {
  let plane = cache.get(url);
  if (!plane) {
    plane = decode(url);
    plane.catch(() => cache.delete(url));
    cache.set(url, plane);
    // Oldest first out: the open comparison's images stay, long-gone ones go.
    if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  }
  return plane;
}

async function decode(url: string): Promise<Plane> {
  const bitmap = await loadBitmap(url);
  const { width, height } = bitmap;
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('This browser cannot create a 2D canvas.');
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = context.getImageData(0, 0, width, height).data;
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = rgba[i * 4]!;
  return { width, height, data };
}

/** Opaque white where the plane is foreground, black elsewhere (a mask-tint filter colours it). */
export function paintMask(out: ImageData, plane: Plane, threshold: number | null): void {
  const table = threshold === null ? null : foregroundTable(threshold);
  const pixels = new Uint32Array(out.data.buffer);
  for (let i = 0; i < plane.data.length; i++) {
    const v = plane.data[i]!;
    pixels[i] = (table ? table[v] : v) ? 0xffffffff : 0xff000000;
  }
}

/** Colours true positives, false positives and false negatives; true negatives stay clear. */
export function paintErrors(out: ImageData, truth: Plane, prob: Plane, threshold: number): void {
  const table = foregroundTable(threshold);
  const px = out.data;
  for (let i = 0; i < truth.data.length; i++) {
    const colour = errorColour(truth.data[i] !== 0, table[prob.data[i]!] === 1);
    const o = i * 4;
    if (colour) {
      px[o] = colour[0];
      px[o + 1] = colour[1];
      px[o + 2] = colour[2];
      px[o + 3] = ERROR_ALPHA;
    } else px[o + 3] = 0;
  }
}

export function sameSize(a: Plane, b: Plane): boolean {
  return a.width === b.width && a.height === b.height;
}
