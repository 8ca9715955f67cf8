import { describe, expect, it } from 'vitest';
import { addPeriod, mulDivRound, prorate } from './billing.ts';

const DAY = 86_400;
const MAY_1 = Date.UTC(2026, 4, 1) / 1000;

describe('chargebee proration and terms', () => {
  it('prorates by remaining days over term days, a started day counting whole', () => {
    const end = addPeriod(MAY_1, 'month', 1); // 31 days
    expect((end - MAY_1) / DAY).toBe(31);
    expect(prorate(3_100, MAY_1, end, MAY_1 + 10 * DAY)).toBe(2_100); // 21 of 31 days
    expect(prorate(3_100, MAY_1, end, MAY_1 + 10 * DAY + 1)).toBe(2_100); // still 21 (day started)
    expect(prorate(3_100, MAY_1, end, MAY_1 + 11 * DAY)).toBe(2_000);
    expect(prorate(-3_100, MAY_1, end, MAY_1 + 10 * DAY)).toBe(-2_100);
    expect(prorate(1_000, MAY_1, end, end + DAY)).toBe(0);
  });

  it('rounds half away from zero to the minor unit', () => {
    expect(mulDivRound(1, 1, 2)).toBe(1);
    expect(mulDivRound(-1, 1, 2)).toBe(-1);
    expect(mulDivRound(1_000, 1, 3)).toBe(333);
    expect(mulDivRound(2_000, 1, 3)).toBe(667);
  });

  it('adds calendar months, clamping to the month end', () => {
    const jan31 = Date.UTC(2026, 0, 31) / 1000;
    expect(new Date(addPeriod(jan31, 'month', 1) * 1000).toISOString()).toBe(
      '2026-02-28T00:00:00.000Z',
    );
    expect(new Date(addPeriod(MAY_1, 'year', 1) * 1000).toISOString()).toBe(
      '2027-05-01T00:00:00.000Z',
    );
  });
});
