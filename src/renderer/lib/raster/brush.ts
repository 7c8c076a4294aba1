// Round brush and eraser. A stroke is stamped segment by segment as pointer events
// arrive; each segment covers the pixels whose centres lie within the brush radius of
// it (a capsule), computed row by row as one interval, so a long fast drag costs one
// fill() per row instead of a disc per sample.
import type { Mask } from './mask';
import { BoundsBuilder, type Rect } from './rect';

export interface Point {
  x: number;
  y: number;
}

/**
 * Paints `value` along a -> b with a round brush `size` pixels wide (diameter).
 * Size 1 draws the pixel cells the segment passes through, so a thin line has no gaps.
 */
export function stampSegment(mask: Mask, a: Point, b: Point, size: number, value: 0 | 1): Rect {
  return size <= 1 ? stampCells(mask, a, b, value) : stampCapsule(mask, a, b, size / 2, value);
}

function stampCapsule(mask: Mask, a: Point, b: Point, r: number, value: 0 | 1): Rect {
  const { width, height, data } = mask;
  const bounds = new BoundsBuilder();
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len2 = dx * dx + dy * dy;
  const rLen = r * Math.sqrt(len2);
  const yFrom = Math.max(0, Math.ceil(Math.min(a.y, b.y) - r - 0.5));
  const yTo = Math.min(height - 1, Math.floor(Math.max(a.y, b.y) + r - 0.5));
  for (let y = yFrom; y <= yTo; y++) {
    const yc = y + 0.5;
    let lo = Infinity;
    let hi = -Infinity;
    // The capsule is convex, so its row section is the hull of the sections of its parts.
    for (const c of [a, b]) {
      const ey = yc - c.y;
      if (ey * ey <= r * r) {
        const half = Math.sqrt(r * r - ey * ey);
        lo = Math.min(lo, c.x - half);
        hi = Math.max(hi, c.x + half);
      }
    }
    if (len2 > 0) {
      const ey = yc - a.y;
      // Projection onto the segment within [0, len2]: (x - a.x) * dx in [-ey*dy, len2 - ey*dy].
      let [pLo, pHi] = solve(dx, -ey * dy, len2 - ey * dy);
      // Distance to the line within r: (x - a.x) * dy in [ey*dx - rLen, ey*dx + rLen].
      const [qLo, qHi] = solve(dy, ey * dx - rLen, ey * dx + rLen);
      pLo = Math.max(pLo, qLo);
      pHi = Math.min(pHi, qHi);
      if (pLo <= pHi) {
        lo = Math.min(lo, a.x + pLo);
        hi = Math.max(hi, a.x + pHi);
      }
    }
    const x0 = Math.max(0, Math.ceil(lo - 0.5));
    const x1 = Math.min(width - 1, Math.floor(hi - 0.5));
    if (x0 > x1) continue;
    data.fill(value, y * width + x0, y * width + x1 + 1);
    bounds.addSpan(y, x0, x1);
  }
  return bounds.rect();
}

/** Solves lo <= k * t <= hi for t; k = 0 means all t or none. */
function solve(k: number, lo: number, hi: number): [number, number] {
  if (k === 0) return lo <= 0 && 0 <= hi ? [-Infinity, Infinity] : [Infinity, -Infinity];
  return k > 0 ? [lo / k, hi / k] : [hi / k, lo / k];
}

/** Bresenham over the cells holding a and b. */
function stampCells(mask: Mask, a: Point, b: Point, value: 0 | 1): Rect {
  const bounds = new BoundsBuilder();
  let x = Math.floor(a.x);
  let y = Math.floor(a.y);
  const x1 = Math.floor(b.x);
  const y1 = Math.floor(b.y);
  const sx = x < x1 ? 1 : -1;
  const sy = y < y1 ? 1 : -1;
  const ddx = Math.abs(x1 - x);
  const ddy = -Math.abs(y1 - y);
  let err = ddx + ddy;
  for (;;) {
    if (mask.contains(x, y)) {
      mask.data[y * mask.width + x] = value;
      bounds.addSpan(y, x, x);
    }
    if (x === x1 && y === y1) break;
    const e2 = 2 * err;
    if (e2 >= ddy) {
      err += ddy;
      x += sx;
    }
    if (e2 <= ddx) {
      err += ddx;
      y += sy;
    }
  }
  return bounds.rect();
}
