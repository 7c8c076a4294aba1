// Polygon and lasso fill: a scanline over pixel centres with the nonzero winding rule,
// so a lasso that crosses itself still fills everything it encircles.
import type { Point } from './brush';
import type { Mask } from './mask';
import { BoundsBuilder, type Rect } from './rect';

interface Edge {
  yMin: number;
  yMax: number;
  /** x at yMin and dx per unit y. */
  x: number;
  slope: number;
  winding: 1 | -1;
}

export function fillPolygon(mask: Mask, points: readonly Point[], value: 0 | 1): Rect {
  const bounds = new BoundsBuilder();
  const edges = buildEdges(points);
  if (edges.length === 0) return bounds.rect();
  const { width, height, data } = mask;
  const yFrom = Math.max(0, Math.ceil(edges[0]!.yMin - 0.5));
  const yTo = Math.min(height - 1, Math.ceil(Math.max(...edges.map((e) => e.yMax)) - 0.5) - 1);
  let active: Edge[] = [];
  let next = 0;
  const crossings: { x: number; winding: number }[] = [];
  for (let y = yFrom; y <= yTo; y++) {
    const yc = y + 0.5;
    while (next < edges.length && edges[next]!.yMin <= yc) active.push(edges[next++]!);
    // An edge covers yMin <= yc < yMax, so shared vertices are counted once.
    active = active.filter((e) => e.yMax > yc);
    crossings.length = 0;
    for (const e of active)
      crossings.push({ x: e.x + (yc - e.yMin) * e.slope, winding: e.winding });
    crossings.sort((p, q) => p.x - q.x);
    let winding = 0;
    let spanStart = 0;
    for (const c of crossings) {
      const before = winding;
      winding += c.winding;
      if (before === 0 && winding !== 0) spanStart = c.x;
      else if (before !== 0 && winding === 0) {
        // Pixels whose centre lies in [spanStart, c.x).
        const x0 = Math.max(0, Math.ceil(spanStart - 0.5));
        const x1 = Math.min(width - 1, Math.ceil(c.x - 0.5) - 1);
        if (x0 <= x1) {
          data.fill(value, y * width + x0, y * width + x1 + 1);
          bounds.addSpan(y, x0, x1);
        }
      }
    }
  }
  return bounds.rect();
}

function buildEdges(points: readonly Point[]): Edge[] {
  const edges: Edge[] = [];
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    const q = points[(i + 1) % points.length]!;
    if (p.y === q.y) continue;
    const [lo, hi, winding] = p.y < q.y ? [p, q, 1 as const] : [q, p, -1 as const];
    edges.push({
      yMin: lo.y,
      yMax: hi.y,
      x: lo.x,
      slope: (hi.x - lo.x) / (hi.y - lo.y),
      winding,
    });
  }
  return edges.sort((e, f) => e.yMin - f.yMin);
}
