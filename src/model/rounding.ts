import { z } from 'zod';
import { ModelError } from './errors.ts';

/** The rounding modes revsync accepts; every division of money names one explicitly. */
export const ROUNDING_MODES = ['half-even', 'half-up', 'down', 'up'] as const;

/**
 * How a quotient is rounded to an integer:
 * - `half-even`: to nearest, ties to the even neighbour (banker's rounding);
 * - `half-up`: to nearest, ties away from zero (commercial rounding: 2.5 → 3, −2.5 → −3);
 * - `down`: towards zero (truncation);
 * - `up`: away from zero.
 *
 * Every mode is symmetric around zero, so `round(−x) = −round(x)`.
 */
export type RoundingMode = (typeof ROUNDING_MODES)[number];

/** Zod schema of a {@link RoundingMode}. */
export const RoundingModeSchema = z.enum(ROUNDING_MODES);

/**
 * `numerator / denominator` rounded to an integer with `mode`, in exact BigInt arithmetic.
 *
 * @throws ModelError `invalid_argument` when `denominator` is zero or `mode` is unknown.
 */
export function divideAndRound(numerator: bigint, denominator: bigint, mode: RoundingMode): bigint {
  if (denominator === 0n) throw new ModelError('invalid_argument', 'division by zero');
  if (denominator < 0n) {
    numerator = -numerator;
    denominator = -denominator;
  }
  const quotient = numerator / denominator; // BigInt division truncates towards zero
  const remainder = numerator % denominator; // same sign as the numerator
  if (remainder === 0n) return quotient;
  const awayFromZero = quotient + (numerator < 0n ? -1n : 1n);
  const twiceRemainder = 2n * (remainder < 0n ? -remainder : remainder);
  switch (mode) {
    case 'down':
      return quotient;
    case 'up':
      return awayFromZero;
    case 'half-up':
      return twiceRemainder >= denominator ? awayFromZero : quotient;
    case 'half-even':
      if (twiceRemainder > denominator) return awayFromZero;
      if (twiceRemainder < denominator) return quotient;
      return quotient % 2n === 0n ? quotient : awayFromZero;
    default:
      throw new ModelError('invalid_argument', `unknown rounding mode ${JSON.stringify(mode)}`);
  }
}
