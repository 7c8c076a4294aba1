// The grid of an experiment: which cells (dataset x model x loss x seed) it has, what
// each cell's training config is, and how a stored run is recognised as a cell's.
import type { ExperimentCell, ExperimentGrid, Protocol } from '#shared/api/experiments';
import { protocolSchema } from '#shared/api/experiments';
import { trainConfigSchema } from '#shared/api/runs';
import type { Run, TrainConfig } from '#shared/domain';
import type { LossId, ModelId } from '#shared/ids';

export type Cell = Omit<ExperimentCell, 'run'>;

export function seedList(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i + 1);
}

export function cellKey(cell: {
  datasetName: string;
  model: ModelId;
  loss: LossId;
  seed: number;
}): string {
  return `${cell.datasetName}/${cell.model}/${cell.loss}/seed-${cell.seed}`;
}

/**
 * Every cell, seed-major: all cells of seed 1 come before seed 2, so an interrupted
 * experiment has complete seeds (pairs to test) rather than many half-filled ones.
 */
export function expandGrid(
  grid: Pick<ExperimentGrid, 'datasets' | 'models' | 'losses' | 'seeds'>,
): Cell[] {
  const cells: Cell[] = [];
  for (const seed of grid.seeds) {
    for (const dataset of grid.datasets) {
      for (const model of grid.models) {
        for (const loss of grid.losses) {
          const cell = { datasetId: dataset.id, datasetName: dataset.name, model, loss, seed };
          cells.push({ key: cellKey(cell), ...cell });
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
  });
}

/** The cell a run of the experiment trains, by what the run trains (not by its name). */
export function matchRuns(cells: readonly Cell[], runs: readonly Run[]): Map<string, Run> {
  const byConfig = new Map(
    cells.map((c) => [JSON.stringify([c.datasetId, c.model, c.loss, c.seed]), c.key]),
  );
  const out = new Map<string, Run>();
  for (const run of runs) {
    const { datasetId, model, loss, seed } = run.config;
    const key = byConfig.get(JSON.stringify([datasetId, model, loss, seed]));
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
