// Starting points for the Train view's form. A preset fills the schedule and network
// fields, and the input mode that suits the dataset's image sizes; the dataset, loss and
// backend stay as the user picked them.
import { trainConfigSchema } from '#shared/api/runs';
import type { TrainConfig } from '#shared/domain';
import type { InputMode } from '#shared/input';

export type PresetId = 'quick' | 'standard' | 'paper';

/** The fields a preset sets. */
const PRESET_KEYS = [
  'model',
  'size',
  'epochs',
  'batchSize',
  'learningRate',
  'validationFraction',
  'augment',
  'patience',
  'baseFilters',
  'depth',
  'batchNorm',
] as const satisfies readonly (keyof TrainConfig)[];

export type PresetFields = Pick<TrainConfig, (typeof PRESET_KEYS)[number]>;

export interface Preset {
  id: PresetId;
  label: string;
  description: string;
  fields: PresetFields;
}

// The schema's defaults are the Standard preset (the CLI starts from them too).
const defaults = trainConfigSchema.parse({ datasetId: 1 });
const standard = Object.fromEntries(PRESET_KEYS.map((k) => [k, defaults[k]])) as PresetFields;

export const PRESETS: readonly Preset[] = [
  {
    id: 'quick',
    label: 'Quick',
    description: 'A small network at 64 px for 5 epochs: a first look in about a minute.',
    fields: {
      ...standard,
      size: 64,
      epochs: 5,
      batchSize: 4,
      baseFilters: 8,
      depth: 3,
      patience: 0,
    },
  },
  {
    id: 'standard',
    label: 'Standard',
    description: 'U-Net at 128 px for up to 30 epochs, stopping early when validation IoU stalls.',
    fields: standard,
  },
  {
    id: 'paper',
    label: 'Paper',
    description:
      'Close to van Beers et al. (ICPRAM 2019): a full-width U-Net trained longer. Slow without native TensorFlow.',
    // What the paper did, as far as we could check: face segmentation on FASSEG, a U-Net
    // and a Tiramisu (FC-DenseNet), each trained with Rahman & Wang's soft IoU and with
    // BCE, Adam, on several train/test splits; IoU won for both networks. The exact input
    // size, epoch count and learning rate could not be verified offline, so this preset
    // keeps Adam at 1e-3 and changes what matters most at CPU speed: a wider U-Net (32
    // base filters instead of the classic 64, which would be 4x the work), 128 px input
    // (the dataset's images are 182x256), 100 epochs with patience 20 rather than a fixed
    // long schedule, and the app's usual augmentation (flip, small rotation, brightness).
    fields: {
      ...standard,
      model: 'unet',
      size: 128,
      epochs: 100,
      batchSize: 4,
      learningRate: 1e-3,
      patience: 20,
      baseFilters: 32,
      depth: 4,
    },
  },
];

export function getPreset(id: PresetId): Preset {
  return PRESETS.find((p) => p.id === id)!;
}

/** The preset whose fields the config carries unchanged, if any. */
export function matchPreset(config: PresetFields): PresetId | null {
  return PRESETS.find((p) => PRESET_KEYS.every((k) => p.fields[k] === config[k]))?.id ?? null;
}

/** Patch scales the Train view offers: 1:1, 1:2, 1:4. */
export const PATCH_SCALES = [1, 1 / 2, 1 / 4] as const;

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
