import { describe, expect, it } from 'vitest';
import { adjustFamily, holm } from '../../src/main/compare/holm';
import type { TestOutcome } from '../../src/shared/api/compare';

describe('holm', () => {
  it("matches R's p.adjust(p, 'holm')", () => {
    // p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") -> 0.03 0.06 0.06 0.02
    const adjusted = holm([0.01, 0.04, 0.03, 0.005]);
    [0.03, 0.06, 0.06, 0.02].forEach((p, i) => expect(adjusted[i]).toBeCloseTo(p, 12));
    // p.adjust(c(0.5, 0.6, 0.001, 0.02, 0.02), "holm") -> 1 1 0.005 0.08 0.08
    const capped = holm([0.5, 0.6, 0.001, 0.02, 0.02]);
    [1, 1, 0.005, 0.08, 0.08].forEach((p, i) => expect(capped[i]).toBeCloseTo(p, 12));
  });

  it('leaves a single test and an empty family as they are', () => {
    expect(holm([0.037])).toEqual([0.037]);
    expect(holm([])).toEqual([]);
  });

  it('never lowers a p-value, and keeps the order of the raw ones', () => {
    const raw = [0.2, 0.001, 0.049, 0.0004, 0.9, 0.03, 0.03];
    const adjusted = holm(raw);
    raw.forEach((p, i) => expect(adjusted[i]).toBeGreaterThanOrEqual(p));
    for (const i of raw.keys())
      for (const j of raw.keys())
        if (raw[i]! < raw[j]!) expect(adjusted[i]).toBeLessThanOrEqual(adjusted[j]!);
  });
});

describe('adjustFamily', () => {
  const test = (pValue: number): TestOutcome => ({
    testable: true,
    statisticLabel: 't(4)',
    statistic: 1,
    pValue,
    effectSizeLabel: "Cohen's d_z",
    effectSize: 0.5,
    n: 5,
    method: 'Student t distribution',
  });

  it('adjusts the testable outcomes together, counting only them', () => {
    const family = [
      test(0.01),
      { testable: false as const, reason: 'too few pairs' },
      test(0.04),
      test(0.03),
      test(0.005),
    ];
    expect(adjustFamily(family)).toBe(4);
    const holms = family.map((o) => (o.testable ? o.holm : null));
    expect(holms.map((h) => h?.tests ?? null)).toEqual([4, null, 4, 4, 4]);
    [0.03, null, 0.06, 0.06, 0.02].forEach((p, i) =>
      p === null ? expect(holms[i]).toBeNull() : expect(holms[i]!.pValue).toBeCloseTo(p, 12),
    );
  });
});
