// Multiple comparisons: a report that runs many tests adjusts their p-values together,
// by Holm's step-down method (Holm 1979), which controls the family-wise error rate
// under any dependence between the tests (a t-test and a Wilcoxon test of the same
// pairs are far from independent) and is uniformly more powerful than Bonferroni.
import type { TestOutcome } from '#shared/api/compare';

/**
 * Holm-adjusted p-values, in the order given: the i-th smallest p times (m − i + 1),
 * made non-decreasing along the sorted order and capped at 1. Equals R's
 * p.adjust(p, "holm").
 */
export function holm(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    adjusted[i] = running;
  });
  return adjusted;
}

/**
 * Adjusts every testable outcome of one family together, writing `holm` on each (the
 * outcomes are the report's own objects, so every table that shows one shows its
 * adjusted p). Answers how many tests the family has.
 */
export function adjustFamily(outcomes: readonly TestOutcome[]): number {
  const tested = outcomes.filter((o) => o.testable);
  holm(tested.map((o) => o.pValue)).forEach((pValue, i) => {
    tested[i]!.holm = { pValue, tests: tested.length };
  });
  return tested.length;
}
