// "Runs launched together" names the seeds the group spans (issue 14, item 6).
import { describe, expect, it } from 'vitest';
import { trainConfigSchema } from '../../src/shared/api/runs';
import type { Run } from '../../src/shared/domain';
import { groupSummary, seedsText } from '../../src/renderer/views/compare/group-format';

describe('group summary', () => {
  it('spans seeds', () => {
    expect(seedsText([2])).toBe('seed 2');
    expect(seedsText([3, 1, 2, 2, 1, 3])).toBe('seeds 1–3');
    expect(seedsText([1, 3])).toBe('seeds 1, 3');
    expect(seedsText([1, 2])).toBe('seeds 1, 2');
  });

  it('says the seeds and ids of a group of six runs, not the first run’s seed', () => {
    const runs = [1, 2, 3].flatMap((seed, i) =>
      (['iou', 'bce'] as const).map(
        (loss, j) =>
          ({
            id: 3 + 2 * i + j,
            datasetName: 'faces',
            config: trainConfigSchema.parse({ datasetId: 1, loss, seed, size: 64, epochs: 5 }),
          }) as Run,
      ),
    );
    const text = groupSummary(runs);
    expect(text).toMatch(/^6 runs #3–#8 · faces · U-Net 64 px · 5 epochs · .* · seeds 1–3 · /);
    expect(text).not.toMatch(/seed 1\b/);
  });

  it("names every dataset and network of an experiment's grid, not the first run's", () => {
    const runs = (['face-512', 'eyes-512'] as const).flatMap((datasetName, d) =>
      (['unet', 'tiramisu'] as const).map(
        (model, m) =>
          ({
            id: 10 + 2 * d + m,
            datasetName,
            config: trainConfigSchema.parse({ datasetId: d + 1, model, seed: 1, size: 128 }),
          }) as Run,
      ),
    );
    expect(groupSummary(runs)).toMatch(
      /^4 runs #10–#13 · face-512, eyes-512 · U-Net, FC-DenseNet \(Tiramisu\) 128 px · /,
    );
  });
});
