import { z } from 'zod';
import type { RevenueScheduleLineV1 } from './entities/revenue-schedule.ts';
import { CurrencyMismatchError, ModelError } from './errors.ts';
import { add, allocate, money, negate, type Money } from './money.ts';
import { divideAndRound, type RoundingMode } from './rounding.ts';

const DAY_MS = 86_400_000;
const isoDate = z.iso.date();
const isoDateTime = z.iso.datetime({ offset: true });

/** Options of {@link buildStraightLineSchedule}. */
export interface StraightLineOptions {
  /** One line per calendar month (the only granularity in v1). */
  granularity: 'month';
}

/**
 * Spreads `total` straight-line over the term `[termStart, termEnd)` (dates `YYYY-MM-DD`, end
 * exclusive): one line per calendar month the term touches, weighted by the days of the term in
 * that month, split with {@link allocate} so the lines sum to exactly `total`. A 1 Jan – 1 Jan
 * annual term therefore gives January 31/365 of the total and February 28/365, not 1/12 each.
 *
 * @throws ModelError `invalid_argument` for malformed dates or an empty term.
 */
export function buildStraightLineSchedule(
  total: Money,
  termStart: string,
  termEnd: string,
  options: StraightLineOptions = { granularity: 'month' },
): RevenueScheduleLineV1[] {
  if (options.granularity !== 'month') {
    throw new ModelError(
      'invalid_argument',
      `unsupported granularity ${String(options.granularity)}`,
    );
  }
  const start = parseDate(termStart, 'termStart');
  const end = parseDate(termEnd, 'termEnd');
  if (end <= start) throw new ModelError('invalid_argument', 'termEnd must be after termStart');

  const periods: { start: number; end: number }[] = [];
  for (let cursor = start; cursor < end;) {
    const date = new Date(cursor);
    const nextMonth = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
    const periodEnd = Math.min(nextMonth, end);
    periods.push({ start: cursor, end: periodEnd });
    cursor = periodEnd;
  }
  const amounts = allocate(
    total,
    periods.map((p) => (p.end - p.start) / DAY_MS),
  );
  return periods.map((p, i) => ({
    periodStart: formatDate(p.start),
    periodEnd: formatDate(p.end),
    amount: amounts[i] ?? money(0, total.currency),
  }));
}

/** A price/quantity change in the middle of a billing period. */
export interface ProrationInput {
  /** Full-period price of one unit before the change. */
  oldUnitAmount: Money;
  oldQuantity: number;
  /** Full-period price of one unit after the change. */
  newUnitAmount: Money;
  newQuantity: number;
  /** The billing period `[periodStart, periodEnd)`, RFC 3339. */
  periodStart: string;
  periodEnd: string;
  /** When the change takes effect (Stripe's `proration_date`), within the period. */
  changeAt: string;
  /** Rounding of each line; defaults to `half-up` (ties away from zero). */
  rounding?: RoundingMode;
}

/** The two proration lines of a change and their net. */
export interface Proration {
  /** Credit for unused time on the old item (zero or negative). */
  credit: Money;
  /** Charge for the remaining time on the new item (zero or positive). */
  charge: Money;
  /** `credit + charge`. */
  net: Money;
  remainingSeconds: number;
  periodSeconds: number;
}

/**
 * Stripe-style proration of a mid-period change. Times are whole seconds (fractions dropped);
 * with `f = (periodEnd − changeAt) / (periodEnd − periodStart)`:
 *
 * - credit = −round(oldUnitAmount × oldQuantity × f)
 * - charge = +round(newUnitAmount × newQuantity × f)
 *
 * Each line is rounded on its own to the minor unit, half-up on the absolute value (so a credit
 * and a charge of the same size round alike), then `net` is their exact sum: the net may differ
 * by a unit from prorating the difference, as on a Stripe invoice.
 *
 * @throws CurrencyMismatchError when old and new prices differ in currency.
 * @throws ModelError `invalid_argument` for bad times, `changeAt` outside the period, or bad quantities.
 */
export function prorationAmount(input: ProrationInput): Proration {
  const { oldUnitAmount, newUnitAmount } = input;
  if (oldUnitAmount.currency !== newUnitAmount.currency) {
    throw new CurrencyMismatchError(oldUnitAmount.currency, newUnitAmount.currency, 'prorate');
  }
  const start = parseSeconds(input.periodStart, 'periodStart');
  const end = parseSeconds(input.periodEnd, 'periodEnd');
  const at = parseSeconds(input.changeAt, 'changeAt');
  if (end <= start) throw new ModelError('invalid_argument', 'periodEnd must be after periodStart');
  if (at < start || at > end) {
    throw new ModelError('invalid_argument', 'changeAt must be within the billing period');
  }
  const rounding = input.rounding ?? 'half-up';
  const periodSeconds = end - start;
  const remainingSeconds = end - at;
  const line = (unit: Money, quantity: number, what: string): Money => {
    if (!Number.isSafeInteger(quantity) || quantity < 0) {
      throw new ModelError('invalid_argument', `${what} must be a non-negative integer`);
    }
    const full = BigInt(money(unit.amount, unit.currency).amount) * BigInt(quantity);
    const amount = divideAndRound(full * BigInt(remainingSeconds), BigInt(periodSeconds), rounding);
    return money(amount, unit.currency);
  };
  const credit = negate(line(oldUnitAmount, input.oldQuantity, 'oldQuantity'));
  const charge = line(newUnitAmount, input.newQuantity, 'newQuantity');
  return {
    credit,
    charge,
    net: add(credit, charge),
    remainingSeconds,
    periodSeconds,
  };
}

function parseDate(value: string, what: string): number {
  if (!isoDate.safeParse(value).success) {
    throw new ModelError(
      'invalid_argument',
      `${what} must be a date YYYY-MM-DD, got ${JSON.stringify(value)}`,
    );
  }
  return Date.parse(`${value}T00:00:00Z`);
}

function formatDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function parseSeconds(value: string, what: string): number {
  if (!isoDateTime.safeParse(value).success) {
    throw new ModelError(
      'invalid_argument',
      `${what} must be an RFC 3339 timestamp, got ${JSON.stringify(value)}`,
    );
  }
  return Math.floor(Date.parse(value) / 1000);
}
