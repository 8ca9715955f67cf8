import { currencyExponent, toCurrencyCode, type CurrencyCode } from '../../model/currency.ts';
import { money, type Money } from '../../model/money.ts';
import { ValidationError } from '../../model/revsync-error.ts';

/**
 * Currencies whose exponent in Stripe's API differs from ISO 4217 (`src/model/currency.ts`).
 * ISK and UGX became zero-decimal, but Stripe keeps them two-decimal for backwards
 * compatibility (amounts must be whole units: multiples of 100); Stripe treats MGA as
 * zero-decimal although ISO gives it two decimals. HUF and TWD have the ISO exponent (2) in
 * Stripe, so they need no conversion (Stripe only pays them out in whole units).
 */
const STRIPE_EXPONENT_OVERRIDES: Partial<Record<CurrencyCode, number>> = {
  ISK: 2,
  UGX: 2,
  MGA: 0,
};

/** The number of decimals Stripe's integer amounts carry for `currency` (USD 2, JPY 0, ISK 2). */
export function stripeExponent(currency: CurrencyCode): number {
  return STRIPE_EXPONENT_OVERRIDES[currency] ?? currencyExponent(currency);
}

/**
 * A Stripe amount (integer in Stripe's minor unit, currency as Stripe writes it, e.g. `usd`) →
 * {@link Money} in ISO minor units. 50000 ISK-in-Stripe (500.00 kr.) → 500 ISK.
 *
 * @throws ValidationError when the amount has fractions the ISO minor unit cannot hold (a legacy
 *   fractional ISK or UGX amount): nothing is rounded here.
 */
export function fromStripeAmount(amount: number, currency: string): Money {
  const code = toCurrencyCode(currency);
  const shift = stripeExponent(code) - currencyExponent(code);
  if (!Number.isSafeInteger(amount)) {
    throw new ValidationError(`stripe amount ${amount} ${code} is not an integer`, {
      system: 'stripe',
    });
  }
  if (shift === 0) return money(amount, code);
  if (shift > 0) {
    const factor = 10n ** BigInt(shift);
    const big = BigInt(amount);
    if (big % factor !== 0n) {
      throw new ValidationError(
        `stripe amount ${amount} ${code} has a fraction of the ISO minor unit; it cannot be represented exactly`,
        { system: 'stripe' },
      );
    }
    return money(big / factor, code);
  }
  return money(BigInt(amount) * 10n ** BigInt(-shift), code);
}

/**
 * {@link Money} → Stripe's integer amount and lowercase currency. 500 ISK → `{ 50000, 'isk' }`;
 * 12300 MGA (123.00 Ar) → `{ 123, 'mga' }`.
 *
 * @throws ValidationError when Stripe cannot take the amount exactly (MGA with fractions of an
 *   ariary); nothing is rounded here.
 */
export function toStripeAmount(m: Money): { amount: number; currency: string } {
  const code = toCurrencyCode(m.currency);
  const shift = stripeExponent(code) - currencyExponent(code);
  const currency = code.toLowerCase();
  if (shift === 0) return { amount: m.amount, currency };
  if (shift > 0) return { amount: Number(BigInt(m.amount) * 10n ** BigInt(shift)), currency };
  const factor = 10n ** BigInt(-shift);
  const big = BigInt(m.amount);
  if (big % factor !== 0n) {
    throw new ValidationError(
      `${code} ${m.amount} (minor units) is not a whole amount in Stripe's unit for ${code}; Stripe cannot charge fractions of it`,
      { system: 'stripe' },
    );
  }
  return { amount: Number(big / factor), currency };
}
