import { describe, expect, it } from 'vitest';
import { addIntervals, nextBoundary, prorate, roundMinor } from './proration.ts';

const utc = (y: number, m: number, d: number, h = 0): number => Date.UTC(y, m, d, h) / 1000;

describe('proration math', () => {
  it('prorates by seconds of the period and rounds to the minor unit', () => {
    const start = utc(2026, 0, 1);
    const end = utc(2026, 1, 1);
    expect(prorate(3100, start, end, start)).toBe(3100);
    expect(prorate(3100, start, end, end)).toBe(0);
    expect(prorate(3100, start, end, utc(2026, 0, 11))).toBe(2100);
    // 1000 × 20.5 / 31 = 661.29… → 661
    expect(prorate(1000, start, end, utc(2026, 0, 11, 12))).toBe(661);
    expect(-prorate(1000, start, end, utc(2026, 0, 11, 12))).toBe(-661);
  });

  it('rounds halves away from zero so credits mirror charges', () => {
    expect(roundMinor(2.5)).toBe(3);
    expect(roundMinor(-2.5)).toBe(-3);
    expect(roundMinor(-2.4)).toBe(-2);
  });

  it('adds months keeping the anchor day, clamped to short months', () => {
    const anchor = utc(2026, 0, 31, 9);
    expect(addIntervals(anchor, 'month', 1, 1)).toBe(utc(2026, 1, 28, 9));
    expect(addIntervals(anchor, 'month', 1, 2)).toBe(utc(2026, 2, 31, 9));
    expect(addIntervals(anchor, 'month', 3, 1)).toBe(utc(2026, 3, 30, 9));
    expect(addIntervals(anchor, 'year', 1, 1)).toBe(utc(2027, 0, 31, 9));
    expect(addIntervals(utc(2024, 1, 29), 'year', 1, 1)).toBe(utc(2025, 1, 28));
    expect(addIntervals(anchor, 'week', 2, 1)).toBe(anchor + 14 * 86_400);
    expect(addIntervals(anchor, 'month', 1, -1)).toBe(utc(2025, 11, 31, 9));
  });

  it('finds the next period boundary after a time, even decades on', () => {
    const anchor = utc(2026, 0, 31);
    expect(nextBoundary(anchor, 'month', 1, utc(2026, 1, 28))).toBe(utc(2026, 2, 31));
    expect(nextBoundary(anchor, 'month', 1, utc(2046, 5, 1))).toBe(utc(2046, 5, 30));
    expect(nextBoundary(anchor, 'year', 1, anchor)).toBe(utc(2027, 0, 31));
  });
});
