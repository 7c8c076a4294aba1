// An undo step: the rect an edit touched and the XOR of before and after inside it, run-
// length coded. XOR is its own inverse, so one patch both undoes and redoes.
import { type Rect } from './rect';
import { forEachOneRun, RleWriter } from './rle';

export interface Patch {
  rect: Rect;
  xor: Uint8Array;
}

/** Diffs two same-sized pixel arrays inside rect; null when nothing changed. */
export function diffPatch(
  before: Uint8Array,
  after: Uint8Array,
  width: number,
  rect: Rect,
): Patch | null {
  const writer = new RleWriter();
  let changed = false;
  for (let y = rect.y; y < rect.y + rect.h; y++) {
    const row = y * width;
    let x = rect.x;
    const end = rect.x + rect.w;
    while (x < end) {
      const bit = before[row + x] === after[row + x] ? 0 : 1;
      let run = x + 1;
      while (run < end && (before[row + run] === after[row + run] ? 0 : 1) === bit) run++;
      writer.append(bit, run - x);
      if (bit) changed = true;
      x = run;
    }
  }
  return changed ? { rect: { ...rect }, xor: writer.finish() } : null;
}

/** Flips the patch's pixels in each target (the mask and its committed shadow). */
export function applyPatch(patch: Patch, width: number, ...targets: Uint8Array[]): void {
  const { rect } = patch;
  forEachOneRun(patch.xor, rect.w * rect.h, (start, length) => {
    let i = start;
    const end = start + length;
    while (i < end) {
      const ry = Math.floor(i / rect.w);
      const rx = i - ry * rect.w;
      const n = Math.min(end - i, rect.w - rx);
      const from = (rect.y + ry) * width + rect.x + rx;
      for (const t of targets) {
        for (let k = from; k < from + n; k++) t[k]! ^= 1;
      }
      i += n;
    }
  });
}

export function patchBytes(patch: Patch): number {
  // The rect and object headers are small next to typical run data; count a fixed 64.
  return patch.xor.byteLength + 64;
}
