/**
 * Formatting for people: money in its currency and exponent, instants local and relative,
 * durations, counts. Everything uses the browser's locale.
 */

const locale = undefined; // the browser's
const integer = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
const relative = new Intl.RelativeTimeFormat(locale, { numeric: 'auto', style: 'short' });
const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' });
// Times of day on 24 hours: aligned in columns and unambiguous in a timeline.
const timeOfDay = new Intl.DateTimeFormat(locale, {
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});
const timeWithSeconds = new Intl.DateTimeFormat(locale, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** A count: `12,345`. */
export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : integer.format(n);
}

/** A number with at most one decimal: `41.9`. */
export function number(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : decimal.format(n);
}

/** Money given as integer minor units: `{ amount: 1999, currency: 'EUR' }` → `€19.99`. */
export interface Money {
  amount: number;
  currency: string;
}

/** True when a value has the API's money shape. */
export function isMoney(value: unknown): value is Money {
  return (
    typeof value === 'object' &&
    value !== null &&
    Number.isInteger((value as Money).amount) &&
    typeof (value as Money).currency === 'string'
  );
}

const moneyFormats = new Map<string, Intl.NumberFormat>();

/**
 * Formats integer minor units in their currency. The exponent comes from Intl (JPY 0, EUR 2,
 * BHD 3), and the amount is handed over as an exact decimal string, never as a binary float.
 */
export function money(value: Money): string {
  const currency = value.currency.toUpperCase();
  let format = moneyFormats.get(currency);
  if (!format) {
    try {
      format = new Intl.NumberFormat(locale, { style: 'currency', currency });
    } catch {
      return `${value.amount} ${currency} (minor units)`;
    }
    moneyFormats.set(currency, format);
  }
  const exponent = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minorToDecimal(value.amount, exponent) as `${number}`);
}

/** `1999, 2` → `"19.99"`; `-5, 2` → `"-0.05"`; exact for every safe integer. */
export function minorToDecimal(amount: number, exponent: number): string {
  const negative = amount < 0;
  const digits = String(Math.abs(amount)).padStart(exponent + 1, '0');
  const whole = exponent === 0 ? digits : digits.slice(0, -exponent);
  const fraction = exponent === 0 ? '' : `.${digits.slice(-exponent)}`;
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/** Local date and time: `Jan 1, 2026, 12:00:01 PM`. */
export function dateTimeOf(ms: number): string {
  return dateTime.format(ms);
}

/** `14:03` or `14:03:07`. */
export function clock(ms: number, withSeconds = false): string {
  return (withSeconds ? timeWithSeconds : timeOfDay).format(ms);
}

/** `3 min. ago`, `in 20 sec.`. */
export function ago(ms: number, now = Date.now()): string {
  const seconds = Math.round((ms - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 5) return 'just now';
  if (abs < 60) return relative.format(seconds, 'second');
  if (abs < 3600) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return relative.format(Math.round(seconds / 3600), 'hour');
  return relative.format(Math.round(seconds / 86_400), 'day');
}

/** A duration: `850 ms`, `2.4 s`, `3 min 10 s`, `2 h 5 min`. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${decimal.format(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
}

/** Pretty JSON for `<pre>` blocks. */
export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? 'undefined';
}

/**
 * A long id shortened for tables, the full one kept for the title: `run_…MXB3TQ5X3`. The tail
 * is kept because revsync's ids start with a timestamp or padding and end with what differs.
 */
export function shortId(id: string, keep = 8): string {
  const underscore = id.indexOf('_');
  const prefix = underscore > 0 && underscore < 6 ? id.slice(0, underscore + 1) : '';
  const rest = id.slice(prefix.length);
  return rest.length <= keep + 2 ? id : `${prefix}…${rest.slice(-keep)}`;
}

/** `1 exception`, `2 exceptions`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}
