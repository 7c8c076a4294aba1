// Training loss, validation loss and validation IoU per epoch, one line per run: shows
// whether runs converged and whether a loss learns faster, not only where it ended.
import type { EpochMetrics } from '../domain';
import { CHART_CONFIG, PANEL, type ChartSpec } from './spec';

export const LEARNING_CURVES_DATA = 'epochs';

export interface CurvePoint {
  run: string;
  epoch: number;
  trainLoss: number;
  valLoss: number;
  valIou: number;
}

export function curvePoints(run: string, epochs: readonly EpochMetrics[]): CurvePoint[] {
  return epochs.map((e) => ({
    run,
    epoch: e.epoch,
    trainLoss: e.trainLoss,
    valLoss: e.valLoss,
    valIou: e.valIou,
  }));
}

const epoch = {
  field: 'epoch',
  type: 'quantitative',
  title: 'Epoch',
  axis: { tickMinStep: 1, format: 'd' },
} as const;
const run = { field: 'run', type: 'nominal', title: 'Run' } as const;

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
        mark: { type: 'line', point: true, tooltip: true },
        encoding: {
          x: epoch,
          y: { field: 'loss', type: 'quantitative', title: 'Loss', scale: { zero: false } },
          color: run,
          strokeDash: {
            field: 'split',
            type: 'nominal',
            title: 'Split',
            legend: { symbolType: 'stroke' },
          },
        },
      },
      {
        ...PANEL,
        title: 'Validation IoU',
        mark: { type: 'line', point: true, tooltip: true },
        encoding: {
          x: epoch,
          y: { field: 'valIou', type: 'quantitative', title: 'IoU', scale: { zero: false } },
          color: run,
        },
      },
    ],
  };
}
