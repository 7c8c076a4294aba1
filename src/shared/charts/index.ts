export type { ChartData, ChartSpec } from './spec';
export { CHART_CONFIG } from './spec';
export {
  LEARNING_CURVES_DATA,
  curvePoints,
  learningCurvesSpec,
  type CurvePoint,
} from './learning-curves';
export { IOU_SCATTER_DATA, iouScatterSpec, type ScatterPoint } from './iou-scatter';
export { METRIC_BARS_DATA, metricBars, metricBarsSpec, type MetricBar } from './metric-bars';
export {
  GAIN_DATA,
  labelledSpec,
  sparsitySpec,
  type LabelledPoint,
  type SparsityPoint,
} from './gain';
export {
  formatDifference,
  formatInterval,
  formatMeanSd,
  formatOutcomeP,
  formatP,
  formatPs,
  formatTest,
} from './format';
