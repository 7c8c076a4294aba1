// How much a loss gains over another along one axis of the study, one figure per axis:
// - sparsity: one point per task (dataset, or a derived task of controlled sparsity), x
//   its foreground fraction on a log axis (1% and 50% both readable);
// - labelled images: one line per dataset, x the number of labelled train images its runs
//   had, on a log axis (5, 10, 20 equally spaced).
// y is the IoU gain with its 95% interval, above a dashed line at no gain.
import { CHART_CONFIG, PANEL, type ChartSpec } from './spec';

export const GAIN_DATA = 'gains';

/** The gain at one point, A − B, with its interval when known. */
interface Gain {
  /** Mean IoU of A minus B. */
  gain: number;
  /** 95% interval of the gain, when known. */
  low?: number | null;
  high?: number | null;
}

export interface SparsityPoint extends Gain {
  /** e.g. the dataset or task name. */
  label: string;
  /** Foreground fraction of the test masks, in (0, 1]. */
  foreground: number;
  /** Optional grouping, e.g. the model; one colour each. */
  series?: string;
}

export interface LabelledPoint extends Gain {
  /** Labelled train images the runs had. */
  labelled: number;
  /** The line it belongs to, e.g. the dataset. */
  series: string;
}

export function sparsitySpec(
  points: readonly SparsityPoint[],
  labels: { a: string; b: string },
): ChartSpec {
  return gainSpec(
    points.map((p) => ({ ...p, x: p.foreground, series: p.series ?? '' })),
    labels,
    {
      title: 'Foreground fraction (log scale)',
      format: '.1~%',
      values: logTicks(points.map((p) => p.foreground)),
      nice: true,
    },
    { lines: false, labels: true },
  );
}

export function labelledSpec(
  points: readonly LabelledPoint[],
  labels: { a: string; b: string },
): ChartSpec {
  return gainSpec(
    points.map((p) => ({ ...p, x: p.labelled })),
    labels,
    {
      title: 'Labelled train images (log scale)',
      format: 'd',
      values: [...new Set(points.map((p) => p.labelled))].sort((a, b) => a - b),
      // Counts such as 5, 10, 20 would sit in a corner of a whole decade or two.
      nice: false,
    },
    { lines: true, labels: false },
  );
}

interface Row extends Gain {
  x: number;
  series: string;
  /** Written beside the point, with style.labels. */
  label?: string;
}

function gainSpec(
  rows: readonly Row[],
  labels: { a: string; b: string },
  axis: { title: string; format: string; values: number[]; nice: boolean },
  style: { lines: boolean; labels: boolean },
): ChartSpec {
  const x = {
    field: 'x',
    type: 'quantitative',
    scale: axis.nice
      ? ({ type: 'log' } as const)
      : ({ type: 'log', nice: false, padding: 20 } as const),
    axis: { format: axis.format, values: axis.values },
    title: axis.title,
  } as const;
  const y = { type: 'quantitative', title: `IoU gain, ${labels.a} − ${labels.b}` } as const;
  // Without series, a colour legend would list one blank entry.
  const color = rows.some((r) => r.series)
    ? { color: { field: 'series', type: 'nominal', title: null } as const }
    : {};
  const at = { x, y: { field: 'gain', ...y }, ...color };
  return {
    config: CHART_CONFIG,
    ...PANEL,
    width: PANEL.width + 80,
    datasets: {
      [GAIN_DATA]: rows.map((r) => ({ ...r, low: r.low ?? null, high: r.high ?? null })),
    },
    layer: [
      {
        data: { values: [{}] },
        mark: { type: 'rule', strokeDash: [4, 4], color: '#888' },
        encoding: { y: { datum: 0, ...y } },
      },
      {
        data: { name: GAIN_DATA },
        transform: [{ filter: 'datum.low != null && datum.high != null' }],
        mark: { type: 'rule' },
        encoding: { x, y: { field: 'low', ...y }, y2: { field: 'high' }, ...color },
      },
      ...(style.lines
        ? [{ data: { name: GAIN_DATA }, mark: { type: 'line' }, encoding: at } as const]
        : []),
      {
        data: { name: GAIN_DATA },
        mark: { type: 'point', filled: true, size: 60, tooltip: true },
        encoding: at,
      },
      ...(style.labels
        ? [
            {
              data: { name: GAIN_DATA },
              mark: { type: 'text', align: 'left', dx: 7, dy: -7, fontSize: 10 },
              encoding: { x, y: { field: 'gain', ...y }, text: { field: 'label' } },
            } as const,
          ]
        : []),
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
