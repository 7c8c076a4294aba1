// What the Train view suggests: what the network should see, from the dataset's image
// sizes, and which loss to avoid on a sparse target.
// The presets themselves are shared with the CLI (shared/presets.ts).
import type { InputMode } from '#shared/input';

/** Patch scales the Train view offers: 1:1, 1:2, 1:4. */
export const PATCH_SCALES = [1, 1 / 2, 1 / 4] as const;

/** Shares of crops centred on the target the Train view offers (0: all uniform). */
export const FOREGROUND_CROP_SHARES = [0, 0.25, 0.5, 0.75, 1] as const;

/**
 * Resizing an image this many times larger than the model's square throws away the detail
 * that decides IoU at the boundary; past it, patches at (or near) full resolution do better.
 * Below it, the whole image wins: on fasseg-face (182x256) 128 px patches at full
 * resolution lost to the 128 px resize at the same number of steps (docs/results.md,
 * section 5), for want of context.
 */
const RESIZE_LIMIT = 4;
/** A patch must still see a fair share of the scaled image: at most this many sides across. */
const PATCHES_ACROSS = 4;

/** The median of the images' longer sides: what "the dataset's image size" means here. */
export function typicalSide(sizes: readonly { width: number; height: number }[]): number | null {
  if (sizes.length === 0) return null;
  const sides = sizes.map((s) => Math.max(s.width, s.height)).sort((a, b) => a - b);
  return sides[Math.floor(sides.length / 2)]!;
}

/**
 * What the network should see of images whose longer side is typically `side` px, at a
 * model size of `size` px: the whole image resized while that keeps most of its detail,
 * else patches at the finest scale that still leaves a patch some context.
 */
export function suggestInput(size: number, side: number | null): InputMode {
  if (side === null || side <= RESIZE_LIMIT * size) return { mode: 'resize' };
  const scale = PATCH_SCALES.find((s) => side * s <= PATCHES_ACROSS * size) ?? PATCH_SCALES.at(-1)!;
  return { mode: 'patches', scale };
}

/**
 * Mean foreground below which the Train view warns against BCE. On the real sparse targets
 * of docs/results.md (eyes 1.2%, mouth 1.4%, nose 2.5%) BCE learned an empty mask on 5 of
 * 15 runs with 20 labelled images, and on eyes on every seed with 5; the soft IoU loss
 * never did. The face eroded to 4.7% never made BCE collapse (sections 6 and 8).
 */
export const SPARSE_FOR_BCE = 0.03;
