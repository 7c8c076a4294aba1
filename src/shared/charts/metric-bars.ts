// Each metric per arm as a bar at its mean over seeds, with a ±1 sd whisker: the
// summary table at a glance, spread included.
import type { ComparisonResult, MetricName } from '../api/compare';
import { METRIC_LABELS, METRIC_NAMES } from '../api/compare';
import { CHART_CONFIG, type ChartSpec } from './spec';

export const METRIC_BARS_DATA = 'metrics';

export interface MetricBar {
  arm: string;
  metric: string;
  mean: number;
  /** Null with a single seed: no whisker is drawn. */
  sd: number | null;
}

export function metricBars(
  result: ComparisonResult,
  metrics: readonly MetricName[] = METRIC_NAMES,
): MetricBar[] {
  return result.arms.flatMap((arm) =>
    metrics.map((m) => ({
      arm: arm.label,
      metric: METRIC_LABELS[m],
      mean: arm.metrics[m].mean,
      sd: arm.metrics[m].sd,
    })),
  );
}

export function metricBarsSpec(bars: readonly MetricBar[]): ChartSpec {
  // sort: null keeps the order rows arrive in (metrics as listed, arm 1 first), also
  // after the view swaps in new rows.
  const x = {
    field: 'metric',
    type: 'nominal',
    title: null,
    sort: null,
    axis: { labelAngle: 0 },
  } as const;
  const arm = { field: 'arm', type: 'nominal', title: 'Arm', sort: null } as const;
  const y = {
    type: 'quantitative' as const,
    scale: { domain: [0, 1] },
    title: 'Pooled test score',
  };
  const arms = new Set(bars.map((b) => b.arm)).size;
  return {
    config: CHART_CONFIG,
    datasets: { [METRIC_BARS_DATA]: bars.map((b) => ({ ...b })) },
    data: { name: METRIC_BARS_DATA },
    width: { step: Math.max(40, 22 * arms + 12) },
    height: 220,
    encoding: { x, xOffset: arm },
    layer: [
      {
        mark: { type: 'bar', tooltip: true },
        encoding: { y: { field: 'mean', ...y }, color: arm },
      },
      {
        transform: [
          { filter: 'datum.sd != null' },
          { calculate: 'max(0, datum.mean - datum.sd)', as: 'low' },
          { calculate: 'min(1, datum.mean + datum.sd)', as: 'high' },
        ],
        mark: { type: 'rule', color: '#222' },
        encoding: { y: { field: 'low', ...y }, y2: { field: 'high' } },
      },
    ],
  };
}
