// Paints while the button is held; Alt erases. The eraser is this stroke with the
// values swapped.
import { stampSegment } from '../../raster/brush';
import { type Rect, union } from '../../raster/rect';
import { defineTool, type ToolHandlers } from './tool';

export function strokeHandlers(erases: boolean): ToolHandlers {
  return {
    down(canvas, { at, alt }) {
      const mask = canvas.mask();
      if (!mask) return;
      const value = erases !== alt ? 0 : 1;
      let last = at;
      canvas.paint(stampSegment(mask, at, at, canvas.brushSize(), value));
      return {
        move(_input, samples) {
          let rect: Rect = { x: 0, y: 0, w: 0, h: 0 };
          // Every sample since the last frame: smoother lines.
          for (const sample of samples()) {
            rect = union(rect, stampSegment(mask, last, sample.at, canvas.brushSize(), value));
            last = sample.at;
          }
          canvas.paint(rect);
        },
        up: () => canvas.commit(),
      };
    },
  };
}

export const brush = defineTool({
  id: 'brush',
  label: 'Brush',
  key: 'B',
  description: 'Brush',
  pointer: 'brush',
  handlers: () => strokeHandlers(false),
});
