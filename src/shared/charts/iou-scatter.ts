// Per-image IoU of run (or arm) A against B: dots above the diagonal are images where B
// did better. Averages hide whether one loss wins everywhere or only on a few images.
import { CHART_CONFIG, SERIES_COLORS, type ChartSpec } from './spec';

export const IOU_SCATTER_DATA = 'images';

export interface ScatterPoint {
  imageId: number;
  stem: string;
  a: number;
  b: number;
}

const SIDE = 280;

export function iouScatterSpec(
  points: readonly ScatterPoint[],
  labels: { a: string; b: string },
): ChartSpec {
  const unit = { type: 'quantitative' as const, scale: { domain: [0, 1] } };
  // Labels are user text; JSON string literals are valid Vega expression literals.
  const [a, b] = [JSON.stringify(labels.a), JSON.stringify(labels.b)];
  return {
    config: CHART_CONFIG,
    width: SIDE,
    height: SIDE,
    layer: [
      {
        data: { values: [{}] },
        mark: { type: 'rule', strokeDash: [4, 4], color: '#888' },
        encoding: {
          x: { datum: 0, ...unit },
          y: { datum: 0, ...unit },
          x2: { datum: 1 },
          y2: { datum: 1 },
        },
      },
      {
        data: { name: IOU_SCATTER_DATA },
        transform: [
          {
            calculate: `datum.a > datum.b ? ${a} : datum.a < datum.b ? ${b} : "tie"`,
            as: 'better',
          },
        ],
        mark: { type: 'point', filled: true, size: 45, opacity: 0.8, cursor: 'pointer' },
        encoding: {
          x: { field: 'a', ...unit, title: `IoU, ${labels.a}` },
          y: { field: 'b', ...unit, title: `IoU, ${labels.b}` },
          color: {
            field: 'better',
            type: 'nominal',
            title: 'Better',
            scale: {
              domain: [labels.a, labels.b, 'tie'],
              range: [...SERIES_COLORS.slice(0, 2), '#999'],
            },
          },
          tooltip: [
            { field: 'stem', title: 'Image' },
            { field: 'a', title: labels.a, format: '.3f' },
            { field: 'b', title: labels.b, format: '.3f' },
          ],
        },
      },
    ],
    datasets: { [IOU_SCATTER_DATA]: points.map((p) => ({ ...p })) },
  };
}
