// The grid of an experiment: which cells (dataset x model x loss x seed, x number of
// labelled images with that axis) it has, what each cell's training config is, and how
// a stored run is recognised as a cell's.
import type { ExperimentCell, ExperimentGrid, Protocol } from '#shared/api/experiments';
import { labelledLevels, protocolSchema } from '#shared/api/experiments';
import { trainConfigSchema } from '#shared/api/runs';
import type { Run, TrainConfig } from '#shared/domain';
import type { LossId, ModelId } from '#shared/ids';

export type Cell = Omit<ExperimentCell, 'run'>;

export function seedList(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i + 1);
}

/** e.g. "face/unet/iou/seed-1", and "face/unet/iou/seed-1/n-5" on 5 labelled images. */
export function cellKey(cell: {
  datasetName: string;
  model: ModelId;
  loss: LossId;
  seed: number;
  labelled?: number;
}): string {
  const key = `${cell.datasetName}/${cell.model}/${cell.loss}/seed-${cell.seed}`;
  return cell.labelled === undefined ? key : `${key}/n-${cell.labelled}`;
}

/**
 * Every cell, seed-major: all cells of seed 1 come before seed 2, so an interrupted
 * experiment has complete seeds (pairs to test) rather than many half-filled ones.
 */
export function expandGrid(
  grid: Pick<ExperimentGrid, 'datasets' | 'models' | 'losses' | 'seeds'> &
    Partial<Pick<ExperimentGrid, 'labelledCounts'>>,
): Cell[] {
  const cells: Cell[] = [];
  for (const seed of grid.seeds) {
    for (const dataset of grid.datasets) {
      for (const labelled of labelledLevels(grid, dataset)) {
        for (const model of grid.models) {
          for (const loss of grid.losses) {
            const cell = {
              datasetId: dataset.id,
              datasetName: dataset.name,
              model,
              loss,
              seed,
              ...(labelled === undefined ? {} : { labelled }),
            };
            cells.push({ key: cellKey(cell), ...cell });
          }
        }
      }
    }
  }
  return cells;
}

/** The protocol with every default filled in, in a canonical form (sorted keys). */
export function canonicalProtocol(input: unknown): Protocol {
  const parsed = protocolSchema.parse(input);
  return Object.fromEntries(
    Object.entries(parsed)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b)),
  ) as Protocol;
}

export function cellConfig(protocol: Protocol, cell: Cell): TrainConfig {
  return trainConfigSchema.parse({
    ...protocol,
    datasetId: cell.datasetId,
    model: cell.model,
    loss: cell.loss,
    seed: cell.seed,
    labelled: cell.labelled,
  });
}

/**
 * The cell a run of the experiment trains, by what the run trains (not by its name): a
 * run without `labelled` is its dataset's full-data cell.
 */
export function matchRuns(cells: readonly Cell[], runs: readonly Run[]): Map<string, Run> {
  const trains = (c: Omit<Cell, 'key' | 'datasetName'>) =>
    JSON.stringify([c.datasetId, c.model, c.loss, c.seed, c.labelled ?? null]);
  const byConfig = new Map(cells.map((c) => [trains(c), c.key]));
  const out = new Map<string, Run>();
  for (const run of runs) {
    const key = byConfig.get(trains(run.config));
    if (key === undefined) continue;
    // Two runs of one cell (a rerun from the app, say): the finished, then the newest.
    const held = out.get(key);
    if (!held || rank(run) >= rank(held)) out.set(key, run);
  }
  return out;
}

function rank(run: Run): number {
  return (run.status === 'finished' ? 1e9 : 0) + run.id;
}
