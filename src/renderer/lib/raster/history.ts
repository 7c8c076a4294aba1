// Undo/redo stack of patches with both a step limit and a memory cap; the oldest steps
// go first when either is exceeded.
import { type Patch, patchBytes } from './patch';

export interface HistoryLimits {
  maxSteps: number;
  maxBytes: number;
}

export const DEFAULT_LIMITS: HistoryLimits = { maxSteps: 500, maxBytes: 32 * 1024 * 1024 };

export class History {
  private steps: Patch[] = [];
  /** Steps before the cursor are done; steps from it on can be redone. */
  private cursor = 0;
  private used = 0;

  constructor(readonly limits: HistoryLimits = DEFAULT_LIMITS) {}

  get canUndo(): boolean {
    return this.cursor > 0;
  }

  get canRedo(): boolean {
    return this.cursor < this.steps.length;
  }

  get undoDepth(): number {
    return this.cursor;
  }

  get bytes(): number {
    return this.used;
  }

  push(patch: Patch): void {
    for (const dropped of this.steps.splice(this.cursor)) this.used -= patchBytes(dropped);
    this.steps.push(patch);
    this.used += patchBytes(patch);
    while (
      this.steps.length > 1 &&
      (this.steps.length > this.limits.maxSteps || this.used > this.limits.maxBytes)
    ) {
      this.used -= patchBytes(this.steps.shift()!);
    }
    this.cursor = this.steps.length;
  }

  /** The patch to apply to go one step back, or null. */
  undo(): Patch | null {
    if (!this.canUndo) return null;
    return this.steps[--this.cursor]!;
  }

  redo(): Patch | null {
    if (!this.canRedo) return null;
    return this.steps[this.cursor++]!;
  }
}
