import { z } from 'zod';
import { CurrencyCode, currencyExponent, isCurrencyCode } from './currency.ts';
import { parseDecimal } from './decimal.ts';
import {
  CurrencyMismatchError,
  ModelError,
  MoneyOverflowError,
  UnknownCurrencyError,
} from './errors.ts';
import { divideAndRound, type RoundingMode } from './rounding.ts';

/**
 * Zod schema of {@link Money}: an integer number of minor units (cents, yen, fils) in the
 * safe-integer range, and a known ISO 4217 currency.
 */
export const MoneySchema = z
  .object({
    amount: z.int(),
    currency: CurrencyCode,
  })
  .meta({
    id: 'Money',
    description: 'Integer amount of minor units (e.g. cents) and its ISO 4217 currency.',
  });

/** An amount of money: integer minor units plus currency. `{ amount: 1234, currency: 'USD' }` is $12.34. */
export type Money = z.infer<typeof MoneySchema>;

/** An integer given as a number (must be a safe integer) or a bigint. */
export type IntegerLike = number | bigint;

/**
 * Makes a Money value, checking that the amount is a safe integer and the currency known.
 *
 * @throws ModelError `invalid_money` for a fractional, non-finite or unsafe amount.
 */
export function money(amount: IntegerLike, currency: CurrencyCode): Money {
  assertCurrency(currency, 'money');
  if (typeof amount === 'bigint') return fromBigInt(amount, currency, 'money');
  if (!Number.isSafeInteger(amount)) {
    throw new ModelError(
      'invalid_money',
      `money: amount must be a safe integer of minor units, got ${String(amount)}`,
    );
  }
  return { amount: amount === 0 ? 0 : amount, currency };
}

/** Zero in `currency`. */
export function zero(currency: CurrencyCode): Money {
  return money(0, currency);
}

/** `a + b`. @throws CurrencyMismatchError when the currencies differ. */
export function add(a: Money, b: Money): Money {
  sameCurrency(a, b, 'add');
  return fromBigInt(BigInt(a.amount) + BigInt(b.amount), a.currency, 'add');
}

/** `a − b`. @throws CurrencyMismatchError when the currencies differ. */
export function subtract(a: Money, b: Money): Money {
  sameCurrency(a, b, 'subtract');
  return fromBigInt(BigInt(a.amount) - BigInt(b.amount), a.currency, 'subtract');
}

/** `−m` (never produces `-0`). */
export function negate(m: Money): Money {
  checkMoney(m, 'negate');
  return { amount: m.amount === 0 ? 0 : -m.amount, currency: m.currency };
}

/** `|m|`. */
export function abs(m: Money): Money {
  checkMoney(m, 'abs');
  return m.amount < 0 ? negate(m) : { amount: m.amount, currency: m.currency };
}

/**
 * The sum of `list`, all of which must be in `currency`; an empty list sums to zero.
 *
 * @throws CurrencyMismatchError when an element is in another currency.
 */
export function sum(list: readonly Money[], currency: CurrencyCode): Money {
  assertCurrency(currency, 'sum');
  let total = 0n;
  for (const m of list) {
    checkMoney(m, 'sum');
    if (m.currency !== currency) throw new CurrencyMismatchError(currency, m.currency, 'sum');
    total += BigInt(m.amount);
  }
  return fromBigInt(total, currency, 'sum');
}

/** True when the amount is zero. */
export function isZero(m: Money): boolean {
  checkMoney(m, 'isZero');
  return m.amount === 0;
}

/** True when the amount is below zero. */
export function isNegative(m: Money): boolean {
  checkMoney(m, 'isNegative');
  return m.amount < 0;
}

/** −1, 0 or 1 as `a` is less than, equal to or greater than `b`. @throws CurrencyMismatchError */
export function compare(a: Money, b: Money): -1 | 0 | 1 {
  sameCurrency(a, b, 'compare');
  return a.amount < b.amount ? -1 : a.amount > b.amount ? 1 : 0;
}

/**
 * True when `a` and `b` are the same amount. Amounts in different currencies are not
 * comparable, so this throws rather than answering false; check `currency` first when a
 * mismatch is an expected outcome (reconciliation, for one).
 *
 * @throws CurrencyMismatchError when the currencies differ.
 */
export function equals(a: Money, b: Money): boolean {
  return compare(a, b) === 0;
}

/**
 * Parses a decimal string in major units (`'12.34'` USD → 1234 cents) exactly, with no float
 * arithmetic. More decimal places than the currency has are rejected unless the extra digits are
 * all zero (`'100.00'` JPY is 100; `'100.5'` JPY is an error): nothing is ever rounded here.
 *
 * @throws ModelError `invalid_decimal` for malformed input or too many significant decimals.
 */
export function fromDecimalString(value: string, currency: CurrencyCode): Money {
  assertCurrency(currency, 'fromDecimalString');
  const exponent = currencyExponent(currency);
  const { units, scale } = parseDecimal(value);
  if (scale <= exponent) {
    return fromBigInt(units * 10n ** BigInt(exponent - scale), currency, 'fromDecimalString');
  }
  const divisor = 10n ** BigInt(scale - exponent);
  if (units % divisor !== 0n) {
    throw new ModelError(
      'invalid_decimal',
      `${JSON.stringify(value)} has more than ${exponent} decimal place(s), the minor unit of ${currency}`,
    );
  }
  return fromBigInt(units / divisor, currency, 'fromDecimalString');
}

/** Formats in major units with exactly the currency's decimals: 1234 USD → `'12.34'`, −5 → `'-0.05'`, 100 JPY → `'100'`. */
export function toDecimalString(m: Money): string {
  checkMoney(m, 'toDecimalString');
  const exponent = currencyExponent(m.currency);
  const digits = String(Math.abs(m.amount)).padStart(exponent + 1, '0');
  const sign = m.amount < 0 ? '-' : '';
  if (exponent === 0) return sign + digits;
  return `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/**
 * `m × rate`, rounded to the minor unit with `rounding`. The rate is a decimal string (a tax rate
 * `'0.0825'`, an FX rate `'1.0871'`), multiplied exactly in BigInt.
 *
 * @throws ModelError `invalid_decimal` for a malformed rate.
 */
export function multiplyByRate(m: Money, rate: string, rounding: RoundingMode): Money {
  checkMoney(m, 'multiplyByRate');
  const { units, scale } = parseDecimal(rate);
  const product = divideAndRound(BigInt(m.amount) * units, 10n ** BigInt(scale), rounding);
  return fromBigInt(product, m.currency, 'multiplyByRate');
}

/**
 * `m × numerator / denominator`, rounded to the minor unit with `rounding` (exact BigInt math).
 * Used for proration: `prorate(price, secondsLeft, secondsInPeriod, 'half-up')`.
 *
 * @throws ModelError `invalid_argument` when the ratio is not integers or `denominator <= 0`.
 */
export function prorate(
  m: Money,
  numerator: IntegerLike,
  denominator: IntegerLike,
  rounding: RoundingMode,
): Money {
  checkMoney(m, 'prorate');
  const num = toBigInt(numerator, 'prorate numerator');
  const den = toBigInt(denominator, 'prorate denominator');
  if (den <= 0n) throw new ModelError('invalid_argument', 'prorate: denominator must be positive');
  return fromBigInt(divideAndRound(BigInt(m.amount) * num, den, rounding), m.currency, 'prorate');
}

/**
 * Splits `m` into parts proportional to `weights` that sum to exactly `m`: never loses or invents
 * a minor unit. Each part first gets `floor(|m| × wᵢ / Σw)`; the units left over go one each to
 * the parts with the largest remainders, ties to the lower index (largest-remainder method).
 * A zero weight always gets zero; a negative total is split like its absolute value, negated.
 *
 * @throws ModelError `invalid_argument` for no weights, a negative or fractional weight, or all zero.
 */
export function allocate(m: Money, weights: readonly IntegerLike[]): Money[] {
  checkMoney(m, 'allocate');
  if (weights.length === 0) throw new ModelError('invalid_argument', 'allocate: no weights');
  const ws = weights.map((w, i) => {
    const b = toBigInt(w, `allocate weight [${i}]`);
    if (b < 0n) throw new ModelError('invalid_argument', `allocate: weight [${i}] is negative`);
    return b;
  });
  const totalWeight = ws.reduce((acc, w) => acc + w, 0n);
  if (totalWeight === 0n) throw new ModelError('invalid_argument', 'allocate: weights sum to zero');

  const negative = m.amount < 0;
  const total = BigInt(Math.abs(m.amount));
  const parts = ws.map((w) => (total * w) / totalWeight);
  const remainders = ws.map((w) => (total * w) % totalWeight);
  let left = total - parts.reduce((acc, p) => acc + p, 0n);
  const order = ws
    .map((_, i) => i)
    .sort((i, j) => {
      const ri = remainders[i] ?? 0n;
      const rj = remainders[j] ?? 0n;
      return ri === rj ? i - j : ri > rj ? -1 : 1;
    });
  for (const i of order) {
    if (left === 0n) break;
    parts[i] = (parts[i] ?? 0n) + 1n;
    left -= 1n;
  }
  return parts.map((p) => fromBigInt(negative ? -p : p, m.currency, 'allocate'));
}

function sameCurrency(a: Money, b: Money, operation: string): void {
  checkMoney(a, operation);
  checkMoney(b, operation);
  if (a.currency !== b.currency) throw new CurrencyMismatchError(a.currency, b.currency, operation);
}

function checkMoney(m: Money, operation: string): void {
  if (typeof m !== 'object' || m === null || !Number.isSafeInteger(m.amount)) {
    throw new ModelError('invalid_money', `${operation}: not a Money with an integer amount`);
  }
  assertCurrency(m.currency, operation);
}

function toBigInt(value: IntegerLike, what: string): bigint {
  if (typeof value === 'bigint') return value;
  if (!Number.isSafeInteger(value)) {
    throw new ModelError(
      'invalid_argument',
      `${what} must be a safe integer, got ${String(value)}`,
    );
  }
  return BigInt(value);
}

function fromBigInt(value: bigint, currency: CurrencyCode, operation: string): Money {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new MoneyOverflowError(operation);
  }
  return { amount: Number(value), currency };
}

function assertCurrency(value: unknown, operation: string): asserts value is CurrencyCode {
  if (typeof value !== 'string') {
    throw new ModelError('invalid_money', `${operation}: currency must be a string`);
  }
  if (!isCurrencyCode(value)) throw new UnknownCurrencyError(value);
}
