// One click flips the connected region under it: fills an enclosed area, deletes an island.
import { floodFill } from '../../raster/flood';
import { defineTool } from './tool';

export const flood = defineTool({
  id: 'flood',
  label: 'Flood',
  key: 'F',
  description: 'Flood fill: click a region to flip it (fill an enclosed area, delete an island)',
  pointer: 'crosshair',
  handlers: () => ({
    down(canvas, { at }) {
      const mask = canvas.mask();
      if (mask) canvas.edit(floodFill(mask, at.x, at.y));
    },
  }),
});
