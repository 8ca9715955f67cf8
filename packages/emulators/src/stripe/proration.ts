/** A recurring price's interval. */
export type Interval = 'day' | 'week' | 'month' | 'year';

/** Rounds to the minor unit, halves away from zero (so a credit mirrors its charge). */
export function roundMinor(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

/**
 * Stripe's proration: the share of `amount` (for the whole period `[start, end)`) that falls
 * on the remaining time `[at, end)`, by seconds, rounded to the minor unit. A change at `at`
 * credits `-prorate(old)` for unused time and charges `+prorate(new)` for the remaining time.
 */
export function prorate(amount: number, start: number, end: number, at: number): number {
  if (end <= start) return 0;
  const remaining = Math.min(Math.max(end - at, 0), end - start);
  return roundMinor((amount * remaining) / (end - start));
}

const DAY = 86_400;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

/**
 * `anchor` moved `n` intervals ahead (UTC). Months keep the anchor's day of month, clamped to
 * short months (an anchor on the 31st bills on Feb 28/29, then on Mar 31), like Stripe.
 */
export function addIntervals(anchor: number, interval: Interval, count: number, n: number): number {
  if (interval === 'day') return anchor + n * count * DAY;
  if (interval === 'week') return anchor + n * count * 7 * DAY;
  const months = n * count * (interval === 'year' ? 12 : 1);
  const d = new Date(anchor * 1000);
  const total = d.getUTCMonth() + months;
  const year = d.getUTCFullYear() + Math.floor(total / 12);
  const month = ((total % 12) + 12) % 12;
  const day = Math.min(d.getUTCDate(), daysInMonth(year, month));
  const ms = Date.UTC(year, month, day, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds());
  return Math.floor(ms / 1000);
}

/** The first period boundary (anchor + n intervals, n ≥ 1) strictly after `after`. */
export function nextBoundary(
  anchor: number,
  interval: Interval,
  count: number,
  after: number,
): number {
  // The longest a period can be, so the estimate never overshoots.
  const longest = { day: DAY, week: 7 * DAY, month: 31 * DAY, year: 366 * DAY }[interval] * count;
  let n = Math.max(1, Math.floor((after - anchor) / longest) - 1);
  while (addIntervals(anchor, interval, count, n) <= after) n++;
  return addIntervals(anchor, interval, count, n);
}
