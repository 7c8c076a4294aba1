// What the network sees of an image: one concept for training, evaluation, prediction and
// export, stored with every run so a model is always fed the way it was trained.
import { z } from 'zod';

export const inputModeSchema = z.discriminatedUnion('mode', [
  /** The whole image scaled to the model's square, aspect ratio kept, padded with black. */
  z.object({ mode: z.literal('resize') }),
  /**
   * Square crops of the model's size from the image scaled by `scale` (1 = the image's
   * own pixels); prediction slides a window over the whole image and blends the overlaps.
   */
  z.object({ mode: z.literal('patches'), scale: z.number().min(0.05).max(1).default(1) }),
  /** The whole image stretched to the square: runs made before the modes existed. */
  z.object({ mode: z.literal('stretch') }),
]);

export type InputMode = z.infer<typeof inputModeSchema>;

/** Runs stored before a run had an input mode were trained stretched. */
export const LEGACY_INPUT: InputMode = { mode: 'stretch' };

export function inputOf(config: { input?: InputMode }): InputMode {
  return config.input ?? LEGACY_INPUT;
}

/** In plain words, for the Train view, run pages and run.json. */
export function describeInput(input: InputMode, size: number): string {
  switch (input.mode) {
    case 'resize':
      return `whole image resized to ${size} px (aspect kept, padded)`;
    case 'stretch':
      return `whole image stretched to ${size}x${size} px`;
    case 'patches':
      return input.scale === 1
        ? `patches of ${size} px at full resolution`
        : `patches of ${size} px at 1:${formatFactor(1 / input.scale)} scale`;
  }
}

/** The mode as a name needs it: nothing for whole images, "patches" or "patches 1:2". */
export function inputTag(input: InputMode): string {
  if (input.mode !== 'patches') return '';
  return input.scale === 1 ? 'patches' : `patches 1:${formatFactor(1 / input.scale)}`;
}

/** The mode in a word or two, where runs are told apart by it: "resized", "patches 1:2". */
export function inputShort(input: InputMode): string {
  if (input.mode === 'patches') return inputTag(input);
  return input.mode === 'resize' ? 'resized' : 'stretched';
}

function formatFactor(f: number): string {
  return Number.isInteger(f) ? String(f) : f.toFixed(2).replace(/\.?0+$/, '');
}
