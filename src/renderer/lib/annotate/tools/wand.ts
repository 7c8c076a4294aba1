// One click adds the photo's colours similar to the clicked one and connected to it;
// Alt removes them.
import { magicWand } from '../../raster/wand';
import { defineTool } from './tool';

export const wand = defineTool({
  id: 'wand',
  label: 'Wand',
  key: 'W',
  description: "Magic wand: add the photo's similar colours around a click (Alt: remove them)",
  pointer: 'crosshair',
  handlers: () => ({
    down(canvas, { at, alt }) {
      const mask = canvas.mask();
      const rgba = canvas.photoPixels();
      if (mask && rgba)
        canvas.edit(magicWand(mask, rgba, at.x, at.y, canvas.tolerance(), alt ? 0 : 1));
    },
  }),
});
