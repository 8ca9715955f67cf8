/** Minor-unit arithmetic for the emulator: QuickBooks sends amounts as JSON numbers. */

/** Decimals of the currencies the emulator's realms know (ISO 4217). */
export const CURRENCY_DECIMALS: Readonly<Record<string, number>> = {
  USD: 2,
  CAD: 2,
  GBP: 2,
  EUR: 2,
  AUD: 2,
  CHF: 2,
  SEK: 2,
  JPY: 0,
  KRW: 0,
  BHD: 3,
  KWD: 3,
};

export const CURRENCY_NAMES: Readonly<Record<string, string>> = {
  USD: 'United States Dollar',
  CAD: 'Canadian Dollar',
  GBP: 'British Pound Sterling',
  EUR: 'Euro',
  AUD: 'Australian Dollar',
  CHF: 'Swiss Franc',
  SEK: 'Swedish Krona',
  JPY: 'Japanese Yen',
  KRW: 'South Korean Won',
  BHD: 'Bahraini Dinar',
  KWD: 'Kuwaiti Dinar',
};

export function decimalsOf(currency: string): number {
  return CURRENCY_DECIMALS[currency] ?? 2;
}

/**
 * The amount in minor units, or `undefined` when it has more decimals than the currency allows
 * (a float's representation noise below half a minor unit's millionth is tolerated).
 */
export function toMinor(value: number, currency: string): number | undefined {
  const scaled = value * 10 ** decimalsOf(currency);
  const rounded = Math.round(scaled);
  return Math.abs(scaled - rounded) < 1e-6 ? rounded : undefined;
}

/** Minor units back to QuickBooks' JSON number. */
export function fromMinor(minor: number, currency: string): number {
  const d = decimalsOf(currency);
  return Number((minor / 10 ** d).toFixed(d));
}

/**
 * `minor` (in `from`) times a decimal-string rate, in `to`'s minor units, half away from zero.
 * BigInt throughout, so a JPY or BHD conversion does not pick up binary-float error.
 */
export function convertMinor(minor: number, from: string, rate: string, to: string): number {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(rate);
  if (!m) throw new RangeError(`not a decimal rate: ${rate}`);
  const frac = m[2] ?? '';
  const rateInt = BigInt(`${m[1]}${frac}`);
  const shift = decimalsOf(from) + frac.length - decimalsOf(to);
  let numerator = BigInt(Math.abs(minor)) * rateInt;
  let result: bigint;
  if (shift >= 0) {
    const div = 10n ** BigInt(shift);
    result = numerator / div;
    if ((numerator % div) * 2n >= div) result += 1n;
  } else {
    numerator *= 10n ** BigInt(-shift);
    result = numerator;
  }
  return Number(result) * (minor < 0 ? -1 : 1);
}
