// Experiments: the paper's protocol as a grid of runs, datasets x models x losses x
// seeds, all trained with one shared protocol (size, epochs, batch, ...), plus a sparsity
// axis: datasets with other targets on the same images (the real axis), and optional
// tasks of controlled foreground fraction derived from one dataset (the eroded sweep);
// and a labelled-images axis: each cell also trained on only a few of its dataset's
// labelled train images.
import { z } from 'zod';
import type { Run } from '../domain';
import { LOSS_IDS, LOSS_LABELS, MODEL_IDS, MODEL_LABELS, type LossId, type ModelId } from '../ids';
import type { MeanSd, PairedSample } from './compare';
import { inputOf, inputTag } from '../input';
import { call } from './contract';
import { trainConfigSchema } from './runs';

const id = z.number().int().positive();

/** Every training setting but the ones the grid varies. */
export const protocolSchema = trainConfigSchema.omit({
  datasetId: true,
  loss: true,
  model: true,
  seed: true,
  labelled: true,
});
export type Protocol = z.output<typeof protocolSchema>;

/** Foreground fractions the sweep aims its derived tasks at, by default. */
export const DEFAULT_SWEEP_LEVELS: readonly number[] = [0.3, 0.1, 0.03];

const LEVEL = 'Levels are foreground fractions between 0 and 1, e.g. 0.2, 0.05.';

const distinct = <T>(values: readonly T[]) => new Set(values).size === values.length;

const datasetNames = z
  .array(z.string().trim().min(1))
  .refine(distinct, 'A dataset is listed twice.');

export const experimentRequestSchema = z
  .object({
    /** Dataset names (or ids as text); may be empty when the sparsity axis names them. */
    datasets: datasetNames.default([]),
    models: z.array(z.enum(MODEL_IDS)).min(1).refine(distinct, 'A model is listed twice.'),
    losses: z.array(z.enum(LOSS_IDS)).min(1).refine(distinct, 'A loss is listed twice.'),
    /** Seeds 1..seeds. */
    seeds: z.number().int().min(1).max(100),
    protocol: protocolSchema,
    /** Derive tasks of controlled foreground fraction from this dataset and add them. */
    sparsitySweep: z
      .object({
        dataset: z.string().trim().min(1),
        levels: z
          .array(z.number(LEVEL).gt(0, LEVEL).lt(1, LEVEL))
          .min(1, LEVEL)
          .default([...DEFAULT_SWEEP_LEVELS]),
      })
      .optional(),
    /**
     * The sparsity axis: datasets whose targets label the same images (face, hair, eyes on
     * one set of faces), added to the grid; the report plots the IoU loss's gain against
     * their foreground fractions.
     */
    sparsityDatasets: datasetNames
      .refine((names) => names.length >= 2, 'An axis needs at least two datasets.')
      .optional(),
    /**
     * The labelled-images axis: every cell also trained on only this many of its dataset's
     * labelled train images (a run's `labelled`); a number at or above what the dataset
     * has is its full-data cell, the one a grid without the axis has.
     */
    labelledCounts: z
      .array(trainConfigSchema.shape.labelled.unwrap())
      .min(1)
      .refine(distinct, 'A number of labelled images is listed twice.')
      .optional(),
    name: z.string().trim().min(1).max(120).optional(),
  })
  .refine((r) => r.datasets.length > 0 || r.sparsityDatasets || r.sparsitySweep, {
    message: 'Say which datasets: the grid has none.',
    path: ['datasets'],
  });
export type ExperimentRequest = z.input<typeof experimentRequestSchema>;

export interface GridDataset {
  id: number;
  name: string;
  /** Set on tasks the sparsity sweep derived, e.g. face eroded by 8 pixels. */
  derivedFrom?: { dataset: string; operation: 'erode' | 'dilate'; radius: number };
  /**
   * With the labelled-images axis: its labelled train images (train and validation) when
   * the experiment was planned. A level at or above it is the full-data cell.
   */
  labelledImages?: number;
}

export interface ExperimentGrid {
  datasets: GridDataset[];
  models: ModelId[];
  losses: LossId[];
  seeds: number[];
  /** Names of the datasets on the real sparsity axis, in the order asked; null without one. */
  sparsityAxis: string[] | null;
  sparsitySweep: { dataset: string; levels: number[] } | null;
  /** The labelled-images axis, ascending; null without one. */
  labelledCounts: number[] | null;
}

/**
 * A dataset's levels of the labelled-images axis, ascending: a number below what the
 * dataset has, or undefined for the full data, which every level at or above it is. A
 * run trained on all the labelled images it has is the run without `labelled`: so a grid
 * with the axis and one without share their full-data cells (and the split of a run
 * asking for exactly all of them is that run's anyway, data.ts). Without the axis, only
 * the full data.
 */
export function labelledLevels(
  grid: Partial<Pick<ExperimentGrid, 'labelledCounts'>>,
  dataset: GridDataset,
): (number | undefined)[] {
  if (!grid.labelledCounts) return [undefined];
  const all = dataset.labelledImages ?? Infinity;
  const levels = [...grid.labelledCounts].sort((a, b) => a - b);
  return [...new Set(levels.map((n) => (n >= all ? undefined : n)))];
}

/**
 * The protocol in a line, e.g. "128 px patches · up to 50 epochs, patience 8 · batch 8 ·
 * tensorflow": an experiment's name when it is given none, and beside the name otherwise.
 */
export function describeProtocol(p: Protocol): string {
  const tag = inputTag(inputOf(p));
  return [
    `${p.size} px${tag && ` ${tag}`}`,
    p.patience ? `up to ${p.epochs} epochs, patience ${p.patience}` : `${p.epochs} epochs`,
    `batch ${p.batchSize}`,
    p.backend,
  ]
    .filter(Boolean)
    .join(' · ');
}

/**
 * What a grid varies, in a line: above all its datasets, since an experiment's name says
 * only its protocol, and grids of one protocol are told apart by this.
 */
export function describeGrid(grid: ExperimentGrid): string {
  const { sparsityAxis: axis, sparsitySweep: sweep } = grid;
  const others = grid.datasets
    .filter((d) => !d.derivedFrom && !axis?.includes(d.name) && d.name !== sweep?.dataset)
    .map((d) => d.name);
  const n = grid.seeds.length;
  return [
    axis && `sparsity axis: ${axis.join(', ')}`,
    sweep && `eroded sweep of ${sweep.dataset}: foreground ${sweep.levels.join(', ')}`,
    grid.labelledCounts && `labelled images: ${grid.labelledCounts.join(', ')}`,
    others.length > 0 && `datasets: ${others.join(', ')}`,
    grid.models.map((m) => MODEL_LABELS[m]).join(', '),
    grid.losses.map((l) => LOSS_LABELS[l]).join(' vs '),
    `${n} seed${n === 1 ? '' : 's'}`,
  ]
    .filter(Boolean)
    .join(' · ');
}

export interface CellCounts {
  total: number;
  finished: number;
  running: number;
  /** Not started yet, or queued. */
  waiting: number;
  /** Interrupted, cancelled or failed: they resume when the experiment runs again. */
  stopped: number;
}

export interface Experiment {
  id: number;
  name: string;
  protocol: Protocol;
  grid: ExperimentGrid;
  /**
   * The group id its runs carry: that of every experiment under the same protocol, since
   * grids of one protocol share their runs.
   */
  groupId: string;
  counts: CellCounts;
  /**
   * About how long its cells have left while some train: each at the median time of the
   * experiment's finished runs of its network (of any network until one has finished),
   * less what a running one has done, shared among the trainers running now. Null while
   * none trains, or before a run has finished to measure by.
   */
  remainingSeconds: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface ExperimentCell {
  /** Stable within the experiment, e.g. "face/unet/iou/seed-1". */
  key: string;
  datasetId: number;
  datasetName: string;
  model: ModelId;
  loss: LossId;
  seed: number;
  /**
   * With the labelled-images axis, the labelled train images the cell trains on, as its
   * run's config says; absent on full-data cells, as there.
   */
  labelled?: number;
  /** The cell's run, once started. */
  run: Run | null;
}

/**
 * One dataset x model (x number of labelled images) of the grid: how each loss did, and
 * IoU loss against BCE.
 */
export interface GroupSummary {
  datasetId: number;
  datasetName: string;
  model: ModelId;
  /**
   * With the labelled-images axis, the labelled train images its runs trained on (all the
   * dataset had, for the full-data group); null without the axis.
   */
  labelled: number | null;
  /** Mean foreground fraction of the dataset's test masks. */
  foreground: number | null;
  /** Pooled test IoU over seeds, per loss of the grid (null until a run finished). */
  losses: { loss: LossId; iou: MeanSd | null }[];
  /** IoU loss − BCE, paired by seed and by test image; null unless both have runs. */
  iouVsBce: { acrossSeeds: PairedSample; acrossImages: PairedSample } | null;
  /** Finished runs of the group, in the order the comparison takes them. */
  runIds: number[];
}

export interface ExperimentDetail extends Experiment {
  cells: ExperimentCell[];
  summary: GroupSummary[];
}

/** The experiment as one self-contained HTML page (figures inline as SVG), as it stands. */
export interface ExperimentReport {
  /** What to save the page as. */
  filename: string;
  html: string;
  /**
   * The sparsity figure alone, for documents that embed it: the real axis when the grid
   * has one, else every dataset; null without points.
   */
  sparsitySvg: string | null;
  /** The eroded sweep's figure when the grid has a real axis too; else null. */
  sweepSvg: string | null;
  /** The labelled-images figure alone; null without that axis or without points. */
  labelledSvg: string | null;
}

export const experimentCalls = {
  /**
   * Creates the experiment (or finds the one with the same protocol), derives the
   * sparsity tasks, and queues every cell without a finished run; the engine trains
   * them one after another.
   */
  'experiments.start': call<ExperimentDetail>()(experimentRequestSchema),
  'experiments.list': call<Experiment[]>()(z.object({})),
  'experiments.get': call<ExperimentDetail>()(z.object({ id })),
  /** Runs that have not finished are named in the report and left out of it. */
  'experiments.report': call<ExperimentReport>()(z.object({ id })),
};
