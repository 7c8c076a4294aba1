// A run's epoch charts: the shared learning curves (loss, validation IoU) plus training
// speed, which says how long the next run will take and whether the backend the engine
// chose is the fast one; and the rows behind them.
import {
  curvePoints,
  learningCurvesSpec,
  LEARNING_CURVES_DATA,
  type ChartData,
  type ChartSpec,
} from '#shared/charts';
import { VALUE_AXIS } from '#shared/charts/learning-curves';
import { CHART_CONFIG, PANEL } from '#shared/charts/spec';
import type { EpochMetrics } from '#shared/domain';

export interface CurveSeries {
  /** One line per run. */
  label: string;
  /** Lines of one arm share a colour. */
  arm: string;
  epochs: readonly EpochMetrics[];
}

/** One dataset for both charts: curve points carry their epoch's images per second. */
export function curveData(series: readonly CurveSeries[]): ChartData {
  return {
    [LEARNING_CURVES_DATA]: series.flatMap((s) =>
      curvePoints(s.label, s.epochs, s.arm).map((point, i) => ({
        ...point,
        imagesPerSecond: s.epochs[i]!.imagesPerSecond,
      })),
    ),
  };
}

/** The shared learning curves, legends below the panels so the pair fits a narrow column. */
export function curvesSpec(): ChartSpec {
  const spec = learningCurvesSpec([]);
  const legend = { ...spec.config?.legend, orient: 'bottom', direction: 'horizontal' } as const;
  return { ...spec, config: { ...spec.config, legend } };
}

/** Speed per epoch; its colours follow the curves' legend, so it has none of its own. */
export function throughputSpec(): ChartSpec {
  return {
    config: CHART_CONFIG,
    data: { name: LEARNING_CURVES_DATA },
    ...PANEL,
    title: 'Training speed',
    encoding: {
      x: {
        field: 'epoch',
        type: 'quantitative',
        title: 'Epoch',
        axis: { tickMinStep: 1, format: 'd' },
      },
      y: {
        field: 'imagesPerSecond',
        type: 'quantitative',
        title: 'Images / s',
        axis: VALUE_AXIS,
      },
      color: { field: 'arm', type: 'nominal', title: 'Arm', sort: null, legend: null },
      detail: { field: 'run', type: 'nominal' },
      tooltip: [
        { field: 'run', title: 'Run' },
        { field: 'epoch', title: 'Epoch' },
        { field: 'imagesPerSecond', title: 'Images / s', format: '.1f' },
      ],
    },
    layer: [{ mark: 'line' }, { mark: { type: 'point', filled: true } }],
  };
}
