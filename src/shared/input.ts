// What the network sees of an image: one concept for training, evaluation, prediction and
// export, stored with every run so a model is always fed the way it was trained.
import { z } from 'zod';

/**
 * Share of crops centred on a target pixel by default. A uniform crop of a sparse target
 * (eyes: 1.2% of the face) is mostly empty, so half the crops are drawn where the target
 * is, as nnU-Net's oversampling does; the rest keep the background honest.
 */
export const FOREGROUND_CROPS = 0.5;

export const inputModeSchema = z.discriminatedUnion('mode', [
  /** The whole image scaled to the model's square, aspect ratio kept, padded with black. */
  z.object({ mode: z.literal('resize') }),
  /**
   * Square crops of the model's size from the image scaled by `scale` (1 = the image's
   * own pixels); prediction slides a window over the whole image and blends the overlaps.
   * `foregroundCrops` of the crops are centred on a target pixel, the rest drawn uniformly.
   * The default is stored as no field, as runs made before it were, so that asking for it
   * by its value is the same protocol as not asking.
   */
  z.object({
    mode: z.literal('patches'),
    scale: z.number().min(0.05).max(1).default(1),
    foregroundCrops: z
      .number()
      .min(0)
      .max(1)
      .transform((share) => (share === FOREGROUND_CROPS ? undefined : share))
      .optional(),
  }),
  /** The whole image stretched to the square: runs made before the modes existed. */
  z.object({ mode: z.literal('stretch') }),
]);

export type InputMode = z.infer<typeof inputModeSchema>;
type PatchInput = Extract<InputMode, { mode: 'patches' }>;

export function foregroundCropsOf(input: PatchInput): number {
  return input.foregroundCrops ?? FOREGROUND_CROPS;
}

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
    case 'patches': {
      const at =
        input.scale === 1 ? 'at full resolution' : `at 1:${formatFactor(1 / input.scale)} scale`;
      const share = foregroundCropsOf(input);
      const crops =
        share === FOREGROUND_CROPS
          ? ''
          : share === 0
            ? ', drawn uniformly'
            : `, ${percent(share)} of them centred on the target`;
      return `patches of ${size} px ${at}${crops}`;
    }
  }
}

/** The mode as a name needs it: nothing for whole images, "patches" or "patches 1:2". */
export function inputTag(input: InputMode): string {
  if (input.mode !== 'patches') return '';
  const tag = input.scale === 1 ? 'patches' : `patches 1:${formatFactor(1 / input.scale)}`;
  const share = foregroundCropsOf(input);
  if (share === FOREGROUND_CROPS) return tag;
  return `${tag}, ${share === 0 ? 'uniform' : `${percent(share)} on target`}`;
}

/** The mode in a word or two, where runs are told apart by it: "resized", "patches 1:2". */
export function inputShort(input: InputMode): string {
  if (input.mode === 'patches') return inputTag(input);
  return input.mode === 'resize' ? 'resized' : 'stretched';
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

function formatFactor(f: number): string {
  return Number.isInteger(f) ? String(f) : f.toFixed(2).replace(/\.?0+$/, '');
}
