import { describe, expect, it } from 'vitest';
import type { TestOutcome, TestResult } from '../../src/shared/api/compare';
import { meanSd } from '../../src/main/compare/descriptive';
import { MIN_WILCOXON_PAIRS, comparePaired } from '../../src/main/compare/stats';

function tested(outcome: TestOutcome): TestResult {
  if (!outcome.testable) throw new Error(`expected a test result, got "${outcome.reason}"`);
  return outcome;
}

function numbersIn(value: unknown): number[] {
  if (typeof value === 'number') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(numbersIn);
  return [];
}

// Student's sleep data (Cushny & Peebles 1905), as in R's ?sleep / ?t.test:
// t.test(extra ~ group, data = sleep, paired = TRUE) gives t = -4.0621, df = 9,
// p-value = 0.002833, 95% CI -2.4598858 -0.7001142, mean difference -1.58.
// wilcox.test(..., paired = TRUE) gives V = 0, p-value = 0.009091 (normal approximation:
// one zero difference and a tie). scipy 1.17 ttest_rel / wilcoxon agree to all digits.
const sleep1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
const sleep2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

// Hollander & Wolfe (1973), p. 29, depression scale, as in R's ?wilcox.test:
// wilcox.test(x, y, paired = TRUE, alternative = "greater") gives V = 40, p = 0.01953,
// so the exact two-sided p is 0.0390625 (10 of the 512 sign patterns have R- <= 5).
// t.test(x, y, paired = TRUE): t = 3.0354, df = 8, p = 0.01618 (scipy ttest_rel agrees).
const hwX = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3];
const hwY = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];

describe('comparePaired', () => {
  it('matches R on the sleep data (paired t-test)', () => {
    const out = comparePaired(sleep1, sleep2);
    const t = tested(out.tTest);
    expect(t.statistic).toBeCloseTo(-4.062128, 5);
    expect(t.statisticLabel).toBe('t(9)');
    expect(t.pValue).toBeCloseTo(0.002833, 6);
    expect(t.n).toBe(10);
    // d_z = mean(d) / sd(d) = -1.58 / 1.229995
    expect(t.effectSize).toBeCloseTo(-1.284558, 5);
    expect(out.meanDifference).toBeCloseTo(-1.58, 10);
    expect(out.ci95![0]).toBeCloseTo(-2.4598858, 6);
    expect(out.ci95![1]).toBeCloseTo(-0.7001142, 6);
    expect(out.meanA).toBeCloseTo(0.75, 10);
    expect(out.meanB).toBeCloseTo(2.33, 10);
  });

  it('matches R on the sleep data (Wilcoxon with a zero and ties)', () => {
    const w = tested(comparePaired(sleep1, sleep2).wilcoxon);
    expect(w.statistic).toBe(0);
    expect(w.pValue).toBeCloseTo(0.009091, 6);
    expect(w.n).toBe(9); // the zero difference is dropped
    expect(w.effectSize).toBe(-1); // every difference is negative
    expect(w.method).toMatch(/normal approximation/);
  });

  it('gives the exact signed-rank p for small n without ties (Hollander & Wolfe)', () => {
    const out = comparePaired(hwX, hwY);
    const w = tested(out.wilcoxon);
    expect(w.statistic).toBe(40);
    expect(w.pValue).toBeCloseTo(0.0390625, 10);
    expect(w.method).toBe('exact');
    // (R+ − R−) / (R+ + R−) = (40 − 5) / 45
    expect(w.effectSize).toBeCloseTo(35 / 45, 10);
    const t = tested(out.tTest);
    expect(t.statistic).toBeCloseTo(3.035375, 5);
    expect(t.pValue).toBeCloseTo(0.016177, 5);
  });

  it('needs two pairs for a t-test', () => {
    const out = comparePaired([0.8], [0.7]);
    expect(out.tTest).toEqual({ testable: false, reason: 'needs at least 2 pairs (has 1)' });
    expect(out.ci95).toBeNull();
    expect(out.meanDifference).toBeCloseTo(0.1, 10);
  });

  it('reports no pairs without NaN', () => {
    const out = comparePaired([], []);
    expect(out).toMatchObject({ n: 0, meanA: null, meanB: null, meanDifference: null, ci95: null });
    expect(out.tTest.testable).toBe(false);
    expect(out.wilcoxon.testable).toBe(false);
  });

  it('says why identical arms cannot be tested', () => {
    const same = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.4];
    const out = comparePaired(same, same);
    expect(out.tTest).toEqual({ testable: false, reason: 'A and B are identical on every pair' });
    expect(out.wilcoxon).toEqual({
      testable: false,
      reason: 'A and B are identical on every pair',
    });
    expect(out.ci95).toEqual([0, 0]);
    expect(numbersIn(out).every(Number.isFinite)).toBe(true);
  });

  it('refuses a t statistic when every pair differs by the same amount', () => {
    const a = [1, 2, 3, 4, 5, 6];
    const out = comparePaired(
      a,
      a.map((v) => v - 0.5),
    );
    expect(out.tTest.testable).toBe(false);
    expect(out.ci95).toEqual([0.5, 0.5]);
    // Signed ranks still work: all six differences are positive (tied, so approximate).
    const w = tested(out.wilcoxon);
    expect(w.effectSize).toBe(1);
    expect(numbersIn(out).every(Number.isFinite)).toBe(true);
  });

  it('runs Wilcoxon from the smallest n that can reach p < 0.05', () => {
    const b = [0, 0, 0, 0, 0, 0];
    const six = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
    // Exact: only the all-positive pattern is as extreme on this side, p = 2 / 2^6.
    expect(tested(comparePaired(six, b).wilcoxon).pValue).toBeCloseTo(2 / 64, 12);
    const five = comparePaired(six.slice(0, 5), b.slice(0, 5)).wilcoxon;
    expect(five.testable).toBe(false);
    expect(MIN_WILCOXON_PAIRS).toBe(6);
    if (!five.testable) expect(five.reason).toMatch(/at least 6 pairs that differ \(has 5\)/);
  });

  it('never reports a two-sided p above 1', () => {
    // R+ = 1 + 2 + 4 + 7 = 14 = R−, the centre of the null distribution; doubling
    // P(V <= 14) would give more than 1 (scipy: 1.0).
    const a = [1, 2, -3, 4, -5, -6, 7];
    const w = tested(comparePaired(a, [0, 0, 0, 0, 0, 0, 0]).wilcoxon);
    expect(w.statistic).toBe(14);
    expect(w.pValue).toBe(1);
    expect(w.effectSize).toBe(0);
  });

  it('rejects samples of different lengths', () => {
    expect(() => comparePaired([1, 2], [1])).toThrow(/differ in length/);
  });
});

describe('meanSd', () => {
  it('uses the sample standard deviation', () => {
    // sd(c(2, 4, 4, 4, 5, 5, 7, 9)) in R = 2.13809
    const out = meanSd([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(out.mean).toBe(5);
    expect(out.sd).toBeCloseTo(2.13809, 5);
    expect(out.n).toBe(8);
  });

  it('has no sd for one value', () => {
    expect(meanSd([0.7])).toEqual({ mean: 0.7, sd: null, n: 1 });
  });
});
