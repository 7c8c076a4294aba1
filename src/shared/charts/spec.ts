// What every chart module returns: a Vega-Lite spec whose data are named datasets, so the
// renderer can swap rows in place (live training curves) and Node can render the very
// same spec to SVG for reports. Specs stay plain data: no functions, no Node or DOM.
import type { Config, TopLevelSpec } from 'vega-lite';

export type ChartSpec = TopLevelSpec;

/** Rows per named dataset, e.g. { epochs: [...] }. */
export type ChartData = Record<string, readonly object[]>;

/** Tableau 10: arm 1, arm 2, ... get the same colours in every figure. */
export const SERIES_COLORS: readonly string[] = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

/** Looks shared by every figure; the report and the app use the same. */
export const CHART_CONFIG: Config = {
  font: 'system-ui, -apple-system, "Segoe UI", sans-serif',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', gridOpacity: 0.5 },
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' },
  title: { fontSize: 13, fontWeight: 'normal', anchor: 'start' },
  range: { category: [...SERIES_COLORS] },
};

export const PANEL = { width: 300, height: 220 } as const;
