import { describe, expect, it } from 'vitest';
import {
  canonicalProtocol,
  cellConfig,
  cellKey,
  expandGrid,
  matchRuns,
  seedList,
} from '../../src/main/experiment/grid';
import { remainingSeconds } from '../../src/main/experiment/cells';
import {
  experimentRequestSchema,
  labelledLevels,
  type ExperimentCell,
} from '../../src/shared/api/experiments';
import { trainConfigSchema } from '../../src/shared/api/runs';
import type { Run, TrainConfig } from '../../src/shared/domain';

const grid = {
  datasets: [
    { id: 1, name: 'face' },
    { id: 2, name: 'eyes' },
  ],
  models: ['unet', 'tiramisu'] as const,
  losses: ['iou', 'bce', 'lovasz'] as const,
  seeds: seedList(3),
};

function runOf(id: number, config: Partial<TrainConfig>, status: Run['status']): Run {
  return {
    id,
    name: `run ${id}`,
    datasetId: config.datasetId ?? 1,
    datasetName: 'face',
    config: trainConfigSchema.parse({ datasetId: 1, ...config }),
    status,
    backend: null,
    adapter: null,
    groupId: 'experiment-1',
    splitSizes: null,
    epochsDone: 0,
    bestValIou: null,
    test: null,
    error: null,
    createdAt: '',
    startedAt: null,
    finishedAt: null,
    durationSeconds: null,
  };
}

describe('experiment grid', () => {
  it('expands every dataset x model x loss x seed once, seed-major', () => {
    const cells = expandGrid({ ...grid, models: [...grid.models], losses: [...grid.losses] });
    expect(cells).toHaveLength(2 * 2 * 3 * 3);
    expect(new Set(cells.map((c) => c.key)).size).toBe(cells.length);
    // All of seed 1 before any of seed 2.
    const seeds = cells.map((c) => c.seed);
    expect(seeds.slice(0, 12).every((s) => s === 1)).toBe(true);
    expect(seeds.slice(12, 24).every((s) => s === 2)).toBe(true);
    expect(cells[0]).toEqual({
      key: 'face/unet/iou/seed-1',
      datasetId: 1,
      datasetName: 'face',
      model: 'unet',
      loss: 'iou',
      seed: 1,
    });
    expect(cells.at(-1)!.key).toBe('eyes/tiramisu/lovasz/seed-3');
  });

  it('keys cells stably by what they train', () => {
    expect(cellKey({ datasetName: 'face-erode-8', model: 'tiramisu', loss: 'bce', seed: 4 })).toBe(
      'face-erode-8/tiramisu/bce/seed-4',
    );
    // A cell's key does not depend on which other cells the grid has.
    const small = expandGrid({ ...grid, models: ['tiramisu'], losses: ['bce'], seeds: [2] });
    const full = expandGrid({ ...grid, models: [...grid.models], losses: [...grid.losses] });
    for (const cell of small) expect(full.map((c) => c.key)).toContain(cell.key);
  });

  it('makes the protocol canonical: defaults filled, keys sorted, so equal settings compare equal', () => {
    const a = canonicalProtocol({ size: 64, epochs: 5 });
    const b = canonicalProtocol({ epochs: 5, size: 64, batchSize: 8, patience: 10 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(Object.keys(a)).toEqual([...Object.keys(a)].sort());
    expect(a).toMatchObject({ size: 64, epochs: 5, batchSize: 8, augment: true });
    expect(() => canonicalProtocol({ size: 50 })).toThrow();
  });

  it("gives each cell the protocol's config with its own dataset, model, loss and seed", () => {
    const protocol = canonicalProtocol({ size: 64, epochs: 7 });
    const [cell] = expandGrid({ ...grid, models: ['tiramisu'], losses: ['bce'], seeds: [5] });
    expect(cellConfig(protocol, cell!)).toMatchObject({
      datasetId: 1,
      model: 'tiramisu',
      loss: 'bce',
      seed: 5,
      size: 64,
      epochs: 7,
    });
  });

  it('matches runs to cells by their config, preferring a finished run, then the newest', () => {
    const cells = expandGrid({ ...grid, models: ['unet'], losses: ['iou', 'bce'], seeds: [1] });
    const runs = [
      runOf(1, { datasetId: 1, loss: 'iou', seed: 1 }, 'finished'),
      runOf(2, { datasetId: 1, loss: 'iou', seed: 1 }, 'failed'),
      runOf(3, { datasetId: 2, loss: 'bce', seed: 1 }, 'interrupted'),
      runOf(4, { datasetId: 2, loss: 'bce', seed: 1 }, 'cancelled'),
      // Not a cell of this grid: another seed.
      runOf(5, { datasetId: 1, loss: 'bce', seed: 9 }, 'finished'),
    ];
    const matched = matchRuns(cells, runs);
    expect(matched.get('face/unet/iou/seed-1')?.id).toBe(1);
    expect(matched.get('eyes/unet/bce/seed-1')?.id).toBe(4);
    expect(matched.has('face/unet/bce/seed-1')).toBe(false);
    expect(matched.size).toBe(2);
  });

  it('refuses requests with repeated or empty axes', () => {
    const ok = {
      datasets: ['face'],
      models: ['unet'],
      losses: ['iou', 'bce'],
      seeds: 3,
      protocol: {},
    };
    expect(experimentRequestSchema.safeParse(ok).success).toBe(true);
    expect(experimentRequestSchema.safeParse({ ...ok, losses: ['iou', 'iou'] }).success).toBe(
      false,
    );
    expect(experimentRequestSchema.safeParse({ ...ok, models: [] }).success).toBe(false);
    expect(experimentRequestSchema.safeParse({ ...ok, seeds: 0 }).success).toBe(false);
    expect(experimentRequestSchema.safeParse({ ...ok, losses: ['hinge'] }).success).toBe(false);
  });
});

describe('the labelled-images axis', () => {
  // face has 20 labelled train images, eyes 8.
  const axis = {
    datasets: [
      { id: 1, name: 'face', labelledImages: 20 },
      { id: 2, name: 'eyes', labelledImages: 8 },
    ],
    models: ['unet' as const],
    losses: ['iou' as const, 'bce' as const],
    seeds: seedList(2),
    labelledCounts: [20, 5, 10],
  };

  it('gives each dataset its levels below what it has, then its full data once', () => {
    expect(labelledLevels(axis, axis.datasets[0]!)).toEqual([5, 10, undefined]);
    expect(labelledLevels(axis, axis.datasets[1]!)).toEqual([5, undefined]);
    expect(labelledLevels({ labelledCounts: null }, axis.datasets[0]!)).toEqual([undefined]);
    expect(labelledLevels({}, axis.datasets[0]!)).toEqual([undefined]);
  });

  it('expands a cell per level, keyed by it, the full-data cells keyed as without the axis', () => {
    const cells = expandGrid(axis);
    expect(cells).toHaveLength(2 * (3 + 2) * 2);
    expect(new Set(cells.map((c) => c.key)).size).toBe(cells.length);
    expect(cells.slice(0, 6).map((c) => c.key)).toEqual([
      'face/unet/iou/seed-1/n-5',
      'face/unet/bce/seed-1/n-5',
      'face/unet/iou/seed-1/n-10',
      'face/unet/bce/seed-1/n-10',
      'face/unet/iou/seed-1',
      'face/unet/bce/seed-1',
    ]);
    expect(cells.filter((c) => c.datasetName === 'eyes').map((c) => c.labelled)).toEqual([
      5,
      5,
      undefined,
      undefined,
      5,
      5,
      undefined,
      undefined,
    ]);
    // Seed-major still.
    expect(cells.slice(0, 10).every((c) => c.seed === 1)).toBe(true);
    const without = expandGrid({ ...axis, labelledCounts: null });
    for (const cell of without) {
      expect(cells.find((c) => c.key === cell.key)).toEqual(cell);
      expect(cell).not.toHaveProperty('labelled');
    }
  });

  it("puts the level in the cell's config, and nothing in a full-data cell's", () => {
    const protocol = canonicalProtocol({ size: 64 });
    const cells = expandGrid(axis);
    const subset = cells.find((c) => c.key === 'eyes/unet/bce/seed-2/n-5')!;
    expect(cellConfig(protocol, subset)).toMatchObject({ datasetId: 2, seed: 2, labelled: 5 });
    const full = cells.find((c) => c.key === 'eyes/unet/bce/seed-2')!;
    expect(JSON.parse(JSON.stringify(cellConfig(protocol, full)))).not.toHaveProperty('labelled');
  });

  it('matches runs on the number of labelled images: a run without it is the full-data cell', () => {
    const cells = expandGrid(axis);
    const runs = [
      runOf(1, { datasetId: 1, loss: 'iou', seed: 1, labelled: 5 }, 'finished'),
      runOf(2, { datasetId: 1, loss: 'iou', seed: 1 }, 'finished'),
      runOf(3, { datasetId: 1, loss: 'iou', seed: 1, labelled: 10 }, 'finished'),
      // A level this grid does not have.
      runOf(4, { datasetId: 1, loss: 'iou', seed: 1, labelled: 7 }, 'finished'),
    ];
    const matched = matchRuns(cells, runs);
    expect(matched.get('face/unet/iou/seed-1/n-5')?.id).toBe(1);
    expect(matched.get('face/unet/iou/seed-1')?.id).toBe(2);
    expect(matched.get('face/unet/iou/seed-1/n-10')?.id).toBe(3);
    expect(matched.size).toBe(3);
    // Without the axis, only the full-data run is the cell's.
    const plain = matchRuns(expandGrid({ ...axis, labelledCounts: null }), runs);
    expect([...plain.values()].map((r) => r.id)).toEqual([2]);
  });

  it('keeps the axis out of the protocol, so grids with and without it share an experiment', () => {
    expect(JSON.stringify(canonicalProtocol({ size: 64, labelled: 5 }))).toBe(
      JSON.stringify(canonicalProtocol({ size: 64 })),
    );
  });

  it('refuses levels below two, fractions and repeats', () => {
    const ok = { datasets: ['face'], models: ['unet'], losses: ['iou'], seeds: 1, protocol: {} };
    const parse = (labelledCounts: number[]) =>
      experimentRequestSchema.safeParse({ ...ok, labelledCounts }).success;
    expect(parse([2, 5, 20])).toBe(true);
    expect(parse([1, 5])).toBe(false);
    expect(parse([2.5])).toBe(false);
    expect(parse([5, 5])).toBe(false);
    expect(parse([])).toBe(false);
  });
});

describe("an experiment's time left", () => {
  const cell = (model: 'unet' | 'tiramisu', run: Run | null): ExperimentCell => ({
    key: `face/${model}/iou/seed-1`,
    datasetId: 1,
    datasetName: 'face',
    model,
    loss: 'iou',
    seed: 1,
    run,
  });
  const run = (status: Run['status'], minutes: number | null): Run => ({
    ...runOf(1, {}, status),
    durationSeconds: minutes === null ? null : minutes * 60,
  });

  it('counts each cell at its network’s median, less what a running one has done, over the trainers', () => {
    const cells = [
      cell('unet', run('finished', 20)),
      cell('unet', run('finished', 30)),
      cell('unet', run('finished', 100)),
      cell('tiramisu', run('finished', 120)),
      cell('unet', run('running', 10)), // 30 − 10 = 20 left
      cell('tiramisu', run('running', 150)), // past the median: 0 left
      cell('unet', null), // 30
      cell('tiramisu', run('queued', null)), // 120
      cell('tiramisu', run('interrupted', 40)), // 80, when resumed
    ];
    expect(remainingSeconds(cells)).toBe(((20 + 0 + 30 + 120 + 80) * 60) / 2);
  });

  it('measures a network with no finished run by every finished run', () => {
    const cells = [cell('unet', run('finished', 10)), cell('tiramisu', run('running', 4))];
    expect(remainingSeconds(cells)).toBe(6 * 60);
  });

  it('says nothing while no cell trains, or before a run has finished', () => {
    expect(remainingSeconds([cell('unet', run('finished', 10)), cell('unet', null)])).toBeNull();
    expect(remainingSeconds([cell('unet', run('running', 3)), cell('unet', null)])).toBeNull();
  });

  it('shares the work among the trainers a runner keeps busy, when told how many', () => {
    const cells = [cell('unet', run('finished', 10)), cell('unet', null), cell('unet', null)];
    expect(remainingSeconds(cells, 2)).toBe(10 * 60);
    expect(remainingSeconds(cells, 0)).toBeNull();
  });
});
