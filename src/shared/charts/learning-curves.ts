// Training loss, validation loss and validation IoU per epoch, one line per run, one
// colour per arm: shows whether runs converged and whether a loss learns faster, not
// only where it ended.
import type { EpochMetrics } from '../domain';
import { CHART_CONFIG, PANEL, type ChartSpec } from './spec';

export const LEARNING_CURVES_DATA = 'epochs';

export interface CurvePoint {
  run: string;
  /** Runs of one arm (e.g. the seeds of one loss) share a colour. */
  arm: string;
  epoch: number;
  trainLoss: number;
  valLoss: number;
  valIou: number;
}

export function curvePoints(run: string, epochs: readonly EpochMetrics[], arm = run): CurvePoint[] {
  return epochs.map((e) => ({
    run,
    arm,
    epoch: e.epoch,
    trainLoss: e.trainLoss,
    valLoss: e.valLoss,
    valIou: e.valIou,
  }));
}

/** Ticks in three significant digits, trailing zeros dropped: "0.563", "12.5", "0". */
export const VALUE_AXIS = { format: '.3~r' } as const;

const epoch = {
  field: 'epoch',
  type: 'quantitative',
  title: 'Epoch',
  axis: { tickMinStep: 1, format: 'd' },
} as const;
// sort: null keeps the order rows arrive in, so arm 1 takes the first colour even after
// the view swaps in new rows.
const color = { field: 'arm', type: 'nominal', title: 'Arm', sort: null } as const;
const run = { field: 'run', type: 'nominal', title: 'Run' } as const;

type Tip = { field: string; title: string; format?: string };

/**
 * A panel's encoding: epochs across, `field` up (its scale from the data's own range),
 * one line per run coloured by arm; the tooltip names the run, `extra`, the epoch and
 * the value.
 */
function curveEncoding(field: string, title: string, format: string, extra: Tip[] = []) {
  const tooltip: Tip[] = [
    { field: 'run', title: 'Run' },
    ...extra,
    { field: 'epoch', title: 'Epoch' },
    { field, title, format },
  ];
  const y = {
    field,
    type: 'quantitative',
    title,
    scale: { zero: false },
    axis: VALUE_AXIS,
  } as const;
  return { x: epoch, y, color, detail: run, tooltip };
}

export function learningCurvesSpec(points: readonly CurvePoint[]): ChartSpec {
  return {
    config: CHART_CONFIG,
    datasets: { [LEARNING_CURVES_DATA]: points.map((p) => ({ ...p })) },
    data: { name: LEARNING_CURVES_DATA },
    hconcat: [
      {
        ...PANEL,
        title: 'Loss',
        transform: [
          { fold: ['trainLoss', 'valLoss'], as: ['curve', 'loss'] },
          { calculate: "datum.curve === 'trainLoss' ? 'train' : 'validation'", as: 'split' },
        ],
        encoding: curveEncoding('loss', 'Loss', '.4f', [{ field: 'split', title: 'Split' }]),
        // Points in their own layer: on the line mark they would blank the dash legend.
        layer: [
          {
            mark: 'line',
            encoding: {
              strokeDash: {
                field: 'split',
                type: 'nominal',
                title: 'Split',
                legend: { symbolType: 'stroke', symbolStrokeColor: '#555' },
              },
            },
          },
          { mark: { type: 'point', filled: true } },
        ],
      },
      {
        ...PANEL,
        title: 'Validation IoU',
        encoding: curveEncoding('valIou', 'IoU', '.3f'),
        layer: [{ mark: 'line' }, { mark: { type: 'point', filled: true } }],
      },
    ],
  };
}
