// Axis-aligned pixel rectangles: every raster operation reports the rect it touched so
// the canvas repaints and the history diffs only that much.

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export const EMPTY_RECT: Readonly<Rect> = Object.freeze({ x: 0, y: 0, w: 0, h: 0 });

export function isEmpty(r: Rect): boolean {
  return r.w <= 0 || r.h <= 0;
}

export function union(a: Rect, b: Rect): Rect {
  if (isEmpty(a)) return { ...b };
  if (isEmpty(b)) return { ...a };
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return {
    x,
    y,
    w: Math.max(a.x + a.w, b.x + b.w) - x,
    h: Math.max(a.y + a.h, b.y + b.h) - y,
  };
}

export function intersect(a: Rect, b: Rect): Rect {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const w = Math.min(a.x + a.w, b.x + b.w) - x;
  const h = Math.min(a.y + a.h, b.y + b.h) - y;
  return w > 0 && h > 0 ? { x, y, w, h } : { ...EMPTY_RECT };
}

/** Grows a rect by n pixels on every side (outline mode needs the neighbours). */
export function inflate(r: Rect, n: number): Rect {
  return isEmpty(r) ? { ...r } : { x: r.x - n, y: r.y - n, w: r.w + 2 * n, h: r.h + 2 * n };
}

/** Accumulates the bounding box of touched pixels, inclusive coordinates. */
export class BoundsBuilder {
  private x0 = Infinity;
  private y0 = Infinity;
  private x1 = -Infinity;
  private y1 = -Infinity;

  addSpan(y: number, xFrom: number, xTo: number): void {
    if (xFrom < this.x0) this.x0 = xFrom;
    if (xTo > this.x1) this.x1 = xTo;
    if (y < this.y0) this.y0 = y;
    if (y > this.y1) this.y1 = y;
  }

  rect(): Rect {
    if (this.x1 < this.x0) return { ...EMPTY_RECT };
    return { x: this.x0, y: this.y0, w: this.x1 - this.x0 + 1, h: this.y1 - this.y0 + 1 };
  }
}
