// The Train view's presets: Standard is the schema's defaults (what the CLI trains with),
// every preset is a valid config, and a config is recognised as its preset until edited.
import { describe, expect, it } from 'vitest';
import { trainConfigSchema } from '../../src/shared/api/runs';
import { getPreset, matchPreset, PRESETS } from '../../src/renderer/lib/presets';

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
});
