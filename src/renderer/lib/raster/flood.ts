// Scanline span fill, 4-connected and iterative (a stack of seeds, no recursion), so a
// region the size of a 4000x3000 mask fills without blowing the call stack.
import type { Mask } from './mask';
import { BoundsBuilder, type Rect } from './rect';

/** Flips the 4-connected region under (x, y): fills an enclosed area or deletes an island. */
export function floodFill(mask: Mask, x: number, y: number): Rect {
  x = Math.floor(x);
  y = Math.floor(y);
  if (!mask.contains(x, y)) return new BoundsBuilder().rect();
  const from = mask.get(x, y);
  return spanFill(mask.data, mask.width, mask.height, x, y, from, 1 - from);
}

/** Replaces the 4-connected run of `from` values around (x, y) by `to`. */
export function spanFill(
  data: Uint8Array,
  width: number,
  height: number,
  x: number,
  y: number,
  from: number,
  to: number,
): Rect {
  const bounds = new BoundsBuilder();
  if (from === to || data[y * width + x] !== from) return bounds.rect();
  const stack: number[] = [x, y];
  while (stack.length > 0) {
    const sy = stack.pop()!;
    const sx = stack.pop()!;
    const row = sy * width;
    if (data[row + sx] !== from) continue;
    let lx = sx;
    while (lx > 0 && data[row + lx - 1] === from) lx--;
    let rx = sx;
    while (rx < width - 1 && data[row + rx + 1] === from) rx++;
    data.fill(to, row + lx, row + rx + 1);
    bounds.addSpan(sy, lx, rx);
    if (sy > 0) pushRuns(data, row - width, lx, rx, from, sy - 1, stack);
    if (sy < height - 1) pushRuns(data, row + width, lx, rx, from, sy + 1, stack);
  }
  return bounds.rect();
}

/** Queues one seed per run of `from` in [lx, rx] of the neighbouring row. */
function pushRuns(
  data: Uint8Array,
  row: number,
  lx: number,
  rx: number,
  from: number,
  y: number,
  stack: number[],
): void {
  let inRun = false;
  for (let x = lx; x <= rx; x++) {
    const match = data[row + x] === from;
    if (match && !inRun) stack.push(x, y);
    inRun = match;
  }
}
