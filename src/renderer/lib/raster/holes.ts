// Hole filling: background that cannot reach the border through 4-connected background
// is enclosed by foreground, so it becomes foreground.
import { spanFill } from './flood';
import type { Mask } from './mask';
import { BoundsBuilder, type Rect } from './rect';

const OUTSIDE = 2;

export function fillHoles(mask: Mask): Rect {
  const { width, height, data } = mask;
  const work = data.slice();
  const seed = (x: number, y: number) => {
    if (work[y * width + x] === 0) spanFill(work, width, height, x, y, 0, OUTSIDE);
  };
  for (let x = 0; x < width; x++) {
    seed(x, 0);
    seed(x, height - 1);
  }
  for (let y = 0; y < height; y++) {
    seed(0, y);
    seed(width - 1, y);
  }
  const bounds = new BoundsBuilder();
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (work[row + x] === 0) {
        data[row + x] = 1;
        bounds.addSpan(y, x, x);
      }
    }
  }
  return bounds.rect();
}
