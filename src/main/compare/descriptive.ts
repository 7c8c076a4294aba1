// Descriptive statistics: what a table of scores or durations summarises with. Kept apart
// from the tests (stats.ts), whose stdlib modules take seconds to load, so the engine's
// handlers can use these at start.
import type { MeanSd } from '#shared/api/compare';

export function mean(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  return values.reduce((s, v) => s + v, 0) / values.length;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function meanSd(values: readonly number[]): MeanSd {
  const m = mean(values);
  if (m === null) throw new Error('meanSd needs at least one value.');
  if (values.length < 2) return { mean: m, sd: null, n: values.length };
  const ss = values.reduce((s, v) => s + (v - m) ** 2, 0);
  return { mean: m, sd: Math.sqrt(ss / (values.length - 1)), n: values.length };
}
