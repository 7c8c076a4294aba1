// `--preset` fills a preset's fields first; the other flags of the one table override it.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/main/cli/command';
import { ALL_CONFIG_FLAGS, configFromFlags, flagOf } from '../../src/main/cli/config-flags';
import { trainConfigSchema } from '../../src/shared/api/runs';
import { getPreset } from '../../src/shared/presets';

describe('--preset', () => {
  it("sets the preset's fields, and explicit flags win", () => {
    const config = configFromFlags({ preset: 'paper', epochs: '40' }, ALL_CONFIG_FLAGS);
    const paper = getPreset('paper').fields;
    expect(config).toMatchObject({ ...paper, epochs: 40 });
    expect(trainConfigSchema.parse({ datasetId: 1, ...config })).toMatchObject({
      baseFilters: paper.baseFilters,
      patience: paper.patience,
      epochs: 40,
    });
  });

  it('is ignored by a command whose flags leave it out, and refuses an unknown name', () => {
    expect(configFromFlags({ preset: 'paper' }, ['epochs'])).toEqual({});
    expect(() => configFromFlags({ preset: 'huge' }, ALL_CONFIG_FLAGS)).toThrow(UsageError);
    expect(() => configFromFlags({ preset: 'huge' }, ALL_CONFIG_FLAGS)).toThrow(
      /quick, standard, paper/,
    );
  });
});

describe('the input flags', () => {
  it('set the patch mode, its scale and its share of crops on the target', () => {
    const config = configFromFlags(
      { input: 'patches', scale: '0.5', 'foreground-crops': '0' },
      ALL_CONFIG_FLAGS,
    );
    expect(trainConfigSchema.parse({ datasetId: 1, ...config }).input).toEqual({
      mode: 'patches',
      scale: 0.5,
      foregroundCrops: 0,
    });
  });

  it('refuse a part of the patch mode without --input patches, naming the flag', () => {
    for (const [flag, value] of [
      ['scale', '0.5'],
      ['foreground-crops', '0'],
    ]) {
      expect(() => configFromFlags({ [flag!]: value }, ALL_CONFIG_FLAGS)).toThrow(
        new RegExp(`^--${flag} goes with --input patches`),
      );
    }
  });

  it('name the flag of an input value the schema refuses', () => {
    const config = configFromFlags({ input: 'patches', 'foreground-crops': '2' }, ALL_CONFIG_FLAGS);
    const parsed = trainConfigSchema.safeParse({ datasetId: 1, ...config });
    expect(parsed.success).toBe(false);
    expect(flagOf(parsed.error!.issues[0]!.path)).toBe('foreground-crops');
    expect(flagOf(['input', 'mode'])).toBe('input');
    expect(flagOf(['input', 'scale'])).toBe('scale');
  });
});
