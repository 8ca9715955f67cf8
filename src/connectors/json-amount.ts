/**
 * Amounts in vendor APIs that send money as a JSON number of major units (QuickBooks, Business
 * Central): converted exactly to and from revsync's integer minor units.
 */
import { currencyExponent, toCurrencyCode } from '../model/currency.ts';
import type { Money } from '../model/money.ts';
import { ValidationError } from '../model/revsync-error.ts';

/** Minor units → the JSON number of major units (exact for the currency's decimals). */
export function toJsonAmount(m: Money): number {
  const d = currencyExponent(m.currency);
  return Number((m.amount / 10 ** d).toFixed(d));
}

/**
 * A JSON number (or numeric string) of major units → minor units of `currency`. More decimals
 * than the currency has is a `ValidationError` naming `system`, never rounded away.
 */
export function fromJsonAmount(value: unknown, currency: string, system: string): Money {
  const code = toCurrencyCode(currency);
  const n = typeof value === 'number' ? value : Number(value ?? 0);
  const scaled = n * 10 ** currencyExponent(code);
  const amount = Math.round(scaled);
  if (!Number.isFinite(n) || Math.abs(scaled - amount) > 1e-6) {
    throw new ValidationError(
      `${system} amount ${String(value)} is not a whole ${code} minor unit`,
      {
        system,
      },
    );
  }
  return { amount: amount === 0 ? 0 : amount, currency: code };
}
