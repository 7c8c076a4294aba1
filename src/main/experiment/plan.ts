// From a request (CLI flags or the app's form) to a stored experiment and its cells:
// datasets resolved by name, the sparsity axis checked to share its images, sweep tasks
// derived and imported, each dataset's labelled train images counted for the labelled
// axis, the protocol made canonical so the same settings always find the runs trained
// before under them.
import {
  experimentRequestSchema,
  type ExperimentCell,
  type ExperimentGrid,
  type ExperimentRequest,
  type GridDataset,
} from '#shared/api/experiments';
import { hasTrainingMask } from '#shared/domain';
import { ApiError } from '#shared/errors';
import type { AppContext, DataContext } from '../context';
import { getDataset, resolveDatasetId } from '../store/datasets';
import { canonicalProtocol, expandGrid, seedList } from './grid';
import { deriveSparsityTasks } from './sparsity';
import { saveExperiment, type ExperimentRecord } from '../store/experiments';
import { listStoredImages } from '../store/images';
import { labelledCount, maskedImages } from '../training/data';
import { experimentCells } from './cells';

export interface Plan {
  record: ExperimentRecord;
  cells: ExperimentCell[];
}

export async function planExperiment(ctx: DataContext, input: ExperimentRequest): Promise<Plan> {
  const request = experimentRequestSchema.parse(input);
  const datasets: GridDataset[] = request.datasets.map((name) => resolveDataset(ctx, name));
  const add = (more: readonly GridDataset[]) => {
    for (const d of more) if (!datasets.some((held) => held.id === d.id)) datasets.push(d);
  };
  const axis = request.sparsityDatasets?.map((name) => resolveDataset(ctx, name)) ?? null;
  if (axis) {
    checkSharedImages(ctx, axis);
    add(axis);
  }
  let sweep: ExperimentGrid['sparsitySweep'] = null;
  if (request.sparsitySweep) {
    const { levels } = request.sparsitySweep;
    // The source is the sweep's own reference point, so it is always in the grid.
    const source = resolveDataset(ctx, request.sparsitySweep.dataset);
    add([source, ...(await deriveSparsityTasks(ctx, source.name, levels))]);
    // By name even when asked by id: the derived tasks name their source so, and the
    // report finds them by it.
    sweep = { dataset: source.name, levels };
  }
  const labelledCounts = request.labelledCounts
    ? [...request.labelledCounts].sort((a, b) => a - b)
    : null;
  if (labelledCounts) {
    for (const d of datasets) d.labelledImages = labelledCount(maskedImages(ctx.db, d.id));
  }
  const grid: ExperimentGrid = {
    datasets,
    models: request.models,
    losses: request.losses,
    seeds: seedList(request.seeds),
    sparsityAxis: axis && axis.map((d) => d.name),
    sparsitySweep: sweep,
    labelledCounts,
  };
  const cells = new Set(expandGrid(grid).map((cell) => cell.key));
  const record = saveExperiment(ctx.db, {
    name: request.name,
    protocol: canonicalProtocol(request.protocol),
    grid,
    covers: (held) => expandGrid(held).every((cell) => cells.has(cell.key)),
  });
  return { record, cells: experimentCells(ctx.db, record) };
}

/**
 * The axis holds the pixels fixed and varies only the target, so its datasets must label
 * the same images in the same splits; the first dataset is the reference.
 */
function checkSharedImages(ctx: Pick<AppContext, 'db'>, axis: readonly GridDataset[]): void {
  const imagesOf = (d: GridDataset) =>
    new Set(
      listStoredImages(ctx.db, d.id)
        .filter(hasTrainingMask)
        .map((i) => `${i.split}/${i.sha256}`),
    );
  const [first, ...rest] = axis;
  const reference = imagesOf(first!);
  for (const d of rest) {
    const held = imagesOf(d);
    const missing = [...reference].filter((k) => !held.has(k)).length;
    const extra = [...held].filter((k) => !reference.has(k)).length;
    if (missing || extra) {
      throw new ApiError(
        'invalid',
        `The sparsity axis needs datasets that label the same images: "${d.name}" differs ` +
          `from "${first!.name}" (${missing} of its masked images missing, ${extra} others, ` +
          'compared by content and split).',
      );
    }
  }
}

function resolveDataset(ctx: Pick<AppContext, 'db'>, name: string): GridDataset {
  const id = resolveDatasetId(ctx.db, name);
  return { id, name: getDataset(ctx.db, id).name };
}
