// Starting points for a training config: a preset fills the schedule and network fields;
// the dataset, loss, seed, backend and input mode stay as chosen. The Train and Experiment
// forms offer them as chips and the CLI as `--preset` (train and experiment), explicit
// flags winning.
import { trainConfigSchema } from './api/runs';
import type { TrainConfig } from './domain';
import type { ModelId } from './ids';

export const PRESET_IDS = ['quick', 'standard', 'paper'] as const;
export type PresetId = (typeof PRESET_IDS)[number];

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
/** What a preset sets of an experiment's protocol: all but the model, which its grid varies. */
export type ProtocolPresetFields = Omit<PresetFields, 'model'>;

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
      'Close to van Beers et al. (ICPRAM 2019): a wider U-Net trained until validation IoU has ' +
      'not improved for 20 epochs (at most 100). Slow without native TensorFlow.',
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

export function presetProtocol(id: PresetId): ProtocolPresetFields {
  const fields: Partial<PresetFields> = { ...getPreset(id).fields };
  delete fields.model;
  return fields as ProtocolPresetFields;
}

/**
 * The preset whose fields the config carries unchanged, if any. Without a model (an
 * experiment's protocol) the other fields decide.
 */
export function matchPreset(config: ProtocolPresetFields & { model?: ModelId }): PresetId | null {
  return (
    PRESETS.find((p) =>
      PRESET_KEYS.every(
        (k) => (k === 'model' && config.model === undefined) || p.fields[k] === config[k],
      ),
    )?.id ?? null
  );
}
