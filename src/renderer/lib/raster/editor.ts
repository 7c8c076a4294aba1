// A mask being edited: tools write into `mask` and report touched rects; commit() turns
// everything touched since the last commit into one undo step by diffing against a
// shadow copy of the last committed pixels, so tools never have to save "before" data.
import { History } from './history';
import { Mask } from './mask';
import { applyPatch, diffPatch, type Patch } from './patch';
import { EMPTY_RECT, isEmpty, type Rect, union } from './rect';

export class MaskEditor {
  private readonly shadow: Uint8Array;
  private pending: Rect = { ...EMPTY_RECT };

  constructor(
    readonly mask: Mask,
    readonly history: History = new History(),
  ) {
    this.shadow = mask.data.slice();
  }

  /** Records that a tool changed pixels inside rect. */
  touch(rect: Rect): void {
    if (!isEmpty(rect)) this.pending = union(this.pending, rect);
  }

  get dirty(): boolean {
    return !isEmpty(this.pending);
  }

  /** Closes the current edit as one undo step; false when it changed nothing. */
  commit(): boolean {
    if (isEmpty(this.pending)) return false;
    const rect = this.pending;
    this.pending = { ...EMPTY_RECT };
    const patch = diffPatch(this.shadow, this.mask.data, this.mask.width, rect);
    if (!patch) return false;
    this.history.push(patch);
    copyRect(this.mask.data, this.shadow, this.mask.width, rect);
    return true;
  }

  /** Steps back; returns the rect to repaint, or null when there is nothing to undo. */
  undo(): Rect | null {
    return this.travel(() => this.history.undo());
  }

  redo(): Rect | null {
    return this.travel(() => this.history.redo());
  }

  /** Applies the patch history hands out (it knows the direction) after committing what is pending. */
  private travel(step: () => Patch | null): Rect | null {
    this.commit();
    const patch = step();
    if (!patch) return null;
    applyPatch(patch, this.mask.width, this.mask.data, this.shadow);
    return patch.rect;
  }

  /** Replaces every pixel as one undo step (a prediction, an older revision). */
  replace(pixels: Uint8Array): Rect {
    this.commit();
    const rect = this.mask.assign(pixels);
    this.touch(rect);
    this.commit();
    return rect;
  }
}

function copyRect(from: Uint8Array, to: Uint8Array, width: number, rect: Rect): void {
  for (let y = rect.y; y < rect.y + rect.h; y++) {
    const start = y * width + rect.x;
    to.set(from.subarray(start, start + rect.w), start);
  }
}
