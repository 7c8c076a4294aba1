// Does a loss gain more over another when the foreground is sparse? One point per task
// (dataset, or a derived task of controlled sparsity): x its foreground fraction on a
// log axis (1% and 50% both readable), y the IoU gain with its 95% interval.
import { CHART_CONFIG, PANEL, type ChartSpec } from './spec';

export const SPARSITY_DATA = 'tasks';

export interface SparsityPoint {
  /** e.g. the dataset or task name. */
  label: string;
  /** Foreground fraction of the test masks, in (0, 1]. */
  foreground: number;
  /** Mean IoU of A minus B. */
  gain: number;
  /** 95% interval of the gain, when known. */
  low?: number | null;
  high?: number | null;
  /** Optional grouping, e.g. the model; one colour each. */
  series?: string;
}

export function sparsitySpec(
  points: readonly SparsityPoint[],
  labels: { a: string; b: string },
): ChartSpec {
  const x = {
    field: 'foreground',
    type: 'quantitative',
    scale: { type: 'log' },
    axis: { format: '.1~%', values: logTicks(points.map((p) => p.foreground)) },
    title: 'Foreground fraction (log scale)',
  } as const;
  const y = { type: 'quantitative', title: `IoU gain, ${labels.a} − ${labels.b}` } as const;
  // Without series, a colour legend would list one blank entry.
  const color = points.some((p) => p.series)
    ? { color: { field: 'series', type: 'nominal', title: null } as const }
    : {};
  return {
    config: CHART_CONFIG,
    ...PANEL,
    width: PANEL.width + 80,
    datasets: {
      [SPARSITY_DATA]: points.map((p) => ({
        ...p,
        low: p.low ?? null,
        high: p.high ?? null,
        series: p.series ?? '',
      })),
    },
    layer: [
      {
        data: { values: [{}] },
        mark: { type: 'rule', strokeDash: [4, 4], color: '#888' },
        encoding: { y: { datum: 0, ...y } },
      },
      {
        data: { name: SPARSITY_DATA },
        transform: [{ filter: 'datum.low != null && datum.high != null' }],
        mark: { type: 'rule' },
        encoding: { x, y: { field: 'low', ...y }, y2: { field: 'high' }, ...color },
      },
      {
        data: { name: SPARSITY_DATA },
        mark: { type: 'point', filled: true, size: 60, tooltip: true },
        encoding: { x, y: { field: 'gain', ...y }, ...color },
      },
      {
        data: { name: SPARSITY_DATA },
        mark: { type: 'text', align: 'left', dx: 7, dy: -7, fontSize: 10 },
        encoding: { x, y: { field: 'gain', ...y }, text: { field: 'label' } },
      },
    ],
  };
}

/** 1-2-5 steps per decade over the data: the default log ticks crowd their labels. */
function logTicks(values: readonly number[]): number[] {
  const positive = values.filter((v) => v > 0);
  if (positive.length === 0) return [];
  const lo = Math.floor(Math.log10(Math.min(...positive)));
  const hi = Math.ceil(Math.log10(Math.max(...positive)));
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e++) {
    for (const m of [1, 2, 5]) {
      const t = m * 10 ** e;
      if (t <= 10 ** hi) ticks.push(Number(t.toPrecision(1)));
    }
  }
  return ticks;
}
