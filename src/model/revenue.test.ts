import { describe, expect, it } from 'vitest';
import { RevenueScheduleV1 } from './entities/revenue-schedule.ts';
import { CurrencyMismatchError, ModelError } from './errors.ts';
import { money, sum, type Money } from './money.ts';
import { buildStraightLineSchedule, prorationAmount } from './revenue.ts';
import { seededRandom } from './seeded-random.ts';

const usd = (amount: number): Money => money(amount, 'USD');

describe('buildStraightLineSchedule', () => {
  it('spreads an annual invoice over calendar months by days, summing exactly', () => {
    const lines = buildStraightLineSchedule(usd(120000), '2025-01-01', '2026-01-01');
    expect(lines).toHaveLength(12);
    expect(lines[0]).toEqual({
      periodStart: '2025-01-01',
      periodEnd: '2025-02-01',
      amount: usd(10192), // 1200.00 × 31/365 = 1019.18
    });
    expect(lines[1]?.amount).toEqual(usd(9205)); // × 28/365 = 920.55
    expect(lines[11]?.periodEnd).toBe('2026-01-01');
    expect(
      sum(
        lines.map((l) => l.amount),
        'USD',
      ),
    ).toEqual(usd(120000));
  });

  it('prorates partial first and last months', () => {
    const lines = buildStraightLineSchedule(usd(10000), '2024-02-15', '2024-04-10', {
      granularity: 'month',
    });
    // 15 days of Feb (leap year), 31 of March, 9 of April = 55 days
    expect(lines.map((l) => [l.periodStart, l.periodEnd, l.amount.amount])).toEqual([
      ['2024-02-15', '2024-03-01', 2727], // 2727.27
      ['2024-03-01', '2024-04-01', 5637], // 5636.36
      ['2024-04-01', '2024-04-10', 1636], // 1636.36
    ]);
  });

  it('handles one-day terms, year boundaries, zero-decimal and negative totals', () => {
    expect(buildStraightLineSchedule(money(1000, 'JPY'), '2024-12-31', '2025-01-01')).toEqual([
      { periodStart: '2024-12-31', periodEnd: '2025-01-01', amount: money(1000, 'JPY') },
    ]);
    const refund = buildStraightLineSchedule(usd(-10000), '2024-12-15', '2025-01-15');
    expect(refund.map((l) => l.amount.amount)).toEqual([-5484, -4516]); // 17 and 14 days of 31
  });

  it('never loses or invents a minor unit and always yields a valid schedule', () => {
    const random = seededRandom(606);
    const day = 86_400_000;
    for (let run = 0; run < 500; run++) {
      const start = Date.UTC(2020, 0, 1) + Math.floor(random() * 3000) * day;
      const end = start + (1 + Math.floor(random() * 1200)) * day;
      const termStart = new Date(start).toISOString().slice(0, 10);
      const termEnd = new Date(end).toISOString().slice(0, 10);
      const currency = (['USD', 'JPY', 'BHD'] as const)[run % 3] ?? 'USD';
      const total = money(Math.floor((random() - 0.2) * 1e10), currency);
      const lines = buildStraightLineSchedule(total, termStart, termEnd);
      expect(
        sum(
          lines.map((l) => l.amount),
          currency,
        ),
      ).toEqual(total);
      const parsed = RevenueScheduleV1.safeParse({
        schemaVersion: 1,
        id: 'rvs_01JQ8Z5X7B0000000000000001',
        sourceInvoiceId: 'inv_01JQ8Z5X7B0000000000000001',
        method: 'straight_line',
        currency,
        total,
        termStart,
        termEnd,
        lines,
        externalRefs: [],
      });
      expect(parsed.error?.issues ?? []).toEqual([]);
    }
  });

  it('rejects bad dates and empty terms', () => {
    expect(() => buildStraightLineSchedule(usd(1), '2025-01-01', '2025-01-01')).toThrow(
      /termEnd must be after termStart/,
    );
    expect(() => buildStraightLineSchedule(usd(1), '2025-02-30', '2025-03-01')).toThrow(ModelError);
    expect(() => buildStraightLineSchedule(usd(1), '2025-01-01T00:00:00Z', '2025-03-01')).toThrow(
      /YYYY-MM-DD/,
    );
    expect(() =>
      buildStraightLineSchedule(usd(1), '2025-01-01', '2025-03-01', {
        granularity: 'day' as 'month',
      }),
    ).toThrow(/granularity/);
  });
});

describe('prorationAmount (Stripe method)', () => {
  // April 2025 has 30 days; the 16th at midnight is exactly halfway.
  const april = { periodStart: '2025-04-01T00:00:00Z', periodEnd: '2025-05-01T00:00:00Z' };

  it('upgrade $10/mo → $20/mo halfway through a 30-day month: −$5.00 credit, +$10.00 charge', () => {
    const result = prorationAmount({
      ...april,
      oldUnitAmount: usd(1000),
      oldQuantity: 1,
      newUnitAmount: usd(2000),
      newQuantity: 1,
      changeAt: '2025-04-16T00:00:00Z',
    });
    expect(result).toEqual({
      credit: usd(-500),
      charge: usd(1000),
      net: usd(500),
      remainingSeconds: 15 * 86400,
      periodSeconds: 30 * 86400,
    });
  });

  it('prorates a quantity change, rounding each line on its own', () => {
    // 5 → 8 seats at $12.34 with 10 of 30 days left: credit 61.70/3 = 20.5667, charge 98.72/3 = 32.9067
    const result = prorationAmount({
      ...april,
      oldUnitAmount: usd(1234),
      oldQuantity: 5,
      newUnitAmount: usd(1234),
      newQuantity: 8,
      changeAt: '2025-04-21T00:00:00Z',
    });
    expect(result.credit).toEqual(usd(-2057));
    expect(result.charge).toEqual(usd(3291));
    expect(result.net).toEqual(usd(1234)); // 3 more seats for a third of the period: exactly $12.34
  });

  it('rounds half-up on the absolute value, so credits and charges round alike', () => {
    // 1 cent over a 2-second period with 1 second left: 0.5 cents
    const result = prorationAmount({
      oldUnitAmount: usd(1),
      oldQuantity: 1,
      newUnitAmount: usd(1),
      newQuantity: 1,
      periodStart: '2025-01-01T00:00:00Z',
      periodEnd: '2025-01-01T00:00:02Z',
      changeAt: '2025-01-01T00:00:01Z',
    });
    expect(result.credit).toEqual(usd(-1));
    expect(result.charge).toEqual(usd(1));
    expect(result.net).toEqual(usd(0));
    const even = prorationAmount({
      oldUnitAmount: usd(1),
      oldQuantity: 1,
      newUnitAmount: usd(3),
      newQuantity: 1,
      periodStart: '2025-01-01T00:00:00Z',
      periodEnd: '2025-01-01T00:00:02Z',
      changeAt: '2025-01-01T00:00:01Z',
      rounding: 'half-even',
    });
    expect([even.credit.amount, even.charge.amount]).toEqual([0, 2]);
  });

  it('gives nothing at the period end and the full amounts at its start', () => {
    const base = {
      ...april,
      oldUnitAmount: usd(1000),
      oldQuantity: 1,
      newUnitAmount: usd(2000),
      newQuantity: 1,
    };
    const atEnd = prorationAmount({ ...base, changeAt: april.periodEnd });
    expect([atEnd.credit.amount, atEnd.charge.amount]).toEqual([0, 0]);
    const atStart = prorationAmount({ ...base, changeAt: april.periodStart });
    expect([atStart.credit.amount, atStart.charge.amount]).toEqual([-1000, 2000]);
  });

  it('counts whole seconds and accepts offsets', () => {
    const result = prorationAmount({
      ...april,
      oldUnitAmount: usd(1000),
      oldQuantity: 1,
      newUnitAmount: usd(2000),
      newQuantity: 1,
      changeAt: '2025-04-16T02:00:00.999+02:00',
    });
    expect(result.remainingSeconds).toBe(15 * 86400);
  });

  it('rejects mixed currencies, times outside the period and bad quantities', () => {
    const base = {
      ...april,
      oldUnitAmount: usd(1000),
      oldQuantity: 1,
      newUnitAmount: usd(2000),
      newQuantity: 1,
      changeAt: '2025-04-16T00:00:00Z',
    };
    expect(() => prorationAmount({ ...base, newUnitAmount: money(2000, 'EUR') })).toThrow(
      CurrencyMismatchError,
    );
    expect(() => prorationAmount({ ...base, changeAt: '2025-05-02T00:00:00Z' })).toThrow(
      /within the billing period/,
    );
    expect(() => prorationAmount({ ...base, periodEnd: april.periodStart })).toThrow(
      /periodEnd must be after/,
    );
    expect(() => prorationAmount({ ...base, newQuantity: 1.5 })).toThrow(/newQuantity/);
    expect(() => prorationAmount({ ...base, changeAt: 'yesterday' })).toThrow(/RFC 3339/);
  });
});
