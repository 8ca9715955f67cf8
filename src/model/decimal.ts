import { z } from 'zod';
import { ModelError } from './errors.ts';

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/** An exact decimal: `units / 10^scale`, e.g. `'-12.345'` is `{ units: -12345n, scale: 3 }`. */
export interface Decimal {
  units: bigint;
  scale: number;
}

/**
 * Parses a plain decimal string (`'12'`, `'-0.0825'`) exactly, without floating point.
 * No exponent notation, no `+`, no leading or trailing point, no whitespace.
 *
 * @throws ModelError `invalid_decimal` on anything else.
 */
export function parseDecimal(value: string): Decimal {
  const match = typeof value === 'string' ? DECIMAL.exec(value) : null;
  if (match === null) {
    throw new ModelError(
      'invalid_decimal',
      `not a decimal string: ${JSON.stringify(value)} (expected e.g. "12.34" or "-0.5")`,
    );
  }
  const [, sign = '', whole = '', fraction = ''] = match;
  const units = BigInt(whole + fraction);
  return { units: sign === '-' ? -units : units, scale: fraction.length };
}

/** Zod schema of a plain decimal string such as a tax or FX rate (`'0.0825'`). */
export const DecimalString = z
  .string()
  .regex(DECIMAL, 'must be a plain decimal string such as "0.0825"')
  .meta({ id: 'DecimalString', description: 'Exact decimal as a string, e.g. "0.0825".' });
