// The comparison's metrics table as CSV, tidy: one row per run and one per arm (mean and
// sd over its seeds), so a spreadsheet or R can take either level without reshaping.
import type { ComparisonResult } from '#shared/api/compare';
import { METRIC_NAMES } from '#shared/api/compare';

type Cell = string | number | null;

function csvCell(value: Cell): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  // A leading = + - @ makes spreadsheets evaluate user text (run names) as a formula.
  const text = /^[=+\-@]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function comparisonCsv(result: ComparisonResult): string {
  const head = [
    'level',
    'arm',
    'run_id',
    'run',
    'run_name',
    'seeds',
    'n',
    'threshold',
    ...METRIC_NAMES.flatMap((m) => [m, `${m}_sd`]),
  ];
  const runs: Cell[][] = result.runs.map((r) => [
    'run',
    result.arms[r.arm]!.label,
    r.run.id,
    r.label,
    r.run.name,
    String(r.run.config.seed),
    1,
    result.threshold,
    ...METRIC_NAMES.flatMap((m) => [r.metrics[m], null]),
  ]);
  const arms: Cell[][] = result.arms.map((arm) => [
    'arm',
    arm.label,
    null,
    null,
    null,
    arm.seeds.join(';'),
    arm.runIds.length,
    result.threshold,
    ...METRIC_NAMES.flatMap((m) => [arm.metrics[m].mean, arm.metrics[m].sd]),
  ]);
  return [head, ...runs, ...arms].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
