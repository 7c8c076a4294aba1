// The presets of the Train and Experiment forms: Standard is the schema's defaults (what the
// CLI trains with), every preset is a valid config, and a config (or an experiment's
// protocol) is recognised as its preset until edited.
import { describe, expect, it } from 'vitest';
import { protocolSchema } from '../../src/shared/api/experiments';
import { trainConfigSchema } from '../../src/shared/api/runs';
import { suggestInput, typicalSide } from '../../src/renderer/lib/presets';
import { getPreset, matchPreset, presetProtocol, PRESETS } from '../../src/shared/presets';

describe('training presets', () => {
  it('makes Standard the schema defaults', () => {
    const defaults = trainConfigSchema.parse({ datasetId: 1 });
    expect(defaults).toMatchObject(getPreset('standard').fields);
  });

  it('gives valid configs that fit their network depth', () => {
    for (const preset of PRESETS) {
      const config = trainConfigSchema.parse({ datasetId: 1, ...preset.fields });
      expect(config.size % 2 ** (config.depth - 1), preset.id).toBe(0);
    }
  });

  it('keeps Quick small and Paper larger than Standard', () => {
    const [quick, standard, paper] = (['quick', 'standard', 'paper'] as const).map(
      (id) => getPreset(id).fields,
    );
    expect(quick!.size * quick!.epochs).toBeLessThan(standard!.size * standard!.epochs);
    expect(paper!.epochs).toBeGreaterThan(standard!.epochs);
    expect(paper!.baseFilters).toBeGreaterThan(standard!.baseFilters);
  });

  it('recognises a preset until a field changes', () => {
    for (const preset of PRESETS) expect(matchPreset({ ...preset.fields })).toBe(preset.id);
    expect(matchPreset({ ...getPreset('quick').fields, epochs: 2 })).toBeNull();
  });

  it('sets an experiment protocol, which has no model, and recognises it', () => {
    for (const preset of PRESETS) {
      expect(presetProtocol(preset.id)).not.toHaveProperty('model');
      expect(matchPreset(protocolSchema.parse(presetProtocol(preset.id)))).toBe(preset.id);
    }
    expect(matchPreset({ ...presetProtocol('paper'), patience: 5 })).toBeNull();
  });
});

describe('suggestInput', () => {
  it('keeps whole images up to four model sides, then patches with context', () => {
    // fasseg-face (256 px long side) at Quick's 64 px and Standard's 128 px: resize.
    expect(suggestInput(64, 256)).toEqual({ mode: 'resize' });
    expect(suggestInput(128, 512)).toEqual({ mode: 'resize' });
    expect(suggestInput(128, null)).toEqual({ mode: 'resize' });
    // A 1024 px scan at 128 px: half scale, four patches across.
    expect(suggestInput(128, 1024)).toEqual({ mode: 'patches', scale: 0.5 });
    // A 4000 px photo: the coarsest offered scale.
    expect(suggestInput(128, 4000)).toEqual({ mode: 'patches', scale: 0.25 });
    expect(
      typicalSide([
        { width: 10, height: 30 },
        { width: 50, height: 20 },
        { width: 5, height: 5 },
      ]),
    ).toBe(30);
  });
});
