// `--preset` fills a preset's fields first; the other flags of the one table override it.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/main/cli/command';
import { ALL_CONFIG_FLAGS, configFromFlags } from '../../src/main/cli/config-flags';
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
