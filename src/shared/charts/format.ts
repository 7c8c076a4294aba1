// How comparisons read (means, differences, intervals, tests), the same in the app's tables
// and in exported reports; single numbers read as ../format says.
import type { MeanSd, TestOutcome, TestResult } from '../api/compare';
import { MISSING, score } from '../format';

export function formatMeanSd(value: MeanSd): string {
  return value.sd === null ? score(value.mean) : `${score(value.mean)} ± ${value.sd.toFixed(3)}`;
}

/** Signed, so a difference reads as a direction: "+0.031". */
export function formatDifference(value: number | null): string {
  if (value === null) return MISSING;
  return `${value > 0 ? '+' : value < 0 ? '−' : ''}${Math.abs(value).toFixed(3)}`;
}

export function formatInterval(ci: readonly [number, number] | null): string {
  return ci ? `[${formatDifference(ci[0])}, ${formatDifference(ci[1])}]` : MISSING;
}

export function formatP(p: number): string {
  if (p < 0.001) return 'p < 0.001';
  return `p = ${p < 0.01 ? p.toFixed(4) : p.toFixed(3)}`;
}

/** A test's raw p or its Holm-adjusted one: "n/a" if it was not testable, "–" if absent. */
export function formatOutcomeP(outcome: TestOutcome | undefined, adjusted = false): string {
  if (!outcome) return MISSING;
  if (!outcome.testable) return 'n/a';
  const p = adjusted ? outcome.holm?.pValue : outcome.pValue;
  return p === undefined ? MISSING : formatP(p);
}

/** "p = 0.012 (Holm p = 0.048)" when the test belongs to an adjusted family. */
export function formatPs(outcome: TestResult): string {
  const raw = formatP(outcome.pValue);
  return outcome.holm ? `${raw} (Holm ${formatP(outcome.holm.pValue)})` : raw;
}

/** "t(9) = −4.06, p = 0.003, Cohen's d_z = −1.28", or the reason it was not run. */
export function formatTest(outcome: TestOutcome): string {
  if (!outcome.testable) return `not testable: ${outcome.reason}`;
  // A rank sum (V) is a whole or half number: shown as it is.
  const stat = (
    outcome.statisticLabel === 'V' ? String(outcome.statistic) : outcome.statistic.toFixed(2)
  ).replace('-', '−');
  const effect = outcome.effectSize.toFixed(2).replace('-', '−');
  return `${outcome.statisticLabel} = ${stat}, ${formatPs(outcome)}, ${outcome.effectSizeLabel} = ${effect}`;
}
