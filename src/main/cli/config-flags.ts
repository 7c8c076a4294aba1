// The one table of command-line flags that set a training config field, for `jaccard
// train` (every flag) and `jaccard experiment` (the protocol's). The defaults are the
// schema's (shared/api/runs.ts), read from it for the help text, never written here.
// `--preset` sets a preset's fields (shared/presets.ts) first; the other flags override.
import { LOSS_DEFAULTS, trainConfigSchema } from '#shared/api/runs';
import type { TrainConfig } from '#shared/domain';
import { BACKEND_IDS, LOSS_IDS, MODEL_IDS } from '#shared/ids';
import { FOREGROUND_CROPS } from '#shared/input';
import { getPreset, PRESET_IDS, type PresetId } from '#shared/presets';
import { UsageError, type CommandArgs, type OptionSpec } from './command';

/** Every field with its default filled in: what a run gets for a flag not given. */
export const CONFIG_DEFAULTS: TrainConfig = trainConfigSchema.parse({ datasetId: 1 });

type LossOptionField = keyof NonNullable<TrainConfig['lossOptions']>;

interface ConfigFlag {
  /**
   * The field it sets: a config field, one of the loss options, a part of the input mode,
   * or every field of a preset.
   */
  field:
    | keyof TrainConfig
    | { lossOption: LossOptionField }
    | { input: 'mode' | 'scale' | 'foregroundCrops' }
    | { preset: true };
  /** A number, a word, or a switch that sets the field to `value`. */
  kind: 'number' | 'text' | { switch: boolean };
  description: string;
  /** For the help text when neither the schema nor LOSS_DEFAULTS has a default. */
  otherwise?: string;
}

const number = (field: keyof TrainConfig, description: string): ConfigFlag => ({
  field,
  kind: 'number',
  description,
});
const off = (field: keyof TrainConfig, description: string): ConfigFlag => ({
  field,
  kind: { switch: false },
  description,
});
const lossOption = (lossOption: LossOptionField, description: string): ConfigFlag => ({
  field: { lossOption },
  kind: lossOption === 'perImage' ? { switch: true } : 'number',
  description,
});

export const CONFIG_FLAGS = {
  preset: {
    field: { preset: true },
    kind: 'text',
    description: `${PRESET_IDS.join(' | ')}: start from the Train view's preset, other flags override`,
    otherwise: 'none',
  },
  loss: { field: 'loss', kind: 'text', description: LOSS_IDS.join(' | ') },
  model: { field: 'model', kind: 'text', description: MODEL_IDS.join(' | ') },
  size: number('size', 'square input side in pixels, a multiple of 16'),
  epochs: number(
    'epochs',
    'passes over the training images at most (the cap; patience may stop sooner)',
  ),
  batch: number('batchSize', 'images per step'),
  lr: number('learningRate', 'Adam learning rate'),
  seed: number('seed', 'seed for split, initial weights, shuffling, augmentation'),
  validation: number('validationFraction', 'fraction of train held out for early stopping'),
  labelled: {
    field: 'labelled',
    kind: 'number',
    description:
      'train on only this many labelled train images (train and validation together), ' +
      'a seeded subset, as if only they were labelled',
    otherwise: 'all',
  },
  patience: number('patience', 'epochs without a better validation IoU before stopping; 0 never'),
  filters: number('baseFilters', 'filters of the first level'),
  depth: number('depth', 'resolution levels'),
  'no-augment': off('augment', 'no flips, rotations or brightness changes'),
  'no-batchnorm': off('batchNorm', 'no batch normalisation'),
  backend: {
    field: 'backend',
    kind: 'text',
    description: `force ${BACKEND_IDS.join(' | ')}`,
    otherwise: 'fastest that loads',
  },
  input: {
    field: { input: 'mode' },
    kind: 'text',
    description: 'resize: the whole image resized to --size, aspect kept; patches: --size crops',
    otherwise: 'resize',
  },
  scale: {
    field: { input: 'scale' },
    kind: 'number',
    description: 'with --input patches: the image scaled by this first, e.g. 0.5',
    otherwise: '1',
  },
  'foreground-crops': {
    field: { input: 'foregroundCrops' },
    kind: 'number',
    description:
      'with --input patches: the share of crops centred on the target, the rest drawn ' +
      'uniformly; 0 draws every crop uniformly',
    otherwise: String(FOREGROUND_CROPS),
  },
  parent: {
    field: 'parentRunId',
    kind: 'number',
    description: "train again from this finished run's weights (same model, filters, depth)",
    otherwise: 'from scratch',
  },
  'per-image': lossOption(
    'perImage',
    'IoU, Jaccard, Dice, Tversky and Lovász losses per image, averaged (not over the batch)',
  ),
  'tversky-alpha': lossOption('tverskyAlpha', 'Tversky loss: weight of false positives'),
  'tversky-beta': lossOption('tverskyBeta', 'Tversky loss: weight of false negatives'),
  'focal-gamma': lossOption('focalGamma', 'focal loss: focusing exponent'),
  'focal-alpha': lossOption('focalAlpha', 'focal loss: weight of the foreground'),
} satisfies Record<string, ConfigFlag>;

export type ConfigFlagName = keyof typeof CONFIG_FLAGS;

export const ALL_CONFIG_FLAGS = Object.keys(CONFIG_FLAGS) as ConfigFlagName[];

/** The flags' option specs for a command, each with its default from the schema. */
export function configOptions(flags: readonly ConfigFlagName[]): Record<string, OptionSpec> {
  return Object.fromEntries(
    flags.map((flag) => {
      const spec: ConfigFlag = CONFIG_FLAGS[flag];
      if (typeof spec.kind === 'object') {
        return [flag, { type: 'boolean', description: spec.description }];
      }
      const given =
        typeof spec.field === 'string'
          ? CONFIG_DEFAULTS[spec.field]
          : 'lossOption' in spec.field
            ? LOSS_DEFAULTS[spec.field.lossOption as keyof typeof LOSS_DEFAULTS]
            : undefined;
      const fallback = given === undefined ? spec.otherwise : String(given);
      const description = fallback ? `${spec.description} (default ${fallback})` : spec.description;
      return [flag, { type: 'string', description }];
    }),
  );
}

/** The fields the given flags set, as schema input (unparsed: the schema checks them). */
export function configFromFlags(
  values: CommandArgs['values'],
  flags: readonly ConfigFlagName[],
): Record<string, unknown> {
  const preset = flags.includes('preset') ? values.preset : undefined;
  if (preset !== undefined && !(PRESET_IDS as readonly unknown[]).includes(preset))
    throw new UsageError(`--preset: "${String(preset)}" is not one of ${PRESET_IDS.join(', ')}.`);
  // The preset first, so every flag given after it overrides its field.
  const config: Record<string, unknown> =
    preset === undefined ? {} : { ...getPreset(preset as PresetId).fields };
  const lossOptions: Record<string, unknown> = {};
  const input: Record<string, unknown> = {};
  for (const flag of flags) {
    const value = values[flag];
    if (value === undefined || value === false) continue;
    const spec: ConfigFlag = CONFIG_FLAGS[flag];
    const parsed =
      typeof spec.kind === 'object'
        ? spec.kind.switch
        : spec.kind === 'number'
          ? Number(value)
          : value;
    if (typeof spec.field === 'string') config[spec.field] = parsed;
    else if ('lossOption' in spec.field) lossOptions[spec.field.lossOption] = parsed;
    else if ('input' in spec.field) input[spec.field.input] = parsed;
  }
  if (Object.keys(lossOptions).length) config.lossOptions = lossOptions;
  for (const part of ['scale', 'foregroundCrops'] as const) {
    if (input[part] !== undefined && input.mode !== 'patches') {
      throw new UsageError(`--${flagOf(['input', part])} goes with --input patches.`);
    }
  }
  if (input.mode !== undefined) config.input = input;
  return config;
}

/** The flag that sets a field (a schema issue's path), for error messages. */
export function flagOf(path: readonly PropertyKey[]): string {
  const [field, option] = path.map(String);
  const found = ALL_CONFIG_FLAGS.find((flag) => {
    const spec: ConfigFlag = CONFIG_FLAGS[flag];
    if (typeof spec.field === 'string') return spec.field === field;
    if ('lossOption' in spec.field) {
      return field === 'lossOptions' && spec.field.lossOption === option;
    }
    if (!('input' in spec.field)) return false;
    return field === 'input' && (option ?? 'mode') === spec.field.input;
  });
  return found ?? field ?? '';
}
