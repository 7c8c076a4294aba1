// Click corners (close with Enter, a double-click or a click on the first corner), or drag
// a lasso; Alt cuts instead of adding. A click that does not drag opens the polygon.
import type { Point } from '../../raster/brush';
import { fillPolygon } from '../../raster/polygon';
import { defineTool, type ToolCanvas, type ToolHandlers } from './tool';

/** Screen pixels: a drag shorter than this is a click; a click this near closes a polygon. */
const CLICK_SLOP = 5;
const CLOSE_RADIUS = 8;

function polygonHandlers(): ToolHandlers {
  let open: { points: Point[]; value: 0 | 1 } | null = null;

  function finish(canvas: ToolCanvas): boolean {
    const polygon = open;
    if (!polygon) return false;
    open = null;
    const mask = canvas.mask();
    if (polygon.points.length >= 3 && mask) {
      canvas.edit(fillPolygon(mask, polygon.points, polygon.value));
    }
    return true;
  }

  return {
    down(canvas, { at, screen, alt }) {
      if (open) {
        const first = canvas.toScreen(open.points[0]!);
        const nearFirst = Math.hypot(screen.x - first.x, screen.y - first.y) <= CLOSE_RADIUS;
        if (nearFirst && open.points.length >= 3) finish(canvas);
        else open.points.push(at);
        return;
      }
      const value: 0 | 1 = alt ? 0 : 1;
      const points = [at];
      let moved = false;
      return {
        move(input) {
          const last = points[points.length - 1]!;
          if (Math.hypot(input.at.x - last.x, input.at.y - last.y) * canvas.scale() >= 2) {
            points.push(input.at);
          }
          if (Math.hypot(input.screen.x - screen.x, input.screen.y - screen.y) > CLICK_SLOP) {
            moved = true;
          }
        },
        up() {
          const mask = canvas.mask();
          if (!mask) return;
          if (moved) canvas.edit(fillPolygon(mask, points, value));
          else open = { points: [at], value };
        },
        outline: () => ({ points, closed: true }),
      };
    },
    doubleClick: finish,
    outline(hover) {
      if (!open) return null;
      return { points: hover ? [...open.points, hover] : open.points, closed: false };
    },
    finish,
    back() {
      if (!open) return false;
      open.points.pop();
      if (open.points.length === 0) open = null;
      return true;
    },
    cancel() {
      if (!open) return false;
      open = null;
      return true;
    },
  };
}

export const polygon = defineTool({
  id: 'polygon',
  label: 'Polygon',
  key: 'P',
  description: 'Polygon (click corners) or lasso (drag)',
  pointer: 'crosshair',
  handlers: polygonHandlers,
});
