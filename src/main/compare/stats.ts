// Paired tests between two arms. The tests themselves come from stdlib; this module adds
// the effect sizes and intervals a reader needs, and turns the cases where a test has
// no answer (too few pairs, no differences at all) into a stated reason instead of NaN.
import ttest from '@stdlib/stats-ttest';
import wilcoxon from '@stdlib/stats-wilcoxon';
import type { PairedSample, TestOutcome } from '#shared/api/compare';
import { mean } from './descriptive';

/**
 * Below 6 pairs that differ, the smallest two-sided exact p of the signed-rank test is
 * 2/2^5 = 0.0625: the test could never reject at 0.05, so it is not run.
 */
export const MIN_WILCOXON_PAIRS = 6;
/** stdlib switches from the exact distribution to the normal approximation above this. */
const WILCOXON_EXACT_MAX = 50;

/** Paired t-test and Wilcoxon signed-rank test of A − B, two-sided. */
export function comparePaired(a: readonly number[], b: readonly number[]): PairedSample {
  if (a.length !== b.length)
    throw new Error(`Paired samples differ in length (${a.length} vs ${b.length}).`);
  const diffs = a.map((v, i) => v - b[i]!);
  const x = Float64Array.from(a);
  const y = Float64Array.from(b);
  return {
    n: a.length,
    meanA: mean(a),
    meanB: mean(b),
    meanDifference: mean(diffs),
    ci95: tInterval(x, y, diffs),
    tTest: pairedT(x, y, diffs),
    wilcoxon: signedRank(x, y, diffs),
  };
}

function constant(values: readonly number[]): boolean {
  return values.every((v) => v === values[0]);
}

function tInterval(a: Float64Array, b: Float64Array, diffs: number[]): [number, number] | null {
  if (diffs.length < 2) return null;
  // No spread: every pair differs by the same amount, so that amount is the interval.
  if (constant(diffs)) return [diffs[0]!, diffs[0]!];
  const { ci } = ttest(a, b, { alpha: 0.05 });
  return [ci[0]!, ci[1]!];
}

function pairedT(a: Float64Array, b: Float64Array, diffs: number[]): TestOutcome {
  const n = diffs.length;
  if (n < 2) return { testable: false, reason: `needs at least 2 pairs (has ${n})` };
  if (constant(diffs)) {
    return {
      testable: false,
      reason:
        diffs[0] === 0
          ? 'A and B are identical on every pair'
          : 'every pair differs by exactly the same amount (no variance)',
    };
  }
  const out = ttest(a, b);
  return {
    testable: true,
    statisticLabel: `t(${out.df})`,
    statistic: out.statistic,
    pValue: out.pValue,
    effectSizeLabel: "Cohen's d_z",
    // d_z = mean(d) / sd(d) = t / sqrt(n) (Lakens 2013, eq. 7).
    effectSize: out.statistic / Math.sqrt(n),
    n,
    method: 'Student t distribution',
  };
}

function signedRank(a: Float64Array, b: Float64Array, diffs: number[]): TestOutcome {
  // stdlib's default zero method ('wilcox', as R) drops pairs without a difference.
  const nonZero = diffs.filter((d) => d !== 0);
  const n = nonZero.length;
  if (n === 0) return { testable: false, reason: 'A and B are identical on every pair' };
  if (n < MIN_WILCOXON_PAIRS) {
    return {
      testable: false,
      reason: `needs at least ${MIN_WILCOXON_PAIRS} pairs that differ (has ${n}); fewer can never reach p < 0.05`,
    };
  }
  const out = wilcoxon(a, b);
  const rankSum = (n * (n + 1)) / 2;
  const magnitudes = nonZero.map(Math.abs);
  const ties = new Set(magnitudes).size !== magnitudes.length;
  const exact = n <= WILCOXON_EXACT_MAX && n === diffs.length && !ties;
  return {
    testable: true,
    statisticLabel: 'V',
    statistic: out.statistic,
    // The exact two-sided p doubles a tail, which can pass 1 at the centre; R caps it too.
    pValue: Math.min(1, out.pValue),
    effectSizeLabel: 'rank-biserial r',
    // Matched-pairs rank-biserial correlation (Kerby 2014): (R+ − R−) / (R+ + R−).
    effectSize: (2 * out.statistic) / rankSum - 1,
    n,
    method: exact ? 'exact' : 'normal approximation, continuity-corrected',
  };
}
