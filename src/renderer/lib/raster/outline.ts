// Outline mode: a foreground pixel is drawn when background (or the image's edge) lies
// within `radius` pixels of it (a square neighbourhood). The radius grows as the view
// zooms out so the line stays visible; the test is an erosion done as two separable
// running-window passes, so its cost does not grow with the radius.
import type { Mask } from './mask';
import type { Rect } from './rect';

/** Writes 1 into out (rect.w * rect.h, row-major) for each outline pixel of rect. */
export function outlineRect(mask: Mask, rect: Rect, radius: number, out: Uint8Array): void {
  const { width, height, data } = mask;
  const r = Math.max(1, Math.floor(radius));
  const rows = rect.h + 2 * r;
  // solid[(yy) * rect.w + x]: no background within r horizontally, for rows rect.y - r ...
  const solid = new Uint8Array(rows * rect.w);
  const bgPrefix = new Int32Array(rect.w + 2 * r + 1);
  for (let k = 0; k < rows; k++) {
    const y = rect.y - r + k;
    if (y < 0 || y >= height) continue; // outside the image: background, solid stays 0
    const row = y * width;
    for (let i = 0; i < rect.w + 2 * r; i++) {
      const x = rect.x - r + i;
      const bg = x < 0 || x >= width || data[row + x] === 0 ? 1 : 0;
      bgPrefix[i + 1] = bgPrefix[i]! + bg;
    }
    for (let i = 0; i < rect.w; i++) {
      solid[k * rect.w + i] = bgPrefix[i + 2 * r + 1]! - bgPrefix[i]! === 0 ? 1 : 0;
    }
  }
  for (let i = 0; i < rect.w; i++) {
    let holes = 0; // rows in the vertical window that are not solid
    for (let k = 0; k < 2 * r; k++) holes += 1 - solid[k * rect.w + i]!;
    for (let j = 0; j < rect.h; j++) {
      holes += 1 - solid[(j + 2 * r) * rect.w + i]!;
      const fg = data[(rect.y + j) * width + rect.x + i] === 1;
      out[j * rect.w + i] = fg && holes > 0 ? 1 : 0;
      holes -= 1 - solid[j * rect.w + i]!;
    }
  }
}
