// How numbers read is one module for the window, the CLI and the reports.
import { describe, expect, it } from 'vitest';
import { duration, MISSING, percent, score } from '../../src/shared/format';

describe('number formats', () => {
  it('reads a duration in the units a person would say', () => {
    expect(duration(0.04)).toBe('0.0 s');
    expect(duration(4.25)).toBe('4.3 s');
    // 9.96 rounds to 10.0 with one decimal; it reads as whole seconds instead.
    expect(duration(9.96)).toBe('10 s');
    expect(duration(42.4)).toBe('42 s');
    expect(duration(59.6)).toBe('1 min 0 s');
    expect(duration(75)).toBe('1 min 15 s');
    expect(duration(3599.4)).toBe('59 min 59 s');
    expect(duration(3600)).toBe('1 h 0 min');
    expect(duration(9000)).toBe('2 h 30 min');
    // A study's summed training time: hours, not thousands of minutes.
    expect(duration(152_640)).toBe('42 h 24 min');
  });

  it('says a duration was not measured rather than printing a number that is not one', () => {
    for (const s of [null, NaN, Infinity, -1]) expect(duration(s)).toBe(MISSING);
  });

  it('reads fractions as percentages and scores to three places', () => {
    expect(percent(0.534)).toBe('53.4%');
    expect(percent(0.0123, 2)).toBe('1.23%');
    expect(percent(0.5, 0)).toBe('50%');
    expect(percent(null)).toBe(MISSING);
    expect(score(0.93164)).toBe('0.932');
    expect(score(1)).toBe('1.000');
    expect(score(null)).toBe(MISSING);
    expect(score(undefined)).toBe(MISSING);
  });
});
