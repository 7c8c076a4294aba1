// From a request (CLI flags or the app's form) to a stored experiment and its cells:
// datasets resolved by name, sparsity tasks derived and imported, the protocol made
// canonical so the same settings always find the same experiment.
import {
  experimentRequestSchema,
  type ExperimentCell,
  type ExperimentRequest,
  type GridDataset,
} from '#shared/api/experiments';
import { ApiError } from '#shared/errors';
import type { AppContext, DataContext } from '../context';
import { findDatasetId, getDataset } from '../store/datasets';
import { canonicalProtocol, seedList } from './grid';
import { deriveSparsityTasks } from './sparsity';
import { saveExperiment, type ExperimentRecord } from '../store/experiments';
import { experimentCells } from './cells';

export interface Plan {
  record: ExperimentRecord;
  cells: ExperimentCell[];
}

export async function planExperiment(ctx: DataContext, input: ExperimentRequest): Promise<Plan> {
  const request = experimentRequestSchema.parse(input);
  const datasets: GridDataset[] = request.datasets.map((name) => resolveDataset(ctx, name));
  const sweep = request.sparsitySweep ?? null;
  if (sweep) {
    // The source is the sweep's own reference point, so it is always in the grid.
    const source = resolveDataset(ctx, sweep.dataset);
    const derived = await deriveSparsityTasks(ctx, source.name, sweep.levels);
    for (const d of [source, ...derived]) {
      if (!datasets.some((held) => held.id === d.id)) datasets.push(d);
    }
  }
  const record = saveExperiment(ctx.db, {
    name: request.name,
    protocol: canonicalProtocol(request.protocol),
    grid: {
      datasets,
      models: request.models,
      losses: request.losses,
      seeds: seedList(request.seeds),
      sparsitySweep: sweep && { dataset: sweep.dataset, levels: sweep.levels },
    },
  });
  return { record, cells: experimentCells(ctx.db, record) };
}

function resolveDataset(ctx: Pick<AppContext, 'db'>, name: string): GridDataset {
  const id = /^\d+$/.test(name) ? getDataset(ctx.db, Number(name)).id : findDatasetId(ctx.db, name);
  if (id === null) {
    throw new ApiError(
      'not-found',
      `There is no dataset named "${name}". Import it first: in the Datasets view, or ` +
        `\`jaccard import <folder> --name ${name}\`.`,
    );
  }
  return { id, name: getDataset(ctx.db, id).name };
}
